"""The meeting around the call screen (issue #19), added by `install_in_call(window)`:

- one raise hand: the control bar's button and Ctrl+Shift+H go to the relay, and the relay's
  list of raised hands sets both hand buttons and every tile;
- the header: time in the call, how many people, and a lock while the meeting is locked;
- the lobby knock (toast and badge), join and leave notices, unread counts on Chat and Files;
- Leave for the host: "Leave meeting" or "End meeting for everyone";
- Share when someone else shares: take over? (client/ui/share_guard.py).
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMenu, QVBoxLayout, QWidget

from client.engine import events as ev
from client.ui import tasks
from client.ui.booking import MeetingsService
from client.ui.call import CallView
from client.ui.lifetime import listen
from client.ui.notices import QUIET_ABOVE, Badge, IconText, KnockToast, NoticeLine
from client.ui.services import error_sentence
from client.ui.share_guard import ShareGuard
from shared.protocol import messages as m


class HasMeetings(Protocol):
    service: MeetingsService


class CallWindow(Protocol):
    call: CallView
    meeting_ui: HasMeetings


def elapsed_text(seconds: float) -> str:
    """12:05 or 1:02:03."""
    s = max(0, int(seconds))
    hours, rest = divmod(s, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


class InCall(QObject):
    def __init__(self, call: CallView, service: MeetingsService) -> None:
        super().__init__(call)
        self.call = call
        self.service = service
        session = call.ctx.session
        self.session = session
        self.joined_at = 0.0  # monotonic, when we joined: the elapsed time until the relay says
        self.started_at = 0.0  # when the meeting started (UTC seconds, from its state)
        self.hands: set[str] = set()
        self.waiting: list[m.LobbyEntry] = []
        self.offers: set[str] = set()  # transfer ids seen, so a file counts once on the badge

        # --- the header ---
        self.elapsed = QLabel()
        self.elapsed.setObjectName("hint")
        self.count = IconText("people")
        self.count.label.setObjectName("hint")
        self.lock = IconText("lock", self.tr("Locked"))
        self.lock.label.setObjectName("lockState")
        self.lock.setAccessibleName(self.tr("The meeting is locked: nobody new can join."))
        self.lock.setToolTip(self.lock.accessibleName())
        self.lock.hide()
        for i, widget in enumerate((self.elapsed, self.count, self.lock)):
            call.header.insertWidget(1 + i, widget)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)

        # --- notices, the knock, badges ---
        outer = call.layout()
        assert isinstance(outer, QVBoxLayout)
        self.notice = NoticeLine()
        self.toast = KnockToast()
        outer.insertWidget(outer.indexOf(call.controls), self.notice)
        outer.insertWidget(outer.indexOf(call.controls), self.toast)
        self.waiting_badge = Badge(call.participants_button, lambda n: self.tr("{0} waiting in the lobby").format(n))
        self.chat_badge = Badge(call.chat_button, lambda n: self.tr("{0} unread messages").format(n))
        self.files_badge = Badge(call.files_button, lambda n: self.tr("{0} new files").format(n))
        self.toast.decided.connect(self._decide)
        self.toast.see_all.connect(self._see_lobby)
        for button in (call.participants_button, call.chat_button, call.files_button):
            button.clicked.connect(self._panel_opened)

        # --- leave ---
        self.leave_menu = QMenu(call)
        self.leave_menu.setAccessibleName(self.tr("Leave or end the meeting"))
        self.leave_action = QAction(self.tr("Leave meeting"), self.leave_menu)
        self.end_action = QAction(self.tr("End meeting for everyone"), self.leave_menu)
        self.leave_action.triggered.connect(call.leave)
        self.end_action.triggered.connect(self.end_for_everyone)
        self.leave_menu.addAction(self.leave_action)
        self.leave_menu.addAction(self.end_action)
        call.leave_button.clicked.disconnect(call.leave)
        call.leave_button.clicked.connect(self.leave_clicked)

        self.share_guard = ShareGuard(call, self.notice.say)  # "X is already sharing. Take over?"
        call.hand_toggled.connect(self._hand_toggled)
        service.state_changed.connect(self._state)
        service.lobby_changed.connect(self._lobby)
        # Bound methods, not lambdas: Qt drops the connections when this object goes.
        session.signed_in.connect(self._bind)
        session.meeting_joined.connect(self._joined)
        session.meeting_left.connect(self._left)
        call.model.rowsInserted.connect(self._count)
        call.model.rowsRemoved.connect(self._count)
        call.model.modelReset.connect(self._count)
        self._count()

    # --- the engine's events ------------------------------------------------------------------

    def _bind(self, _user: object = None) -> None:
        client = self.session.client
        if client is not None:
            listen(client, self, self._on_event)

    def _on_event(self, event: Any) -> None:
        self.share_guard.on_event(event)
        if isinstance(event, ev.ParticipantChanged) and event.change == "joined":
            if self._announce():
                self.notice.say(self.tr("{0} joined.").format(event.participant.display_name))
        elif isinstance(event, ev.ParticipantDeparted):
            if self._announce() and event.reason in ("left", "disconnected", "removed"):
                self.notice.say(self.tr("{0} left.").format(event.participant.display_name))
        elif isinstance(event, ev.ChatMessageReceived):
            if not event.own and not self._showing(self.call.chat_panel):
                self.chat_badge.add()
        elif isinstance(event, ev.FileTransferChanged):
            new = event.direction == "incoming" and event.state == "offered" and event.transfer_id not in self.offers
            if new and not self._showing(self.call.files_panel):
                self.files_badge.add()
            self.offers.add(event.transfer_id)  # an offer said again (after a reconnect) counts once

    def _announce(self) -> bool:
        """Join and leave notices, except in big meetings (they would never stop)."""
        return self.call.in_call and self.call.model.rowCount() <= QUIET_ABOVE

    def _showing(self, panel: QWidget) -> bool:
        return self.call.side.isVisible() and self.call.side.currentWidget() is panel

    def _panel_opened(self) -> None:
        self._lobby(self.waiting)
        if self._showing(self.call.chat_panel):
            self.chat_badge.set_count(0)
        if self._showing(self.call.files_panel):
            self.files_badge.set_count(0)

    # --- joining, leaving, the header ---------------------------------------------------------

    def _joined(self, _meeting: Any) -> None:
        if not self.joined_at:
            self.joined_at = time.monotonic()
        self._clock.start()
        self._tick()

    def _left(self, _reason: str = "", _sentence: str = "") -> None:
        self.joined_at = self.started_at = 0.0
        self._clock.stop()
        self.hands = set()
        self.lock.hide()
        self._lobby([])
        self.chat_badge.set_count(0)
        self.files_badge.set_count(0)
        self.notice.clear()

    def _tick(self) -> None:
        if not self.joined_at:
            text = ""
        elif self.started_at:
            text = elapsed_text(time.time() - self.started_at)
        else:
            text = elapsed_text(time.monotonic() - self.joined_at)
        self.elapsed.setText(text)
        self.elapsed.setAccessibleName(self.tr("Time in this meeting: {0}").format(text))

    def _count(self) -> None:
        n = self.call.model.rowCount()
        self.count.setText(str(n))
        self.count.setAccessibleName(self.tr("{0} people in the meeting").format(n))
        self.count.setToolTip(self.count.accessibleName())

    def _state(self, state: m.MeetingState) -> None:
        self.started_at = state.started_at
        self._tick()
        self.lock.setVisible(state.locked and self.call.in_call)
        hands = set(state.hands)
        for pid in hands ^ self.hands:
            self.session.hand_changed.emit(pid, pid in hands)
        self.hands = hands

    # --- raise hand -----------------------------------------------------------------------------

    def _hand_toggled(self, raised: bool) -> None:
        desk = self.service.desk
        if desk is None:
            return

        def failed(exc: BaseException) -> None:
            self.call.show_error(error_sentence(exc))
            me = self.call.self_id
            if me is not None:  # back to what the relay knows
                self.session.hand_changed.emit(me, me in self.hands)

        tasks.start(desk.raise_hand(raised), on_error=failed)

    # --- the lobby ------------------------------------------------------------------------------

    def _lobby(self, waiting: list[m.LobbyEntry]) -> None:
        """The knock shows while the participants panel (with its own lobby list) is closed."""
        self.waiting = list(waiting)
        self.waiting_badge.set_count(len(waiting))
        self.toast.arrivals(waiting)
        if self._showing(self.call.participants_panel):
            self.toast.hide()  # the panel lists them, with Admit and Deny
        else:
            self.toast.show_waiting(waiting if self.call.in_call else [])

    def _decide(self, user_id: str, admitted: bool) -> None:
        desk = self.service.desk
        if desk is not None:
            action = "admit" if admitted else "deny"
            tasks.start(
                desk.host_action(action, user_id=user_id), on_error=lambda e: self.call.show_error(error_sentence(e))
            )

    def _see_lobby(self) -> None:
        if not self._showing(self.call.participants_panel):
            self.call.toggle_participants()
            self._panel_opened()

    # --- leave ----------------------------------------------------------------------------------

    def _role(self) -> str:
        client = self.session.client
        me = client.participants.get(client.participant_id or "") if client is not None else None
        return me.role if me is not None else "participant"

    def leave_clicked(self) -> None:
        """The host with others in the meeting chooses between leaving (the meeting goes on, and
        the host role passes on) and ending it for everyone; anyone else just leaves."""
        client = self.session.client
        if self._role() != "host" or client is None or len(client.participants) < 2:
            self.call.leave()
            return
        button = self.call.leave_button
        self.leave_menu.popup(button.mapToGlobal(button.rect().topLeft()))

    def end_for_everyone(self) -> None:
        client = self.session.client
        if client is None:
            return
        tasks.start(client.end_meeting(), on_error=lambda e: self.call.show_error(error_sentence(e)))


def install_in_call(window: CallWindow) -> InCall:
    return InCall(window.call, window.meeting_ui.service)
