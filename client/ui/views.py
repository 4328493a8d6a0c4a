"""Views in the call: gallery or speaker view, pin (local), spotlight for everyone (hosts), hide
self view, hide people without video, full screen (F11, double-click a tile, Esc leaves), and the
context menu on tiles and participant rows (pin, spotlight, and the host actions of
client/ui/host_controls.py).

`Views` works on the call screen from outside (`install_stage_ui` in client/ui/stage_ui.py): it
sets what `VideoGrid` paints large (client/ui/video_grid.py) and adds a View button to the bar.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QMenu, QToolButton

from client.ui import tasks
from client.ui.call_controls import control_button
from client.ui.models import ROLE_ID
from client.ui.overflow import set_rank
from client.ui.services import error_sentence
from client.ui.stage import StageService
from client.ui.video_grid import VideoTile
from shared.protocol import messages as m

if TYPE_CHECKING:
    from client.ui.call import CallView
    from client.ui.host_controls import HostControls

FULL_SCREEN = "F11"


class Views(QObject):
    def __init__(
        self,
        window: QMainWindow,
        call: CallView,
        host: HostControls,
        stage: StageService,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent or call)
        self.window = window
        self.call = call
        self.grid = call.grid
        self.host = host
        self.stage = stage
        self.hide_self = False
        self.hide_no_video = False
        self.menu: QMenu | None = None  # the last context menu (kept, so tests can use it)

        self.button: QToolButton = control_button("view", self.tr("View"), checkable=False)
        self.button.setObjectName("callControl")
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.view_menu = QMenu(self.button)
        group = QActionGroup(self.view_menu)
        self.gallery_action = QAction(self.tr("Gallery view"), self.view_menu, checkable=True, checked=True)
        self.speaker_action = QAction(self.tr("Speaker view"), self.view_menu, checkable=True)
        for action in (self.gallery_action, self.speaker_action):
            group.addAction(action)
            self.view_menu.addAction(action)
        self.gallery_action.triggered.connect(lambda: self.set_mode("gallery"))
        self.speaker_action.triggered.connect(lambda: self.set_mode("speaker"))
        self.view_menu.addSeparator()
        self.hide_self_action = QAction(self.tr("Hide self view"), self.view_menu, checkable=True)
        self.hide_self_action.toggled.connect(self.set_hide_self)
        self.hide_no_video_action = QAction(self.tr("Hide people without video"), self.view_menu, checkable=True)
        self.hide_no_video_action.toggled.connect(self.set_hide_no_video)
        # The key shown in the menu, not bound to the action (the F11 shortcut below does that).
        self.full_screen_action = QAction(self.tr("Full screen") + f"\t{FULL_SCREEN}", self.view_menu, checkable=True)
        self.full_screen_action.triggered.connect(lambda _=False: self.toggle_full_screen())
        for action in (self.hide_self_action, self.hide_no_video_action, self.full_screen_action):
            self.view_menu.addAction(action)
        self.button.setMenu(self.view_menu)
        self.button.setAccessibleName(self.tr("View"))
        self.button.setToolTip(self.tr("Gallery or speaker view, full screen ({0})").format(FULL_SCREEN))
        bar = call.controls.layout()
        bar.insertWidget(bar.indexOf(call.participants_button), self.button)
        set_rank(self.button, 30)  # into "More" before the panels (client/ui/overflow.py)

        self.f11 = QShortcut(QKeySequence(FULL_SCREEN), call, activated=self.toggle_full_screen)
        self.escape = QShortcut(QKeySequence("Escape"), call, activated=self.leave_full_screen)
        self.escape.setEnabled(False)

        self.grid.tile_double_clicked = lambda _tile: self.toggle_full_screen()
        self.grid.tile_menu_requested = self._tile_menu
        view = call.participants_panel.view
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._row_menu)

        session, media = call.ctx.session, call.ctx.media
        # Connected after the call screen's own slots, so they see its state already updated.
        media.audio_level_changed.connect(self._audio_level)
        session.active_speaker_changed.connect(self._relay_speaker)  # the relay's ranking (call.py)
        # Bound methods, not lambdas: Qt drops the connections when the call screen is deleted.
        media.mute_changed.connect(self.refresh)
        for signal in (session.participant_joined, session.participant_updated, session.participant_left):
            signal.connect(self.refresh)
        session.remote_track_added.connect(self.refresh)
        session.meeting_left.connect(self._meeting_left)
        host.service.state_changed.connect(self._state)

    # --- what is painted large -----------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        self.grid.mode = mode
        (self.speaker_action if mode == "speaker" else self.gallery_action).setChecked(True)
        self.refresh()

    def pin(self, key: tuple[str, str] | None) -> None:
        self.grid.pinned = key
        self.refresh()

    def _state(self, state: m.MeetingState) -> None:
        if self.grid.spotlight != state.spotlight:
            self.grid.spotlight = state.spotlight
            self.refresh()

    def _audio_level(self, _participant_id: str, _level: float) -> None:
        self._follow_speaker()

    def _relay_speaker(self, _participant_id: str) -> None:
        self._follow_speaker()

    def _follow_speaker(self) -> None:
        current = self.call.speaker.current
        if current is not None and current != self.grid.speaker:
            self.grid.speaker = current
            if self.grid.mode == "speaker":
                self.refresh()

    def set_hide_self(self, hidden: bool) -> None:
        self.hide_self = hidden
        self.hide_self_action.setChecked(hidden)
        self.refresh()

    def set_hide_no_video(self, hidden: bool) -> None:
        self.hide_no_video = hidden
        self.hide_no_video_action.setChecked(hidden)
        self.refresh()

    def refresh(self, *_: object) -> None:
        """Work out the hidden tiles again and lay the grid out."""
        me = self.call.self_id
        hidden: set[tuple[str, str]] = set()
        for key, tile in self.grid.tiles.items():
            if key[1] != "camera":
                continue
            if self.hide_self and key[0] == me:
                hidden.add(key)
            elif self.hide_no_video and tile.camera_muted:
                hidden.add(key)
        self.grid.hidden = hidden
        if self.grid.mode == "speaker" and (self.grid.speaker or "", "camera") not in self.grid.tiles:
            # Before anyone spoke (or after the speaker left): someone else than oneself.
            others = [row.participant_id for row in self.call.model.rows if row.participant_id != me]
            self.grid.speaker = others[0] if others else None
        self.grid.relayout()

    def _meeting_left(self, *_: object) -> None:
        self.grid.pinned = None
        self.grid.spotlight = ""
        self.grid.speaker = None
        self.leave_full_screen()

    # --- full screen ---------------------------------------------------------------------

    def toggle_full_screen(self) -> None:
        if self.window.isFullScreen():
            self.leave_full_screen()
        else:
            self.window.showFullScreen()
            self.full_screen_action.setChecked(True)
            self.escape.setEnabled(True)

    def leave_full_screen(self) -> None:
        if self.window.isFullScreen():
            self.window.showNormal()
        self.full_screen_action.setChecked(False)
        self.escape.setEnabled(False)

    # --- context menus -------------------------------------------------------------------

    def _tile_menu(self, tile: VideoTile, pos: QPoint) -> None:
        self.popup(self.menu_for(tile.participant_id, tile.source), pos)

    def _row_menu(self, pos: QPoint) -> None:
        view = self.call.participants_panel.view
        index = view.indexAt(pos)
        if not index.isValid():  # from the keyboard (Menu key, Shift+F10): the selected row
            index = view.currentIndex()
            if not index.isValid():
                return
            pos = view.visualRect(index).center()
        view.setCurrentIndex(index)
        participant_id = str(view.model().data(index, ROLE_ID))
        self.popup(self.menu_for(participant_id, "camera"), view.viewport().mapToGlobal(pos))

    def popup(self, menu: QMenu, pos: QPoint) -> None:
        self.menu = menu
        menu.popup(pos)

    def menu_for(self, participant_id: str, source: str) -> QMenu:
        """Pin, spotlight, and (for hosts and co-hosts) mute, make co-host, remove."""
        menu = QMenu(self.call)
        menu.setAccessibleName(self.tr("Actions for this person"))
        key = (participant_id, source)

        def add(text: str, slot: object) -> QAction:
            action = menu.addAction(text)
            action.triggered.connect(slot)
            return action

        if self.grid.pinned == key:
            add(self.tr("Unpin"), lambda: self.pin(None))
        else:
            add(self.tr("Pin for me"), lambda: self.pin(key))
        role = self.host.my_role()
        if role in ("host", "cohost"):
            if self.grid.spotlight == participant_id:
                add(self.tr("Remove spotlight"), lambda: self.spotlight(""))
            else:
                add(self.tr("Spotlight for everyone"), lambda: self.spotlight(participant_id))
            if participant_id != self.call.self_id:
                menu.addSeparator()
                add(self.tr("Mute"), lambda: self.host.act("mute", participant_id=participant_id))
                if role == "host":
                    add(self.tr("Make co-host"), lambda: self.host.act("make_cohost", participant_id=participant_id))
                add(self.tr("Remove"), lambda: self.host.act("remove", participant_id=participant_id))
        return menu

    def spotlight(self, participant_id: str) -> None:
        tasks.start(
            self.stage.require().spotlight(participant_id),
            on_error=lambda exc: self.call.show_error(error_sentence(exc)),
        )
