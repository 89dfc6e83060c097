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
from collections.abc import Iterable, Sequence
from typing import Any

from akeyless_gateway_org.policy.documents import policy_document
from akeyless_gateway_org.records import COUNTED_OPS, ResourceStep, StackRecord
from akeyless_gateway_org.review.markdown import (
    Markup,
    code,
    code_block,
    escape,
    html_text,
    inert,
    table,
)
from akeyless_gateway_org.review.templates import by_template, differences

MAX_CHARS = 64_000
MARKER = "<!-- akeyless-gateway-org:preview -->"
"""Identifies the comment, so CI edits it in place instead of adding another."""
OP_MARKS = {"create": "+", "update": "~", "delete": "-", "replace": "±"}
VALUE_WIDTH = 120


# --- rendering ---------------------------------------------------------------------


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def code_span(text: str) -> Markup:
    """A value as inline code (``markdown.code``), its HTML tags and mentions removed."""
    return code(inert(text))


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
                *code_block(inert("\n".join(body)), info="diff", indent="    "),
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


def _summary(groups: Sequence[Sequence[StackRecord]], title: str) -> list[str]:
    stacks = [stack for group in groups for stack in group]
    changed = [s for s in stacks if s.changed]
    failed = [s for s in stacks if s.status == "failed"]
    unchanged = [s for s in stacks if s.status == "unchanged"]
    lines = [
        MARKER,
        f"## {escape(title)}",
        "",
        f"{len(stacks)} stacks: {len(changed)} with changes, "
        f"{len(stacks) - len(changed) - len(failed) - len(unchanged)} without, "
        + (f"{len(unchanged)} not previewed (unchanged), " if unchanged else "")
        + f"{len(failed)} failed. "
        "Stacks that are one template with per-account values are one row; the accounts "
        "of each follow the table.",
        "",
    ]
    rows = []
    for group in groups:
        first = group[0]
        more = f" and {len(group) - 1} more like it" if len(group) > 1 else ""
        status = "❌ failed" if first.status == "failed" else first.status
        rows.append([Markup(code_span(first.name) + more), first.account, *_counts(first), status])
    lines += table(["stack", "account", "+", "~", "-", "±", "status"], rows)
    for group in groups:
        if len(group) > 1:
            lines += _group_accounts(group)
    return lines


def _group_accounts(group: Sequence[StackRecord]) -> list[str]:
    """The accounts of a template: what they share once, then what each fills in."""
    found = differences(group, {})
    shared = "; ".join(f"{column} {code_span(value)}" for column, value in found.common)
    return [
        f"**{code_span(group[0].name)} and {len(group) - 1} more like it**"
        + (f", all with {shared}" if shared else "")
        + ":",
        "",
        *table(found.header, [[inert(cell) for cell in row] for row in found.rows]),
    ]


def _details(stack: StackRecord, like: int) -> list[str]:
    marks = " ".join(
        f"{OP_MARKS[op]}{stack.changes.get(op)}" for op in COUNTED_OPS if stack.changes.get(op)
    )
    also = f" and {like} more like it" if like else ""
    lines = [
        "<details>",
        f"<summary><b>{html_text(inert(stack.name))}</b> ({html_text(stack.account)}){also} "
        f"{marks}".rstrip()
        + "</summary>",
        "",
    ]
    if stack.error:
        lines += ["**Error:**", "", *code_block(inert(stack.error)), ""]
    for step in stack.steps:
        if step.op == "same":
            continue
        mark = OP_MARKS.get(step.op, "·")
        lines.append(f"- `{mark} {step.op}` {code_span(step.type)} **{escape(inert(step.name))}**")
        lines += _property_lines(step)
    lines += ["", "</details>", ""]
    return lines


def _unchanged_note(stacks: Sequence[StackRecord]) -> str:
    """The stacks a live preview left out, and why: their fingerprint (run/incremental.py)."""
    if not stacks:
        return ""
    reasons: dict[str, list[str]] = {}
    for stack in stacks:
        reasons.setdefault(stack.reason or "unchanged", []).append(code_span(stack.name))
    shown = 50  # the run report lists every stack
    lines = [
        f"Not previewed, unchanged: {', '.join(names[:shown])}"
        + (f" and {len(names) - shown} more" if len(names) > shown else "")
        + f" ({escape(reason)})."
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
    groups = by_template(stacks)
    head = "\n".join(_summary(groups, title)) + "\n\n"
    quiet = [
        g[0].name for g in groups if not g[0].changed and g[0].status not in ("failed", "unchanged")
    ]
    tail = f"No changes: {', '.join(code_span(n) for n in quiet)}.\n" if quiet else ""
    tail += _unchanged_note([s for s in stacks if s.status == "unchanged"])
    sections = [
        (group[0].name, "\n".join(_details(group[0], len(group) - 1)) + "\n")
        for group in groups
        if group[0].changed or group[0].status == "failed"
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
        shown = ", ".join(code_span(n) for n in trimmed[:10])
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
