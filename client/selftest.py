"""``parley --self-test``: can this installation run? Imports, devices and Qt, as a readable report.

IT runs it after deploying (the Windows CI runs it on the frozen ``Parley.exe``, the .deb test in a
clean root). A missing native dependency is a failure (exit status 1); missing devices — no camera,
no sound card, no display — are warnings, because a meeting machine may legitimately lack them.
"""

from __future__ import annotations

import glob
import importlib
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

# (module, what it is for). All are required: the app cannot hold a meeting without any of them.
REQUIRED_MODULES: tuple[tuple[str, str], ...] = (
    ("PySide6.QtCore", "Qt core"),
    ("PySide6.QtGui", "Qt GUI"),
    ("PySide6.QtWidgets", "Qt widgets"),
    ("av", "FFmpeg codecs (PyAV)"),
    ("aiortc", "WebRTC"),
    ("cv2", "camera capture (OpenCV)"),
    ("mss", "screen capture"),
    ("numpy", "frame buffers"),
    ("pywebrtc_audio", "echo cancellation and noise suppression (WebRTC audio processing)"),
    ("cryptography", "TLS and end-to-end encryption"),
    ("argon2", "password hashing"),
    ("msgspec", "protocol messages"),
    ("websockets", "signalling connection"),
    ("keyring", "stored sign-in token"),
)

OK, WARN, FAIL = "ok", "warning", "FAILED"


@dataclass
class Check:
    name: str
    status: str
    detail: str


def _version_of(module: object) -> str:
    for attr in ("__version__", "VERSION", "version"):
        value = getattr(module, attr, None)
        if isinstance(value, str):
            return value
    return ""


def check_imports() -> list[Check]:
    checks: list[Check] = []
    for name, purpose in REQUIRED_MODULES:
        try:
            module = importlib.import_module(name)
        except Exception as e:  # an ImportError, or an OSError from a missing shared library
            checks.append(Check(name, FAIL, f"{purpose}: cannot import ({type(e).__name__}: {e})"))
            continue
        version = _version_of(module)
        checks.append(Check(name, OK, f"{purpose}{' ' + version if version else ''}"))
    return checks


def check_audio() -> Check:
    try:
        import sounddevice
    except OSError as e:
        # The module is there but the PortAudio library is not (Linux: libportaudio2).
        return Check("audio", WARN, f"PortAudio library not found ({e}): no microphone or speakers")
    except Exception as e:
        return Check("audio", FAIL, f"sounddevice cannot be imported ({type(e).__name__}: {e})")
    try:
        devices = sounddevice.query_devices()
    except Exception as e:
        return Check("audio", WARN, f"audio devices cannot be listed: {e}")
    inputs = [d["name"] for d in devices if d.get("max_input_channels", 0) > 0]
    outputs = [d["name"] for d in devices if d.get("max_output_channels", 0) > 0]
    if not inputs and not outputs:
        return Check("audio", WARN, "no microphone or speakers found")
    parts = [f"{len(inputs)} input(s)", f"{len(outputs)} output(s)"]
    if not inputs:
        parts.append("no microphone")
    if not outputs:
        parts.append("no speakers")
    return Check("audio", OK if inputs and outputs else WARN, ", ".join(parts))


def check_camera() -> Check:
    if sys.platform.startswith("linux") and not glob.glob("/dev/video*"):
        return Check("camera", WARN, "no camera found (no /dev/video*); a test pattern is used instead")
    try:
        import cv2

        capture = cv2.VideoCapture(0)
        try:
            opened = bool(capture.isOpened())
        finally:
            capture.release()
    except Exception as e:
        return Check("camera", WARN, f"camera cannot be opened: {e}")
    if not opened:
        return Check("camera", WARN, "no camera could be opened; a test pattern is used instead")
    return Check("camera", OK, "camera 0 opens")


def has_display() -> bool:
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def check_screens() -> Check:
    if not has_display():
        return Check("screens", WARN, "no display: screen sharing is unavailable")
    try:
        import mss

        factory = getattr(mss, "MSS", None) or mss.mss
        with factory() as grabber:
            monitors = grabber.monitors[1:]
    except Exception as e:
        return Check("screens", WARN, f"screens cannot be captured: {e}")
    if not monitors:
        return Check("screens", WARN, "no screen found to share")
    sizes = ", ".join(f"{m['width']}x{m['height']}" for m in monitors)
    return Check("screens", OK, f"{len(monitors)} screen(s): {sizes}")


def check_qt() -> Check:
    """Create (or reuse) the QApplication and paint a widget, offscreen when there is no display."""
    if not has_display() and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    try:
        from PySide6.QtWidgets import QApplication, QLabel

        app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "parley"])
        label = QLabel("Parley self-test")
        label.resize(200, 40)
        pixmap = label.grab()
        painted = not pixmap.isNull() and pixmap.width() > 0
        platform_name = QApplication.platformName() if isinstance(app, QApplication) else "?"
        label.deleteLater()
    except Exception as e:
        return Check("qt", FAIL, f"Qt cannot start: {type(e).__name__}: {e}")
    if not painted:
        return Check("qt", FAIL, f"Qt started ({platform_name}) but could not paint a widget")
    return Check("qt", OK, f"QApplication on the '{platform_name}' platform paints widgets")


def _console_stream() -> TextIO:
    """Standard output, or for the windowed Parley.exe (no stdout) the console it was started from,
    or else a report file in the temp folder (its path is the last line of the report)."""
    if sys.stdout is not None:
        return sys.stdout
    if sys.platform == "win32":
        import ctypes

        if ctypes.windll.kernel32.AttachConsole(-1):  # type: ignore[attr-defined]
            return open("CONOUT$", "w", encoding="utf-8")
    import tempfile

    return open(os.path.join(tempfile.gettempdir(), "parley-self-test.txt"), "w", encoding="utf-8")


def run_self_test(stream: TextIO | None = None) -> int:
    """Check this installation, print a report to ``stream`` (default: standard output).

    Returns 0 when every required part works (devices may be missing), 1 otherwise.
    """
    from shared.version import __version__

    if stream is None:
        stream = _console_stream()

    started = time.monotonic()
    frozen = " (frozen)" if getattr(sys, "frozen", False) else ""
    print(f"Parley {__version__} self-test{frozen}", file=stream)
    print(f"Python {platform.python_version()} on {platform.platform()}", file=stream)
    checks = check_imports()
    device_checks: list[Callable[[], Check]] = [check_qt, check_audio, check_camera, check_screens]
    for check in device_checks:
        checks.append(check())
    width = max(len(c.name) for c in checks)
    for c in checks:
        print(f"  [{c.status:>7}] {c.name:<{width}}  {c.detail}", file=stream)
    failed = [c for c in checks if c.status == FAIL]
    warned = [c for c in checks if c.status == WARN]
    elapsed = time.monotonic() - started
    if failed:
        print(f"FAILED: {len(failed)} required part(s) missing: {', '.join(c.name for c in failed)}", file=stream)
        return 1
    note = f" with {len(warned)} warning(s)" if warned else ""
    print(f"PASSED{note} in {elapsed:.1f} s", file=stream)
    return 0


if __name__ == "__main__":
    raise SystemExit(run_self_test())
