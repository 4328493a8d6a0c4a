"""What issue 19 adds to the call screen from outside it: views (client/ui/views.py), reactions
(client/ui/reactions.py) and the mini window while sharing (client/ui/mini_window.py).

`install_stage_ui(window)` adds them to the main window with one call, after the host controls.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMainWindow

from client.ui.call import CallView
from client.ui.host_controls import HostControls
from client.ui.mini_window import MiniWindow
from client.ui.reactions import Reactions
from client.ui.stage import StageService
from client.ui.views import Views


class StageUi:
    """What `install_stage_ui` added, for tests and later wiring."""

    def __init__(self, window: QMainWindow, call: CallView, host: HostControls) -> None:
        self.service = StageService(call.ctx.session, window)
        self.views = Views(window, call, host, self.service)
        self.reactions = Reactions(call, self.service)
        self.mini = MiniWindow(window, call)


def install_stage_ui(window: QMainWindow, call: CallView, host: HostControls) -> StageUi:
    return StageUi(window, call, host)
