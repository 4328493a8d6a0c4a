"""Capture sources as aiortc tracks: synthetic video and tone, camera, screen (the microphone,
with its sound processing, is in microphone.py).

Capture runs in worker threads (or the executor); `recv()` only awaits. Opening a device that is
not there raises `DeviceUnavailable` with a sentence, and the session falls back.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import threading
import time
from typing import Any

import av
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

log = logging.getLogger("parley.media")

VIDEO_CLOCK = 90000
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK)
AUDIO_RATE = 48000
AUDIO_PTIME = 0.02
AUDIO_SAMPLES = int(AUDIO_RATE * AUDIO_PTIME)

# The synthetic frame's corner carries 64 bits as 16x16 black/white blocks (one macroblock each,
# so VP8 keeps them): a 20-bit frame counter, a 36-bit capture time in ms, an 8-bit checksum.
MARK_BLOCK = 16
MARK_COLS = 16
MARK_ROWS = 4


class DeviceUnavailable(Exception):
    """A capture device could not be opened; the message is for people."""


def _checksum(counter: int, stamp: int) -> int:
    value = counter ^ (stamp << 20)
    total = 0
    while value:
        total ^= value & 0xFF
        value >>= 8
    return total ^ 0x5A


def encode_mark(counter: int, stamp_ms: int) -> list[int]:
    counter &= 0xFFFFF
    stamp_ms &= (1 << 36) - 1
    value = counter | (stamp_ms << 20) | (_checksum(counter, stamp_ms) << 56)
    return [(value >> i) & 1 for i in range(64)]


def read_mark(luma: np.ndarray[Any, Any]) -> tuple[int, int] | None:
    """(frame counter, capture time in ms) from a decoded synthetic frame's Y plane, or None."""
    if luma.shape[0] < MARK_ROWS * MARK_BLOCK or luma.shape[1] < MARK_COLS * MARK_BLOCK:
        return None
    centers = luma[
        MARK_BLOCK // 2 : MARK_ROWS * MARK_BLOCK : MARK_BLOCK, MARK_BLOCK // 2 : MARK_COLS * MARK_BLOCK : MARK_BLOCK
    ]
    bits = (centers.reshape(-1) > 128).astype(np.uint64)
    value = int((bits << np.arange(64, dtype=np.uint64)).sum())
    counter, stamp, check = value & 0xFFFFF, (value >> 20) & ((1 << 36) - 1), value >> 56
    if check != _checksum(counter, stamp):
        return None
    return counter, stamp


def wall_ms() -> int:
    return int(time.time() * 1000) & ((1 << 36) - 1)


