"""The shape of the code, checked: modules stay one concept (under ~500 lines), collaborators are
typed (never ``Any``), and the relay answers every request type through its one table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("client", "relay", "shared")
MAX_LINES = 500
# Declarations, not logic: the protocol's message types (append-only, one place).
DECLARATIONS = {"shared/protocol/messages.py"}
# Names under which the project's own parts are passed around; none of them may be typed Any.
COLLABORATORS = {
    "app",
    "channel",
    "client",
    "connection",
    "context",
    "ctx",
    "hosting",
    "listener",
    "media",
    "meeting",
    "meetings",
    "owner",
    "participant",
    "pc",
    "peer",
    "publish_pc",
    "receiver",
    "relay",
    "seat",
    "sender",
    "server",
    "service",
    "session",
    "subscribe_pc",
    "transceiver",
    "window",
}
TYPED = ("relay", "shared", "client/engine")


def sources(*roots: str) -> list[Path]:
    return sorted(p for root in roots for p in (ROOT / root).rglob("*.py") if ".venv" not in p.parts)


def test_no_module_is_over_500_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in sources(*PACKAGES)
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
        and str(p.relative_to(ROOT)) not in DECLARATIONS
    }
    assert not long, f"split these modules by concept (lines): {long}"


def _is_any(annotation: ast.expr | None) -> bool:
    """``Any``, ``Any | None`` or ``Optional[Any]``."""
    if annotation is None:
        return False
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return False
    if isinstance(annotation, ast.Name):
        return annotation.id == "Any"
    if isinstance(annotation, ast.Attribute):
        return annotation.attr == "Any"
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        parts = [annotation.left, annotation.right]
        return any(_is_any(p) for p in parts) and all(
            _is_any(p) or (isinstance(p, ast.Constant) and p.value is None) for p in parts
        )
    if isinstance(annotation, ast.Subscript) and isinstance(annotation.value, ast.Name):
        return annotation.value.id == "Optional" and _is_any(annotation.slice)
    return False


def any_collaborators(path: Path) -> list[str]:
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                if arg.arg in COLLABORATORS and _is_any(arg.annotation):
                    found.append(f"{node.name}({arg.arg}: Any) line {node.lineno}")
        elif isinstance(node, ast.AnnAssign) and _is_any(node.annotation):
            target = node.target
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            if name in COLLABORATORS:
                found.append(f"{name}: Any line {node.lineno}")
    return found


def test_collaborators_are_typed() -> None:
    offenders = {str(p.relative_to(ROOT)): hits for p in sources(*TYPED) if (hits := any_collaborators(p))}
    assert not offenders, f"give these collaborators a type (a Protocol for a narrow view): {offenders}"


def test_the_check_sees_an_any_collaborator(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(
        "from typing import Any\n"
        "class C:\n"
        "    def __init__(self, relay: Any, peer: 'Any | None' = None) -> None:\n"
        "        self.client: Any = None\n"
    )
    assert len(any_collaborators(planted)) == 3


def test_every_request_type_has_one_answer(tmp_path: Path) -> None:
    from relay.app import Relay
    from relay.config import Config
    from shared.protocol import messages as m

    relay = Relay(Config(data_dir=tmp_path))
    answered = set(relay.requests)
    # hello is the session's own handshake (shared.protocol.session), answered before any request.
    expected = set(m.REQUEST_TYPES) - {m.Hello}
    assert answered == expected, {
        "without an answer": sorted(m.tag_of(t) for t in expected - answered),
        "not requests": sorted(str(t) for t in answered - expected),
    }


def test_no_part_installs_itself() -> None:
    """Parts are built by the composition root (relay.app); none registers itself into a handler
    table or swaps another part's methods at run time."""
    hits = []
    for path in sources("relay"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"def install\(|\.handlers\[(?!:\])[^\]]+\]\s*=|\.on_participant_removed\b", line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not hits, hits
