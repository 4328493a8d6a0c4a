"""One screen share at a time (issue #19 item 8). The relay lets the later share take over
(relay/sfu/screen_share.py); here, Share asks first when someone else shares ("Ana is already
sharing. Take over?"), and when someone takes over from us, our share stops and we are told who
shares now."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

from client.engine import events as ev
from client.ui import tasks
from client.ui.call import CallView


class ShareGuard(QObject):
    def __init__(self, call: CallView, say: Callable[[str], None]) -> None:
        super().__init__(call)
        self.call = call
        self.say = say
        self.sharers: list[str] = []  # participant ids whose screen we receive, latest last
        self.question: QMessageBox | None = None
        session = call.ctx.session
        session.remote_track_added.connect(self._added)
        session.remote_track_removed.connect(self._removed)
        session.meeting_left.connect(self._left)
        call.share_button.clicked.disconnect(call.share_clicked)
        call.share_button.clicked.connect(self.share_clicked)

    def _left(self, _reason: str = "", _sentence: str = "") -> None:
        self.sharers.clear()

    def _added(self, participant_id: str, source: str, kind: str) -> None:
        if source == "screen" and participant_id not in self.sharers:
            self.sharers.append(participant_id)

    def _removed(self, participant_id: str, source: str) -> None:
        if source == "screen" and participant_id in self.sharers:
            self.sharers.remove(participant_id)

    def someone_sharing(self) -> str:
        """The name of another participant who shares now, or ''."""
        for participant_id in reversed(self.sharers):
            if participant_id != self.call.self_id:
                row = self.call.model.get(participant_id)
                return row.name if row is not None else self.tr("Someone")
        return ""

    def share_clicked(self) -> None:
        other = self.someone_sharing()
        if self.call.ctx.media.sharing or not other:
            self.call.share_clicked()
            return
        self.call.share_button.setChecked(False)
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Share screen"), "", parent=self.call)
        box.setText(self.tr("{0} is already sharing. Take over? Their share stops.").format(other))
        self.take_over_button = box.addButton(self.tr("Take over"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Cancel"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(self.take_over_button)
        box.buttonClicked.connect(lambda button: self.call.share_clicked() if button is self.take_over_button else None)
        self.question = box
        box.open()

    def on_event(self, event: object) -> None:
        """Someone took over our share: stop here too and say who shares now."""
        if isinstance(event, ev.ShareTakenOver):
            tasks.start(self.call.ctx.media.stop_screen_share())
            self.say(event.message)
