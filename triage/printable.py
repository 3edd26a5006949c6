"""Text from outside (case ids, file names, audit log lines) made safe to show a person.

A case id holding ESC or an OSC sequence would drive the reader's terminal (recolour it,
retitle it, hide what comes after); a carriage return or newline would forge or split a line;
a 1 MB key would bury the message. So each line a person reads has its control characters
escaped (``\\x1b``, ``\\r``, ``\\n``, as Python writes them) and long values cut.
"""

from __future__ import annotations

import unicodedata

# Shown as they are: letters, marks, numbers, punctuation, symbols, spaces, and the format
# characters (such as the joiners inside emoji) but those that reorder text on screen.
_HIDDEN = frozenset({"Cc", "Cs", "Zl", "Zp"})  # controls, lone surrogates, line breaks
_REORDER = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` as one line with nothing in it a terminal would act on."""
    if text.isprintable():  # the usual case, checked in C
        return text
    return "".join(
        ch
        if ch == " " or (unicodedata.category(ch) not in _HIDDEN and ch not in _REORDER)
        else _escape(ch)
        for ch in text
    )


def _escape(ch: str) -> str:
    code = ord(ch)
    return _NAMED.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def shorten(text: str, width: int = 80) -> str:
    """``text`` cut to ``width`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def quoted(value: object, width: int = 60) -> str:
    """A value as Python writes it (quoted, escaped), cut to ``width`` characters."""
    return shorten(repr(value), width)
