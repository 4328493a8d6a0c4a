"""Reactions: a React button in the call's bar with a small set, relayed to everyone through the
relay (which limits how many one person sends), and shown on the sender's tile for a few seconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QTimer
from PySide6.QtWidgets import QMenu, QToolButton

from client.engine.stage import REACTIONS
from client.ui import tasks
from client.ui.call_controls import control_button
from client.ui.overflow import set_rank
from client.ui.services import error_sentence
from client.ui.stage import StageService

if TYPE_CHECKING:
    from client.ui.call import CallView

SHOWN_MS = 5000
EMOJI = {
    "thumbs_up": "\U0001f44d",
    "clap": "\U0001f44f",
    "laugh": "\U0001f602",
    "heart": "\u2764\ufe0f",
    "surprised": "\U0001f62e",
    "celebrate": "\U0001f389",
}


def reaction_name(kind: str) -> str:
    names = {
        "thumbs_up": QCoreApplication.translate("Reactions", "Thumbs up"),
        "clap": QCoreApplication.translate("Reactions", "Clap"),
        "laugh": QCoreApplication.translate("Reactions", "Laugh"),
        "heart": QCoreApplication.translate("Reactions", "Heart"),
        "surprised": QCoreApplication.translate("Reactions", "Surprised"),
        "celebrate": QCoreApplication.translate("Reactions", "Celebrate"),
    }
    return names.get(kind, kind)


class Reactions(QObject):
    def __init__(self, call: CallView, stage: StageService, parent: QObject | None = None) -> None:
        super().__init__(parent or call)
        self.call = call
        self.stage = stage
        self.button: QToolButton = control_button("react", self.tr("React"), checkable=False)
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.button.setAccessibleName(self.tr("React"))
        self.button.setToolTip(self.tr("Send a reaction everyone sees on your picture"))
        self.menu = QMenu(self.button)
        self.menu.setAccessibleName(self.tr("Reactions"))
        for kind in REACTIONS:
            action = self.menu.addAction(f"{EMOJI[kind]}  {reaction_name(kind)}")
            action.setData(kind)
            action.triggered.connect(lambda _=False, k=kind: self.send(k))
        self.button.setMenu(self.menu)
        bar = call.controls.layout()
        bar.insertWidget(bar.indexOf(call.hand_button) + 1, self.button)
        set_rank(self.button, 30)  # into "More" before the panels (client/ui/overflow.py)
        self._timers: dict[str, QTimer] = {}
        stage.reaction_arrived.connect(self.show_reaction)

    def send(self, kind: str) -> None:
        tasks.start(self.stage.require().react(kind), on_error=lambda exc: self.call.show_error(error_sentence(exc)))

    def show_reaction(self, participant_id: str, kind: str) -> None:
        tile = self.call.grid.tile(participant_id)
        if tile is None:
            return
        # The name too: readable where no emoji font is installed, and for screen readers.
        tile.set_reaction(f"{EMOJI.get(kind, '')} {reaction_name(kind)}")
        tile.setToolTip(f"{tile.accessibleName()} — {reaction_name(kind)}")
        timer = self._timers.get(participant_id)
        if timer is None:
            timer = self._timers[participant_id] = QTimer(self)
            timer.setSingleShot(True)
            timer.timeout.connect(lambda pid=participant_id: self._clear(pid))
        timer.start(SHOWN_MS)  # a second reaction restarts the time

    def _clear(self, participant_id: str) -> None:
        tile = self.call.grid.tile(participant_id)
        if tile is not None:
            tile.set_reaction("")
            tile.setToolTip(tile.accessibleName())
