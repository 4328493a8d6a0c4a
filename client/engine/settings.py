"""The client's configuration: machine policy, then the machine settings IT installed, then the user's.

Precedence, strongest first:

1. **Machine policy** — Windows ``HKLM\\SOFTWARE\\Policies\\Parley``, Linux ``/etc/parley/policy.toml``.
   A field set here is *locked*: the user cannot change it and ``save_user_settings`` never writes it.
2. **The user's settings** — ``settings.toml`` in the platform's user config folder (``parley/``).
3. **Machine settings** — what the MSI wrote from its public properties (``HKLM\\SOFTWARE\\Parley``)
   or ``/etc/parley/parley.toml`` on Linux: the company's defaults, which a user may override.
4. Built-in defaults.

Registry value names are the field names in CamelCase (``server_url`` -> ``ServerUrl``); TOML keys are
the field names. A value of the wrong type or an unknown key is ignored with a warning in the log,
never an exception: a bad policy file must not stop the app from starting.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

POLICY_KEY = r"SOFTWARE\Policies\Parley"
MACHINE_KEY = r"SOFTWARE\Parley"
LINUX_CONFIG_DIR = "/etc/parley"
POLICY_FILE = "policy.toml"
MACHINE_FILE = "parley.toml"
USER_FILE = "settings.toml"
VIDEO_QUALITIES = ("auto", "360p", "720p", "1080p")
NOISE_SUPPRESSION_LEVELS = ("off", "standard", "high")


@dataclass
class ClientSettings:
    """Everything the client reads from configuration. ``locked`` names fields set by policy."""

    server_url: str = ""
    server_fingerprint: str = ""
    autoupdate: bool = False
    desktop_shortcut: bool = False
    launch_at_login: bool = False
    recordings_dir: str = ""
    downloads_dir: str = ""
    language: str = ""
    video_quality: str = "auto"
    camera_device: str = ""
    microphone_device: str = ""
    speaker_device: str = ""
    # The microphone's processing (client/engine/media/audio_processing.py); original_sound turns
    # all of it off, for music.
    noise_suppression: str = "standard"
    echo_cancellation: bool = True
    auto_gain_control: bool = True
    original_sound: bool = False
    locked: set[str] = field(default_factory=set)

    def is_locked(self, name: str) -> bool:
        """True when machine policy set ``name``, so the UI must show it read-only."""
        return name in self.locked


SETTING_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ClientSettings) if f.name != "locked")
_TYPES: dict[str, type] = {
    f.name: (bool if f.type in ("bool", bool) else str)
    for f in dataclasses.fields(ClientSettings)
    if f.name != "locked"
}


def registry_name(field_name: str) -> str:
    """The registry value name of a field: ``server_url`` -> ``ServerUrl``."""
    if field_name == "autoupdate":
        return "AutoUpdate"
    return "".join(part.capitalize() for part in field_name.split("_"))


_FIELD_OF_REGISTRY_NAME = {registry_name(n).lower(): n for n in SETTING_NAMES}


def _coerce(name: str, value: object, source: str) -> object | None:
    """Convert a raw value to the field's type, or None (with a warning) when it cannot be."""
    want = _TYPES[name]
    if want is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        if isinstance(value, str):
            text = value.strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            if text == "":
                return None
        log.warning("%s: %s must be 0/1 or true/false, not %r; ignored", source, name, value)
        return None
    if not isinstance(value, str):
        log.warning("%s: %s must be a string, not %r; ignored", source, name, value)
        return None
    text = value.strip()
    if text == "":
        # The MSI writes every property, empty when IT did not pass it: empty means "not set".
        return None
    if name == "video_quality" and text not in VIDEO_QUALITIES:
        log.warning("%s: video_quality must be one of %s, not %r; ignored", source, ", ".join(VIDEO_QUALITIES), text)
        return None
    if name == "noise_suppression" and text not in NOISE_SUPPRESSION_LEVELS:
        levels = ", ".join(NOISE_SUPPRESSION_LEVELS)
        log.warning("%s: noise_suppression must be one of %s, not %r; ignored", source, levels, text)
        return None
    return text


def settings_from_mapping(values: Mapping[str, object], source: str) -> dict[str, object]:
    """Valid settings from a TOML table (snake_case keys) or registry values (CamelCase names)."""
    result: dict[str, object] = {}
    for key, raw in values.items():
        name = key if key in _TYPES else _FIELD_OF_REGISTRY_NAME.get(key.lower())
        if name is None:
            log.warning("%s: unknown setting %r ignored", source, key)
            continue
        value = _coerce(name, raw, source)
        if value is not None:
            result[name] = value
    return result


