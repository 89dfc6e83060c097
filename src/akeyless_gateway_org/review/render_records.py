"""The PR's ``render.json`` read back as stack records, by the base branch's code.

The comment on a pull request is built by the trusted ``workflow_run`` job
(``.github/workflows/pr-comment.yml``) from the base branch's code, never the PR's: the
PR's run only hands over its ``render.json``, which is data here, untrusted, read within
bounds and checked for shape. Its numbers and diffs are still what the PR's code
rendered, and the comment says so (:func:`provenance_note`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from akeyless_gateway_org.errors import InvalidInput
from akeyless_gateway_org.records import ResourceStep, StackRecord
from akeyless_gateway_org.review.render import COMPONENT_PREFIX

MAX_RENDER_BYTES = 64 * 1024 * 1024
"""A render of the accounts limit (config/model.py) is far below this."""
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


class UnreadableRender(InvalidInput):
    """The render handed over is not a ``render.json`` of this project."""


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or len(value) > 1024:
        raise UnreadableRender(f"render.json: {what} is not a string of at most 1024 characters")
    return value


def records_from_render_json(data: bytes) -> list[StackRecord]:
    """The stack records of a ``render.json`` (as ``StackRender.record`` makes them)."""
    if len(data) > MAX_RENDER_BYTES:
        raise UnreadableRender(f"render.json is larger than {MAX_RENDER_BYTES} bytes")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UnreadableRender(f"render.json is not JSON: {type(error).__name__}") from None
    stacks = document.get("stacks") if isinstance(document, dict) else None
    if not isinstance(stacks, list):
        raise UnreadableRender("render.json has no list of stacks")
    records = []
    for phase, stack in enumerate(stacks):
        if not isinstance(stack, dict) or not isinstance(stack.get("resources"), list):
            raise UnreadableRender(f"render.json: stacks[{phase}] is not a stack")
        resources = [r for r in stack["resources"] if isinstance(r, dict)]
        steps = [
            ResourceStep(
                "create",
                _text(r.get("type"), "a resource type"),
                _text(r.get("name"), "a resource name"),
                new=r.get("inputs") if isinstance(r.get("inputs"), dict) else None,
            )
            for r in resources
            if not str(r.get("type")).startswith(COMPONENT_PREFIX)
        ]
        records.append(
            StackRecord(
                name=_text(stack.get("name"), "a stack name"),
                kind=_text(stack.get("kind"), "a stack kind"),
                account=_text(stack.get("account"), "an account"),
                phase=phase,
                status="rendered",
                changes={"create": len(steps)},
                steps=steps,
            )
        )
    return records


def provenance_note(commit: str) -> str:
    """The line that says whose code computed the comment's content."""
    if not _COMMIT.fullmatch(commit):
        raise UnreadableRender("the head commit must be 40 hexadecimal digits")
    return (
        f"> Computed from the pull request's own code (commit `{commit}`): a pull request can "
        "change what its render reports. This comment was posted by the base branch's workflow."
    )
