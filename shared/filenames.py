"""Turning a name someone else chose into a safe file name in our downloads folder.

The sender's name is only a suggestion: path parts, drive letters, control characters, characters
Windows refuses and its reserved device names are removed, the length is bounded, and a name that
already exists gets " (2)", " (3)", ... so a received file never overwrites anything.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

MAX_NAME_BYTES = 200
_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
    "CONIN$",
    "CONOUT$",
}
_BAD_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


def sanitize_filename(name: str, fallback: str = "received-file") -> str:
    """A plain file name (no folders) that is valid on Windows, macOS and Linux."""
    name = unicodedata.normalize("NFC", name)
    # Only the last path component counts, whichever separator the sender's system uses.
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))
    name = _BAD_CHARS.sub("_", name)
    name = name.strip().rstrip(". ")
    name = name.lstrip(".")  # no hidden files and no "." / ".."
    stem = name.partition(".")[0]
    if stem.upper().rstrip(" ") in _WINDOWS_RESERVED:
        name = f"_{name}"
    if not name:
        name = fallback
    encoded = name.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        base, extension = os.path.splitext(name)
        extension = extension[:16]
        keep = MAX_NAME_BYTES - len(extension.encode("utf-8"))
        base = base.encode("utf-8")[:keep].decode("utf-8", "ignore")
        name = base + extension
    return name


def unique_path(folder: Path, name: str) -> Path:
    """``folder/name`` or, when that exists, ``folder/stem (N).ext`` with the first free N."""
    candidate = folder / name
    if not candidate.exists() and not candidate.is_symlink():
        return candidate
    stem, extension = os.path.splitext(name)
    n = 2
    while True:
        candidate = folder / f"{stem} ({n}){extension}"
        if not candidate.exists() and not candidate.is_symlink():
            return candidate
        n += 1


def move_into_place(temporary: Path, folder: Path, name: str) -> Path:
    """Give the finished ``temporary`` file its final name in ``folder`` without ever replacing an
    existing file, even one created a moment ago by someone else: a hard link fails when the name
    exists, so the first free name is taken atomically. Returns the final path."""
    while True:
        path = unique_path(folder, name)
        try:
            os.link(temporary, path)
        except FileExistsError:
            continue
        except OSError:
            # No hard links here (some network or FAT file systems): claim the name, then rename.
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                continue
            os.close(fd)
            os.replace(temporary, path)
            return path
        os.unlink(temporary)
        return path
