"""Review by difference: stacks that are one template filled with per-account values.

An organization's member stacks are the same program with the same settings, each
in its own account: a reviewer reads one of them and then checks what differs per
account. :func:`by_template` groups the stacks whose records are equal once the
per-account values are replaced by named holes:

- the account ID (in names, ARNs, Akeyless paths) becomes ``{account}``;
- each of the stack's regions becomes ``{region 1}``, ``{region 2}``...;
- every ``tags`` / ``tagsAll`` value becomes ``{tags}``;
- a SHA-256 in hex that is a whole value (the change detectors some steps take,
  digests of their other inputs) becomes ``{sha256}``.

Anything else that differs (another capability, another role ARN, another number
of regions) puts the stack in a group of its own, so it is shown in full. The
holes are what the difference table lists per account: account ID, name, regions,
capabilities and tags (:func:`difference_rows`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from akeyless_gateway_org.records import StackRecord

TAG_KEYS = frozenset({"tags", "tagsAll"})
DIGEST = re.compile(r"[0-9a-f]{64}")
DIFFERENCE_HEADER = ("stack", "account", "name", "regions", "capabilities", "tags")


def _holes(value: Any) -> Any:
    """``value`` with tags and whole digests replaced by their holes."""
    if isinstance(value, Mapping):
        return {key: "{tags}" if key in TAG_KEYS else _holes(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_holes(item) for item in value]
    if isinstance(value, str) and DIGEST.fullmatch(value):
        return "{sha256}"
    return value


def template_key(stack: StackRecord) -> str:
    """The stack's record with its per-account values as holes: equal keys, one template."""
    text = json.dumps(
        [
            stack.kind,
            stack.phase,
            stack.status,
            stack.compute,
            len(stack.regions),
            stack.changes,
            stack.error,
            _holes(stack.resources),
            _holes([asdict(step) for step in stack.steps]),
        ],
        sort_keys=True,
        default=str,
    )
    text = text.replace(stack.account, "{account}")
    for number, region in enumerate(stack.regions, start=1):
        text = text.replace(region, f"{{region {number}}}")
    return text


def by_template(stacks: Sequence[StackRecord]) -> list[list[StackRecord]]:
    """The stacks grouped by template, each group in input order, groups by first stack."""
    groups: dict[str, list[StackRecord]] = {}
    for stack in stacks:
        groups.setdefault(template_key(stack), []).append(stack)
    return list(groups.values())


def _tag_text(tags: Mapping[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(tags.items()))


def difference_row(
    stack: StackRecord, names: Mapping[str, str | None], shared_tags: Mapping[str, str]
) -> list[str]:
    """What a stack fills its template's holes with, as plain text cells (its tags but
    those every stack of the group has)."""
    own_tags = {k: v for k, v in stack.tags.items() if shared_tags.get(k) != v}
    return [
        stack.name,
        stack.account,
        names.get(stack.account) or stack.account_name or "",
        ", ".join(stack.regions),
        "; ".join(stack.capabilities),
        _tag_text(own_tags),
    ]


@dataclass(frozen=True)
class Differences:
    """A template's stacks: the values they share, and a row per stack of those that differ."""

    common: list[tuple[str, str]]
    """(column, value) the same for every stack of the group."""
    header: list[str]
    rows: list[list[str]]


def differences(group: Sequence[StackRecord], names: Mapping[str, str | None]) -> Differences:
    """The difference table of a group, its columns only those that differ: at 1,000
    accounts a row is an account ID and a name, not six columns said a thousand times.

    The stack column is left out when each name is the template's with its own account
    ID (``member-<account>``); tags every stack has are said once, with the others.
    """
    first = group[0]
    shared_tags = {
        key: value
        for key, value in first.tags.items()
        if all(stack.tags.get(key) == value for stack in group)
    }
    rows = [difference_row(stack, names, shared_tags) for stack in group]
    derived_names = all(
        stack.name == first.name.replace(first.account, stack.account) for stack in group
    )
    varying = [
        index
        for index in range(len(DIFFERENCE_HEADER))
        if index == 1  # the account, always
        or ((index != 0 or not derived_names) and len({row[index] for row in rows}) > 1)
    ]
    common = [
        (DIFFERENCE_HEADER[index], rows[0][index])
        for index in range(2, len(DIFFERENCE_HEADER))
        if index not in varying and rows[0][index]
    ]
    if shared_tags:
        common.append(("tags", _tag_text(shared_tags)))
    return Differences(
        common,
        [DIFFERENCE_HEADER[index] for index in varying],
        [[row[index] for index in varying] for row in rows],
    )
