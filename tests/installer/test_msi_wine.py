"""Install, upgrade, downgrade and uninstall the MSI for real with Windows Installer under wine.

One wine prefix for the module (creating it takes ~15 s); the fixtures run in the order an IT
department would: silent install with properties, upgrade without them, a refused downgrade, uninstall.
The frozen Qt app itself does not run under wine 8, so the payload is a stand-in tree.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from installer_support import STANDIN_FILES, load_script, require_tool, write_tree

from client.engine.settings import MACHINE_KEY, POLICY_KEY, load_settings

build_msi = load_script("installer/msi/build_msi.py")

OLD, NEW = "1.0.0", "1.1.0"
ERROR_INSTALL_FAILURE = 1603
UNINSTALL_KEY = "software\\microsoft\\windows\\currentversion\\uninstall"
PRODUCTS_KEY = "software\\classes\\installer\\products\\"


def parse_reg(path: Path) -> dict[str, dict[str, object]]:
    """A wine registry file as {lower-case key: {value name ('' = default): str | int}}."""
    keys: dict[str, dict[str, object]] = {}
    current: dict[str, object] | None = None
    text = path.read_text(encoding="utf-8", errors="replace").replace("\\\n  ", "")
    for line in text.splitlines():
        if line.startswith("["):
            name = line[1 : line.rindex("]")].replace("\\\\", "\\")
            current = keys.setdefault(name.lower(), {})
            continue
        if current is None or not line or line.startswith(("#", ";")):
            continue
        match = re.match(r'^(@|"(?:[^"\\]|\\.)*")=(.*)$', line)
        if not match:
            continue
        raw_name, raw_value = match.groups()
        name = "" if raw_name == "@" else raw_name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        value: object
        if raw_value.startswith('"'):
            value = raw_value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        elif raw_value.startswith("dword:"):
            value = int(raw_value[6:], 16)
        else:
            value = raw_value
        current[name] = value
    return keys


@dataclass
class Wine:
    prefix: Path
    env: dict[str, str]

    @property
    def program_files(self) -> Path:
        return self.prefix / "drive_c" / "Program Files" / "Parley"

    def msiexec(self, *args: str, log: str) -> tuple[int, str]:
        """Run msiexec, wait for wineserver to write the registry out, return (exit code, log)."""
        log_file = self.prefix / "drive_c" / log
        result = subprocess.run(
            ["wine", "msiexec", *args, "/l*v", f"C:\\{log}"],
            env=self.env,
            capture_output=True,
            timeout=300,
            check=False,
        )
        subprocess.run(["wineserver", "-w"], env=self.env, timeout=120, check=False)
        # Wine writes the log in the ANSI code page (Windows writes UTF-16 with a BOM).
        data = log_file.read_bytes() if log_file.exists() else b""
        text = data.decode("utf-16") if data.startswith(b"\xff\xfe") else data.decode("latin-1")
        return result.returncode, text

    def registry(self) -> dict[str, dict[str, object]]:
        return parse_reg(self.prefix / "system.reg")

    def links(self) -> list[Path]:
        return sorted(p for p in (self.prefix / "drive_c").rglob("*.lnk") if "parley" in p.name.lower())


@pytest.fixture(scope="module")
def wine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wine]:
    require_tool("wine")
    require_tool("wineserver")
    base = tmp_path_factory.mktemp("wine")
    home = base / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env.update(
        WINEPREFIX=str(base / "prefix"),
        WINEDEBUG="-all",
        # No Mono/Gecko download prompts, and no menu entries or file associations on this host.
        WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d",
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CONFIG_HOME=str(home / ".config"),
    )
    subprocess.run(["wineboot", "-i"], env=env, capture_output=True, timeout=300, check=True)
    subprocess.run(["wineserver", "-w"], env=env, timeout=120, check=False)
    # Wine links Desktop, Documents... to the Unix home: make them real folders so shortcuts stay
    # inside the prefix where the test can see (and clean) them.
    for user_dir in (base / "prefix" / "drive_c" / "users").iterdir():
        for entry in user_dir.iterdir():
            if entry.is_symlink():
                entry.unlink()
                entry.mkdir()
    yield Wine(base / "prefix", env)
    subprocess.run(["wineserver", "-k"], env=env, timeout=60, check=False)


@pytest.fixture(scope="module")
def msis(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    require_tool("wixl")
    base = tmp_path_factory.mktemp("msis")
    old_payload = write_tree(base / "old" / "Parley", STANDIN_FILES)
    new_files = {k: v + b"v1.1\n" for k, v in STANDIN_FILES.items() if "base_library" not in k}
    new_files["_internal/new_in_1_1.dll"] = b"MZ new\n"
    new_payload = write_tree(base / "new" / "Parley", new_files)
    return {
        OLD: build_msi.build_msi(old_payload, base / f"Parley-{OLD}.msi", OLD),
        NEW: build_msi.build_msi(new_payload, base / f"Parley-{NEW}.msi", NEW),
        # Same version, new ProductCode: what a CI rebuild of a release produces.
        "rebuild": build_msi.build_msi(new_payload, base / f"Parley-{NEW}-rebuild.msi", NEW),
    }


@dataclass
class Snapshot:
    code: int
    log: str
    registry: dict[str, dict[str, object]]
    files: dict[str, bytes]
    links: list[Path]


def snapshot(wine: Wine, code: int, log: str) -> Snapshot:
    files = {}
    if wine.program_files.exists():
        files = {
            p.relative_to(wine.program_files).as_posix(): p.read_bytes()
            for p in wine.program_files.rglob("*")
            if p.is_file()
        }
    return Snapshot(code, log, wine.registry(), files, wine.links())


def parley_products(registry: dict[str, dict[str, object]]) -> list[dict[str, object]]:
    return [
        values
        for key, values in registry.items()
        if key.startswith(UNINSTALL_KEY + "\\") and values.get("DisplayName") == "Parley"
    ]


@pytest.fixture(scope="module")
def installed(wine: Wine, msis: dict[str, Path]) -> Snapshot:
    code, log = wine.msiexec(
        "/i",
        str(msis[OLD]),
        "/qn",
        "SERVER_URL=wss://meet.corp.example:8443",
        "SERVER_FINGERPRINT=AB:CD:EF",
        "DESKTOP_SHORTCUT=1",
        "LAUNCH_AT_LOGIN=1",
        log="install.log",
    )
    return snapshot(wine, code, log)


@pytest.fixture(scope="module")
def upgraded(wine: Wine, msis: dict[str, Path], installed: Snapshot) -> Snapshot:
    code, log = wine.msiexec("/i", str(msis[NEW]), "/qn", log="upgrade.log")
    return snapshot(wine, code, log)


@pytest.fixture(scope="module")
def downgrade(wine: Wine, msis: dict[str, Path], upgraded: Snapshot) -> Snapshot:
    code, log = wine.msiexec("/i", str(msis[OLD]), "/qn", "SERVER_URL=wss://old:1", log="downgrade.log")
    return snapshot(wine, code, log)


@pytest.fixture(scope="module")
def rebuilt(wine: Wine, msis: dict[str, Path], downgrade: Snapshot) -> Snapshot:
    code, log = wine.msiexec("/i", str(msis["rebuild"]), "/qn", log="rebuild.log")
    return snapshot(wine, code, log)


@pytest.fixture(scope="module")
def uninstalled(wine: Wine, msis: dict[str, Path], rebuilt: Snapshot) -> Snapshot:
    code, log = wine.msiexec("/x", str(msis["rebuild"]), "/qn", log="uninstall.log")
    return snapshot(wine, code, log)


def test_silent_install_puts_files_in_program_files(installed: Snapshot) -> None:
    assert installed.code == 0, installed.log[-3000:]
    assert installed.files == STANDIN_FILES


def test_silent_install_writes_properties_to_hklm(installed: Snapshot) -> None:
    values = installed.registry["software\\parley"]
    assert values == {
        "ServerUrl": "wss://meet.corp.example:8443",
        "ServerFingerprint": "AB:CD:EF",
        "AutoUpdate": "0",  # not passed: the default
        "DesktopShortcut": "1",
        "LaunchAtLogin": "1",
    }
    assert installed.registry["software\\parley\\installer"]["Version"] == OLD
    # The app's own reader understands what the MSI wrote.
    hives = {MACHINE_KEY: values, POLICY_KEY: installed.registry.get("software\\policies\\parley", {})}
    settings = load_settings(registry=lambda key: hives[key], user_dir=Path("/nonexistent-parley-user"))
    assert settings.server_url == "wss://meet.corp.example:8443"
    assert settings.server_fingerprint == "AB:CD:EF"
    assert settings.autoupdate is False
    assert settings.desktop_shortcut is True and settings.launch_at_login is True
    assert settings.locked == set()


def test_link_handler_and_login_item_registered(installed: Snapshot) -> None:
    reg = installed.registry
    assert reg["software\\classes\\parley"]["URL Protocol"] == ""
    exe = "C:\\Program Files\\Parley\\Parley.exe"
    assert reg["software\\classes\\parley\\shell\\open\\command"][""] == f'"{exe}" join "%1"'
    assert reg["software\\classes\\parley\\defaulticon"][""] == f'"{exe}",0'
    assert reg["software\\microsoft\\windows\\currentversion\\run"]["Parley"] == f'"{exe}"'


def test_shortcuts_and_add_remove_programs_entry(wine: Wine, installed: Snapshot) -> None:
    folders = sorted({link.parent.name for link in installed.links})
    assert folders == ["Desktop", "Programs"], installed.links
    for link in installed.links:
        data = link.read_bytes()
        assert b"Parley.exe" in data or "Parley.exe".encode("utf-16-le") in data
    [product] = parley_products(installed.registry)
    assert product["DisplayVersion"] == OLD
    assert product["NoModify"] == 1
    # Add/Remove Programs shows the icon Windows Installer cached from ARPPRODUCTICON.
    [advertised] = [
        v for k, v in installed.registry.items() if k.startswith(PRODUCTS_KEY) and v.get("ProductName") == "Parley"
    ]
    icon = str(advertised["ProductIcon"])
    assert icon.endswith("\\ParleyIcon.ico")
    cached = wine.prefix / "drive_c" / icon[3:].replace("\\", "/")
    assert cached.read_bytes() == (build_msi.ICON).read_bytes()


def test_upgrade_without_properties_keeps_them_and_replaces_the_old_version(
    installed: Snapshot, upgraded: Snapshot
) -> None:
    assert upgraded.code == 0, upgraded.log[-3000:]
    assert upgraded.registry["software\\parley"] == installed.registry["software\\parley"]
    assert upgraded.registry["software\\parley\\installer"]["Version"] == NEW
    [product] = parley_products(upgraded.registry)
    assert product["DisplayVersion"] == NEW
    assert "_internal/new_in_1_1.dll" in upgraded.files
    assert "_internal/base_library.zip" not in upgraded.files  # dropped in 1.1: removed with 1.0
    assert upgraded.files["Parley.exe"].endswith(b"v1.1\n")
    assert "Parley" in upgraded.registry["software\\microsoft\\windows\\currentversion\\run"]
    assert len(upgraded.links) == 2


def test_downgrade_is_refused_and_changes_nothing(upgraded: Snapshot, downgrade: Snapshot) -> None:
    assert downgrade.code in (ERROR_INSTALL_FAILURE, ERROR_INSTALL_FAILURE & 0xFF)
    # Refused by the launch condition on WIX_DOWNGRADE_DETECTED (the newer product was found).
    # With /qn the message is not shown; Windows logs the launch condition as "Return value 3".
    assert re.search(r"Property\(S\): WIX_DOWNGRADE_DETECTED = \{[0-9A-F-]{36}\}", downgrade.log)
    assert re.search(r"Action ended [^:]+:\d+:\d+: LaunchConditions\. Return value [03]\.", downgrade.log)
    assert "InstallFiles" not in downgrade.log
    assert downgrade.registry["software\\parley"] == upgraded.registry["software\\parley"]
    assert [p["DisplayVersion"] for p in parley_products(downgrade.registry)] == [NEW]
    assert downgrade.files == upgraded.files


def test_rebuild_of_the_same_version_replaces_it(downgrade: Snapshot, rebuilt: Snapshot) -> None:
    assert rebuilt.code == 0, rebuilt.log[-3000:]
    before = [
        k
        for k, v in downgrade.registry.items()
        if k.startswith(UNINSTALL_KEY + "\\") and v in parley_products(downgrade.registry)
    ]
    after = [
        k
        for k, v in rebuilt.registry.items()
        if k.startswith(UNINSTALL_KEY + "\\") and v in parley_products(rebuilt.registry)
    ]
    assert len(before) == len(after) == 1 and before != after  # a new ProductCode, still one product
    assert rebuilt.registry["software\\parley"] == downgrade.registry["software\\parley"]


def test_uninstall_leaves_nothing(wine: Wine, uninstalled: Snapshot) -> None:
    assert uninstalled.code == 0, uninstalled.log[-3000:]
    assert not wine.program_files.exists()
    assert uninstalled.links == []
    leftovers = [
        (key, values)
        for key, values in uninstalled.registry.items()
        if "parley" in key or any("parley" in f"{n}={v}".lower() for n, v in values.items())
    ]
    assert leftovers == []
    user_reg = parse_reg(wine.prefix / "user.reg")
    assert [k for k in user_reg if "parley" in k] == []
    assert shutil.which("wine")  # the prefix, not the host, held everything
