"""Display names that cannot pass for someone else's.

Anyone may rename themself in a meeting, so a participant could take the host's exact name, or
one that only looks the same: Cyrillic a (U+0430) for Latin a, fullwidth letters, an "I" for an "l",
"rn" for "m", accents, different spacing. `skeleton` folds a name to a form where such look-alikes
are equal (Unicode's confusables, UTS #39, as shipped by the confusable-homoglyphs package, plus
NFKC, case folding, accents and spacing), and `check_distinct` refuses a new name whose skeleton
equals another participant's.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Iterable
from importlib import resources

from shared.errors import Conflict
from shared.text import clean_line

# Latin look-alikes within ASCII itself (after case folding), and letter pairs that read as one.
_ASCII_FOLD = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "5": "s", "$": "s", "@": "a"})
_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))


@functools.cache
def _ascii_lookalikes() -> dict[str, str]:
    """Each character that Unicode lists as confusable with a plain ASCII one -> that ASCII text."""
    data = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    table: dict[str, str] = {}
    for char, homoglyphs in data.items():
        if char.isascii():
            continue
        ascii_ones = sorted(h["c"] for h in homoglyphs if h["c"].isascii() and h["c"].strip())
        if ascii_ones:
            table[char] = ascii_ones[0]
    return table


def _fold_char(char: str, table: dict[str, str]) -> str:
    if char.isascii():
        return char.casefold()
    for form in (char, char.upper(), char.casefold()):  # Cyrillic capital and small En (U+041D, U+043D) both read as H
        if form in table:
            return table[form].casefold()
    bare = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    if bare != char:
        return "".join(_fold_char(c, table) for c in bare)
    return char


def skeleton(name: str) -> str:
    """A form of ``name`` in which names that look alike are equal."""
    table = _ascii_lookalikes()
    text = unicodedata.normalize("NFKC", clean_line(name))
    folded = "".join(_fold_char(c, table) for c in text if not c.isspace() and not unicodedata.combining(c))
    folded = folded.casefold().translate(_ASCII_FOLD)
    for pair, single in _PAIRS:
        folded = folded.replace(pair, single)
    return folded


def check_distinct(name: str, others: Iterable[str]) -> None:
    """Conflict when ``name`` looks like one of ``others`` (the other participants' names)."""
    mine = skeleton(name)
    for other in others:
        if skeleton(other) == mine:
            raise Conflict(f"Someone in this meeting is already called {other!r}: choose a name that looks different.")
