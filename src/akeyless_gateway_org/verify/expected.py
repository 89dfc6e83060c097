"""The picture the three systems should show, from the org file alone.

Built by the functions the components build their resources from
(``components.stacks``: ``gateway_identity_args``, ``member_access_args``,
``account_target_inputs``, ``gateway_auth_plan``, ``deployer_auth_plan``; the IAM documents of
``components.iam_documents``), over the stacks of ``config.stacks.plan_stacks``: one
copy of the rules, so ``verify`` expects exactly what ``up`` deploys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from akeyless_gateway_org.components.akeyless_objects import GatewayAuthArgs
from akeyless_gateway_org.components.gateway_identity import GatewayIdentityArgs
from akeyless_gateway_org.components.member_access_role import MemberAccessRoleArgs
from akeyless_gateway_org.components.stacks import (
    DEPLOYER_ACCESS_IDS,
    GATEWAY_ACCESS_IDS,
    GATEWAY_HEALTH_URL,
    GATEWAY_ROLE_ARN,
    GATEWAY_URL,
    MEMBER_ROLE_ARN,
    TARGET_NAME,
    account_target_inputs,
    deployer_auth_plan,
    gateway_auth_plan,
    gateway_identity_args,
    member_access_args,
)
from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.stack_config import (
    AccountStackConfig,
    EnrollStackConfig,
    GatewayStackConfig,
    HubStackConfig,
    MemberStackConfig,
    OrgStackConfig,
)
from akeyless_gateway_org.config.stacks import plan_stacks


@dataclass(frozen=True)
class GatewayRole:
    """A Gateway identity role (the hub's, or a distributed account's own)."""

    account_id: str
    args: GatewayIdentityArgs


@dataclass(frozen=True)
class MemberRole:
    """Centralized: a member account's role, trusting the hub Gateway role with the External
    ID Akeyless holds for ``target_name``."""

    account_id: str
    arn: str
    target_name: str
    args: MemberAccessRoleArgs
    """Its ``external_id`` is empty: the expected one is the Target's, read from Akeyless."""


@dataclass(frozen=True)
class Target:
    """An account's AWS Target (its provider inputs, ``account_target_inputs``)."""

    account_id: str
    inputs: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.inputs["name"])


@dataclass(frozen=True)
class GatewayAuth:
    """An auth method and its access role; findings go to ``account_id`` (the unit's account
    when one per account, else the org stack's, the management account)."""

    account_id: str
    plan: GatewayAuthArgs
    output: str = GATEWAY_ACCESS_IDS
    """The org stack's output mapping its accounts to its access ID."""


@dataclass(frozen=True)
class StackOutputs:
    """The outputs of one stack that later phases (and the Gateways) read."""

    stack: str
    account_id: str
    exact: Mapping[str, str] = field(default_factory=dict)
    """Output -> the value it must have."""
    urls: tuple[str, ...] = ()
    """Outputs that must be a Gateway URL of the form the later phases accept."""
    access_ids_of: tuple[str, ...] = ()
    """The org stack: ``gatewayAccessIds`` (and, distributed, ``deployerAccessIds``) must map
    exactly these accounts, each to the access ID of the auth method binding it."""


@dataclass(frozen=True)
class ExpectedOrg:
    accounts: tuple[str, ...]
    gateway_roles: tuple[GatewayRole, ...]
    member_roles: tuple[MemberRole, ...]
    targets: tuple[Target, ...]
    auths: tuple[GatewayAuth, ...]
    stacks: tuple[StackOutputs, ...]


def _gateway_outputs(stack: str, config: GatewayStackConfig) -> StackOutputs:
    exact = {GATEWAY_ROLE_ARN: gateway_identity_args(config).role_arn}
    if config.gateway_url is not None:
        exact[GATEWAY_URL] = config.gateway_url
    if isinstance(config, AccountStackConfig):
        exact[TARGET_NAME] = str(account_target_inputs(config)["name"])
    return StackOutputs(stack, config.account_id, exact, urls=(GATEWAY_URL, GATEWAY_HEALTH_URL))


def expected_org(org: OrgDeployment) -> ExpectedOrg:
    """What every stack of ``org`` deploys, as the systems should show it."""
    gateway_roles: list[GatewayRole] = []
    member_roles: list[MemberRole] = []
    targets: list[Target] = []
    auths: list[GatewayAuth] = []
    stacks: list[StackOutputs] = []
    for spec in plan_stacks(org):
        config = spec.config
        if isinstance(config, EnrollStackConfig):
            continue  # no Gateway, role or Target of its own: orgctl verify does not check it
        if isinstance(config, OrgStackConfig):
            per_account = config.akeyless.auth_method_scope == "per_account"
            for plan in gateway_auth_plan(config):
                owner = plan.account_ids[0] if per_account else spec.account_id
                auths.append(GatewayAuth(owner, plan))
            # Distributed: each account stack's own login (one per account).
            auths += [
                GatewayAuth(plan.account_ids[0], plan, DEPLOYER_ACCESS_IDS)
                for plan in deployer_auth_plan(config)
            ]
            stacks.append(
                StackOutputs(spec.name, spec.account_id, access_ids_of=config.gateway_account_ids)
            )
        elif isinstance(config, HubStackConfig):
            gateway_roles.append(GatewayRole(spec.account_id, gateway_identity_args(config)))
            stacks.append(_gateway_outputs(spec.name, config))
        elif isinstance(config, MemberStackConfig):
            target = Target(spec.account_id, account_target_inputs(config))
            arn = str(target.inputs["role_arn"])
            targets.append(target)
            member_roles.append(
                MemberRole(spec.account_id, arn, target.name, member_access_args(config, ""))
            )
            exact = {MEMBER_ROLE_ARN: arn, TARGET_NAME: target.name}
            stacks.append(StackOutputs(spec.name, spec.account_id, exact))
        else:
            assert isinstance(config, AccountStackConfig)
            gateway_roles.append(GatewayRole(spec.account_id, gateway_identity_args(config)))
            targets.append(Target(spec.account_id, account_target_inputs(config)))
            stacks.append(_gateway_outputs(spec.name, config))
    return ExpectedOrg(
        accounts=tuple(account.id for account in org.accounts),
        gateway_roles=tuple(gateway_roles),
        member_roles=tuple(member_roles),
        targets=tuple(targets),
        auths=tuple(auths),
        stacks=tuple(stacks),
    )
