"""Short alias so widgets write ``icons.icon("mic")``."""

from client.ui.resources import app_icon, icon

__all__ = ["app_icon", "icon"]
