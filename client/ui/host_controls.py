"""In-call pieces for meetings as a service: the lobby queue and host controls in the participants
panel, raise hand, the countdown before the length limit, and the maintenance banner.

`install_meeting_ui(window)` adds them (and the booking actions on the home screen) to the main
window with no change to the other screens' code beyond one call.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from client.ui import tasks
from client.ui.booking import MeetingsService, UpcomingActions
from client.ui.dates import day_and_time, time_of_day
from client.ui.models import ROLE_ID
from client.ui.services import SessionService, error_sentence
from shared.protocol import messages as m


class LobbyQueue(QWidget):
    """People waiting to be let in, for hosts and co-hosts: admit or deny one by one, or all."""

    def __init__(self, service: MeetingsService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel()
        self.heading.setObjectName("sectionTitle")
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Waiting in the lobby"))
        row = QHBoxLayout()
        self.admit_button = QPushButton(self.tr("Admit"))
        self.deny_button = QPushButton(self.tr("Deny"))
        self.admit_all_button = QPushButton(self.tr("Admit all"))
        for button in (self.admit_button, self.deny_button, self.admit_all_button):
            row.addWidget(button)
        layout.addWidget(self.heading)
        layout.addWidget(self.list)
        layout.addLayout(row)
        self.admit_button.clicked.connect(lambda: self._decide("admit"))
        self.deny_button.clicked.connect(lambda: self._decide("deny"))
        self.admit_all_button.clicked.connect(lambda: self._act("admit_all"))
        service.lobby_changed.connect(self.set_waiting)
        self.set_waiting([])

    def clear(self) -> None:
        self.set_waiting([])

    def set_waiting(self, waiting: list[m.LobbyEntry]) -> None:
        self.list.clear()
        for entry in waiting:
            text = entry.display_name + (self.tr(" (removed earlier)") if entry.removed_before else "")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, entry.user_id)
            self.list.addItem(item)
        if waiting:
            self.list.setCurrentRow(0)
        self.heading.setText(self.tr("Waiting ({0})").format(len(waiting)))
        self.setVisible(bool(waiting))

    def _decide(self, action: str) -> None:
        item = self.list.currentItem()
        if item is not None:
            self._act(action, user_id=item.data(Qt.ItemDataRole.UserRole))

    def _act(self, action: str, **fields: Any) -> None:
        tasks.start(self.service.require().host_action(action, **fields), on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.heading.setText(error_sentence(exc))


class HostControls(QWidget):
    """Actions on the selected participant and on the whole meeting. Everyone sees Raise hand;
    hosts and co-hosts see the rest (the relay decides in the end: a refusal is shown as a sentence)."""

    PERSON_ACTIONS = (
        ("mute", "Mute"),
        ("stop_video", "Stop video"),
        ("ask_unmute", "Ask to unmute"),
        ("ask_video", "Ask to start video"),
        ("lower_hand", "Lower hand"),
        ("rename", "Rename…"),
        ("make_cohost", "Make co-host"),
        ("make_participant", "Make participant"),
        ("make_host", "Make host"),
        ("remove", "Remove"),
    )

    def __init__(
        self, session: SessionService, service: MeetingsService, participants_view: Any, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.service = service
        self.view = participants_view
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.hand_button = QPushButton(self.tr("Raise hand"))
        self.hand_button.setCheckable(True)
        self.hand_button.setAccessibleName(self.tr("Raise hand"))
        self.hand_button.toggled.connect(self._hand)
        layout.addWidget(self.hand_button)

        self.host_box = QWidget()
        host_layout = QVBoxLayout(self.host_box)
        host_layout.setContentsMargins(0, 0, 0, 0)
        self.person_buttons: dict[str, QPushButton] = {}
        # Two buttons a row: three did not fit the 320 px side panel ("Ask to start video" was cut).
        grid = QGridLayout()
        for i, (action, text) in enumerate(self.PERSON_ACTIONS):
            button = QPushButton(self.tr(text))
            button.setAccessibleName(self.tr(text).rstrip("…"))
            button.setToolTip(self.tr(text).rstrip("…"))
            button.clicked.connect(lambda _=False, a=action: self.act_on_selected(a))
            self.person_buttons[action] = button
            grid.addWidget(button, i // 2, i % 2)
        host_layout.addLayout(grid)
        meeting_row = QHBoxLayout()
        self.mute_all_button = QPushButton(self.tr("Mute all"))
        self.allow_unmute = QCheckBox(self.tr("Let people unmute"))
        self.allow_unmute.setChecked(True)
        self.allow_button = QPushButton(self.tr("Allow unmuting"))
        self.lock_button = QPushButton(self.tr("Lock"))
        self.lock_button.setCheckable(True)
        self.lobby_button = QPushButton(self.tr("Lobby"))
        self.lobby_button.setCheckable(True)
        self.end_button = QPushButton(self.tr("End meeting"))
        self.end_button.setObjectName("danger")
        for widget in (self.mute_all_button, self.allow_unmute):
            meeting_row.addWidget(widget)
        host_layout.addLayout(meeting_row)
        room_row = QHBoxLayout()
        for widget in (self.allow_button, self.lock_button, self.lobby_button):
            room_row.addWidget(widget)
        host_layout.addLayout(room_row)
        host_layout.addWidget(self.end_button)
        layout.addWidget(self.host_box)
        self.status = QLabel()
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

        self.mute_all_button.clicked.connect(lambda: self.act("mute_all", allow_unmute=self.allow_unmute.isChecked()))
        self.allow_button.clicked.connect(lambda: self.act("allow_unmute"))
        self.lock_button.clicked.connect(lambda on: self.act("lock" if on else "unlock"))
        self.lobby_button.clicked.connect(lambda on: self.act("lobby_on" if on else "lobby_off"))
        self.end_button.clicked.connect(lambda: self.act("end"))
        service.state_changed.connect(self.show_state)
        service.asked.connect(self._asked)
        for signal in (session.participant_joined, session.participant_updated, session.meeting_joined):
            signal.connect(lambda *_: self.refresh_role())
        self.view.selectionModel().currentChanged.connect(lambda *_: self.enable_person_buttons())
        self.view.model().modelReset.connect(self.enable_person_buttons)
        self.view.model().rowsRemoved.connect(self.enable_person_buttons)
        self.refresh_role()

    def enable_person_buttons(self) -> None:
        """Actions on a person only once someone is chosen in the list."""
        chosen = self.selected_participant() is not None
        for button in self.person_buttons.values():
            button.setEnabled(chosen)

    # --- state ---------------------------------------------------------------------------

    def my_role(self) -> str:
        client = self.session.client
        me = client.participants.get(client.participant_id or "") if client else None
        return me.role if me is not None else "participant"

    def refresh_role(self) -> None:
        role = self.my_role()
        self.host_box.setVisible(role in ("host", "cohost"))
        for action in ("make_cohost", "make_participant", "make_host"):
            self.person_buttons[action].setVisible(role == "host")
        self.end_button.setVisible(role == "host")
        self.enable_person_buttons()

    def show_state(self, state: m.MeetingState) -> None:
        self.lock_button.setChecked(state.locked)
        self.lobby_button.setChecked(state.lobby)
        # The state in words too (the checked style is a colour): what it is, and what a click does.
        self.lock_button.setText(self.tr("Locked") if state.locked else self.tr("Lock"))
        lock_tip = (
            self.tr("Locked: nobody new can join. Click to unlock.")
            if state.locked
            else self.tr("Lock the meeting: nobody new can join.")
        )
        self.lobby_button.setText(self.tr("Lobby on") if state.lobby else self.tr("Lobby"))
        lobby_tip = (
            self.tr("Lobby on: people wait until admitted. Click to let everyone in.")
            if state.lobby
            else (self.tr("Turn the lobby on: people wait until a host admits them."))
        )
        for button, tip in ((self.lock_button, lock_tip), (self.lobby_button, lobby_tip)):
            button.setToolTip(tip)
            button.setAccessibleDescription(tip)
        self.allow_button.setVisible(not state.unmute_allowed)
        client = self.session.client
        if client and client.participant_id:
            raised = client.participant_id in state.hands
            if self.hand_button.isChecked() != raised:
                self.hand_button.blockSignals(True)
                self.hand_button.setChecked(raised)
                self.hand_button.blockSignals(False)
        names = [client.participants[p].display_name for p in state.hands if client and p in client.participants]
        self.status.setText(self.tr("Hands raised: {0}").format(", ".join(names)) if names else "")

    def _asked(self, what: str, by: str) -> None:
        if what == "unmute":
            self.status.setText(self.tr("{0} asks you to unmute.").format(by))
        else:
            self.status.setText(self.tr("{0} asks you to start your video.").format(by))

    # --- actions -------------------------------------------------------------------------

    def selected_participant(self) -> str | None:
        index = self.view.currentIndex()
        if not index.isValid():
            return None
        participant_id = self.view.model().data(index, ROLE_ID)
        return str(participant_id) if participant_id else None

    def act_on_selected(self, action: str, display_name: str | None = None) -> None:
        participant_id = self.selected_participant()
        if participant_id is None:
            self.status.setText(self.tr("Choose someone in the list first."))
            return
        fields: dict[str, Any] = {"participant_id": participant_id}
        if action == "rename":
            if display_name is None:
                display_name, ok = QInputDialog.getText(self, self.tr("Rename"), self.tr("New name:"))
                if not ok:
                    return
            fields["display_name"] = display_name
        self.act(action, **fields)

    def act(self, action: str, **fields: Any) -> None:
        self.status.setText("")
        tasks.start(
            self.service.require().host_action(action, **fields),
            on_error=lambda exc: self.status.setText(error_sentence(exc)),
        )

    def _hand(self, raised: bool) -> None:
        self.hand_button.setText(self.tr("Lower hand") if raised else self.tr("Raise hand"))
        tasks.start(
            self.service.require().raise_hand(raised), on_error=lambda exc: self.status.setText(error_sentence(exc))
        )


class CountdownBanner(QLabel):
    """Shown from the relay's first warning until the length limit ends the meeting."""

    def __init__(self, service: MeetingsService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setAccessibleName(self.tr("Time left in this meeting"))
        self.ends_at = 0.0
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.tick)
        service.ending_soon.connect(self.start)
        self.hide()

    def start(self, message: str, ends_at: float) -> None:
        self.ends_at = ends_at
        self.setToolTip(message)
        self.tick()
        self.show()
        self.timer.start()

    def tick(self) -> None:
        left = max(0, int(self.ends_at - time.time()))
        self.setText(
            self.tr("This meeting ends in {0}:{1:02d} (the server's meeting length limit).").format(
                left // 60, left % 60
            )
        )

    def stop(self) -> None:
        self.timer.stop()
        self.hide()


