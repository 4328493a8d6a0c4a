"""What capture and playback devices this machine has. Never raises: no device is an empty list."""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Any

log = logging.getLogger("parley.media")


def list_cameras(max_index: int = 4) -> list[dict[str, Any]]:
    """Video capture devices (V4L2 nodes on Linux, probed indexes elsewhere)."""
    cameras: list[dict[str, Any]] = []
    if os.path.isdir("/dev"):
        for name in sorted(os.listdir("/dev")):
            if name.startswith("video") and name[5:].isdigit():
                cameras.append({"id": f"/dev/{name}", "name": name, "index": int(name[5:])})
        if cameras or os.name != "nt":
            return cameras
    with contextlib.suppress(Exception):
        import cv2

        for index in range(max_index):
            cap = cv2.VideoCapture(index)
            try:
                if cap.isOpened():
                    cameras.append({"id": str(index), "name": f"Camera {index}", "index": index})
            finally:
                cap.release()
    return cameras


def _sound_devices(kind: str) -> list[dict[str, Any]]:
    try:
        import sounddevice

        devices = sounddevice.query_devices()
    except Exception as exc:  # no PortAudio, no server
        log.info("no sound devices: %s", exc)
        return []
    key = "max_input_channels" if kind == "input" else "max_output_channels"
    return [
        {"id": str(i), "name": d["name"], "channels": d[key], "default_samplerate": d["default_samplerate"]}
        for i, d in enumerate(devices)
        if d.get(key, 0) > 0
    ]


def list_monitors() -> list[dict[str, Any]]:
    try:
        import mss

        with mss.mss() as screen:
            return [
                {"id": str(i), "name": f"Screen {i}", "width": mon["width"], "height": mon["height"]}
                for i, mon in enumerate(screen.monitors)
                if i > 0
            ]
    except Exception as exc:  # no display
        log.info("no monitors: %s", exc)
        return []


def list_devices() -> dict[str, list[dict[str, Any]]]:
    """Cameras, microphones, speakers and monitors; empty lists when there are none."""
    return {
        "cameras": list_cameras(),
        "microphones": _sound_devices("input"),
        "speakers": _sound_devices("output"),
        "monitors": list_monitors(),
    }
