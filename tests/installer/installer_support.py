"""Helpers shared by the installer tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The real payload is the PyInstaller onedir build, which can only be made on Windows (for the MSI);
# a stand-in tree of the same shape (an exe at the top, _internal/, a name with a space) exercises
# the same recipe.
STANDIN_FILES = {
    "Parley.exe": b"MZ stand-in for the frozen app\n",
    "_internal/python312.dll": b"MZ python\n",
    "_internal/base_library.zip": b"PK\x05\x06" + b"\0" * 18,
    "_internal/PySide6/Qt6Core.dll": b"MZ qt core\n",
    "_internal/PySide6/plugins/platforms/qwindows.dll": b"MZ qpa\n",
    "_internal/av/libs/avcodec 61.dll": b"MZ a name with a space\n",
    "_internal/resources/icons/parley.svg": b"<svg/>\n",
}


def require_tool(name: str) -> str:
    """The tool's path; a missing tool fails the test (bootstrap installs it), never skips it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; run installer/bootstrap.sh test (installer/apt-test-packages.txt)")
    return path


def load_script(rel: str) -> ModuleType:
    """Import a build script of installer/ by path (installer/ is not a Python package)."""
    path = ROOT / rel
    name = "parley_" + path.stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root
