"""``parley-relay`` administration commands, run as an operator would."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import relay_cli


def test_user_lifecycle(tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = relay_cli("user", "add", "grace", "--display-name", "Grace Hopper", data_dir=data, stdin="first secret\n")
    assert "added grace" in out.stdout
    listed = json.loads(relay_cli("user", "list", "--json", data_dir=data).stdout)
    assert [(u["username"], u["display_name"], u["suspended"]) for u in listed] == [("grace", "Grace Hopper", False)]
    relay_cli("user", "suspend", "grace", data_dir=data)
    assert json.loads(relay_cli("user", "list", "--json", data_dir=data).stdout)[0]["suspended"] is True
    relay_cli("user", "resume", "grace", data_dir=data)
    relay_cli("user", "reset-password", "grace", data_dir=data, stdin="second secret\n")
    assert "grace" in relay_cli("user", "list", data_dir=data).stdout


def test_passwords_never_come_from_argv(tmp_path: Path) -> None:
    result = relay_cli("user", "add", "henry", "--password", "x", data_dir=tmp_path, check=False)
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr


def test_errors_are_sentences_not_tracebacks(tmp_path: Path) -> None:
    data = tmp_path / "data"
    cases = [
        (["user", "add", "ivy"], ""),  # no password on stdin
        (["user", "add", "ivy"], "short\n"),
        (["user", "suspend", "nobody"], None),
        (["meeting", "create", "--host", "nobody"], None),
    ]
    for args, stdin in cases:
        result = relay_cli(*args, data_dir=data, stdin=stdin, check=False)
        assert result.returncode == 1, args
        assert result.stderr.startswith("parley-relay: "), result.stderr
        assert "Traceback" not in result.stderr
    relay_cli("user", "add", "ivy", data_dir=data, stdin="long enough\n")
    dup = relay_cli("user", "add", "ivy", data_dir=data, stdin="long enough\n", check=False)
    assert dup.returncode == 1 and "already exists" in dup.stderr


def test_bad_config_is_refused_with_the_key_named(tmp_path: Path) -> None:
    config = tmp_path / "relay.toml"
    config.write_text("[limits]\nparticipants_per_meting = 5\n")
    result = relay_cli("user", "list", "--config", str(config), data_dir=tmp_path, check=False)
    assert result.returncode == 1
    assert "participants_per_meting" in result.stderr
    config.write_text("[limits]\nparticipants_per_meeting = 'many'\n")
    result = relay_cli("user", "list", "--config", str(config), data_dir=tmp_path, check=False)
    assert "participants_per_meeting must be int" in result.stderr


def test_meeting_create_prints_a_join_link(tmp_path: Path) -> None:
    data = tmp_path / "data"
    relay_cli("user", "add", "jack", data_dir=data, stdin="long enough\n")
    link = relay_cli("meeting", "create", "--host", "jack", "--title", "Standup", data_dir=data).stdout.strip()
    from shared.links import parse_link

    parsed = parse_link(link)
    assert parsed.host == "127.0.0.1" and parsed.port == 8443
