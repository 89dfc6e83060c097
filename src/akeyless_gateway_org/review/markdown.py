"""Markdown that no value can break out of: the one escaping of render.md and the PR comment.

Every value the review documents show comes from an org file, a stack file or a
program's output, all written by whoever opened the pull request. A value must
read as itself and nothing more: a carriage return must not end a table row, a
``<!--`` must not hide what follows, a backtick must not end its code span, a pipe
must not open a table cell, and in a PR comment an ``@team`` must not notify
anyone. So values reach the Markdown only through :func:`escape` (prose),
:func:`code` (inline code) or :func:`code_block` (a fenced block); each returns
:class:`Markup`, and :func:`table` escapes any cell that is not ``Markup`` yet.

Rules from the CommonMark spec 0.31.2 (https://spec.commonmark.org/0.31.2/) and
GitHub Flavored Markdown (https://github.github.com/gfm/):
- a code span closes only on a backtick run of its opening length (#code-spans);
- a fenced block closes only on a fence at least as long as its opening
  (#fenced-code-blocks);
- any ASCII punctuation may be backslash-escaped, which keeps ``<`` from opening
  HTML and ``&`` from starting an entity (#backslash-escapes);
- a table cell ends at an unescaped pipe, also inside a code span, and ``\\|`` is
  the pipe itself there (GFM #tables-extension-, example 200);
- a line ends at LF, CR or CRLF (#line-ending): a value keeps to its line only
  with its control characters written out.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence

ACTIVE = re.compile(r"([\\`*_\[\]<>~&])")
"""ASCII punctuation Markdown or HTML gives a meaning to inside a line: backslash-escaped in
prose. The pipe only matters in a table, where :func:`table` escapes it in every cell."""
BACKTICKS = re.compile(r"`+")
HTML_TAG = re.compile(
    r"</?[A-Za-z][A-Za-z0-9-]*(?:[\s/][^<>]*)?>|<!--.*?(?:-->|$)|<![A-Z\[][^>]*>?"
)
"""An HTML open or closing tag, comment or declaration (CommonMark #raw-html): removed
from PR comment values. The render's ``<resource.prop: known after deploy>`` is none."""
MENTION = re.compile(r"(?<![\w@])@(?=[\w-])")
"""An ``@`` that starts a GitHub mention (``@user``, ``@org/team``); an e-mail's is kept."""


class Markup(str):
    """Markdown already escaped: written as is, never escaped again."""

    __slots__ = ()


def visible(text: str) -> str:
    """``text`` on one line, every control or invisible formatting character written out.

    Control characters (Unicode Cc: CR, LF, ESC, NUL ...) and format characters
    (Cf: the bidirectional overrides, zero-width spaces) become ``\\r``, ``\\x1b``,
    ``\\u202e``: a reviewer sees them instead of what they would do.
    """
    if text.isprintable():
        return text
    return "".join(
        char
        if unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp")
        else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def escape(value: object) -> Markup:
    """``value`` as prose: on one line, every Markdown or HTML character backslash-escaped."""
    if isinstance(value, Markup):
        return value
    return Markup(ACTIVE.sub(r"\\\1", visible(str(value))))


def code(value: object) -> Markup:
    """``value`` as inline code: on one line, in a fence longer than any backtick run inside."""
    text = visible(str(value)) or " "
    fence = "`" * (max((len(run) for run in BACKTICKS.findall(text)), default=0) + 1)
    # A span that starts or ends with a backtick or a space needs a space inside the
    # fence; one space each side is stripped when rendered (#code-spans).
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return Markup(f"{fence}{pad}{text}{pad}{fence}")


def code_block(text: str, info: str = "", indent: str = "") -> list[str]:
    """``text`` as a fenced block, its fence longer than any backtick run inside.

    Lines keep their breaks; any other control character is written out.
    """
    lines = [visible(line) for line in text.rstrip("\n").split("\n")]
    longest = max((len(run) for line in lines for run in BACKTICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{indent}{fence}{info}", *(f"{indent}{line}" for line in lines), f"{indent}{fence}"]


def html_text(value: object) -> Markup:
    """``value`` inside raw HTML (a ``<summary>``): entities for ``<``, ``&`` and quotes."""
    return Markup(html.escape(visible(str(value))))


def inert(value: str) -> str:
    """A value for a PR comment: its HTML tags and the ``@`` of its mentions removed.

    Escaping already keeps them from rendering; removing them keeps a value from
    even reading as a tracking image or a notice to a team.
    """
    return MENTION.sub("", HTML_TAG.sub("", value))


def table(header: Sequence[object], rows: Sequence[Sequence[object]]) -> list[str]:
    """A GFM table, then a blank line; each cell escaped (unless ``Markup``), its pipes too."""

    def cell(value: object) -> str:
        return escape(value).replace("|", "\\|")  # also inside code spans (GFM example 200)

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return [*lines, ""]
