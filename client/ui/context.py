"""What every screen shares: the services, the settings in force, and small UI state."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from client.engine.settings import ClientSettings, load_settings, save_user_settings
from client.ui.media import MediaService
from client.ui.services import SessionService
from shared.fingerprint import normalize_fingerprint
from shared.links import parse_server

log = logging.getLogger("parley.ui")


@dataclass
class AppContext:
    session: SessionService
    media: MediaService
    settings: ClientSettings
    state: QSettings
    # Folders passed to load/save_user_settings (tests point them at tmp dirs; None = the real ones).
    settings_dirs: dict[str, Path | None] = field(default_factory=dict)

    @classmethod
    def create(cls, settings_dirs: dict[str, Path | None] | None = None, state_file: Path | None = None) -> AppContext:
        dirs = dict(settings_dirs or {})
        settings = load_settings(**{k: v for k, v in dirs.items() if v is not None})
        state = QSettings(str(state_file), QSettings.Format.IniFormat) if state_file else QSettings("Parley", "Parley")
        return cls(session=SessionService(), media=MediaService(), settings=settings, state=state, settings_dirs=dirs)

    # --- trusted certificates -------------------------------------------------------------

    def trusted_fingerprint(self, server: str) -> str | None:
        """The pinned fingerprint for ``server`` from settings, or one the user confirmed earlier."""
        key = _server_key(server)
        if self.settings.server_fingerprint and key == _server_key(self.settings.server_url):
            return self.settings.server_fingerprint
        value = self.state.value(f"trusted/{key}", "")
        return str(value) or None

    def trust(self, server: str, fingerprint: str) -> None:
        """Remember the user's confirmation of ``fingerprint`` for ``server``."""
        fingerprint = normalize_fingerprint(fingerprint)
        self.state.setValue(f"trusted/{_server_key(server)}", fingerprint)
        self.state.sync()

    def remember_server(self, server: str, username: str) -> None:
        self.state.setValue("last_username", username)
        self.state.setValue("last_server", server)
        self.state.sync()
        if not self.settings.is_locked("server_url") and server != self.settings.server_url:
            self.settings.server_url = server
            self.save_settings()

    def save_settings(self) -> None:
        try:
            save_user_settings(
                self.settings,
                self.settings_dirs.get("user_dir"),
                policy_dir=self.settings_dirs.get("policy_dir"),
                machine_dir=self.settings_dirs.get("machine_dir"),
            )
        except OSError:
            log.exception("could not save settings")

    def value(self, key: str, default: Any = "") -> Any:
        return self.state.value(key, default)


def _server_key(server: str) -> str:
    with contextlib.suppress(Exception):
        host, port = parse_server(server)
        return f"{host}:{port}"
    return server.strip().lower()
