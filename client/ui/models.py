"""Qt item models over the call's state (participants now; chat and files use the same pattern)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

ROLE_ID = Qt.ItemDataRole.UserRole + 1
ROLE_MIC_MUTED = Qt.ItemDataRole.UserRole + 2
ROLE_CAMERA_MUTED = Qt.ItemDataRole.UserRole + 3
ROLE_HAND = Qt.ItemDataRole.UserRole + 4
ROLE_SPEAKING = Qt.ItemDataRole.UserRole + 5
ROLE_SELF = Qt.ItemDataRole.UserRole + 6

SPEAKING_LEVEL = 0.08


@dataclass
class ParticipantRow:
    participant_id: str
    name: str
    role: str = "participant"
    mic_muted: bool = False
    camera_muted: bool = False
    hand_raised: bool = False
    speaking: bool = False
    connected: bool = True
    is_self: bool = False


def row_from_info(info: Any, self_id: str | None) -> ParticipantRow:
    muted = dict(getattr(info, "muted", {}) or {})
    return ParticipantRow(
        participant_id=info.participant_id,
        name=info.display_name,
        role=getattr(info, "role", "participant"),
        mic_muted=bool(muted.get("mic", False)),
        camera_muted=bool(muted.get("camera", False)),
        connected=bool(getattr(info, "connected", True)),
        is_self=info.participant_id == self_id,
    )


class ParticipantListModel(QAbstractListModel):
    """Everyone in the meeting, self first, then by name."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[ParticipantRow] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.describe(row)
        if role in (Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            return self.describe(row, long=True)
        return {
            ROLE_ID: row.participant_id,
            ROLE_MIC_MUTED: row.mic_muted,
            ROLE_CAMERA_MUTED: row.camera_muted,
            ROLE_HAND: row.hand_raised,
            ROLE_SPEAKING: row.speaking,
            ROLE_SELF: row.is_self,
        }.get(role)

    def describe(self, row: ParticipantRow, *, long: bool = False) -> str:
        name = self.tr("{0} (you)").format(row.name) if row.is_self else row.name
        marks = []
        if row.role == "host":
            marks.append(self.tr("host"))
        elif row.role == "cohost":
            marks.append(self.tr("co-host"))
        if row.mic_muted:
            marks.append(self.tr("muted"))
        if row.camera_muted and long:
            marks.append(self.tr("camera off"))
        if row.hand_raised:
            marks.append(self.tr("hand raised"))
        if row.speaking:
            marks.append(self.tr("speaking"))
        if not row.connected:
            marks.append(self.tr("reconnecting"))
        return f"{name} — {', '.join(marks)}" if marks else name

    def find(self, participant_id: str) -> int:
        for i, row in enumerate(self.rows):
            if row.participant_id == participant_id:
                return i
        return -1

    def get(self, participant_id: str) -> ParticipantRow | None:
        i = self.find(participant_id)
        return self.rows[i] if i >= 0 else None

    def clear(self) -> None:
        self.beginResetModel()
        self.rows = []
        self.endResetModel()

    def upsert(self, row: ParticipantRow) -> None:
        i = self.find(row.participant_id)
        if i >= 0:
            old = self.rows[i]
            row.hand_raised = old.hand_raised  # not part of ParticipantInfo yet
            row.speaking = old.speaking
            self.rows[i] = row
            self.dataChanged.emit(self.index(i), self.index(i))
            return
        position = 0 if row.is_self else self._position(row.name)
        self.beginInsertRows(QModelIndex(), position, position)
        self.rows.insert(position, row)
        self.endInsertRows()

    def _position(self, name: str) -> int:
        for i, existing in enumerate(self.rows):
            if not existing.is_self and existing.name.lower() > name.lower():
                return i
        return len(self.rows)

    def remove(self, participant_id: str) -> None:
        i = self.find(participant_id)
        if i < 0:
            return
        self.beginRemoveRows(QModelIndex(), i, i)
        del self.rows[i]
        self.endRemoveRows()

    def update(self, participant_id: str, **changes: Any) -> bool:
        i = self.find(participant_id)
        if i < 0:
            return False
        row = self.rows[i]
        changed = False
        for key, value in changes.items():
            if getattr(row, key) != value:
                setattr(row, key, value)
                changed = True
        if changed:
            self.dataChanged.emit(self.index(i), self.index(i))
        return changed


class ActiveSpeaker:
    """Picks the loudest participant above a threshold, with a short hold so the ring does not flicker."""

    def __init__(self, hold_s: float = 0.8) -> None:
        self.hold_s = hold_s
        self.current: str | None = None
        self._levels: dict[str, tuple[float, float]] = {}

    def feed(self, participant_id: str, level: float, now: float) -> str | None:
        self._levels[participant_id] = (level, now)
        loud = [
            (lvl, pid) for pid, (lvl, at) in self._levels.items() if lvl >= SPEAKING_LEVEL and now - at < self.hold_s
        ]
        if loud:
            self.current = max(loud)[1]
        elif self.current is not None:
            level_then, at = self._levels.get(self.current, (0.0, 0.0))
            if now - at >= self.hold_s or level_then < SPEAKING_LEVEL:
                self.current = None
        return self.current
