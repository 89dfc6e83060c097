"""The policy pack: each rule of ``rules.py`` as a mandatory resource validation policy."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
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

# Pulumi runs this file from policy/ in the project's virtualenv (PulumiPolicy.yaml),
# where the project is installed as the package akeyless_gateway_org.
from akeyless_gateway_org.policy.rules import DEFAULT_REQUIRED_TAGS, RULES, Resource, violations_of

PACK_NAME = "akeyless-gateway-invariants"


def provider_account(args: ResourceValidationArgs) -> str | None:
    """The one account the resource's provider is pinned to (``allowedAccountIds``).

    The AWS provider sends it as JSON text (``pulumi_aws/provider.py`` passes it
    through ``pulumi.runtime.to_json``); a list, as a ``Sequence`` proxy, is read too.
    """
    if args.provider is None:
        return None
    allowed: Any = args.provider.props.get("allowedAccountIds")
    if isinstance(allowed, str):
        try:
            allowed = json.loads(allowed)
        except json.JSONDecodeError:
            return None
    one = isinstance(allowed, Sequence) and not isinstance(allowed, str) and len(allowed) == 1
    return str(allowed[0]) if one else None


def validation(name: str) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        required = args.get_config().get("tags", DEFAULT_REQUIRED_TAGS)
        resource = Resource(
            type=args.resource_type,
            name=args.name,
            props=args.props,
            account_id=provider_account(args),
            required_tags=tuple(required),
        )
        for message in violations_of(resource, name):
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
