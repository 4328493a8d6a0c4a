"""Switching the language while Parley runs: every text already on screen is said again in the new
language, with no restart and no screen half in one language and half in the other.

The screens set their texts once, in code; so each text showing now is looked up in the catalogue
(resources/translations/*.ts: source and translation of every string) as the old language says it,
and replaced with the new language's words. Sentences with values ("Hello, {0}") are matched as
patterns and keep their values. Texts set later (state changes) already use the new translator.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import lru_cache, partial
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QTabWidget,
    QWidget,
)

from client.ui.resources import translations_dir

_FIELD = re.compile(r"\{(\d+)(?::[^}]*)?\}")


@lru_cache(maxsize=4)
def catalogue(language: str) -> tuple[tuple[str, str, str], ...]:
    """(context, source, translation) of every finished string for ``language``."""
    path = Path(translations_dir()) / f"parley_{language}.ts"
    if not path.exists():
        return ()
    out = []
    for context in ET.parse(path).iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            source = message.findtext("source") or ""
            if translation is None or translation.get("type") or not translation.text:
                continue
            out.append((name, source, translation.text))
    return tuple(out)


class Retranslator:
    """Maps a text as ``old`` shows it to the same text in the language installed now."""

    def __init__(self, old: str, new: str) -> None:
        entries = catalogue(new if old == "en" else old) if (old, new) != ("en", "en") else ()
        self.exact: dict[str, tuple[str, str]] = {}
        self.patterns: list[tuple[re.Pattern[str], str, str, list[int]]] = []
        for context, source, translation in entries:
            shown = source if old == "en" else translation
            if not _FIELD.search(source):
                self.exact.setdefault(shown, (context, source))
                continue
            literal = _FIELD.sub("", shown)
            if len(literal.strip()) < 3:
                continue  # "{0} of {1}": too little to recognise safely
            order = [int(n) for n in _FIELD.findall(shown)]
            parts = _FIELD.split(shown)
            regex = "".join(re.escape(part) if i % 2 == 0 else "(.+?)" for i, part in enumerate(parts))
            self.patterns.append((re.compile(f"^{regex}$", re.S), context, source, order))
        self.patterns.sort(key=lambda p: -len(p[0].pattern))

    def __call__(self, text: str) -> str | None:
        if not text:
            return None
        if text in self.exact:
            context, source = self.exact[text]
            return QCoreApplication.translate(context, source)
        for regex, context, source, order in self.patterns:
            match = regex.match(text)
            if match:
                values: dict[int, str] = {}
                for number, value in zip(order, match.groups(), strict=True):
                    values[number] = value
                template = QCoreApplication.translate(context, source)
                return _FIELD.sub(partial(_fill, values), template)
        return None


def _fill(values: dict[int, str], field: re.Match[str]) -> str:
    return values.get(int(field.group(1)), field.group(0))


def _swap(get: Callable[[], str], put: Callable[[str], None], again: Retranslator) -> None:
    text = get()
    new = again(text)
    if new is not None and new != text:
        put(new)


def retranslate_widgets(old: str, new: str, roots: list[QWidget] | None = None) -> None:
    """Say every text of the app's windows (or ``roots``) again in the installed language."""
    again = Retranslator(old, new)
    widgets: list[QWidget] = []
    for root in roots if roots is not None else QApplication.topLevelWidgets():
        widgets.append(root)
        widgets.extend(root.findChildren(QWidget))
    for widget in widgets:
        _swap(widget.toolTip, widget.setToolTip, again)
        _swap(widget.accessibleName, widget.setAccessibleName, again)
        _swap(widget.accessibleDescription, widget.setAccessibleDescription, again)
        if widget.isWindow():
            _swap(widget.windowTitle, widget.setWindowTitle, again)
        if isinstance(widget, (QLabel, QAbstractButton)):
            _swap(widget.text, widget.setText, again)
        elif isinstance(widget, QLineEdit):
            _swap(widget.placeholderText, widget.setPlaceholderText, again)
        elif isinstance(widget, QGroupBox):
            _swap(widget.title, widget.setTitle, again)
        if isinstance(widget, QComboBox):
            for index in range(widget.count()):
                _swap(partial(widget.itemText, index), partial(widget.setItemText, index), again)
        elif isinstance(widget, QTabWidget):
            for index in range(widget.count()):
                _swap(partial(widget.tabText, index), partial(widget.setTabText, index), again)
        for action in widget.actions():
            _swap(action.text, action.setText, again)
