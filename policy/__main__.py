"""The policy pack: each rule of ``rules.py`` as a mandatory resource validation policy."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

try:  # run from the project (tests), or by Pulumi from this folder
    from policy.rules import DEFAULT_REQUIRED_TAGS, RULES, Resource, exempt
except ImportError:
    from rules import (  # type: ignore[import-not-found,no-redef]
        DEFAULT_REQUIRED_TAGS,
        RULES,
        Resource,
        exempt,
    )

PACK_NAME = "akeyless-gateway-invariants"


def provider_account(args: ResourceValidationArgs) -> str | None:
    """The one account the resource's provider is pinned to (``allowedAccountIds``)."""
    if args.provider is None:
        return None
    allowed: Any = args.provider.props.get("allowedAccountIds")
    if isinstance(allowed, str):
        allowed = json.loads(allowed)
    return str(allowed[0]) if isinstance(allowed, list) and len(allowed) == 1 else None


def validation(name: str) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    rule = RULES[name][1]

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        required = args.get_config().get("tags", DEFAULT_REQUIRED_TAGS)
        resource = Resource(
            type=args.resource_type,
            name=args.name,
            props=args.props,
            account_id=provider_account(args),
            required_tags=tuple(required),
        )
        if exempt(resource, name):
            return
        for message in rule(resource):
            report(message, args.urn)

    return validate


def policies() -> list[Policy]:
    tags_schema = PolicyConfigSchema(
        properties={"tags": {"type": "array", "items": {"type": "string"}}}
    )
    return [
        ResourceValidationPolicy(
            name=name,
            description=description,
            validate=validation(name),
            enforcement_level=EnforcementLevel.MANDATORY,
            config_schema=tags_schema if name == "required-tags" else None,
        )
        for name, (description, _) in RULES.items()
    ]


if __name__ == "__main__":
    PolicyPack(name=PACK_NAME, policies=policies(), enforcement_level=EnforcementLevel.MANDATORY)