def _read_toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as f:
            data: dict[str, Any] = tomllib.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as e:
        log.warning("%s cannot be read (%s); ignored", path, e)
        return {}
    # Accept both a flat file and one with a [parley] table.
    table = data.get("parley", data)
    return settings_from_mapping(table if isinstance(table, dict) else {}, str(path))


def read_registry_values(key: str) -> dict[str, object]:
    """The values under ``HKLM\\<key>`` (64-bit view), or {} when the key or winreg is missing."""
    if sys.platform != "win32":
        return {}
    import winreg

    values: dict[str, object] = {}
    try:
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key, 0, winreg.KEY_READ | winreg.KEY_WOW64_64KEY) as handle:
            index = 0
            while True:
                try:
                    name, value, _kind = winreg.EnumValue(handle, index)
                except OSError:
                    break
                values[name] = value
                index += 1
    except OSError:
        return {}
    return values


def config_root() -> Path:
    """``/etc/parley``, under ``$PARLEY_CONFIG_ROOT`` when set (tests, staged images)."""
    prefix = os.environ.get("PARLEY_CONFIG_ROOT", "")
    return Path(prefix + LINUX_CONFIG_DIR) if prefix else Path(LINUX_CONFIG_DIR)


def default_user_dir() -> Path:
    """The user's config folder for Parley (``~/.config/parley``, ``%APPDATA%\\parley`` ...)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("parley", appauthor=False))


RegistryReader = Callable[[str], Mapping[str, object]]


def _machine_layers(
    policy_dir: Path | None, machine_dir: Path | None, registry: RegistryReader | None
) -> tuple[dict[str, object], dict[str, object]]:
    """(policy, machine settings) for this platform; explicit folders win over the registry."""
    use_registry = sys.platform == "win32" or registry is not None
    reader: RegistryReader = registry if registry is not None else read_registry_values
    if policy_dir is not None:
        policy = _read_toml(policy_dir / POLICY_FILE)
    elif use_registry:
        policy = settings_from_mapping(reader(POLICY_KEY), "HKLM\\" + POLICY_KEY)
    else:
        policy = _read_toml(config_root() / POLICY_FILE)
    if machine_dir is not None:
        machine = _read_toml(machine_dir / MACHINE_FILE)
    elif use_registry:
        machine = settings_from_mapping(reader(MACHINE_KEY), "HKLM\\" + MACHINE_KEY)
    else:
        machine = _read_toml(config_root() / MACHINE_FILE)
    return policy, machine


def load_settings(
    *,
    policy_dir: Path | None = None,
    machine_dir: Path | None = None,
    user_dir: Path | None = None,
    registry: RegistryReader | None = None,
    include_user: bool = True,
) -> ClientSettings:
    """Read every layer and return the settings in force, with ``locked`` naming policy fields.

    ``policy_dir``/``machine_dir`` hold ``policy.toml``/``parley.toml`` (default: the registry on
    Windows, ``/etc/parley`` on Linux); ``registry`` replaces the Windows registry reader in tests.
    """
    policy, machine = _machine_layers(policy_dir, machine_dir, registry)
    user: dict[str, object] = {}
    if include_user:
        user = _read_toml((user_dir if user_dir is not None else default_user_dir()) / USER_FILE)
    merged: dict[str, object] = {}
    merged.update(machine)
    merged.update(user)
    merged.update(policy)
    settings = ClientSettings(**merged)  # type: ignore[arg-type]
    settings.locked = set(policy)
    return settings


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def save_user_settings(
    settings: ClientSettings,
    user_dir: Path | None = None,
    *,
    policy_dir: Path | None = None,
    machine_dir: Path | None = None,
    registry: RegistryReader | None = None,
) -> Path:
    """Write the user's own choices: fields that differ from the machine's and are not locked.

    Values equal to the machine defaults are left out so a later change by IT still reaches the
    user. The file is replaced atomically. Returns its path.
    """
    baseline = load_settings(policy_dir=policy_dir, machine_dir=machine_dir, registry=registry, include_user=False)
    folder = user_dir if user_dir is not None else default_user_dir()
    lines = ["# Parley user settings. Settings set by machine policy are not written here.\n"]
    for name in SETTING_NAMES:
        if name in baseline.locked or name in settings.locked:
            continue
        value = getattr(settings, name)
        if value == getattr(baseline, name):
            continue
        lines.append(f"{name} = {_toml_value(value)}\n")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / USER_FILE
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text("".join(lines), encoding="utf-8")
    os.replace(tmp, path)
    return path
