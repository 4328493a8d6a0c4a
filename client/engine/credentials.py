"""Where the client keeps session tokens: the OS keyring, or a 0600 file when there is none.

Passwords are never stored; a token is a revocable session that the relay can end at any time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path

import platformdirs

log = logging.getLogger("parley.client")

SERVICE = "Parley"


def _keyring_usable() -> bool:
    if os.environ.get("PARLEY_NO_KEYRING"):
        return False
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        return not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 0) > 0
    except Exception:
        return False


class TokenStore:
    """Tokens by ``server|username``. Uses the keyring when it works, else ``tokens.json`` (0600)."""

    def __init__(self, path: Path | None = None, *, use_keyring: bool | None = None) -> None:
        default = Path(os.environ.get("PARLEY_TOKEN_FILE") or platformdirs.user_data_path("parley") / "tokens.json")
        self.path = path or default
        self.use_keyring = _keyring_usable() if use_keyring is None else use_keyring

    @staticmethod
    def _key(server: str, username: str) -> str:
        return f"{server}|{username}"

    def _read_file(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write_file(self, data: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def save(self, server: str, username: str, token: str) -> None:
        key = self._key(server, username)
        if self.use_keyring:
            try:
                import keyring

                keyring.set_password(SERVICE, key, token)
                return
            except Exception as exc:
                log.warning("keyring unavailable (%s); keeping the token in %s", type(exc).__name__, self.path)
        data = self._read_file()
        data[key] = token
        self._write_file(data)

    def load(self, server: str, username: str) -> str | None:
        key = self._key(server, username)
        if self.use_keyring:
            with contextlib.suppress(Exception):
                import keyring

                token = keyring.get_password(SERVICE, key)
                if token:
                    return token
        return self._read_file().get(key)

    def forget(self, server: str, username: str) -> None:
        key = self._key(server, username)
        if self.use_keyring:
            with contextlib.suppress(Exception):
                import keyring

                keyring.delete_password(SERVICE, key)
        data = self._read_file()
        if data.pop(key, None) is not None:
            self._write_file(data)
