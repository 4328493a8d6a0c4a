"""The MSI built by wixl from a stand-in payload, checked table by table with msiinfo."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from installer_support import STANDIN_FILES, load_script, require_tool

from shared.version import __version__

build_msi = load_script("installer/msi/build_msi.py")

UPGRADE_CODE = "{E4C4BBD6-64C3-4AE5-B9EF-66954B7D7C71}"
PROPERTIES = ("SERVER_URL", "SERVER_FINGERPRINT", "AUTOUPDATE", "DESKTOP_SHORTCUT", "LAUNCH_AT_LOGIN")


def export(msi: Path, table: str) -> list[dict[str, str]]:
    """Rows of one table as dicts, from ``msiinfo export`` (header, types, key line, rows)."""
    # Binary columns (Icon.Data) are written as files under TABLE/ in the working folder: use the MSI's.
    text = subprocess.run(
        ["msiinfo", "export", str(msi), table], cwd=msi.parent, capture_output=True, text=True, check=True
    ).stdout
    lines = text.split("\r\n") if "\r\n" in text else text.split("\n")
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=False)) for line in lines[3:] if line]


@pytest.fixture(scope="module")
def msi(standin_payload: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tool("wixl")
    require_tool("msiinfo")
    dist = tmp_path_factory.mktemp("dist")
    assert build_msi.main([str(standin_payload), "--dist", str(dist)]) == 0
    built = dist / f"Parley-{__version__}.msi"
    assert built.is_file()
    return built


def test_version_comes_from_shared_version(msi: Path) -> None:
    props = {r["Property"]: r["Value"] for r in export(msi, "Property")}
    assert props["ProductVersion"] == build_msi.msi_version(__version__)
    assert props["UpgradeCode"] == UPGRADE_CODE
    assert props["ProductName"] == "Parley"


def test_per_machine_x64_package_with_arp_settings(msi: Path) -> None:
    props = {r["Property"]: r["Value"] for r in export(msi, "Property")}
    assert props["ALLUSERS"] == "1"
    assert props["ARPNOMODIFY"] == "1"
    assert props["ARPPRODUCTICON"] == "ParleyIcon.ico"
    assert [r["Name"] for r in export(msi, "Icon")] == ["ParleyIcon.ico"]
    secure = set(props["SecureCustomProperties"].split(";"))
    assert set(PROPERTIES) <= secure
    suminfo = subprocess.run(["msiinfo", "suminfo", str(msi)], capture_output=True, text=True, check=True).stdout
    assert "x64;1033" in suminfo
    dirs = {r["Directory"]: r for r in export(msi, "Directory")}
    assert dirs["INSTALLDIR"]["Directory_Parent"] == "ProgramFiles64Folder"
    assert dirs["INSTALLDIR"]["DefaultDir"] == "Parley"


def test_major_upgrade_and_downgrade_refused(msi: Path) -> None:
    upgrade = export(msi, "Upgrade")
    assert {r["UpgradeCode"] for r in upgrade} == {UPGRADE_CODE}
    by_prop = {r["ActionProperty"]: r for r in upgrade}
    # Older versions are found and removed; a newer installed one is only detected...
    assert by_prop["WIX_UPGRADE_DETECTED"]["VersionMax"] == build_msi.msi_version(__version__)
    assert int(by_prop["WIX_DOWNGRADE_DETECTED"]["Attributes"]) & 2  # msidbUpgradeAttributesOnlyDetect
    # A rebuild of the same version replaces the installed one rather than installing beside it.
    same = by_prop["WIX_SAME_VERSION_UPGRADE_DETECTED"]
    assert same["VersionMin"] == same["VersionMax"] == build_msi.msi_version(__version__)
    assert int(same["Attributes"]) & 768 == 768 and not int(same["Attributes"]) & 2
    # ...and stops the install.
    assert [r["Condition"] for r in export(msi, "LaunchCondition")] == ["NOT WIX_DOWNGRADE_DETECTED"]
    seq = {r["Action"]: int(r["Sequence"]) for r in export(msi, "InstallExecuteSequence")}
    assert seq["FindRelatedProducts"] < seq["LaunchConditions"]
    assert seq["InstallValidate"] < seq["RemoveExistingProducts"] < seq["InstallInitialize"]


def test_one_file_per_component_and_every_payload_file(msi: Path) -> None:
    files = export(msi, "File")
    assert sorted(r["FileName"].split("|")[-1] for r in files) == sorted(Path(p).name for p in STANDIN_FILES)
    components = {r["Component"]: r for r in export(msi, "Component")}
    per_component: dict[str, int] = {}
    for r in files:
        per_component[r["Component_"]] = per_component.get(r["Component_"], 0) + 1
        assert components[r["Component_"]]["KeyPath"] == r["File"]
    assert set(per_component.values()) == {1}
    for comp in components.values():
        assert int(comp["Attributes"]) & 256, f"{comp['Component']} is not a 64-bit component"
        assert comp["ComponentId"].startswith("{")


def test_shortcuts_point_at_the_exe(msi: Path) -> None:
    shortcuts = {r["Shortcut"]: r for r in export(msi, "Shortcut")}
    assert shortcuts["StartMenuShortcut"]["Directory_"] == "ProgramMenuFolder"
    assert shortcuts["DesktopShortcut"]["Directory_"] == "DesktopFolder"
    for row in shortcuts.values():
        assert row["Target"] == "[#ParleyExe]"
    conditions = {r["Component"]: r["Condition"] for r in export(msi, "Component")}
    assert conditions["DesktopShortcut"] == 'DESKTOP_SHORTCUT = "1"'
    assert conditions["LaunchAtLogin"] == 'LAUNCH_AT_LOGIN = "1"'
    assert conditions["StartMenuShortcut"] == ""


def test_properties_written_to_hklm_and_searched_on_upgrade(msi: Path) -> None:
    registry = export(msi, "Registry")
    parley = {r["Name"]: r["Value"] for r in registry if r["Key"] == "SOFTWARE\\Parley" and r["Root"] == "2"}
    assert parley == {
        "ServerUrl": "[SERVER_URL]",
        "ServerFingerprint": "[SERVER_FINGERPRINT]",
        "AutoUpdate": "[AUTOUPDATE]",
        "DesktopShortcut": "[DESKTOP_SHORTCUT]",
        "LaunchAtLogin": "[LAUNCH_AT_LOGIN]",
    }
    searches = {r["Property"]: r["Signature_"] for r in export(msi, "AppSearch")}
    locators = {r["Signature_"]: r for r in export(msi, "RegLocator")}
    for prop in PROPERTIES:
        loc = locators[searches[prop]]
        assert loc["Key"] == "SOFTWARE\\Parley" and loc["Root"] == "2"
        assert int(loc["Type"]) & 16  # the 64-bit view, where the 64-bit components wrote it
    actions = {r["Action"]: r for r in export(msi, "CustomAction")}
    assert actions["DefaultAUTOUPDATE"]["Target"] == "0"
    for table in ("InstallExecuteSequence", "InstallUISequence"):
        seq = {r["Action"]: r for r in export(msi, table)}
        for prop in PROPERTIES:
            assert int(seq[f"Save{prop}"]["Sequence"]) < int(seq["AppSearch"]["Sequence"])
            assert int(seq[f"Restore{prop}"]["Sequence"]) > int(seq["AppSearch"]["Sequence"])
            assert seq[f"Restore{prop}"]["Condition"] == f"CMDLINE_{prop}"


def test_link_handler_registered(msi: Path) -> None:
    rows = [r for r in export(msi, "Registry") if r["Key"].startswith("SOFTWARE\\Classes\\parley")]
    values = {(r["Key"], r["Name"]): r["Value"] for r in rows}
    assert ("SOFTWARE\\Classes\\parley", "URL Protocol") in values
    command = values[("SOFTWARE\\Classes\\parley\\shell\\open\\command", "")]
    assert command == '"[INSTALLDIR]Parley.exe" join "%1"'


def test_payload_without_exe_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match=r"Parley\.exe"):
        build_msi.build_msi(tmp_path / "empty", tmp_path / "x.msi", "1.0.0")


def test_msi_version_mapping() -> None:
    assert build_msi.msi_version("0.1.0") == "0.1.0"
    assert build_msi.msi_version("1.2") == "1.2.0"
    assert build_msi.msi_version("2.3.4rc1") == "2.3.4"
    with pytest.raises(SystemExit):
        build_msi.msi_version("300.0.0")
