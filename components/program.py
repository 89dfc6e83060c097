"""The Pulumi program: one stack's config in, that stack's component out."""

from __future__ import annotations

import pulumi

from components.stacks import AccountStack, HubStack, MemberStack, OrgStack
from config.pulumi_stack import read_stack_config
from config.stack_config import StackConfig
from config.stacks import stack_name
from config.validation import ConfigError, Problem


def build_stack(config: StackConfig) -> pulumi.ComponentResource:
    """Instantiate the component for the stack's kind and export what later phases need."""
    name = stack_name(config.stack_kind, config.account_id)
    if config.stack_kind == "org":
        org = OrgStack(name, config)
        pulumi.export("gatewayRoleArns", org.gateway_role_arns)
        return org
    if config.stack_kind == "hub":
        hub = HubStack(name, config)
        pulumi.export("gatewayRoleArn", hub.gateway_role_arn)
        return hub
    if config.stack_kind == "member":
        if config.external_id is None:
            raise ConfigError(
                "member stack config", [Problem("externalId", "required for a member stack")]
            )
        member = MemberStack(name, config, external_id=pulumi.Output.secret(config.external_id))
        pulumi.export("memberRoleArn", member.member_role_arn)
        return member
    account = AccountStack(name, config)
    pulumi.export("gatewayRoleArn", account.gateway_role_arn)
    return account


def main() -> None:
    """Entry point of ``__main__.py``: invalid config ends the run with a clear message."""
    try:
        build_stack(read_stack_config())
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None
