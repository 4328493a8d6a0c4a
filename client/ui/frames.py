"""Decoded video frames -> QImages at the size they are shown, off the UI thread.

The media engine hands over `av.VideoFrame`s on the event loop thread. Converting a 720p frame to
RGB and scaling it costs milliseconds; at 9 x 30 frames a second that would stall the UI, so a
worker thread does it. Each stream keeps only its newest unconverted frame: when the worker is
busy, older frames are dropped (counted) instead of queueing up latency.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Hashable
from typing import Any

from PySide6.QtGui import QImage

log = logging.getLogger("parley.ui")

DEFAULT_SIZE = (640, 360)


def fit_size(frame_w: int, frame_h: int, box_w: int, box_h: int) -> tuple[int, int]:
    """The largest even size with the frame's aspect ratio that fits in the box (never upscaled)."""
    if frame_w <= 0 or frame_h <= 0:
        return (0, 0)
    box_w, box_h = max(box_w, 2), max(box_h, 2)
    scale = min(box_w / frame_w, box_h / frame_h, 1.0)
    w = max(2, int(frame_w * scale) & ~1)
    h = max(2, int(frame_h * scale) & ~1)
    return (w, h)


def frame_to_image(frame: Any, box: tuple[int, int]) -> QImage:
    """Scale ``frame`` (an av.VideoFrame) to fit ``box`` and return an RGB QImage that owns its pixels."""
    w, h = fit_size(frame.width, frame.height, *box)
    rgb = frame.reformat(width=w, height=h, format="rgb24")
    plane = rgb.planes[0]  # rows may be padded: pass the plane's stride rather than assume w * 3
    image = QImage(memoryview(plane), w, h, plane.line_size, QImage.Format.Format_RGB888)
    return image.copy()  # detach from the frame's buffer before it is freed


class FrameConverter:
    """One worker thread that converts the newest frame of each stream and hands back QImages.

    ``deliver(key, image)`` runs on the event loop thread (via ``call_soon_threadsafe``).
    """

    def __init__(self, deliver: Callable[[Hashable, QImage], None], loop: asyncio.AbstractEventLoop) -> None:
        self._deliver = deliver
        self._loop = loop
        self._cond = threading.Condition()
        self._pending: dict[Hashable, Any] = {}
        self._sizes: dict[Hashable, tuple[int, int]] = {}
        self._stopped = False
        self.received = 0
        self.dropped = 0
        self.converted = 0
        self.failed = 0
        self._thread = threading.Thread(target=self._run, name="parley-frame-converter", daemon=True)
        self._thread.start()

    def submit(self, key: Hashable, frame: Any) -> None:
        """Cheap, called on the loop thread for every decoded frame."""
        with self._cond:
            self.received += 1
            if key in self._pending:
                self.dropped += 1
            self._pending[key] = frame
            self._cond.notify()

    def set_size(self, key: Hashable, width: int, height: int) -> None:
        with self._cond:
            self._sizes[key] = (max(width, 2), max(height, 2))

    def forget(self, key: Hashable) -> None:
        with self._cond:
            self._pending.pop(key, None)
            self._sizes.pop(key, None)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._pending.clear()
            self._cond.notify()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                work = list(self._pending.items())
                self._pending.clear()
                sizes = dict(self._sizes)
            for key, frame in work:
                try:
                    image = frame_to_image(frame, sizes.get(key, DEFAULT_SIZE))
                except Exception:
                    self.failed += 1
                    log.exception("could not convert a video frame")
                    continue
                self.converted += 1
                try:
                    self._loop.call_soon_threadsafe(self._deliver, key, image)
                except RuntimeError:  # the loop closed while we were converting
                    return
