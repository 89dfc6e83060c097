"""One Markdown pull-request comment for the whole organization, from plain data.

Input: the stacks' records (``records.StackRecord``): status, change counts and
resource steps (op, type, name, changed properties, old and new inputs), from a live
``preview`` (engine events) or from the offline render (every resource a ``create``:
the desired state).
Output: a summary table of every stack first, then one collapsed ``<details>``
per stack that changes, with property-level diffs (an IAM policy as a readable
JSON diff); stacks without changes in one line. Secrets stay masked. The
comment is capped at 64,000 characters: per-stack details are trimmed, never
the summary, and the comment says what was trimmed.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from akeyless_gateway_org.policy.documents import policy_document
from akeyless_gateway_org.records import COUNTED_OPS, ResourceStep, StackRecord

MAX_CHARS = 64_000
MARKER = "<!-- akeyless-gateway-org:preview -->"
"""Identifies the comment, so CI edits it in place instead of adding another."""
OP_MARKS = {"create": "+", "update": "~", "delete": "-", "replace": "±"}
VALUE_WIDTH = 120


# --- rendering ---------------------------------------------------------------------


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def code_span(text: str) -> str:
    """``text`` as inline code that no value can break out of.

    Values come from pull requests (config, program output): a backtick in one
    would end a plain `...` span and let the rest render as Markdown (links,
    images that call out). A CommonMark code span closes only on a backtick run
    of its opening length (https://spec.commonmark.org/0.31.2/#code-spans), so
    the fence is one longer than the longest run inside; newlines become spaces.
    """
    flat = " ".join(text.splitlines()) or " "
    fence = "`" * (max((len(run) for run in re.findall(r"`+", flat)), default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def code_block(text: str, indent: str = "", info: str = "") -> list[str]:
    """``text`` as a fenced block (``info``: its language), its fence longer than any
    backtick run inside it."""
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return [
        f"{indent}{fence}{info}",
        *(f"{indent}{line}" for line in text.splitlines()),
        f"{indent}{fence}",
    ]


def plain(text: str) -> str:
    """``text`` with Markdown's and HTML's active characters backslash-escaped
    (https://spec.commonmark.org/0.31.2/#backslash-escapes), on one line."""
    return re.sub(r"([\\`*_\[\]()<>!|#~&])", r"\\\1", " ".join(text.splitlines()))


def _policy_lines(value: Any) -> list[str]:
    document = policy_document(value)
    if document is None:
        return []
    return json.dumps(document, indent=2, sort_keys=False).splitlines()


def _property_lines(step: ResourceStep) -> list[str]:
    old, new = step.old or {}, step.new or {}
    if step.op == "create":
        keys: Iterable[str] = sorted(new)
    elif step.op in ("update", "replace"):
        keys = step.diffs or sorted(k for k in {*old, *new} if old.get(k) != new.get(k))
    else:
        return []
    lines: list[str] = []
    for key in keys:
        before, after = old.get(key), new.get(key)
        if policy_document(after) is not None or policy_document(before) is not None:
            diff = difflib.unified_diff(
                _policy_lines(before), _policy_lines(after), lineterm="", n=2
            )
            body = [line for line in diff if not line.startswith(("---", "+++"))]
            if step.op == "create":
                body = [f"+{line}" for line in _policy_lines(after)]
            lines += [
                f"  - {code_span(key)}:",
                "",
                *code_block("\n".join(body), indent="    ", info="diff"),
            ]
        elif step.op == "create":
            lines.append(f"  - {code_span(key)}: {code_span(_short(after))}")
        else:
            lines.append(
                f"  - {code_span(key)}: {code_span(_short(before))} → {code_span(_short(after))}"
            )
    return lines


def _counts(stack: StackRecord) -> list[str]:
    return [str(stack.changes.get(op, 0)) for op in COUNTED_OPS]


def _summary(stacks: Sequence[StackRecord], title: str) -> list[str]:
    changed = [s for s in stacks if s.changed]
    failed = [s for s in stacks if s.status == "failed"]
    unchanged = [s for s in stacks if s.status == "unchanged"]
    lines = [
        MARKER,
        f"## {title}",
        "",
        f"{len(stacks)} stacks: {len(changed)} with changes, "
        f"{len(stacks) - len(changed) - len(failed) - len(unchanged)} without, "
        + (f"{len(unchanged)} not previewed (unchanged), " if unchanged else "")
        + f"{len(failed)} failed.",
        "",
        "| stack | account | + | ~ | - | ± | status |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for stack in stacks:
        status = "❌ failed" if stack.status == "failed" else stack.status
        lines.append(
            f"| `{stack.name}` | {stack.account} | {' | '.join(_counts(stack))} | {status} |"
        )
    return lines


def _details(stack: StackRecord) -> list[str]:
    marks = " ".join(
        f"{OP_MARKS[op]}{stack.changes.get(op)}" for op in COUNTED_OPS if stack.changes.get(op)
    )
    lines = [
        "<details>",
        f"<summary><b>{stack.name}</b> ({stack.account}) {marks}".rstrip() + "</summary>",
        "",
    ]
    if stack.error:
        lines += ["**Error:**", "", *code_block(stack.error), ""]
    for step in stack.steps:
        if step.op == "same":
            continue
        mark = OP_MARKS.get(step.op, "·")
        lines.append(f"- `{mark} {step.op}` {code_span(step.type)} **{plain(step.name)}**")
        lines += _property_lines(step)
    lines += ["", "</details>", ""]
    return lines


def _unchanged_note(stacks: Sequence[StackRecord]) -> str:
    """The stacks a live preview left out, and why: their fingerprint (run/incremental.py)."""
    if not stacks:
        return ""
    reasons: dict[str, list[str]] = {}
    for stack in stacks:
        reasons.setdefault(stack.reason or "unchanged", []).append(f"`{stack.name}`")
    shown = 50  # the run report lists every stack
    lines = [
        f"Not previewed, unchanged: {', '.join(names[:shown])}"
        + (f" and {len(names) - shown} more" if len(names) > shown else "")
        + f" ({plain(reason)})."
        for reason, names in reasons.items()
    ]
    return (
        "\n".join(lines) + " Their drift, if any, is `orgctl drift`'s; `--all` previews them too.\n"
    )


def render_comment(
    stacks: Sequence[StackRecord],
    *,
    title: str = "Akeyless Gateway: org-wide preview",
    max_chars: int = MAX_CHARS,
) -> str:
    """The comment, at most ``max_chars`` long; details trimmed first, then noted."""
    head = "\n".join(_summary(stacks, title)) + "\n\n"
    quiet = [s.name for s in stacks if not s.changed and s.status not in ("failed", "unchanged")]
    tail = f"No changes: {', '.join(f'`{n}`' for n in quiet)}.\n" if quiet else ""
    tail += _unchanged_note([s for s in stacks if s.status == "unchanged"])
    sections = [
        (stack.name, "\n".join(_details(stack)) + "\n")
        for stack in stacks
        if stack.changed or stack.status == "failed"
    ]
    note_room = 400  # what the trimming note itself may take
    budget = max_chars - len(head) - len(tail) - note_room
    kept: list[str] = []
    trimmed: list[str] = []
    for name, section in sections:
        if not trimmed and len(section) <= budget:
            kept.append(section)
            budget -= len(section)
        else:
            trimmed.append(name)
    note = ""
    if trimmed:
        shown = ", ".join(f"`{n}`" for n in trimmed[:10])
        more = f" and {len(trimmed) - 10} more" if len(trimmed) > 10 else ""
        note = (
            f"\n> Trimmed: the details of {len(trimmed)} stack(s) ({shown}{more}) are left out "
            f"to stay under {max_chars:,} characters; the summary above is complete and the "
            "run report has every stack.\n"
        )
    comment = head + "".join(kept) + tail + note
    if len(comment) > max_chars:  # a summary alone beyond the cap: keep its start, say so
        cut = "\n> Trimmed: the summary table itself exceeds the comment limit.\n"
        comment = comment[: max_chars - len(cut)] + cut
    return comment
