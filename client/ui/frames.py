"""Decoded video frames -> QImages at the size they are shown, off the UI thread.

The media engine hands over `av.VideoFrame`s on the event loop thread. Converting a 720p frame to
RGB and scaling it costs milliseconds; at 9 x 30 frames a second that would stall the UI, so a
worker thread does it. Each stream keeps only its newest unconverted frame: when the worker is
busy, older frames are dropped (counted) instead of queueing up latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
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


def frame_to_rgb(frame: Any, box: tuple[int, int], reformatter: Any = None) -> np.ndarray:
    """Scale ``frame`` (an av.VideoFrame) to fit ``box``: a contiguous (h, w, 3) RGB array.

    Pure numpy/PyAV, so it can run on a worker thread (no Qt objects are made off the UI thread:
    QImages built on a worker crashed PySide6 with refcount errors)."""
    w, h = fit_size(frame.width, frame.height, *box)
    if reformatter is None:
        rgb = frame.reformat(width=w, height=h, format="rgb24")
    else:  # the worker's own: a frame's cached reformatter is shared with whoever else reformats it
        rgb = reformatter.reformat(frame, width=w, height=h, format="rgb24")
    plane = rgb.planes[0]  # rows may be padded: use the plane's stride rather than assume w * 3
    return np.ascontiguousarray(np.frombuffer(plane, dtype=np.uint8).reshape(h, plane.line_size)[:, : w * 3])


def rgb_to_image(rgb: np.ndarray) -> QImage:
    """A QImage that owns a copy of ``rgb`` (UI thread; about 0.1 ms for a tile-sized picture)."""
    h, w3 = rgb.shape[0], rgb.shape[1] * (rgb.shape[2] if rgb.ndim == 3 else 1)
    image = QImage(w3 // 3, h, QImage.Format.Format_RGB888)
    target = np.frombuffer(image.bits(), dtype=np.uint8).reshape(h, image.bytesPerLine())[:, :w3]
    target[:] = rgb.reshape(h, w3)
    return image


def frame_to_image(frame: Any, box: tuple[int, int]) -> QImage:
    return rgb_to_image(frame_to_rgb(frame, box))


class FrameConverter:
    """One worker thread that converts the newest frame of each stream and hands back QImages.

    ``deliver(key, image)`` runs on the event loop thread. The worker does not use
    ``call_soon_threadsafe``: under qasync that emits a Qt signal carrying Python objects from the
    worker thread, which crashed the interpreter (a shiboken refcount error) at 270 calls a second.
    Instead it fills an outbox and wakes the loop through a socket pair watched with ``add_reader``.
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
        self._outbox: dict[Hashable, np.ndarray] = {}
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        loop.add_reader(self._wake_r.fileno(), self._drain)
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
        with contextlib.suppress(Exception):
            self._loop.remove_reader(self._wake_r.fileno())
        self._wake_r.close()
        self._wake_w.close()

    def _drain(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_r.recv(4096)
        with self._cond:
            ready, self._outbox = self._outbox, {}
        for key, rgb in ready.items():
            self._deliver(key, rgb_to_image(rgb))

    def _run(self) -> None:
        from av.video.reformatter import VideoReformatter

        reformatter = VideoReformatter()
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
                    image = frame_to_rgb(frame, sizes.get(key, DEFAULT_SIZE), reformatter)
                except Exception:
                    self.failed += 1
                    log.exception("could not convert a video frame")
                    continue
                self.converted += 1
                with self._cond:
                    wake = not self._outbox
                    self._outbox[key] = image
                if wake:
                    with contextlib.suppress(OSError):  # full or closed: a wake-up is already pending
                        self._wake_w.send(b"x")
