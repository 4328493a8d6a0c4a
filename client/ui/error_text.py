"""Errors as people read them in the desktop app: the engine's sentence (client/engine/explain.py)
translated, and its technical details behind a "Details" link where they help.

The engine gives each sentence as an English template with its values; the template is looked up
in the "errors" translation context and the same values are filled in, so a path or an address
stays as it is in every language. Relay sentences and the engine's fixed sentences are looked up
as they are (translated when the catalogue has them, else shown in English).
"""

from __future__ import annotations

import html

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QLabel

from client.engine.explain import Cause, Sentence, explain
from shared.errors import BadRequest, Unauthorized

CONTEXT = "errors"
# Causes whose technical details help someone find the fault (an address, an errno, a path).
_DETAILED = {
    Cause.DISK_FULL,
    Cause.NO_PERMISSION,
    Cause.FILE,
    Cause.REFUSED,
    Cause.NAME,
    Cause.NETWORK,
    Cause.CERTIFICATE,
    Cause.SERVER_GONE,
    Cause.MEDIA,
    Cause.UNKNOWN,
}


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def translated(sentence: Sentence) -> str:
    """``sentence`` in the app's language (English when the catalogue lacks it)."""
    template = tr(sentence.template)
    try:
        return template.format(*sentence.args)
    except (IndexError, KeyError, ValueError):  # a bad translation must not hide the error
        return str(sentence)


def error_sentence(error: BaseException) -> str:
    """A translated sentence for ``error`` that names its cause; never technical text."""
    if isinstance(error, Unauthorized) and "password" in error.message.lower():
        return tr("Wrong user name or password.")
    if isinstance(error, BadRequest) and "protocol" in error.message.lower():
        return tr("This version of Parley cannot talk to the server: {0}").format(error.message)
    return translated(explain(error).sentence)


def error_details(error: BaseException) -> str:
    """The technical details of ``error`` for a "Details" disclosure ("" when they would not help)."""
    explanation = explain(error)
    return explanation.details if explanation.cause in _DETAILED else ""


def event_sentence(event: object) -> str:
    """The translated sentence of an engine event that reports a failure (``MediaFailed``,
    ``Disconnected``): from its explanation when it has one, else its message looked up as is."""
    explanation = getattr(event, "explanation", None)
    if explanation is not None:
        return translated(explanation.sentence)
    return tr(str(getattr(event, "message", "")))


def show_error_on(label: QLabel, sentence: str, details: str = "") -> None:
    """Show ``sentence`` in ``label``; with ``details``, a "Details" link that shows them under the
    sentence (and "Hide details" that hides them again)."""
    label.setProperty("parleySentence", sentence)
    label.setProperty("parleyDetails", details)
    label.setProperty("parleyExpanded", False)
    if not label.property("parleyDetailsHooked"):
        label.setProperty("parleyDetailsHooked", True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        label.setOpenExternalLinks(False)
        label.linkActivated.connect(lambda href: _toggle(label, href == "#details"))
    _render(label)


def _toggle(label: QLabel, expanded: bool) -> None:
    label.setProperty("parleyExpanded", expanded)
    _render(label)


def _render(label: QLabel) -> None:
    sentence = str(label.property("parleySentence") or "")
    details = str(label.property("parleyDetails") or "")
    if not details:
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setText(sentence)
        return
    label.setTextFormat(Qt.TextFormat.RichText)
    text = html.escape(sentence)
    if label.property("parleyExpanded"):
        shown = html.escape(details).replace("\n", "<br>")
        text += f' <a href="#hide">{html.escape(tr("Hide details"))}</a><br><small><tt>{shown}</tt></small>'
    else:
        text += f' <a href="#details">{html.escape(tr("Details"))}</a>'
    label.setText(text)
