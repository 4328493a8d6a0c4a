"""Where the app finds its icons, style sheet and translations (source tree, PyInstaller, or env)."""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon


@cache
def resources_dir() -> Path:
    """``$PARLEY_RESOURCES``, the PyInstaller bundle's ``resources/``, or the source tree's."""
    override = os.environ.get("PARLEY_RESOURCES")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def icon_path(name: str) -> Path:
    return resources_dir() / "icons" / f"{name}.svg"


@cache
def icon(name: str) -> QIcon:
    """An icon from ``resources/icons`` (empty when missing, never an exception)."""
    path = icon_path(name)
    return QIcon(str(path)) if path.exists() else QIcon()


def app_icon() -> QIcon:
    result = QIcon()
    for name in ("parley.svg", "parley.png"):
        path = resources_dir() / "icons" / name
        if path.exists():
            result.addFile(str(path))
    return result


def style_sheet() -> str:
    path = resources_dir() / "style" / "parley.qss"
    try:
        # Images in the sheet are named @ICONS@/name.svg: a sheet's url() has no folder of its own.
        return path.read_text(encoding="utf-8").replace("@ICONS@", (resources_dir() / "icons").as_posix())
    except OSError:
        return ""


def translations_dir() -> Path:
    return resources_dir() / "translations"
