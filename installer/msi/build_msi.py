"""Build dist/Parley-VERSION.msi from a payload folder with wixl (msitools), on Linux.

    python installer/msi/build_msi.py PAYLOAD_DIR [--output FILE] [--version X.Y.Z]

PAYLOAD_DIR is the PyInstaller onedir build (``dist/Parley`` from installer/parley.spec on a Windows
runner) or, in tests, a stand-in tree; it must hold ``Parley.exe`` at its top. The version comes from
shared/version.py unless ``--version`` is given (tests build an "older" and a "newer" MSI).

wixl 0.101 cannot express a few things the MSI needs, so after it runs this script edits the tables
with msibuild's SQL (FIXUPS below): non-advertised shortcut targets, component conditions, secure
public properties, the "remember property" custom actions that keep SERVER_URL and the others
across an upgrade, and RemoveExistingProducts right after InstallValidate.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ICON = ROOT / "resources" / "icons" / "parley.ico"
MAIN_EXE = "Parley.exe"

# Public properties: name -> (registry value under HKLM\SOFTWARE\Parley, default when never set).
PUBLIC_PROPERTIES: dict[str, tuple[str, str | None]] = {
    "SERVER_URL": ("ServerUrl", None),
    "SERVER_FINGERPRINT": ("ServerFingerprint", None),
    "AUTOUPDATE": ("AutoUpdate", "0"),
    "DESKTOP_SHORTCUT": ("DesktopShortcut", "0"),
    "LAUNCH_AT_LOGIN": ("LaunchAtLogin", "0"),
}

COMPONENT_CONDITIONS = {
    "DesktopShortcut": 'DESKTOP_SHORTCUT = "1"',
    "LaunchAtLogin": 'LAUNCH_AT_LOGIN = "1"',
}


def project_version() -> str:
    """``__version__`` from shared/version.py, read as text so the build needs no project import."""
    text = (ROOT / "shared" / "version.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', text, re.M)
    if not match:
        raise SystemExit("shared/version.py has no __version__ line")
    return match.group(1)


def msi_version(version: str) -> str:
    """The MSI ProductVersion (major.minor.build, each numeric) for a PEP 440 version."""
    match = re.match(r"^(\d+)\.(\d+)(?:\.(\d+))?", version)
    if not match:
        raise SystemExit(f"version {version!r} does not start with MAJOR.MINOR[.PATCH]")
    major, minor, patch = (int(part or 0) for part in match.groups())
    if major > 255 or minor > 255 or patch > 65535:
        raise SystemExit(f"version {version!r} is out of the MSI's range (255.255.65535)")
    return f"{major}.{minor}.{patch}"


def _ident(prefix: str, rel: str) -> str:
    """A stable MSI identifier for a relative path (same path -> same id in every version)."""
    return prefix + hashlib.sha1(rel.encode("utf-8")).hexdigest()[:24].upper()


def payload_fragment(payload: Path, link_name: str) -> tuple[str, int]:
    """WiX source with one component per payload file, under INSTALLDIR. Returns (xml, files)."""
    if not (payload / MAIN_EXE).is_file():
        raise SystemExit(f"{payload} has no {MAIN_EXE} at its top: is it the PyInstaller onedir build?")
    lines = ['<?xml version="1.0" encoding="utf-8"?>', '<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">']
    lines.append("  <Fragment>")
    components: list[str] = []
    seen_lower: dict[str, str] = {}

    def walk(folder: Path, rel_dir: str, indent: str) -> None:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            clash = seen_lower.setdefault(rel.lower(), rel)
            if clash != rel:
                raise SystemExit(f"{rel} and {clash} differ only in case: Windows cannot hold both")
            if entry.is_dir() and not entry.is_symlink():
                lines.append(f"{indent}<Directory Id={quoteattr(_ident('d', rel))} Name={quoteattr(entry.name)}>")
                walk(entry, rel, indent + "  ")
                lines.append(f"{indent}</Directory>")
            elif entry.is_file():
                comp = "ParleyExeComponent" if rel == MAIN_EXE else _ident("c", rel)
                file_id = "ParleyExe" if rel == MAIN_EXE else _ident("f", rel)
                source = f"{link_name}/{rel}"
                lines.append(f'{indent}<Component Id="{comp}" Guid="*" Win64="yes">')
                lines.append(
                    f"{indent}  <File Id={quoteattr(file_id)} Name={quoteattr(entry.name)} "
                    f'Source={quoteattr(source)} KeyPath="yes"/>'
                )
                lines.append(f"{indent}</Component>")
                components.append(comp)

    lines.append('    <DirectoryRef Id="INSTALLDIR">')
    walk(payload, "", "      ")
    lines.append("    </DirectoryRef>")
    lines.append('    <ComponentGroup Id="Payload">')
    lines.extend(f'      <ComponentRef Id="{c}"/>' for c in components)
    lines.append("    </ComponentGroup>")
    lines.append("  </Fragment>")
    lines.append("</Wix>")
    return "\n".join(lines) + "\n", len(components)


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


UPGRADE_CODE = "{E4C4BBD6-64C3-4AE5-B9EF-66954B7D7C71}"  # as in parley.wxs; never changes


def fixups(product_version: str) -> list[str]:
    """The SQL that completes what wixl 0.101 leaves out (each line says why)."""
    sql: list[str] = []
    # A rebuild of the same version (new ProductCode) replaces the installed one instead of
    # installing beside it: WiX's AllowSameVersionUpgrades, min and max inclusive (256 | 512),
    # migrating features (1).
    sql.append(
        "INSERT INTO `Upgrade` (`UpgradeCode`, `VersionMin`, `VersionMax`, `Attributes`, `ActionProperty`) "
        f"VALUES ('{UPGRADE_CODE}', '{product_version}', '{product_version}', 769, "
        "'WIX_SAME_VERSION_UPGRADE_DETECTED')"
    )
    # wixl only makes advertised shortcuts (Target = the feature). Point them at the exe instead, so
    # they work without the Windows Installer "advertise" machinery and survive an upgrade.
    for shortcut in ("StartMenuShortcut", "DesktopShortcut"):
        sql.append(f"UPDATE `Shortcut` SET `Target` = '[#ParleyExe]' WHERE `Shortcut` = '{shortcut}'")
    # wixl 0.101 has no <Condition> under <Component>.
    for component, condition in COMPONENT_CONDITIONS.items():
        sql.append(f"UPDATE `Component` SET `Condition` = {_sql_str(condition)} WHERE `Component` = '{component}'")
    # Remember-property pattern: the command line's value is saved before AppSearch (which reads the
    # value the installed version wrote) and put back after it when one was given; then defaults.
    # Sequences: wixl puts AppSearch at 50 in both the UI and the execute sequence.
    for table in ("InstallUISequence", "InstallExecuteSequence"):
        for offset, prop in enumerate(PUBLIC_PROPERTIES):
            sql.append(
                f"INSERT INTO `{table}` (`Action`, `Condition`, `Sequence`) VALUES ('Save{prop}', '', {40 + offset})"
            )
            sql.append(
                f"INSERT INTO `{table}` (`Action`, `Condition`, `Sequence`) "
                f"VALUES ('Restore{prop}', 'CMDLINE_{prop}', {51 + offset})"
            )
            if PUBLIC_PROPERTIES[prop][1] is not None:
                sql.append(
                    f"INSERT INTO `{table}` (`Action`, `Condition`, `Sequence`) "
                    f"VALUES ('Default{prop}', 'NOT {prop}', {60 + offset})"
                )
    for prop, (_name, default) in PUBLIC_PROPERTIES.items():
        # Type 51: set a property from a formatted string, immediate.
        sql.append(
            "INSERT INTO `CustomAction` (`Action`, `Type`, `Source`, `Target`) "
            f"VALUES ('Save{prop}', 51, 'CMDLINE_{prop}', '[{prop}]')"
        )
        sql.append(
            "INSERT INTO `CustomAction` (`Action`, `Type`, `Source`, `Target`) "
            f"VALUES ('Restore{prop}', 51, '{prop}', '[CMDLINE_{prop}]')"
        )
        if default is not None:
            sql.append(
                "INSERT INTO `CustomAction` (`Action`, `Type`, `Source`, `Target`) "
                f"VALUES ('Default{prop}', 51, '{prop}', {_sql_str(default)})"
            )
    # Public properties must be secure to reach the elevated server side of a per-machine install.
    secure = ["WIX_DOWNGRADE_DETECTED", "WIX_SAME_VERSION_UPGRADE_DETECTED", "WIX_UPGRADE_DETECTED", *PUBLIC_PROPERTIES]
    secure += [f"CMDLINE_{p}" for p in PUBLIC_PROPERTIES]
    sql.append(
        f"UPDATE `Property` SET `Value` = {_sql_str(';'.join(secure))} WHERE `Property` = 'SecureCustomProperties'"
    )
    # wixl schedules RemoveExistingProducts after InstallFinalize; the usual place is right after
    # InstallValidate: the old version is removed first, then this one is installed whole.
    sql.append("UPDATE `InstallExecuteSequence` SET `Sequence` = 1401 WHERE `Action` = 'RemoveExistingProducts'")
    return sql


def run(cmd: list[str], cwd: Path | None = None) -> None:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"{cmd[0]} failed with exit code {result.returncode}")


def build_msi(payload: Path, output: Path, version: str | None = None) -> Path:
    """Build the MSI; returns its path."""
    for tool in ("wixl", "msibuild"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: apt-get install wixl msitools")
    product_version = msi_version(version or project_version())
    payload = payload.resolve()
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="parley-msi-") as tmp:
        work = Path(tmp)
        # wixl 0.101 resolves sources relative to its working folder only: link everything in.
        os.symlink(payload, work / "payload")
        shutil.copy(ICON, work / "parley.ico")
        shutil.copy(HERE / "parley.wxs", work / "parley.wxs")
        fragment, _count = payload_fragment(payload, "payload")
        (work / "payload.wxs").write_text(fragment, encoding="utf-8")
        built = work / "Parley.msi"
        wixl = ["wixl", "-a", "x64", "-D", f"Version={product_version}", "-o", str(built)]
        run([*wixl, "parley.wxs", "payload.wxs"], work)
        cmd = ["msibuild", str(built)]
        for query in fixups(product_version):
            cmd += ["-q", query]
        run(cmd, work)
        shutil.move(built, output)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("payload", type=Path, help="the PyInstaller onedir folder (holds Parley.exe)")
    parser.add_argument("--output", type=Path, help="default: DIST/Parley-VERSION.msi")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--version", help="default: shared/version.py")
    args = parser.parse_args(argv)
    version = args.version or project_version()
    output = args.output or args.dist / f"Parley-{version}.msi"
    print(build_msi(args.payload, output, version))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