class _PacedTrack(MediaStreamTrack):
    """A track that produces at a fixed rate from its own clock."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate
        self.muted = False
        self._start: float | None = None
        self._count = 0

    async def _pace(self) -> int:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._count += 1
            wait = self._start + self._count / self.rate - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            elif wait < -1.0:  # fell far behind (a stalled loop): skip ahead rather than burst
                self._start = time.monotonic() - self._count / self.rate
        return self._count


class SyntheticVideoTrack(_PacedTrack):
    """A moving pattern with a frame counter and capture timestamp that survive VP8."""

    kind = "video"

    def __init__(self, width: int = 1280, height: int = 720, fps: float = 30.0, *, hue: int = 0) -> None:
        super().__init__(fps)
        self.width, self.height = width - width % 2, height - height % 2
        x = np.arange(self.width * 2, dtype=np.int32)
        y = np.arange(self.height, dtype=np.int32)
        # Stripes plus a diagonal gradient: cheap to roll, not trivially compressible.
        pattern = (x[None, :] * 3 + y[:, None] * 2 + ((x[None, :] // 64 + y[:, None] // 64) % 2) * 60) % 220 + 16
        self._luma = pattern.astype(np.uint8)
        chroma_w, chroma_h = self.width // 2, self.height // 2
        self._u = np.full((chroma_h, chroma_w), (96 + hue) % 256, np.uint8)
        self._v = np.full((chroma_h, chroma_w), (160 - hue) % 256, np.uint8)
        self._black = np.zeros((self.height * 3 // 2, self.width), np.uint8)
        self._black[self.height :] = 128

    async def recv(self) -> av.VideoFrame:
        count = await self._pace()
        if self.muted:
            frame = av.VideoFrame.from_ndarray(self._black, format="yuv420p")
        else:
            shift = (count * 4) % self.width
            buf = np.empty((self.height * 3 // 2, self.width), np.uint8)
            buf[: self.height] = self._luma[:, shift : shift + self.width]
            u_rows = self.height // 4
            buf[self.height : self.height + u_rows] = self._u.reshape(u_rows, self.width)
            buf[self.height + u_rows :] = self._v.reshape(u_rows, self.width)
            bits = encode_mark(count, wall_ms())
            for i, bit in enumerate(bits):
                r, c = divmod(i, MARK_COLS)
                buf[r * MARK_BLOCK : (r + 1) * MARK_BLOCK, c * MARK_BLOCK : (c + 1) * MARK_BLOCK] = 235 if bit else 16
            frame = av.VideoFrame.from_ndarray(buf, format="yuv420p")
        frame.pts = int(count * VIDEO_CLOCK / self.rate)
        frame.time_base = VIDEO_TIME_BASE
        return frame


class ToneAudioTrack(_PacedTrack):
    """A 440 Hz tone (or silence when muted), 20 ms frames of 48 kHz mono s16."""

    kind = "audio"

    def __init__(self, frequency: float = 440.0, level: float = 0.2) -> None:
        super().__init__(1 / AUDIO_PTIME)
        period = AUDIO_RATE  # one second of samples repeats exactly for integer frequencies
        t = np.arange(period + AUDIO_SAMPLES) / AUDIO_RATE
        self._wave = (np.sin(2 * np.pi * frequency * t) * level * 32767).astype(np.int16)
        self._silence = np.zeros((1, AUDIO_SAMPLES), np.int16)

    async def recv(self) -> av.AudioFrame:
        count = await self._pace()
        if self.muted:
            samples = self._silence
        else:
            start = (count * AUDIO_SAMPLES) % AUDIO_RATE
            samples = self._wave[start : start + AUDIO_SAMPLES].reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = count * AUDIO_SAMPLES
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        return frame


class _ThreadedTrack(MediaStreamTrack):
    """A track fed by a capture thread through a one-slot mailbox (the newest frame wins)."""

    def __init__(self) -> None:
        super().__init__()
        self.muted = False
        self._capture_loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=2)
        self._running = threading.Event()
        self._running.set()
        self._thread: threading.Thread | None = None

    def _deliver(self, item: Any) -> None:
        def put() -> None:
            if self._queue.full():
                self._queue.get_nowait()
            self._queue.put_nowait(item)

        try:
            self._capture_loop.call_soon_threadsafe(put)
        except RuntimeError:  # loop closed
            self._running.clear()

    def _start_thread(self, target: Any, name: str) -> None:
        self._thread = threading.Thread(target=target, name=name, daemon=True)
        self._thread.start()

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        item = await self._queue.get()
        if item is None:
            raise MediaStreamError
        return item

    def stop(self) -> None:
        super().stop()
        self._running.clear()
        with_put = self._queue
        if not with_put.full():
            with_put.put_nowait(None)


class CameraTrack(_ThreadedTrack):
    """A camera through OpenCV: device index or path, 1280x720 at 30 fps unless told otherwise."""

    kind = "video"

    def __init__(self, device: str, width: int = 1280, height: int = 720, fps: float = 30.0) -> None:
        super().__init__()
        import cv2

        target: Any = int(device) if device.isdigit() else device
        cap = cv2.VideoCapture(target)
        if not cap.isOpened():
            cap.release()
            raise DeviceUnavailable(f"The camera {device!r} could not be opened.")
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        cap.set(cv2.CAP_PROP_FPS, fps)
        self._cap = cap
        self._start = time.monotonic()
        self._start_thread(self._run, "camera-capture")

    def _run(self) -> None:
        try:
            while self._running.is_set():
                ok, image = self._cap.read()
                if not ok:
                    log.warning("the camera stopped delivering frames")
                    self._deliver(None)
                    return
                if self.muted:
                    image[:] = 0
                frame = av.VideoFrame.from_ndarray(np.asarray(image, dtype=np.uint8), format="bgr24")
                frame.pts = int((time.monotonic() - self._start) * VIDEO_CLOCK)
                frame.time_base = VIDEO_TIME_BASE
                self._deliver(frame)
        finally:
            self._cap.release()


class ScreenTrack(_ThreadedTrack):
    """One monitor through mss, scaled down to fit 1920x1080, at up to 15 fps."""

    kind = "video"

    def __init__(self, monitor: int = 1, fps: float = 15.0, max_size: tuple[int, int] = (1920, 1080)) -> None:
        super().__init__()
        try:
            import mss

            with mss.mss() as probe:
                if monitor >= len(probe.monitors) or monitor < 1:
                    raise DeviceUnavailable(f"There is no screen {monitor}.")
        except DeviceUnavailable:
            raise
        except Exception as exc:
            raise DeviceUnavailable(f"The screen cannot be captured here: {exc}") from None
        self.monitor, self.fps, self.max_size = monitor, fps, max_size
        self._start = time.monotonic()
        self._start_thread(self._run, "screen-capture")

    def _run(self) -> None:
        import cv2
        import mss

        with mss.mss() as screen:
            area = screen.monitors[self.monitor]
            interval = 1.0 / self.fps
            next_at = time.monotonic()
            while self._running.is_set():
                image = np.asarray(screen.grab(area))[:, :, :3]
                h, w = image.shape[:2]
                scale = min(1.0, self.max_size[0] / w, self.max_size[1] / h)
                if scale < 1.0:
                    image = cv2.resize(image, (int(w * scale) // 2 * 2, int(h * scale) // 2 * 2))
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
                frame.pts = int((time.monotonic() - self._start) * VIDEO_CLOCK)
                frame.time_base = VIDEO_TIME_BASE
                self._deliver(frame)
                next_at += interval
                time.sleep(max(0.0, next_at - time.monotonic()))
