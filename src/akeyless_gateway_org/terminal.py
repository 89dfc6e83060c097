"""Text from input, made safe to show on a terminal.

Account names, error messages from the CLI and values from the org file end up on
the user's terminal. A control character there is an instruction to the terminal,
not text: ESC starts a colour or an OSC 52 clipboard write, CR moves back over a line
already printed, and a bidirectional override reorders what the reader sees. Every
line orgctl prints from input goes through :func:`printable`.
"""

from __future__ import annotations

import unicodedata

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""Unicode's explicit directional formatting characters (UAX #9, "Explicit Directional
Formatting Characters" and "Implicit Directional Marks")."""


def unsafe_character(char: str) -> bool:
    """Whether ``char`` acts on a terminal or on the reading order instead of showing.

    Unicode category ``Cc`` (C0 and C1 controls, DEL), the bidirectional controls, and
    the line and paragraph separators (``Zl``, ``Zp``), which some terminals and editors
    take as line breaks.
    """
    return char in BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Zl", "Zp")


def printable(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with each unsafe character shown as its escape (``\\x1b``, ``\\u202e``).

    ``keep_newlines``: a ``\\n`` (and a tab) stays as it is, for multi-line messages.
    """
    kept = "\n\t" if keep_newlines else ""
    if not any(unsafe_character(char) and char not in kept for char in text):
        return text
    return "".join(
        char if char in kept or not unsafe_character(char) else _escaped(char) for char in text
    )


def _escaped(char: str) -> str:
    return char.encode("unicode_escape").decode("ascii")
