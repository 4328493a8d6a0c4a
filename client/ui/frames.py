"""Decoded video frames -> QImages at the size they are shown, off the UI thread.

The media engine hands over `av.VideoFrame`s on the event loop thread. Converting a 720p frame to
RGB costs milliseconds; at 9 x 30 frames a second that would stall the UI, so worker threads do
it, and they convert straight to the tile's size (swscale scales and converts in one pass, ~0.5 ms
for a 720p frame to a 392x220 tile, with the GIL released, so two workers run in parallel). Each
stream keeps only its newest unconverted frame: when the workers are busy, older frames are dropped
(counted) instead of queueing up latency. A stream is converted by one worker at a time, so its
frames are delivered in order.

The UI thread then only wraps the converted frame's RGB plane in a QImage (no copy: the QImage
points into the frame's buffer, and the converter keeps the frame alive while the image is shown).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
import threading
from collections.abc import Callable, Hashable
from typing import Any

from PySide6.QtGui import QImage

log = logging.getLogger("parley.ui")

DEFAULT_SIZE = (640, 360)
WORKERS = 2
# What swscale produces and how Qt reads it (see frame_to_rgb_frame).
RGB_FORMAT = "bgra" if sys.byteorder == "little" else "argb"
IMAGE_FORMAT = QImage.Format.Format_RGB32


def fit_size(frame_w: int, frame_h: int, box_w: int, box_h: int) -> tuple[int, int]:
    """The largest even size with the frame's aspect ratio that fits in the box (never upscaled)."""
    if frame_w <= 0 or frame_h <= 0:
        return (0, 0)
    box_w, box_h = max(box_w, 2), max(box_h, 2)
    scale = min(box_w / frame_w, box_h / frame_h, 1.0)
    w = max(2, int(frame_w * scale) & ~1)
    h = max(2, int(frame_h * scale) & ~1)
    return (w, h)


def frame_to_rgb_frame(frame: Any, box: tuple[int, int], reformatter: Any = None) -> Any:
    """``frame`` (an av.VideoFrame) scaled to fit ``box`` and converted to 32-bit RGB in one pass.

    The bytes are B, G, R, 255: Qt's ``Format_RGB32`` on little-endian machines, the format Qt
    paints fastest (a plain copy onto the window; 24-bit RGB took ten times longer to paint).

    Pure PyAV, so it can run on a worker thread (no Qt objects are made off the UI thread: QImages
    built on a worker crashed PySide6 with refcount errors)."""
    w, h = fit_size(frame.width, frame.height, *box)
    if reformatter is None:
        return frame.reformat(width=w, height=h, format=RGB_FORMAT)
    # The worker's own reformatter: a frame's cached one is shared with whoever else reformats it.
    return reformatter.reformat(frame, width=w, height=h, format=RGB_FORMAT)


def rgb_frame_to_image(rgb: Any) -> QImage:
    """A QImage over a converted av.VideoFrame's plane, without copying (UI thread, microseconds).

    The image points into ``rgb``'s buffer: keep ``rgb`` referenced for as long as the image (or a
    copy of it, which shares the pixels) may be painted."""
    plane = rgb.planes[0]  # rows may be padded: use the plane's stride rather than assume w * 4
    return QImage(plane, rgb.width, rgb.height, plane.line_size, IMAGE_FORMAT)


class FrameConverter:
    """Worker threads that convert the newest frame of each stream and hand back QImages.

    ``deliver(key, image)`` runs on the event loop thread. The workers do not use
    ``call_soon_threadsafe``: under plain qasync that emits a Qt signal carrying Python objects from
    the worker thread, which crashed the interpreter (a shiboken refcount error) at 270 calls a
    second. Instead they fill an outbox and wake the loop through a socket pair watched with
    ``add_reader``; one wake-up delivers every stream's newest image.
    """

    def __init__(
        self,
        deliver: Callable[[Hashable, QImage], None],
        loop: asyncio.AbstractEventLoop,
        workers: int = WORKERS,
    ) -> None:
        self._deliver = deliver
        self._loop = loop
        self._cond = threading.Condition()
        self._pending: dict[Hashable, Any] = {}
        self._busy: set[Hashable] = set()  # streams a worker is converting now (kept in order)
        self._sizes: dict[Hashable, tuple[int, int]] = {}
        self._stopped = False
        self.received = 0
        self.dropped = 0
        self.converted = 0
        self.failed = 0
        self._outbox: dict[Hashable, Any] = {}
        # The frame behind each stream's shown image: the QImage points into its buffer.
        self._shown: dict[Hashable, Any] = {}
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        loop.add_reader(self._wake_r.fileno(), self._drain)
        self._threads = [
            threading.Thread(target=self._run, name=f"parley-frame-converter-{i}", daemon=True)
            for i in range(max(1, workers))
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, key: Hashable, frame: Any) -> None:
        """Cheap, called on the loop thread for every decoded frame."""
        with self._cond:
            self.received += 1
            if key in self._pending:
                self.dropped += 1
            self._pending[key] = frame
            if key not in self._busy:
                self._cond.notify()

    def set_size(self, key: Hashable, width: int, height: int) -> None:
        with self._cond:
            self._sizes[key] = (max(width, 2), max(height, 2))

    def forget(self, key: Hashable) -> None:
        with self._cond:
            self._pending.pop(key, None)
            self._sizes.pop(key, None)
            self._outbox.pop(key, None)
        self._shown.pop(key, None)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._pending.clear()
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=2)
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
            image = rgb_frame_to_image(rgb)
            self._deliver(key, image)
            # Replaced only after delivery: the tile has swapped to the new image by now, so the
            # previous frame's buffer is no longer painted from.
            self._shown[key] = rgb

    def _next(self) -> tuple[Hashable, Any, tuple[int, int]] | None:
        """The oldest waiting stream that no other worker is converting (under the lock)."""
        for key in self._pending:
            if key not in self._busy:
                frame = self._pending.pop(key)
                self._busy.add(key)
                return key, frame, self._sizes.get(key, DEFAULT_SIZE)
        return None

    def _run(self) -> None:
        from av.video.reformatter import VideoReformatter

        reformatter = VideoReformatter()
        while True:
            with self._cond:
                work = self._next()
                while work is None and not self._stopped:
                    self._cond.wait()
                    work = self._next()
                if self._stopped:
                    return
            assert work is not None
            key, frame, size = work
            rgb = None
            try:
                rgb = frame_to_rgb_frame(frame, size, reformatter)
            except Exception:
                self.failed += 1
                log.exception("could not convert a video frame")
            del frame
            with self._cond:
                self._busy.discard(key)
                if key in self._pending:  # a newer frame arrived meanwhile: another worker may take it
                    self._cond.notify()
                if rgb is None:
                    continue
                self.converted += 1
                wake = not self._outbox
                if key in self._outbox:
                    self.dropped += 1  # converted but superseded before the UI took it
                self._outbox[key] = rgb
            if wake:
                with contextlib.suppress(OSError):  # full or closed: a wake-up is already pending
                    self._wake_w.send(b"x")
