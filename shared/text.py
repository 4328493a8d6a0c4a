"""Text people show each other (display names, chat), cleaned so it can only say what it shows.

A name or a message could otherwise carry characters that change how the text around it is
drawn: bidi overrides and isolates (RLO, LRI, ...) that reverse what follows, zero-width and
other invisible characters that make two names look alike, terminal escapes (ESC), NUL, and line
breaks that make one chat message look like a second line from someone else. `clean_line` drops
them and folds every run of whitespace, line breaks included, into one space. Stdlib only, used
by the relay (it cleans what it forwards) and the client (it cleans what it shows).
"""

from __future__ import annotations

import unicodedata

# Control (Cc: NUL, ESC, ...), format (Cf: bidi controls, zero-width space/joiners, BOM, soft
# hyphen), surrogates and line/paragraph separators.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Letters and symbols that draw as nothing at all (Hangul fillers, the blank Braille pattern).
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Line breaks and tabs become a space before whitespace is folded, so words do not run together.
_BREAKS = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029")


def clean_line(text: str) -> str:
    """``text`` as one line of visible characters: NFC, without control, format (bidi,
    zero-width), invisible or surrogate characters, and with whitespace runs (line breaks
    included) folded into one space and trimmed."""
    kept = []
    for char in unicodedata.normalize("NFC", text):
        if char in _BREAKS:
            kept.append(" ")
        elif char in _INVISIBLE or unicodedata.category(char) in _DROPPED_CATEGORIES:
            continue
        else:
            kept.append(char)
    return " ".join("".join(kept).split())
