"""The .deb, built from a real PyInstaller onedir build of the client (about 30 s on 2 cores).

It is installed with dpkg into an empty root (its own dpkg database; maintainer scripts run
chrootless) and the installed ``parley --self-test`` must pass offscreen with a bare environment:
no venv, no PYTHONPATH, nothing from this checkout. Every system library the frozen Qt platform
plugins and Python extensions link to must come from a package named in Depends (ldd + dpkg -S).
Finally it is installed the way the IT guide says, ``apt-get install ./parley_VERSION_amd64.deb``,
in a clean Debian 12 made with debootstrap, where ``parley --self-test`` must pass too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from installer_support import ROOT, require_tool

from shared.version import __version__

BASE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}  # essential or always present


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    assert result.returncode == 0, f"{cmd}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def onedir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``make deb``'s first half: freeze the app with installer/parley.spec."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        # PyInstaller is the optional `freeze` extra; fetch the pinned range from pyproject.
        extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["freeze"]
        run([sys.executable, "-m", "pip", "install", "-q", *extra], timeout=600)
    work = tmp_path_factory.mktemp("pyinstaller")
    run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--distpath", str(work / "dist"),
         "--workpath", str(work / "build"), str(ROOT / "installer" / "parley.spec")],
        cwd=ROOT,
        timeout=900,
    )  # fmt: skip
    return work / "dist" / "Parley"


@pytest.fixture(scope="module")
def deb(onedir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tool("dpkg-deb")
    out = tmp_path_factory.mktemp("deb")
    result = run([str(ROOT / "installer" / "deb" / "build.sh"), str(onedir), str(out)], timeout=600)
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path == out / f"parley_{__version__}_amd64.deb"
    return path


@pytest.fixture(scope="module")
def clean_root(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("root")
    (root / "var/lib/dpkg/info").mkdir(parents=True)
    (root / "var/lib/dpkg/updates").mkdir()
    (root / "var/lib/dpkg/status").touch()
    # Depends are not installable into an empty root; they are checked against ldd below.
    run(["dpkg", f"--root={root}", "--force-depends", "--force-script-chrootless", "--force-not-root",
         "--log=/dev/null", "-i", str(deb)], timeout=300)  # fmt: skip
    return root


def control(deb: Path) -> dict[str, str]:
    text = run(["dpkg-deb", "-f", str(deb)]).stdout
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith(" "):
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def test_control_and_contents(deb: Path) -> None:
    fields = control(deb)
    assert fields["Package"] == "parley"
    assert fields["Version"] == __version__
    assert fields["Architecture"] == "amd64"
    listing = run(["dpkg-deb", "-c", str(deb)]).stdout
    for path in (
        "./opt/parley/parley",
        "./usr/share/applications/parley.desktop",
        "./usr/share/applications/parley-url-handler.desktop",
        "./usr/share/icons/hicolor/256x256/apps/parley.png",
        "./usr/share/icons/hicolor/scalable/apps/parley.svg",
    ):
        assert re.search(rf"\s{re.escape(path)}$", listing, re.M), path
    assert re.search(r"\s\./usr/bin/parley -> /opt/parley/parley$", listing, re.M)
    assert all(" root/root " in line for line in listing.splitlines())


def test_installed_self_test_passes_offscreen_in_a_bare_environment(clean_root: Path, tmp_path: Path) -> None:
    exe = clean_root / "opt/parley/parley"
    assert (clean_root / "usr/bin/parley").resolve(strict=False) == Path("/opt/parley/parley")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    result = subprocess.run([str(exe), "--self-test"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(frozen)" in result.stdout.splitlines()[0]
    assert "FAILED" not in result.stdout and "offscreen" in result.stdout


def test_desktop_entries_and_link_handler(clean_root: Path) -> None:
    apps = clean_root / "usr/share/applications"
    main = (apps / "parley.desktop").read_text()
    handler = (apps / "parley-url-handler.desktop").read_text()
    assert "Exec=parley\n" in main and "Icon=parley\n" in main
    assert "MimeType=x-scheme-handler/parley;" in handler
    assert "Exec=parley join %u" in handler
    require_tool("desktop-file-validate")
    run(["desktop-file-validate", str(apps / "parley.desktop"), str(apps / "parley-url-handler.desktop")])
    # postinst ran update-desktop-database (chrootless, on the root's folder): the handler is known.
    cache = apps / "mimeinfo.cache"
    assert cache.exists() and "x-scheme-handler/parley=parley-url-handler.desktop" in cache.read_text()


def test_depends_cover_every_system_library(deb: Path, onedir: Path) -> None:
    alternatives = [alt for dep in control(deb)["Depends"].split(",") for alt in dep.split("|")]
    depends = {re.split(r"[ (]", alt.strip())[0] for alt in alternatives}
    bundled = {p.name for p in onedir.rglob("*.so*")}
    plugins = onedir / "_internal/PySide6/Qt/plugins"
    targets = [plugins / "platforms/libqxcb.so", plugins / "platforms/libqoffscreen.so", onedir / "parley"]
    targets += [p for p in (onedir / "_internal").rglob("*.so*") if "sounddevice" in str(p) or "portaudio" in str(p)]
    system_libs: set[str] = set()
    for target in targets:
        assert target.exists(), target
        for line in run(["ldd", str(target)]).stdout.splitlines():
            match = re.match(r"\s*(\S+) => (/\S+)", line)
            if match and match.group(1) not in bundled:
                system_libs.add(os.path.realpath(match.group(2)))
    # sounddevice loads PortAudio with ctypes at run time: not visible to ldd.
    owners: dict[str, str] = {}
    for lib in sorted(system_libs):
        found = subprocess.run(["dpkg", "-S", lib], capture_output=True, text=True, check=False).stdout
        if not found:
            found = subprocess.run(["dpkg", "-S", lib.replace("/usr/lib/", "/lib/")], capture_output=True, text=True,
                                   check=False).stdout  # fmt: skip
        assert found, f"{lib} belongs to no Debian package"
        owners[lib] = found.split(":")[0]
    missing = {lib: pkg for lib, pkg in owners.items() if pkg not in depends | BASE_PACKAGES}
    assert missing == {}, "add these packages to Depends in installer/deb/build.sh"
    assert "libportaudio2" in depends


def test_remove_leaves_no_files(clean_root: Path) -> None:
    run(["dpkg", f"--root={clean_root}", "--force-script-chrootless", "--force-not-root", "--log=/dev/null",
         "--purge", "parley"], timeout=300)  # fmt: skip
    assert not (clean_root / "opt/parley").exists()
    assert not (clean_root / "usr/bin/parley").is_symlink()
    assert not (clean_root / "usr/share/applications/parley.desktop").exists()


@pytest.fixture(scope="module")
def debian_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean Debian 12 (minbase) made with debootstrap from Debian's package registry (~40 s)."""
    require_tool("debootstrap")
    root = tmp_path_factory.mktemp("debian")
    run(["debootstrap", "--variant=minbase", "bookworm", str(root), "http://deb.debian.org/debian"], timeout=900)
    (root / "etc/resolv.conf").write_text(Path("/etc/resolv.conf").read_text())
    return root


def test_apt_installs_it_on_a_clean_debian_and_self_test_passes(deb: Path, debian_root: Path) -> None:
    # Exactly what the IT guide says: apt-get install ./parley_VERSION_amd64.deb, which pulls Depends.
    (debian_root / "tmp" / deb.name).write_bytes(deb.read_bytes())
    chroot = ["chroot", str(debian_root), "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
              "DEBIAN_FRONTEND=noninteractive", "LANG=C.UTF-8", "HOME=/root"]  # fmt: skip
    run([*chroot, "apt-get", "update", "-qq"], timeout=600)
    installed = run([*chroot, "apt-get", "install", "-y", "-qq", "--no-install-recommends", f"/tmp/{deb.name}"],
                    timeout=900)  # fmt: skip
    assert "parley" in run([*chroot, "dpkg-query", "-W", "-f=${Package} ${Status}\n", "parley"]).stdout
    assert "install ok installed" in run([*chroot, "dpkg-query", "-W", "-f=${Status}", "parley"]).stdout, installed
    result = subprocess.run([*chroot, "parley", "--self-test"], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAILED" not in result.stdout
    run([*chroot, "apt-get", "purge", "-y", "-qq", "parley"], timeout=300)
    assert not (debian_root / "opt/parley").exists()
