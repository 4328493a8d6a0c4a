"""Every string the app translates is in the Chinese catalogue and finished (issue #19 item 7).

lupdate (the tool Qt's own projects use) finds every ``tr()``/``translate()`` string in client/ui;
each must be in resources/translations/parley_zh_CN.ts with a finished translation, and the .qm
the app loads must be built from that .ts. Sentences of client/engine/explain.py are kept in the
catalogue by hand under the "errors" context (client/ui/error_text.py translates them).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from ui_helpers import ROOT

TS = ROOT / "resources/translations/parley_zh_CN.ts"
QM = ROOT / "resources/translations/parley_zh_CN.qm"


def tool(name: str) -> str:
    found = Path(sys.executable).with_name(name)
    return str(found) if found.exists() else (shutil.which(name) or name)


def catalogue(path: Path) -> dict[tuple[str, str], ET.Element]:
    out = {}
    for context in ET.parse(path).iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            out[(name, message.findtext("source") or "")] = message
    return out


def test_every_source_string_is_translated(tmp_path: Path) -> None:
    sources = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "client/ui").glob("*.py"))
    scanned = ROOT / "resources/translations" / f".scan-{tmp_path.name}.ts"
    shutil.copy(TS, scanned)
    try:
        subprocess.run(
            [tool("pyside6-lupdate"), *sources, "-ts", str(scanned)], cwd=ROOT, check=True, capture_output=True
        )
        found = catalogue(scanned)
    finally:
        scanned.unlink(missing_ok=True)
    shipped = catalogue(TS)
    by_source = {source: message for (_c, source), message in shipped.items()}
    missing = []
    for (context, source), message in found.items():
        if message.find("translation").get("type") in ("vanished", "obsolete"):
            continue
        # A context lupdate cannot name (a variable) is the hand-kept "errors" catalogue.
        entry = shipped.get((context, source)) if context else by_source.get(source)
        translation = entry.find("translation") if entry is not None else None
        if translation is None or translation.get("type") or not (translation.text or "").strip():
            missing.append(f"{context}: {source}")
    assert missing == [], "untranslated (add them to parley_zh_CN.ts and run pyside6-lrelease):\n" + "\n".join(missing)


def test_qm_is_built_from_the_ts(tmp_path: Path) -> None:
    built = tmp_path / "built.qm"
    subprocess.run([tool("pyside6-lrelease"), str(TS), "-qm", str(built)], check=True, capture_output=True)
    assert built.read_bytes() == QM.read_bytes(), (
        "rebuild the .qm: pyside6-lrelease parley_zh_CN.ts -qm parley_zh_CN.qm"
    )
