"""Video tiles and the grid that lays them out for 1-25 people, or a stage when a screen is shared.

Tiles only paint what they are given: images arrive already scaled to the tile (see frames.py),
so painting is a blit, and the tile tells its owner its size so the next frames fit it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFont,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from client.ui import icons

TILE_BG = QColor("#1d2330")
AVATAR_BG = QColor("#3b4a6b")
SPEAKING = QColor("#3ddc84")
LABEL_BG = QColor(0, 0, 0, 170)
FOCUS = QColor("#ffd24a")
GAP = 6


class VideoTile(QWidget):
    """One participant's camera or screen: picture, name, mute and hand indicators, speaker ring."""

    def __init__(self, participant_id: str, source: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.participant_id = participant_id
        self.source = source
        self.name = name
        self.mic_muted = False
        self.camera_muted = False
        self.hand_raised = False
        self.speaking = False
        self.connected = True
        self.stalled = False  # frames stopped arriving: the last picture stays, with a label
        self.image: QImage | None = None
        self.frames_received = 0
        self.frames_painted = 0
        self._fresh = False
        self.size_changed: Callable[[VideoTile, int, int], None] | None = None
        self.reaction = ""  # a reaction (an emoji) shown for a few seconds (client/ui/reactions.py)
        self.double_clicked: Callable[[VideoTile], None] | None = None
        self.menu_requested: Callable[[VideoTile, QPoint], None] | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # tiles are reached with Tab, named for readers
        self._update_accessibility()

    @property
    def key(self) -> tuple[str, str]:
        return (self.participant_id, self.source)

    def set_state(
        self,
        *,
        name: str | None = None,
        mic_muted: bool | None = None,
        camera_muted: bool | None = None,
        hand_raised: bool | None = None,
        speaking: bool | None = None,
        connected: bool | None = None,
        stalled: bool | None = None,
    ) -> None:
        for attr, value in (
            ("name", name),
            ("mic_muted", mic_muted),
            ("camera_muted", camera_muted),
            ("hand_raised", hand_raised),
            ("speaking", speaking),
            ("connected", connected),
            ("stalled", stalled),
        ):
            if value is not None:
                setattr(self, attr, value)
        if camera_muted:
            self.image = None
        self._update_accessibility()
        self.update()

    def _update_accessibility(self) -> None:
        parts = [self.name]
        if self.source == "screen":
            parts = [self.tr("{0}'s screen").format(self.name)]
        if self.mic_muted:
            parts.append(self.tr("muted"))
        if self.hand_raised:
            parts.append(self.tr("hand raised"))
        if self.speaking:
            parts.append(self.tr("speaking"))
        if not self.connected:
            parts.append(self.tr("reconnecting"))
        elif self.stalled:
            parts.append(self.paused_text())
        text = ", ".join(parts)
        self.setAccessibleName(text)
        self.setToolTip(text)

    def set_image(self, image: QImage) -> None:
        self.frames_received += 1
        if self.camera_muted and self.source == "camera":
            return
        self.image = image
        if not self._fresh:  # a paint is already pending: it will show this newer image
            self._fresh = True
            self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.size_changed is not None:
            ratio = self.devicePixelRatioF()
            self.size_changed(self, int(self.width() * ratio), int(self.height() * ratio))

    def sizeHint(self) -> QSize:
        return QSize(320, 180)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self.double_clicked is not None and event.button() == Qt.MouseButton.LeftButton:
            self.double_clicked(self)
        else:
            super().mouseDoubleClickEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if self.menu_requested is not None:
            self.menu_requested(self, event.globalPos())

    def set_reaction(self, reaction: str) -> None:
        self.reaction = reaction
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = self.rect()
        painter.fillRect(rect, TILE_BG)
        if self.image is not None and not self.image.isNull():
            # Images arrive at the tile's size, so this is usually a blit. A stream smaller than the
            # tile (a 360p camera on a big screen) is scaled up here rather than converted bigger,
            # and while a resize is in flight the old size is scaled until new frames arrive.
            ratio = self.devicePixelRatioF()
            iw, ih = self.image.width() / ratio, self.image.height() / ratio
            scale = min(rect.width() / iw, rect.height() / ih)
            w, h = iw * scale, ih * scale
            target = QRectF((rect.width() - w) / 2, (rect.height() - h) / 2, w, h)
            if abs(scale - 1.0) > 0.01:
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, self.image)
            if self._fresh:
                self.frames_painted += 1
                self._fresh = False
        else:
            self._paint_avatar(painter, rect)
        self._paint_label(painter, rect)
        if self.hand_raised:
            icons.icon("hand").paint(painter, QRect(rect.right() - 36, 8, 28, 28))
        if self.reaction:
            self._paint_reaction(painter, rect)
        if self.speaking:
            painter.setPen(QPen(SPEAKING, 4))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect.adjusted(2, 2, -2, -2))
        if not self.connected:
            painter.fillRect(rect, QColor(0, 0, 0, 120))
        elif self.stalled and not (self.camera_muted and self.source == "camera"):
            self._paint_paused(painter, rect)
        if self.hasFocus():  # reached with Tab: the same yellow ring as every other control
            painter.setPen(QPen(FOCUS, 3, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect.adjusted(6, 6, -7, -7))
        painter.end()

    def paused_text(self) -> str:
        return self.tr("Video paused — reconnecting…")

    def _paint_paused(self, painter: QPainter, rect: QRect) -> None:
        """The picture frozen on its last frame, dimmed, with a small label that says why."""
        painter.fillRect(rect, QColor(0, 0, 0, 110))
        painter.setFont(self.font())
        metrics = painter.fontMetrics()
        text = metrics.elidedText(self.paused_text(), Qt.TextElideMode.ElideRight, max(20, rect.width() - 24))
        width, height = metrics.horizontalAdvance(text) + 16, metrics.height() + 8
        box = QRect(rect.center().x() - width // 2, rect.center().y() - height // 2, width, height)
        painter.fillRect(box, LABEL_BG)
        painter.setPen(QColor("white"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_reaction(self, painter: QPainter, rect: QRect) -> None:
        font = QFont(self.font())
        font.setPixelSize(max(14, min(32, rect.height() // 7)))
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        text = metrics.elidedText(self.reaction, Qt.TextElideMode.ElideRight, max(20, rect.width() - 64))
        box = QRect(8, 8, metrics.horizontalAdvance(text) + 16, metrics.height() + 8)
        painter.fillRect(box, LABEL_BG)
        painter.setPen(QColor("white"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.setFont(self.font())

    def _paint_avatar(self, painter: QPainter, rect: QRect) -> None:
        side = max(24, min(rect.width(), rect.height()) // 3)
        circle = QRect(rect.center().x() - side // 2, rect.center().y() - side // 2, side, side)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(AVATAR_BG)
        painter.drawEllipse(circle)
        initials = "".join(word[0] for word in self.name.split()[:2]).upper() or "?"
        font = QFont(self.font())
        font.setPixelSize(max(10, side // 3))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(circle, Qt.AlignmentFlag.AlignCenter, initials)

    def _paint_label(self, painter: QPainter, rect: QRect) -> None:
        text = self.name if self.source != "screen" else self.tr("{0}'s screen").format(self.name)
        metrics = painter.fontMetrics()
        painter.setFont(self.font())
        metrics = painter.fontMetrics()
        icon_w = 20 if self.mic_muted else 0
        width = min(rect.width() - 16, metrics.horizontalAdvance(text) + 16 + icon_w)
        height = metrics.height() + 8
        box = QRect(8, rect.height() - height - 8, width, height)
        painter.fillRect(box, LABEL_BG)
        x = box.left() + 6
        if self.mic_muted:
            icons.icon("mic-off").paint(painter, QRect(x, box.top() + (height - 16) // 2, 16, 16))
            x += icon_w
        painter.setPen(QColor("white"))
        elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, box.right() - x - 4)
        painter.drawText(QRect(x, box.top(), box.right() - x, height), Qt.AlignmentFlag.AlignVCenter, elided)


def grid_shape(count: int, width: int, height: int, aspect: float = 16 / 9) -> tuple[int, int]:
    """(columns, rows) that give the biggest 16:9 tiles for ``count`` tiles in ``width`` x ``height``."""
    if count <= 0:
        return (0, 0)
    best = (1, count)
    best_area = -1.0
    for cols in range(1, count + 1):
        rows = math.ceil(count / cols)
        cell_w = (width - GAP * (cols + 1)) / cols
        cell_h = (height - GAP * (rows + 1)) / rows
        tile_w = min(cell_w, cell_h * aspect)
        area = tile_w * (tile_w / aspect)
        if area > best_area:
            best, best_area = (cols, rows), area
    return best


class VideoGrid(QWidget):
    """Lays out tiles in a grid; with a shared screen, the screen takes the stage and people a strip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tiles: dict[tuple[str, str], VideoTile] = {}
        self.order: list[tuple[str, str]] = []
        # Where each tile came first (by seat, and by name for a new seat after a reconnect), so
        # tiles taken down and put up again by a reconnect come back in the same places.
        self._ranks: dict[tuple[str, str], int] = {}
        self.setObjectName("videoGrid")
        self.setMinimumSize(320, 200)
        self.tile_resized: Callable[[VideoTile, int, int], None] | None = None
        # The view (client/ui/views.py sets these): speaker view puts ``speaker`` on the stage; a
        # local pin, else the host's spotlight, else a shared screen takes the stage first.
        self.mode = "gallery"  # or "speaker"
        self.pinned: tuple[str, str] | None = None
        self.spotlight = ""  # participant id
        self.speaker: str | None = None  # the last active speaker
        self.hidden: set[tuple[str, str]] = set()  # self view and tiles without video, when hidden
        self.tile_double_clicked: Callable[[VideoTile], None] | None = None
        self.tile_menu_requested: Callable[[VideoTile, QPoint], None] | None = None

    def add_tile(self, participant_id: str, source: str, name: str) -> VideoTile:
        key = (participant_id, source)
        tile = self.tiles.get(key)
        if tile is not None:
            return tile
        tile = VideoTile(participant_id, source, name, self)
        tile.size_changed = self._tile_resized
        tile.double_clicked = lambda t: self.tile_double_clicked(t) if self.tile_double_clicked else None
        tile.menu_requested = lambda t, pos: self.tile_menu_requested(t, pos) if self.tile_menu_requested else None
        self.tiles[key] = tile
        rank = self._rank(key, (f"name:{name}", source))
        later = [i for i, k in enumerate(self.order) if self._ranks.get(k, 0) > rank]
        self.order.insert(later[0] if later else len(self.order), key)
        tile.show()
        self.relayout()
        return tile

    def _rank(self, key: tuple[str, str], by_name: tuple[str, str]) -> int:
        rank = self._ranks.get(key, self._ranks.get(by_name))
        if rank is None:
            rank = len(self._ranks)
        self._ranks[key] = self._ranks[by_name] = rank
        return rank

    def remove_tile(self, participant_id: str, source: str) -> None:
        tile = self.tiles.pop((participant_id, source), None)
        if tile is None:
            return
        self.order.remove((participant_id, source))
        tile.hide()
        tile.deleteLater()
        self.relayout()

    def remove_participant(self, participant_id: str) -> None:
        for key in [k for k in self.order if k[0] == participant_id]:
            self.remove_tile(*key)

    def tile(self, participant_id: str, source: str = "camera") -> VideoTile | None:
        return self.tiles.get((participant_id, source))

    def tiles_of(self, participant_id: str) -> list[VideoTile]:
        return [self.tiles[k] for k in self.order if k[0] == participant_id]

    @property
    def stage_key(self) -> tuple[str, str] | None:
        """The tile painted large: pinned, else spotlit, else a shared screen, else (speaker view)
        the last active speaker, or the newest tile shown before anyone spoke."""
        spotlit = (self.spotlight, "camera")
        for key in (self.pinned, spotlit):
            if key is not None and key in self.tiles:
                return key
        for key in self.order:
            if key[1] == "screen":
                return key
        if self.mode == "speaker" and self.order:
            speaker = (self.speaker or "", "camera")
            if speaker in self.tiles:
                return speaker
            shown = [k for k in self.order if k not in self.hidden]
            return shown[-1] if shown else self.order[0]
        return None

    def _tile_resized(self, tile: VideoTile, width: int, height: int) -> None:
        if self.tile_resized is not None:
            self.tile_resized(tile, width, height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.relayout()

    def relayout(self) -> None:
        stage = self.stage_key
        keys = [k for k in self.order if k != stage and k not in self.hidden]
        for key in self.hidden - {stage}:
            if key in self.tiles:
                self.tiles[key].hide()
        if stage is not None:
            self.tiles[stage].show()
        if stage is not None:
            strip_w = max(160, self.width() // 5) if keys else 0
            self.tiles[stage].setGeometry(GAP, GAP, self.width() - strip_w - 3 * GAP, self.height() - 2 * GAP)
            self._place(keys, QRect(self.width() - strip_w - GAP, GAP, strip_w, self.height() - 2 * GAP), column=True)
        else:
            self._place(keys, QRect(0, 0, self.width(), self.height()), column=False)

    def _place(self, keys: list[tuple[str, str]], area: QRect, *, column: bool) -> None:
        if not keys:
            return
        if column:
            tile_h = min(int(area.width() * 9 / 16), (area.height() - GAP * (len(keys) - 1)) // len(keys))
            visible = max(1, (area.height() + GAP) // (max(tile_h, 60) + GAP))
            tile_h = max(tile_h, 60)
            for index, key in enumerate(keys):
                tile = self.tiles[key]
                if index >= visible:
                    tile.hide()
                    continue
                tile.show()
                tile.setGeometry(area.left(), area.top() + index * (tile_h + GAP), area.width(), tile_h)
            return
        cols, rows = grid_shape(len(keys), area.width(), area.height())
        cell_w = (area.width() - GAP * (cols + 1)) // cols
        cell_h = (area.height() - GAP * (rows + 1)) // rows
        tile_w = int(min(cell_w, cell_h * 16 / 9))
        tile_h = int(tile_w * 9 / 16)
        top = area.top() + (area.height() - rows * tile_h - (rows - 1) * GAP) // 2
        for index, key in enumerate(keys):
            row, col = divmod(index, cols)
            in_row = min(cols, len(keys) - row * cols)
            left = area.left() + (area.width() - in_row * tile_w - (in_row - 1) * GAP) // 2
            tile = self.tiles[key]
            tile.show()
            tile.setGeometry(left + col * (tile_w + GAP), top + row * (tile_h + GAP), tile_w, tile_h)
