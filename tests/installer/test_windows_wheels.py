"""Every dependency resolves to a win_amd64 (or pure Python) wheel for the Windows build's Python.

The Windows runner installs with ``--only-binary=:all:`` (nothing compiles there), so a dependency
without a Windows wheel for that Python would break the MSI build. pip's resolver evaluates
environment markers for *this* machine, so Windows-only requirements (``sys_platform == "win32"``)
are found from the resolved packages' metadata and resolved in a second round.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def windows_python() -> str:
    """The Python version the Windows workflow freezes with (its one ``python-version``)."""
    text = (ROOT / ".github" / "workflows" / "windows.yml").read_text(encoding="utf-8")
    versions = set(re.findall(r'python-version:\s*"?([0-9.]+)"?', text))
    assert len(versions) == 1, versions
    return versions.pop()


def windows_env(python: str) -> dict[str, str]:
    return {
        "sys_platform": "win32",
        "platform_system": "Windows",
        "os_name": "nt",
        "platform_machine": "AMD64",
        "python_version": python,
        "python_full_version": python + ".0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "extra": "",
    }


def applies(req: Requirement, env: dict[str, str]) -> bool:
    return req.marker is None or Marker(str(req.marker)).evaluate(env)


def resolve(requirements: list[str], python: str, workdir: Path) -> list[dict[str, object]]:
    report = workdir / "report.json"
    cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed"]
    cmd += ["--target", str(workdir / "target"), "--report", str(report)]
    cmd += ["--platform", "win_amd64", "--python-version", python, "--implementation", "cp", "--only-binary=:all:"]
    result = subprocess.run(cmd + requirements, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, f"no Windows wheels for some dependency:\n{result.stderr[-4000:]}"
    installed: list[dict[str, object]] = json.loads(report.read_text())["install"]
    return installed


def test_every_dependency_has_a_win_amd64_wheel(tmp_path: Path) -> None:
    python = windows_python()
    env = windows_env(python)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["freeze"]]
    wanted = [str(r) for r in direct if applies(r, env)]
    assert any(canonicalize_name(Requirement(r).name) == "pyinstaller" for r in wanted)

    for _round in range(4):
        installed = resolve(wanted, python, tmp_path)
        names = {canonicalize_name(str(item["metadata"]["name"])) for item in installed}  # type: ignore[index]
        missing: list[str] = []
        for item in installed:
            for spec in item["metadata"].get("requires_dist", []) or []:  # type: ignore[union-attr]
                req = Requirement(spec)
                if applies(req, env) and canonicalize_name(req.name) not in names:
                    missing.append(str(Requirement(f"{req.name}{req.specifier}")))
        if not missing:
            break
        wanted += sorted(set(missing))
    else:
        raise AssertionError(f"Windows-only requirements kept appearing: {missing}")

    for item in installed:
        wheel = str(item["download_info"]["url"]).rsplit("/", 1)[-1]  # type: ignore[index]
        assert wheel.endswith(("-win_amd64.whl", "-any.whl")), wheel
    for req in direct:
        if applies(req, env):
            assert canonicalize_name(req.name) in names
    # keyring needs pywin32-ctypes on Windows only: the second round must have found it.
    assert "pywin32-ctypes" in names
