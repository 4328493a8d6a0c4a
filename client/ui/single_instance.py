"""One app per user: a second launch hands its ``parley://`` link to the running one and exits."""

from __future__ import annotations

import getpass
import hashlib

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

TIMEOUT_MS = 1500


def server_name(suffix: str = "") -> str:
    """A per-user socket name (a hash, so it is a valid name on every platform)."""
    try:
        user = getpass.getuser()
    except Exception:
        user = "user"
    digest = hashlib.sha256(f"parley|{user}|{suffix}".encode()).hexdigest()[:16]
    return f"parley-{digest}"


def send_to_running(message: str, name: str | None = None) -> bool:
    """True when a running instance received ``message`` (a link, or "" to just show its window)."""
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(TIMEOUT_MS):
        return False
    socket.write((message + "\n").encode("utf-8"))
    socket.flush()  # writes it all: waitForBytesWritten would then say False, with nothing left to wait for
    answer = b""
    while b"\n" not in answer and socket.waitForReadyRead(TIMEOUT_MS):
        answer += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    return answer.startswith(b"ok")  # the running instance answers "ok" once it has the link


class InstanceServer(QObject):
    """Listens for later launches; emits ``message_received(link)`` on the UI thread."""

    message_received = Signal(str)

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        if self.server.listen(self.name):
            return True
        # A crashed instance leaves its socket file behind on Unix; nobody answered, so remove it.
        QLocalServer.removeServer(self.name)
        return self.server.listen(self.name)

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            buffer = bytearray()

            def read(socket: QLocalSocket = socket, buffer: bytearray = buffer) -> None:
                buffer.extend(bytes(socket.readAll().data()))
                if b"\n" in buffer:
                    line = bytes(buffer).split(b"\n", 1)[0][:1024]
                    socket.write(b"ok\n")
                    socket.flush()
                    socket.disconnectFromServer()
                    self.message_received.emit(line.decode("utf-8", "replace").strip())

            socket.readyRead.connect(read)
            socket.disconnected.connect(socket.deleteLater)
