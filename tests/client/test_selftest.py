"""``parley --self-test``: a readable report; non-zero only when a required part is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from client.selftest import REQUIRED_MODULES

RUN = "from client.selftest import run_self_test; raise SystemExit(run_self_test())"


def run_selftest(extra_path: Path | None = None, prelude: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(extra_path), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-c", prelude + RUN], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_passes_headless_with_device_warnings() -> None:
    result = run_selftest()
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for module, _purpose in REQUIRED_MODULES:
        assert any(line.startswith("  [     ok] " + module + " ") for line in out.splitlines()), (module, out)
    assert "QApplication on the 'offscreen' platform paints widgets" in out
    assert "[warning] screens" in out and "no display" in out  # no DISPLAY here
    assert out.rstrip().splitlines()[-1].startswith("PASSED")
    assert "Traceback" not in result.stderr


def test_a_missing_native_dependency_fails_with_its_name() -> None:
    # None in sys.modules makes "import mss" raise ImportError, as a broken installation would.
    result = run_selftest(prelude="import sys; sys.modules['mss'] = None; sys.modules['msgspec'] = None\n")
    assert result.returncode == 1
    assert "[ FAILED] mss" in result.stdout and "[ FAILED] msgspec" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1] == "FAILED: 2 required part(s) missing: mss, msgspec"


def test_missing_portaudio_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    # What the sounddevice module does when libportaudio2 is not installed.
    (tmp_path / "sounddevice.py").write_text("raise OSError('PortAudio library not found')\n")
    result = run_selftest(extra_path=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "[warning] audio" in result.stdout and "PortAudio library not found" in result.stdout


def test_parley_cli_wires_the_flag() -> None:
    parley = Path(sys.executable).with_name("parley")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [str(parley), "--self-test"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test" in result.stdout.splitlines()[0]
