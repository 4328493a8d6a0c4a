"""Draws one recording frame from what the meeting shows: a gallery, or a shared screen on stage.

Pure numpy/OpenCV, no Qt: the recorder's worker thread calls it. The canvas is one preallocated
I420 (yuv420p) buffer, the encoder's own format, so a frame is never converted as a whole:
decoded frames (yuv420p already) are scaled by libswscale (`VideoFrame.reformat`, filtered) straight
to their tile size and copied into views of the canvas's planes; a tile is only scaled again when
its frame changed, and name tiles and label sizes are rendered once and cached. A 3x3 gallery of
720p cameras at 1280x720 costs about 3 ms (measured with bench/recording.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

Image = np.ndarray[Any, Any]


def _yuv(bgr: tuple[int, int, int]) -> tuple[int, int, int]:
    """A BGR colour as (Y, U, V), as OpenCV's I420 conversion computes it."""
    px = cv2.cvtColor(np.full((2, 2, 3), bgr, np.uint8), cv2.COLOR_BGR2YUV_I420)
    return int(px[0, 0]), int(px[2, 0]), int(px[2, 1])


BACKGROUND = _yuv((32, 28, 26))
NAME_TILE = (70, 58, 52)  # BGR: name tiles are drawn in BGR once, then converted and cached
SPEAKING = _yuv((80, 200, 90))
LABEL_Y = 240
MARGIN = 4
STAGE_SHARE = 0.78  # of the width, for the shared screen; speakers get the rest
STAGE_SPEAKERS = 4
TEXT_CACHE = 256  # label sizes kept (name, height)


def _even(v: int) -> int:
    return v // 2 * 2


