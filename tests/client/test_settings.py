"""The client's settings layers: policy beats the user, the user beats the MSI's machine settings."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from client.engine.settings import (
    MACHINE_KEY,
    POLICY_KEY,
    ClientSettings,
    load_settings,
    registry_name,
    save_user_settings,
    settings_from_mapping,
)


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture
def dirs(tmp_path: Path) -> dict[str, Path]:
    return {"policy_dir": tmp_path / "policy", "machine_dir": tmp_path / "machine", "user_dir": tmp_path / "user"}


def test_defaults_when_nothing_is_configured(dirs: dict[str, Path]) -> None:
    settings = load_settings(**dirs)
    assert settings == ClientSettings()
    assert settings.autoupdate is False
    assert settings.locked == set()


def test_precedence_policy_then_user_then_machine(dirs: dict[str, Path]) -> None:
    write(
        dirs["machine_dir"], "parley.toml", 'server_url = "wss://msi.example:8443"\nautoupdate = "1"\nlanguage = "de"\n'
    )
    write(dirs["user_dir"], "settings.toml", 'server_url = "wss://mine:1"\nlanguage = "fr"\nvideo_quality = "720p"\n')
    write(dirs["policy_dir"], "policy.toml", 'language = "zh"\n')
    settings = load_settings(**dirs)
    assert settings.server_url == "wss://mine:1"  # the user may override what the MSI preset
    assert settings.autoupdate is True  # from the machine settings, untouched by the user
    assert settings.language == "zh"  # policy wins over the user
    assert settings.video_quality == "720p"
    assert settings.locked == {"language"}


def test_policy_server_is_locked_and_never_saved_by_the_user(dirs: dict[str, Path]) -> None:
    write(dirs["policy_dir"], "policy.toml", '[parley]\nserver_url = "wss://corp:8443"\nserver_fingerprint = "AB:CD"\n')
    write(dirs["user_dir"], "settings.toml", 'server_url = "wss://evil:1"\n')
    settings = load_settings(**dirs)
    assert settings.server_url == "wss://corp:8443"
    assert settings.is_locked("server_url") and settings.is_locked("server_fingerprint")

    settings.server_url = "wss://evil:2"  # a UI bug or a hand edit must not persist it
    settings.language = "fr"
    path = save_user_settings(settings, **dirs)
    saved = tomllib.loads(path.read_text(encoding="utf-8"))
    assert saved == {"language": "fr"}
    assert load_settings(**dirs).server_url == "wss://corp:8443"


def test_save_leaves_out_machine_defaults_and_round_trips(dirs: dict[str, Path]) -> None:
    write(dirs["machine_dir"], "parley.toml", 'server_url = "wss://msi:8443"\n')
    settings = load_settings(**dirs)
    settings.camera_device = 'Cam "HD" \\ 2'
    settings.launch_at_login = True
    save_user_settings(settings, **dirs)
    saved = tomllib.loads((dirs["user_dir"] / "settings.toml").read_text(encoding="utf-8"))
    assert "server_url" not in saved  # unchanged: a later change by IT still reaches this user
    again = load_settings(**dirs)
    assert again.camera_device == 'Cam "HD" \\ 2'
    assert again.launch_at_login is True
    # IT moves the company to a new relay: the user who never chose one follows.
    write(dirs["machine_dir"], "parley.toml", 'server_url = "wss://new:8443"\n')
    assert load_settings(**dirs).server_url == "wss://new:8443"


def test_bad_values_are_ignored_not_fatal(dirs: dict[str, Path], caplog: pytest.LogCaptureFixture) -> None:
    write(dirs["policy_dir"], "policy.toml", 'autoupdate = "maybe"\nvideo_quality = "8k"\nnope = 1\nlanguage = 3\n')
    write(dirs["machine_dir"], "parley.toml", "this is [not toml")
    settings = load_settings(**dirs)
    assert settings == ClientSettings()
    text = caplog.text
    assert "autoupdate" in text and "video_quality" in text and "nope" in text and "parley.toml" in text


def test_empty_msi_values_mean_unset(dirs: dict[str, Path]) -> None:
    # The MSI writes every property, empty when IT did not pass one.
    write(dirs["machine_dir"], "parley.toml", 'server_url = ""\nautoupdate = ""\n')
    write(dirs["user_dir"], "settings.toml", 'server_url = "wss://mine:1"\n')
    settings = load_settings(**dirs)
    assert settings.server_url == "wss://mine:1"
    assert settings.autoupdate is False


def test_registry_layers_use_camel_case_names_and_dword_or_string() -> None:
    hives = {
        POLICY_KEY: {"ServerUrl": "wss://policy:8443", "AutoUpdate": 1},
        MACHINE_KEY: {
            "ServerUrl": "wss://msi:8443",
            "ServerFingerprint": "11:22",
            "AutoUpdate": "0",
            "DesktopShortcut": "1",
            "LaunchAtLogin": "0",
        },
    }
    settings = load_settings(registry=lambda key: hives.get(key, {}), user_dir=Path("/nonexistent-parley-user"))
    assert settings.server_url == "wss://policy:8443"
    assert settings.autoupdate is True
    assert settings.server_fingerprint == "11:22"
    assert settings.desktop_shortcut is True
    assert settings.launch_at_login is False
    assert settings.locked == {"server_url", "autoupdate"}


def test_linux_reads_etc_parley_under_config_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_CONFIG_ROOT", str(tmp_path))
    write(tmp_path / "etc/parley", "policy.toml", 'server_url = "wss://etc-policy:1"\n')
    write(tmp_path / "etc/parley", "parley.toml", 'downloads_dir = "/srv/dl"\n')
    settings = load_settings(user_dir=tmp_path / "user")
    assert settings.server_url == "wss://etc-policy:1"
    assert settings.downloads_dir == "/srv/dl"
    assert settings.locked == {"server_url"}


def test_registry_names() -> None:
    assert registry_name("server_fingerprint") == "ServerFingerprint"
    assert registry_name("autoupdate") == "AutoUpdate"
    assert settings_from_mapping({"autoupdate": True, "AUTOUPDATE": 0}, "t") == {"autoupdate": False}
