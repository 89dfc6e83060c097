"""The Pulumi program: one stack's config in, that stack's component out."""

from __future__ import annotations

import json
import os

import pulumi

from akeyless_gateway_org.components import stacks
from akeyless_gateway_org.components.akeyless_sdk import current_sdk
from akeyless_gateway_org.components.enrollment import EnrollStack
from akeyless_gateway_org.config.pulumi_stack import read_stack_config
from akeyless_gateway_org.config.stack_config import (
    EnrollStackConfig,
    HubStackConfig,
    MemberStackConfig,
    OrgStackConfig,
    StackConfig,
)
from akeyless_gateway_org.config.stacks import stack_name
from akeyless_gateway_org.errors import OrgError


def build_stack(config: StackConfig) -> pulumi.ComponentResource:
    """Instantiate the component for the stack's kind and export what later phases need.

    Under ``pulumi up`` this needs the generated ``pulumi_akeyless``; only the
    offline render selects the schema-driven classes instead (``akeyless_sdk.selected``).
    """
    current_sdk()  # a missing SDK is a clear error before any resource is registered

    name = stack_name(config.stack_kind, config.account_id)
    if isinstance(config, OrgStackConfig):
        org = stacks.OrgStack(name, config)
        pulumi.export(stacks.GATEWAY_ACCESS_IDS, org.gateway_access_ids)
        if org.deployer_access_ids:
            pulumi.export(stacks.DEPLOYER_ACCESS_IDS, org.deployer_access_ids)
        return org
    if isinstance(config, EnrollStackConfig):
        return EnrollStack(name, config)
    if isinstance(config, HubStackConfig):
        hub = stacks.HubStack(name, config)
        pulumi.export(stacks.GATEWAY_ROLE_ARN, hub.gateway_role_arn)
        pulumi.export(stacks.GATEWAY_URL, hub.gateway_url)
        pulumi.export(stacks.GATEWAY_HEALTH_URL, hub.gateway_health_url)
        pulumi.export(stacks.GATEWAY_TRANSPORT, hub.gateway_transport)
        return hub
    if isinstance(config, MemberStackConfig):
        member = stacks.MemberStack(name, config)
        pulumi.export(stacks.MEMBER_ROLE_ARN, member.member_role_arn)
        pulumi.export(stacks.TARGET_NAME, member.target_name)
        return member
    account = stacks.AccountStack(name, config)
    pulumi.export(stacks.GATEWAY_ROLE_ARN, account.gateway_role_arn)
    pulumi.export(stacks.GATEWAY_URL, account.gateway_url)
    pulumi.export(stacks.GATEWAY_HEALTH_URL, account.gateway_health_url)
    pulumi.export(stacks.GATEWAY_TRANSPORT, account.gateway_transport)
    pulumi.export(stacks.TARGET_NAME, account.target_name)
    return account


def export_fingerprint(text: str | None) -> None:
    """The fingerprint orgctl handed this ``up`` (``ORGCTL_STACK_FINGERPRINT``), as the
    stack output ``orgctlFingerprint``: kept in the state, wherever the state lives."""
    if text:
        pulumi.export(stacks.FINGERPRINT_OUTPUT, json.loads(text))


def main() -> None:
    """Entry point of ``__main__.py``: bad config or a missing SDK ends the run clearly."""
    try:
        build_stack(read_stack_config())
        export_fingerprint(os.environ.get(stacks.FINGERPRINT_VARIABLE))
    except OrgError as error:
        # Bad config, a missing SDK, or (outside a preview) an earlier phase not deployed yet.
        raise pulumi.RunError(str(error)) from None