def _planes(i420: Image, w: int, h: int) -> tuple[Image, Image, Image]:
    """Views of the Y, U and V planes of an I420 image (Y rows, then U, then V, packed)."""
    flat = i420.reshape(-1)
    quarter = (h // 2) * (w // 2)
    return (
        flat[: h * w].reshape(h, w),
        flat[h * w : h * w + quarter].reshape(h // 2, w // 2),
        flat[h * w + quarter : h * w + 2 * quarter].reshape(h // 2, w // 2),
    )


@dataclass
class Tile:
    """One participant (or a shared screen) as the compositor should show it."""

    key: str
    name: str
    frame: Any = None  # av.VideoFrame, or None for a name tile (camera off, no video yet)
    speaking: bool = False


class Compositor:
    """Lays tiles out on a ``width`` x ``height`` canvas and returns it as I420 (yuv420p).

    `compose` returns the canvas itself, a ``(height * 3 // 2, width)`` uint8 array (Y, then U,
    then V), ready for ``av.VideoFrame.from_ndarray(canvas, format="yuv420p")``; it is overwritten
    by the next call.
    """

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = _even(width), _even(height)
        w, h = self.width, self.height
        self.canvas = np.empty((h * 3 // 2, w), np.uint8)
        self.y, self.u, self.v = _planes(self.canvas, w, h)
        # One entry per tile (its newest scaled frame, its name card at its current size), so a long
        # meeting with people coming and going and layouts changing holds no more than it shows.
        self._scaled: dict[str, tuple[int, int, int, tuple[Image, Image, Image]]] = {}
        self._names: dict[str, tuple[str, int, int, tuple[Image, Image, Image]]] = {}
        self._text: dict[tuple[str, int], tuple[float, int, int, int]] = {}

    def compose(self, people: list[Tile], screen: Tile | None = None) -> Image:
        """Gallery of ``people``, or ``screen`` large with the first speakers beside it."""
        self.y.fill(BACKGROUND[0])
        self.u.fill(BACKGROUND[1])
        self.v.fill(BACKGROUND[2])
        if screen is not None:
            share_w = _even(int(self.width * STAGE_SHARE))
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

    @property
    def tiles_cached(self) -> dict[str, int]:
        """Per tile key, how many scaled frames and name cards are cached for it (at most 2)."""
        counts: dict[str, int] = {}
        for key in [*self._scaled, *self._names]:
            counts[key] = counts.get(key, 0) + 1
        return counts

    def forget(self, keys: set[str]) -> None:
        """Drop cached tiles of anyone not in ``keys`` (people who left)."""
        self._scaled = {k: v for k, v in self._scaled.items() if k in keys}
        self._names = {k: v for k, v in self._names.items() if k in keys}

    # --- drawing ---------------------------------------------------------------------------------

    def _draw(self, tile: Tile, x: int, y: int, w: int, h: int, label: str | None = None) -> None:
        # Even positions and sizes: chroma has half the resolution.
        x, y, w, h = _even(x), _even(y), _even(w), _even(h)
        if w < 8 or h < 8:
            return
        if tile.frame is None:
            self._blit(self._name_tile(tile, w, h), x, y)
        else:
            planes = self._scale(tile, w, h)
            ih, iw = planes[0].shape
            self._blit(planes, x + _even((w - iw) // 2), y + _even((h - ih) // 2))
            self._label(label if label is not None else tile.name, x, y, w, h)
        if tile.speaking:
            cv2.rectangle(self.y, (x, y), (x + w - 1, y + h - 1), SPEAKING[0], 4)
            cx, cy, cw, ch = x // 2, y // 2, w // 2, h // 2
            cv2.rectangle(self.u, (cx, cy), (cx + cw - 1, cy + ch - 1), SPEAKING[1], 2)
            cv2.rectangle(self.v, (cx, cy), (cx + cw - 1, cy + ch - 1), SPEAKING[2], 2)

    def _blit(self, planes: tuple[Image, Image, Image], x: int, y: int) -> None:
        py, pu, pv = planes
        h, w = py.shape
        self.y[y : y + h, x : x + w] = py
        cx, cy = x // 2, y // 2
        self.u[cy : cy + h // 2, cx : cx + w // 2] = pu
        self.v[cy : cy + h // 2, cx : cx + w // 2] = pv

    def _scale(self, tile: Tile, w: int, h: int) -> tuple[Image, Image, Image]:
        frame = tile.frame
        scale = min(w / frame.width, h / frame.height)
        tw, th = max(2, _even(int(frame.width * scale))), max(2, _even(int(frame.height * scale)))
        cached = self._scaled.get(tile.key)
        if cached is not None and cached[:3] == (id(frame), tw, th):
            return cached[3]
        scaled = frame.reformat(width=tw, height=th, format="yuv420p")
        planes = tuple(
            np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[:rows, :cols]
            for plane, rows, cols in zip(scaled.planes, (th, th // 2, th // 2), (tw, tw // 2, tw // 2), strict=True)
        )
        # The views keep `scaled` alive; the cache holds them until this tile's next frame.
        self._scaled[tile.key] = (id(frame), tw, th, planes)  # type: ignore[assignment]
        return planes  # type: ignore[return-value]

    def _name_tile(self, tile: Tile, w: int, h: int) -> tuple[Image, Image, Image]:
        name = tile.name or "?"
        cached = self._names.get(tile.key)
        if cached is not None and cached[:3] == (name, w, h):
            return cached[3]
        image = np.empty((h, w, 3), np.uint8)
        image[:] = NAME_TILE
        scale = max(0.4, min(2.0, h / 180))
        thickness = max(1, int(scale * 2))
        (tw, th), _ = cv2.getTextSize(name, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        while tw > w - 8 and scale > 0.3:
            scale *= 0.85
            (tw, th), _ = cv2.getTextSize(name, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        org = (max(2, (w - tw) // 2), (h + th) // 2)
        cv2.putText(image, name, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (235, 235, 235), thickness, cv2.LINE_AA)
        planes = _planes(cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420), w, h)
        self._names[tile.key] = (name, w, h, planes)
        return planes

    def _label(self, name: str, x: int, y: int, w: int, h: int) -> None:
        if not name:
            return
        scale, tw, th, base = self._text_size(name, h)
        band_h = _even(th + base + 6)
        x1, y1 = x + 4, _even(y + h - band_h - 4)
        x2 = _even(min(x + w - 4, x1 + tw + 8))
        if y1 <= y or x2 <= x1:
            return
        band = self.y[y1 : y1 + band_h, x1:x2]
        band //= 3  # darkened and grey, so names stay readable on any picture
        self.u[y1 // 2 : (y1 + band_h) // 2, x1 // 2 : x2 // 2] = 128
        self.v[y1 // 2 : (y1 + band_h) // 2, x1 // 2 : x2 // 2] = 128
        cv2.putText(self.y, name, (x1 + 4, y1 + th + 3), cv2.FONT_HERSHEY_SIMPLEX, scale, LABEL_Y, 1, cv2.LINE_AA)

    def _text_size(self, name: str, h: int) -> tuple[float, int, int, int]:
        key = (name, h)
        cached = self._text.get(key)
        if cached is None:
            if len(self._text) >= TEXT_CACHE:  # names and sizes of people long gone
                self._text.clear()
            scale = max(0.35, min(0.8, h / 300))
            (tw, th), base = cv2.getTextSize(name, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
            cached = self._text[key] = (scale, tw, th, base)
        return cached
