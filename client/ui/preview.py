"""Device checks for the pre-join screen: camera preview, microphone level, speaker test sound.

Capture and audio happen on worker threads (OpenCV, PortAudio callbacks); results come back to the
UI thread with ``call_soon_threadsafe``. Each failure is a sentence, never an exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QLinearGradient, QPainter

from client.engine.media.audio_processing import MicProcessor, ProcessingChoice

log = logging.getLogger("parley.ui")

SYNTHETIC = "synthetic"
NONE = "none"


def synthetic_frame(width: int, height: int, t: float, label: str) -> QImage:
    """A moving test picture for the synthetic camera (what the engine's synthetic source sends)."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    gradient = QLinearGradient(QPointF(0, 0), QPointF(width, height))
    hue = (t * 20) % 360
    gradient.setColorAt(0, QColor.fromHsv(int(hue), 120, 120))
    gradient.setColorAt(1, QColor.fromHsv(int(hue + 120) % 360, 140, 60))
    painter.fillRect(image.rect(), gradient)
    x = (math.sin(t * 1.5) * 0.4 + 0.5) * width
    painter.setBrush(QColor(255, 255, 255, 200))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(QPointF(x, height * 0.45), height * 0.12, height * 0.12)
    font = QFont()
    font.setPixelSize(max(10, height // 14))
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(QRectF(0, height * 0.75, width, height * 0.2), Qt.AlignmentFlag.AlignCenter, label)
    painter.end()
    return image


class DevicePreview(QObject):
    frame_ready = Signal(QImage)
    level_changed = Signal(float)
    problem = Signal(str, str)  # device kind (camera | microphone | speaker), sentence

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._camera_timer = QTimer(self)
        self._camera_timer.setInterval(66)
        self._camera_timer.timeout.connect(self._synthetic_tick)
        self._level_timer = QTimer(self)
        self._level_timer.setInterval(100)
        self._level_timer.timeout.connect(self._emit_level)
        self._started = time.monotonic()
        self._camera_thread: threading.Thread | None = None
        self._camera_stop = threading.Event()
        self._stream: Any = None
        self._level = 0.0
        self._mic = NONE

    # --- camera --------------------------------------------------------------------------

    def start_camera(self, device: str) -> None:
        self.stop_camera()
        if device == NONE:
            return
        if device == SYNTHETIC or not device:
            self._camera_timer.start()
            return
        self._camera_stop = threading.Event()
        loop = asyncio.get_event_loop()
        self._camera_thread = threading.Thread(
            target=self._capture, args=(device, loop, self._camera_stop), name="parley-preview", daemon=True
        )
        self._camera_thread.start()

    def stop_camera(self) -> None:
        self._camera_timer.stop()
        self._camera_stop.set()
        self._camera_thread = None

    def _synthetic_tick(self) -> None:
        self.frame_ready.emit(synthetic_frame(480, 270, time.monotonic() - self._started, self.tr("Test camera")))

    def _capture(self, device: str, loop: asyncio.AbstractEventLoop, stop: threading.Event) -> None:
        try:
            import cv2
        except ImportError:
            loop.call_soon_threadsafe(self.problem.emit, "camera", self.tr("The camera cannot be used here."))
            return
        capture = cv2.VideoCapture(int(device) if device.isdigit() else device)
        try:
            if not capture.isOpened():
                loop.call_soon_threadsafe(
                    self.problem.emit, "camera", self.tr("No camera was found. You can join without video.")
                )
                return
            while not stop.is_set():
                ok, frame = capture.read()
                if not ok:
                    loop.call_soon_threadsafe(
                        self.problem.emit, "camera", self.tr("The camera stopped sending pictures. Was it unplugged?")
                    )
                    return
                rgb = cv2.cvtColor(cv2.resize(frame, (480, 270)), cv2.COLOR_BGR2RGB)
                image = QImage(rgb.data, 480, 270, rgb.strides[0], QImage.Format.Format_RGB888).copy()
                loop.call_soon_threadsafe(self.frame_ready.emit, image)
        finally:
            capture.release()

    # --- microphone ----------------------------------------------------------------------

    def start_microphone(self, device: str, processing: ProcessingChoice | None = None) -> None:
        """Show the microphone's level as others will hear it: after its processing (noise
        suppression, gain), which runs here on PortAudio's thread as it does in a call."""
        self.stop_microphone()
        self._mic = device or SYNTHETIC
        if self._mic == NONE:
            return
        if self._mic != SYNTHETIC:
            try:
                import sounddevice

                processor = MicProcessor(processing or ProcessingChoice(), on_voice=self._processed_level)

                def callback(indata: np.ndarray, frames: int, when: Any, status: Any) -> None:
                    processor.process(np.ascontiguousarray(indata[:, 0]))

                self._stream = sounddevice.InputStream(
                    device=device, channels=1, samplerate=48000, dtype="int16", callback=callback, blocksize=960
                )
                self._stream.start()
            except Exception:
                log.info("microphone preview failed", exc_info=True)
                self._stream = None
                self.problem.emit("microphone", self.tr("No microphone was found. You can join and listen."))
                return
        self._level_timer.start()

    def _processed_level(self, level: float, speaking: bool) -> None:
        self._level = level  # read by the UI thread's timer: one float, no lock needed

    def stop_microphone(self) -> None:
        self._level_timer.stop()
        if self._stream is not None:
            with contextlib.suppress(Exception):
                self._stream.stop()
                self._stream.close()
            self._stream = None
        self._level = 0.0
        self.level_changed.emit(0.0)

    def _emit_level(self) -> None:
        if self._mic == SYNTHETIC:
            t = time.monotonic() - self._started
            self._level = 0.35 + 0.25 * math.sin(t * 3.1) * math.sin(t * 0.7)
        self.level_changed.emit(max(0.0, min(1.0, self._level)))

    # --- speaker -------------------------------------------------------------------------

    def play_test_sound(self, device: str) -> None:
        """A short two-tone chime on ``device``; a sentence when it cannot play."""
        try:
            import sounddevice

            rate = 48000
            t = np.arange(int(rate * 0.7)) / rate
            tone = 0.2 * np.sin(2 * np.pi * np.where(t < 0.35, 660, 880) * t) * np.minimum(1, (0.7 - t) * 10)
            sounddevice.play(tone.astype(np.float32), rate, device=device or None, blocking=False)
        except Exception:
            log.info("speaker test failed", exc_info=True)
            self.problem.emit("speaker", self.tr("No speaker was found, so the test sound cannot play."))

    def stop(self) -> None:
        self.stop_camera()
        self.stop_microphone()
