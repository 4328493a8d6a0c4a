"""The one place Parley's version is set (pyproject, the MSI and the .deb read it from here)."""

__version__ = "0.1.0"
