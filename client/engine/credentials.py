"""Where the client keeps session tokens: the OS keyring, or a 0600 file when there is none.

Passwords are never stored; a token is a revocable session that the relay can end at any time.

Several Parley processes may share one token file (the desktop app and headless participants of
one account folder, started together): each change reads, changes and writes the file under an
exclusive lock on ``tokens.json.lock``, and writes through a temporary file of its own (unique
name, flushed to disk) that replaces the old one in one step, so no writer loses another's token
and a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
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

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the token file's lock (other processes wait) for one read-change-write."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # retries for 10 s, then raises OSError
                try:
                    yield
                finally:
                    os.lseek(fd, 0, os.SEEK_SET)
                    msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX)
                yield  # closing the descriptor releases the lock
        finally:
            os.close(fd)

    def _write_file(self, data: dict[str, str]) -> None:
        fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)  # 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(name, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(name)
            raise

    def save(self, server: str, username: str, token: str) -> None:
        """Remember ``token``; raises OSError when the file cannot be written (a full disk...)."""
        key = self._key(server, username)
        if self.use_keyring:
            try:
                import keyring

                keyring.set_password(SERVICE, key, token)
                return
            except Exception as exc:
                log.warning("keyring unavailable (%s); keeping the token in %s", type(exc).__name__, self.path)
        with self._locked():
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
        try:
            with self._locked():
                data = self._read_file()
                if data.pop(key, None) is not None:
                    self._write_file(data)
        except OSError as exc:  # the relay ended the session anyway; a stale token is refused there
            log.warning("could not forget a token in %s: %s", self.path, exc)
