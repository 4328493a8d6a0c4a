"""Session fixtures for the installer tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from installer_support import STANDIN_FILES, write_tree


@pytest.fixture(scope="session")
def standin_payload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in for the Windows onedir build (Parley.exe plus _internal/)."""
    return write_tree(tmp_path_factory.mktemp("payload") / "Parley", STANDIN_FILES)
