"""One home for WebRTC internals (shared/webrtc/__init__.py says why), checked by reading the code.

- Nothing in client/, relay/, shared/, bench/ or tests/ outside shared/webrtc/ (and its tests in
  tests/shared/webrtc/) imports aioice or pylibsrtp, imports a private aiortc module or name, or
  spells a private name of aiortc, aioice or pylibsrtp. The private names are read from the
  installed sources (tests/shared/webrtc/private_names.py), so the list cannot drift.
- shared/ outside shared/webrtc/ imports only the stdlib, msgspec, cryptography and itself;
  shared/webrtc/ adds aiortc, aioice and pylibsrtp (never client or relay).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.shared.webrtc.private_names import PACKAGE, ROOT, Use, uses, uses_in

SCANNED = ("client", "relay", "shared", "bench", "tests")
EXEMPT = (PACKAGE, ROOT / "tests" / "shared" / "webrtc")
# Parley's own attributes that happen to share a name with one of aiortc's (in aiortc.contrib).
OWN_NAMES = {
    ("bench/recording.py", "_start"): "the synthetic tracks' own pacing clock (client/engine/media/sources.py)",
    ("tests/client/test_engine.py", "_reader"): "SignallingClient's own reader task (client/engine/signalling.py)",
}
SHARED_MAY_IMPORT = {"msgspec", "cryptography", "shared"}
WEBRTC_MAY_IMPORT = {"aiortc", "aioice", "pylibsrtp", "shared"}


def _modules(*tops: str) -> Iterator[Path]:
    for top in tops:
        for path in sorted((ROOT / top).rglob("*.py")):
            if not any(path.is_relative_to(exempt) for exempt in EXEMPT):
                yield path


def _violations() -> list[Use]:
    return [use for path in _modules(*SCANNED) for use in uses(path) if (use.path, use.name) not in OWN_NAMES]


def test_nothing_outside_shared_webrtc_touches_webrtc_internals() -> None:
    found = _violations()
    assert not found, (
        "private aiortc/aioice/pylibsrtp access outside shared/webrtc (call or add a function there):\n"
        + "\n".join(str(use) for use in found)
    )


def test_the_exceptions_are_still_needed() -> None:
    seen = {(use.path, use.name) for path in _modules(*SCANNED) for use in uses(path)}
    stale = [key for key in OWN_NAMES if key not in seen]
    assert not stale, f"OWN_NAMES lists what no longer occurs (remove it): {stale}"


PLANTED = """
import aioice.ice
import pylibsrtp
from pylibsrtp import Session
from aiortc.rtcsctptransport import _TailAwareInboundStream
from aiortc.rtcrtpreceiver import NackGenerator, decoder_worker
from aiortc import MediaStreamTrack
from types import SimpleNamespace

def touch(receiver, sender, dtls, sctp):
    receiver._RTCRtpReceiver__codecs                   # 1: a mangled name
    sender._send_keyframe = None                       # 2: a method
    dtls.transport._connection._nominated              # 3, 4: aioice's
    getattr(sctp, "_cwnd", 0)                          # 5: by string
    vars(receiver)["_RTCRtpReceiver__kind"]            # 6: by subscript
    receiver.__dict__.get("_rtp_router")               # 7: by .get
    SimpleNamespace(_ssrc=1)                           # 8: a fake's keyword

class Track(MediaStreamTrack):
    def __init__(self):
        super().__init__()
        self._id = "x"                                 # 9: inherited from aiortc's class
        self._mine = 1                                 # (its own: fine)

class Fine:
    def __init__(self):
        self._cwnd = 1                                 # (self: fine)
"""


def test_the_check_finds_planted_violations() -> None:
    found = {(use.how, use.name) for use in uses_in(PLANTED, "planted.py")}
    assert found == {
        ("imports", "aioice.ice"),
        ("imports", "pylibsrtp"),
        ("imports from", "pylibsrtp"),
        ("imports a private name", "aiortc.rtcsctptransport._TailAwareInboundStream"),
        ("accesses", "_RTCRtpReceiver__codecs"),
        ("accesses", "_send_keyframe"),
        ("accesses", "_connection"),
        ("accesses", "_nominated"),
        ("passes to getattr()", "_cwnd"),
        ("subscripts with", "_RTCRtpReceiver__kind"),
        ("passes to get()", "_rtp_router"),
        ("passes the keyword", "_ssrc"),
        ("an inherited private attribute", "_id"),
    }, found


def _imported_roots(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def test_shared_imports_only_the_stdlib_msgspec_and_cryptography() -> None:
    wrong = []
    for path in _modules("shared"):
        for line, module in _imported_roots(ast.parse(path.read_text(encoding="utf-8"))):
            root = module.split(".")[0]
            if module == "shared.webrtc" or module.startswith("shared.webrtc."):
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {module} (it imports aiortc)")
            elif root not in sys.stdlib_module_names and root not in SHARED_MAY_IMPORT:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {module}")
    assert not wrong, "shared/ outside shared/webrtc imports what DESIGN.md does not allow:\n" + "\n".join(wrong)


def test_shared_webrtc_imports_only_the_stdlib_and_the_webrtc_libraries() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, module in _imported_roots(ast.parse(path.read_text(encoding="utf-8"))):
            root = module.split(".")[0]
            if root not in sys.stdlib_module_names and root not in WEBRTC_MAY_IMPORT:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {module}")
    assert not wrong, "shared/webrtc imports beyond the stdlib, aiortc, aioice, pylibsrtp:\n" + "\n".join(wrong)
