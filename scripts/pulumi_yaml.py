"""Keep the ``config:`` section of ``Pulumi.yaml`` in step with :class:`StackConfig`.

``python scripts/pulumi_yaml.py`` rewrites the section from the model: the
declaration of the one ``settings`` object, and a comment listing every field
of it; the tests fail when the file and the model disagree.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any, get_args

import yaml

from akeyless_gateway_org.config.model import ComputeKind
from akeyless_gateway_org.config.stack_config import (
    ACCESS_KEY_KEY,
    ROTATED_SECRETS_KEY,
    SETTINGS_KEY,
    SettingDoc,
    StackKind,
    setting_docs,
)
from akeyless_gateway_org.project import PROJECT_DIR

PULUMI_YAML = PROJECT_DIR / "Pulumi.yaml"
CONFIG_MARKER = "\nconfig:\n"
SETTINGS_DESCRIPTION = (
    "This stack's settings, one object with the names of the org file "
    "(config/org.example.yaml); its fields are listed in the comment above. "
    "orgctl writes it; README.md shows a hand-written one per stack kind."
)
_PREAMBLE = f"""\
A stack reads one object, {SETTINGS_KEY}, declared below. It has no default, so the
CLI refuses to run a stack without it. Its fields (* required; the program checks
each, with the same rules as the org file); a field followed by (kinds) belongs to
those stack kinds only, and a site field also to the compute kinds after the ';'.
A field another kind has is refused, named (settings.vpc_id on a member stack):
"""
_SITE_HEADING = "Where the Gateway runs (hub and account stacks only):"
_SECRET_NOTE = f"""\
Secrets, not declared here: {ACCESS_KEY_KEY}, for an api_key login without
AKEYLESS_ACCESS_KEY, and {ROTATED_SECRETS_KEY}, the JSON object {{"<IAM user>":
"<its current secret access key>"}} of rotated_access_keys; set each with
`pulumi config set --secret KEY`, the value on stdin (the program refuses them in
plain text). The CLI would require a declared typed `secret: true` key on every
stack (pulumi/pulumi pkg/workspace/config.go).
"""


def config_declarations() -> dict[str, dict[str, Any]]:
    """The declared project config keys: the settings object only."""
    return {SETTINGS_KEY: {"type": "object", "description": SETTINGS_DESCRIPTION}}


def _kinds(doc: SettingDoc) -> str:
    """``  (hub, account; eks)``: the stack and compute kinds that have the field, if not all."""
    parts = []
    if set(doc.stack_kinds) != set(get_args(StackKind)):
        parts.append(", ".join(doc.stack_kinds))
    if doc.computes and set(doc.computes) != set(get_args(ComputeKind)):
        parts.append(", ".join(doc.computes))
    if doc.required_for:
        parts.append(f"required for {', '.join(doc.required_for)}")
    return f"  ({'; '.join(parts)})" if parts else ""


def _field_line(doc: SettingDoc) -> str:
    if doc.required:
        return f"{doc.path}*: {doc.type}{_kinds(doc)}"
    if doc.default is None or doc.default in ([], {}):
        return f"{doc.path}: {doc.type}{_kinds(doc)}"
    default = doc.default if isinstance(doc.default, str) else json.dumps(doc.default)
    return f"{doc.path}: {doc.type} = {default}{_kinds(doc)}"


def settings_comment() -> list[str]:
    """The comment lines documenting every field of the settings object."""
    docs = setting_docs()
    # The stack's own settings first; where a Gateway runs (hub and account stacks) last.
    site = [doc for doc in docs if doc.computes]
    lines = _PREAMBLE.splitlines()
    for heading, group in (("", [d for d in docs if d not in site]), (_SITE_HEADING, site)):
        lines += [heading] if heading else []
        for doc in group:
            lines.append(f"  {_field_line(doc)}")
            lines += textwrap.wrap(
                doc.description, width=84, initial_indent="      ", subsequent_indent="      "
            )
    lines += _SECRET_NOTE.splitlines()
    return [f"# {line}".rstrip() for line in lines]


def config_section() -> str:
    """The text of ``Pulumi.yaml`` from ``config:`` on."""
    body = yaml.safe_dump(config_declarations(), sort_keys=False, width=100)
    lines = [*settings_comment(), *body.splitlines()]
    return CONFIG_MARKER.lstrip("\n") + "".join(f"  {line}\n" for line in lines)


def rewrite(path: Path = PULUMI_YAML) -> None:
    head = path.read_text(encoding="utf-8").split(CONFIG_MARKER)[0]
    path.write_text(f"{head}\n{config_section()}", encoding="utf-8")


if __name__ == "__main__":
    rewrite()
