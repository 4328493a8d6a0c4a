"""The engine's `StageDesk` (spotlight for everyone, reactions) as a Qt service, one per session."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from client.engine import events as ev
from client.engine.stage import StageDesk
from client.ui.lifetime import listen
from client.ui.services import SessionService


class StageService(QObject):
    reaction_arrived = Signal(str, str)  # participant_id, reaction kind

    def __init__(self, session: SessionService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.desk: StageDesk | None = None
        session.signed_in.connect(self._signed_in)
        if session.client is not None:
            self._signed_in(None)

    def _signed_in(self, _user: Any) -> None:
        client = self.session.client
        if client is None or (self.desk is not None and self.desk.client is client):
            return
        if self.desk is not None:
            self.desk.close()
            self.desk.client.remove_listener(self._listener)
        self.desk = StageDesk(client)
        self._listener = listen(client, self, self._on_event)

    def require(self) -> StageDesk:
        if self.desk is None:
            raise RuntimeError("not signed in")
        return self.desk

    def _on_event(self, event: Any) -> None:
        if isinstance(event, ev.ReactionArrived):
            self.reaction_arrived.emit(event.participant_id, event.reaction)
