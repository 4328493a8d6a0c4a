"""Draws one recording frame from what the meeting shows: a gallery, or a shared screen on stage.

Pure numpy/OpenCV on BGR images, no Qt: the recorder's worker thread calls it. Decoded frames are
scaled straight to their tile size by libswscale (`VideoFrame.reformat`), and a tile is only
scaled again when its frame changed, so a 3x3 gallery at 720p costs a few milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

BACKGROUND = (32, 28, 26)
NAME_TILE = (70, 58, 52)
SPEAKING = (80, 200, 90)
MARGIN = 4
STAGE_SHARE = 0.78  # of the width, for the shared screen; speakers get the rest
STAGE_SPEAKERS = 4

Image = np.ndarray[Any, Any]


@dataclass
class Tile:
    """One participant (or a shared screen) as the compositor should show it."""

    key: str
    name: str
    frame: Any = None  # av.VideoFrame, or None for a name tile (camera off, no video yet)
    speaking: bool = False


class Compositor:
    """Lays tiles out on a ``width`` x ``height`` canvas and returns it as BGR."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.canvas = np.empty((height, width, 3), np.uint8)
        self._scaled: dict[tuple[str, int, int], tuple[int, Image]] = {}
        self._names: dict[tuple[str, int, int], Image] = {}

    def compose(self, people: list[Tile], screen: Tile | None = None) -> Image:
        """Gallery of ``people``, or ``screen`` large with the first speakers beside it."""
        self.canvas[:] = BACKGROUND
        if screen is not None:
            share_w = int(self.width * STAGE_SHARE) // 2 * 2
            self._draw(screen, 0, 0, share_w, self.height, label=f"{screen.name}")
            column = people[:STAGE_SPEAKERS]
            if column:
                cell_h = self.height // max(len(column), 3)
                x = share_w + MARGIN
                w = self.width - x - MARGIN
                for i, tile in enumerate(column):
                    self._draw(tile, x, i * cell_h + MARGIN, w, cell_h - 2 * MARGIN)
        elif people:
            cols = math.ceil(math.sqrt(len(people)))
            rows = math.ceil(len(people) / cols)
            cell_w, cell_h = self.width // cols, self.height // rows
            # Keep cells 16:9 and centre the grid.
            cell_w, cell_h = min(cell_w, cell_h * 16 // 9), min(cell_h, cell_w * 9 // 16)
            left = (self.width - cols * cell_w) // 2
            top = (self.height - rows * cell_h) // 2
            for i, tile in enumerate(people):
                r, c = divmod(i, cols)
                in_row = min(cols, len(people) - r * cols)
                shift = (cols - in_row) * cell_w // 2  # a short last row is centred
                self._draw(
                    tile,
                    left + shift + c * cell_w + MARGIN,
                    top + r * cell_h + MARGIN,
                    cell_w - 2 * MARGIN,
                    cell_h - 2 * MARGIN,
                )
        return self.canvas

    def forget(self, keys: set[str]) -> None:
        """Drop cached tiles of anyone not in ``keys`` (people who left)."""
        self._scaled = {k: v for k, v in self._scaled.items() if k[0] in keys}
        self._names = {k: v for k, v in self._names.items() if k[0] in keys}

    # --- drawing ---------------------------------------------------------------------------------

    def _draw(self, tile: Tile, x: int, y: int, w: int, h: int, label: str | None = None) -> None:
        if w < 8 or h < 8:
            return
        if tile.frame is None:
            self.canvas[y : y + h, x : x + w] = self._name_tile(tile, w, h)
        else:
            image = self._scale(tile, w, h)
            ih, iw = image.shape[:2]
            ox, oy = x + (w - iw) // 2, y + (h - ih) // 2
            self.canvas[oy : oy + ih, ox : ox + iw] = image
            self._label(label if label is not None else tile.name, x, y, w, h)
        if tile.speaking:
            cv2.rectangle(self.canvas, (x, y), (x + w - 1, y + h - 1), SPEAKING, 3)

    def _scale(self, tile: Tile, w: int, h: int) -> Image:
        frame = tile.frame
        scale = min(w / frame.width, h / frame.height)
        tw, th = max(2, int(frame.width * scale) // 2 * 2), max(2, int(frame.height * scale) // 2 * 2)
        key = (tile.key, tw, th)
        cached = self._scaled.get(key)
        if cached is not None and cached[0] == id(frame):
            return cached[1]
        image: Image = frame.reformat(width=tw, height=th, format="bgr24").to_ndarray()
        self._scaled[key] = (id(frame), image)
        return image

    def _name_tile(self, tile: Tile, w: int, h: int) -> Image:
        key = (tile.key, w, h)
        cached = self._names.get(key)
        if cached is not None:
            return cached
        image = np.empty((h, w, 3), np.uint8)
        image[:] = NAME_TILE
        name = tile.name or "?"
        scale = max(0.4, min(2.0, h / 180))
        thickness = max(1, int(scale * 2))
        (tw, th), _ = cv2.getTextSize(name, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        while tw > w - 8 and scale > 0.3:
            scale *= 0.85
            (tw, th), _ = cv2.getTextSize(name, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        org = (max(2, (w - tw) // 2), (h + th) // 2)
        cv2.putText(image, name, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (235, 235, 235), thickness, cv2.LINE_AA)
        self._names[key] = image
        return image

    def _label(self, name: str, x: int, y: int, w: int, h: int) -> None:
        if not name:
            return
        scale = max(0.35, min(0.8, h / 300))
        (tw, th), base = cv2.getTextSize(name, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        band_h = th + base + 6
        x1, y1 = x + 4, y + h - band_h - 4
        x2 = min(x + w - 4, x1 + tw + 8)
        if y1 <= y:
            return
        band = self.canvas[y1 : y1 + band_h, x1:x2]
        band[:] = (band.astype(np.uint16) // 3).astype(np.uint8)  # darkened, so names stay readable
        cv2.putText(
            self.canvas, name, (x1 + 4, y1 + th + 3), cv2.FONT_HERSHEY_SIMPLEX, scale, (240, 240, 240), 1, cv2.LINE_AA
        )