class MaintenanceBanner(QLabel):
    """Upcoming or ongoing maintenance, in the call screen."""

    def __init__(self, service: MeetingsService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setWordWrap(True)
        self.setAccessibleName(self.tr("Maintenance"))
        service.maintenance_changed.connect(self.show_windows)
        self.hide()

    def show_windows(self, windows: list[m.MaintenanceInfo], message: str, started: bool) -> None:
        if started:
            self.setText(message)
        elif windows:
            w = windows[0]
            self.setText(
                self.tr("Maintenance {0} to {1}: {2}").format(
                    day_and_time(w.starts_at), time_of_day(w.ends_at), w.message
                )
            )
        self.setVisible(bool(windows) or started)


class MeetingUi:
    """What `install_meeting_ui` added, for tests and later wiring."""

    def __init__(self, window: Any) -> None:
        ctx = window.ctx
        self.service = MeetingsService(ctx.session, window)
        home = window.home
        self.upcoming_actions = UpcomingActions(self.service, home.upcoming.list)
        home.upcoming.parentWidget().layout().addWidget(self.upcoming_actions)
        call = window.call
        panel_layout = call.participants_panel.layout()
        self.lobby = LobbyQueue(self.service)
        self.controls = HostControls(ctx.session, self.service, call.participants_panel.view)
        panel_layout.insertWidget(1, self.lobby)
        panel_layout.addWidget(self.controls)
        self.countdown = CountdownBanner(self.service)
        self.maintenance = MaintenanceBanner(self.service)
        call.layout().insertWidget(0, self.countdown)
        call.layout().insertWidget(0, self.maintenance)
        # Bound to the widgets (not a lambda), so Qt drops the connections when they are deleted.
        ctx.session.meeting_left.connect(self.countdown.stop)
        ctx.session.meeting_left.connect(self.lobby.clear)
        self.service.lobby_waiting.connect(lambda message: ctx.session.announcement_received.emit(message))


def install_meeting_ui(window: Any) -> MeetingUi:
    """Booking actions on the home screen; lobby, host controls and banners in the call screen."""
    return MeetingUi(window)
