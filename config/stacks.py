"""The stacks of an organization deployment, derived from the org file.

See README.md, "Stacks": centralized is ``org`` -> ``hub`` ->
``member-<account>``; distributed is ``org`` -> ``account-<account>``. Each
stack gets a ``StackConfig`` holding only what its program needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from akeyless_gateway_org.config.model import (
    ENROLL_REGION,
    SITE_FIELDS,
    AccountSpec,
    CapabilitySettings,
    OrgDeployment,
    SiteBase,
)
from akeyless_gateway_org.config.stack_config import StackConfig, StackKind, stack_config

ORG_STACK = "org"
HUB_STACK = "hub"
ENROLL_STACK = "enroll"


@dataclass(frozen=True)
class StackSpec:
    """One stack of the deployment: its name, kind, phase (0 first) and config."""

    name: str
    kind: StackKind
    phase: int
    account_id: str
    config: StackConfig


def logs_in_per_run(stack: str) -> bool:
    """Whether ``stack`` logs in to Akeyless with a token it gets anew in every run that
    runs its program (distributed ``account-<account>`` stacks: components/akeyless_login.py),
    so a ``destroy``, ``refresh`` or drift check must run its program, not reuse the state's
    expired token."""
    return stack.startswith("account-")


def stack_name(kind: StackKind, account_id: str | None = None) -> str:
    """``org``, ``hub``, ``member-<account>`` or ``account-<account>``."""
    if kind in ("org", "hub", "enroll"):
        return kind
    if account_id is None:
        raise ValueError(f"a {kind} stack needs an account ID")
    return f"{kind}-{account_id}"


def _gateway_settings(org: OrgDeployment, site: object) -> dict[str, Any]:
    """What a stack running a Gateway adds: the Gateway's settings and its site's fields."""
    assert isinstance(site, SiteBase), "validation gives every Gateway a site"
    return {
        "gateway": org.gateway,
        **site.model_dump(include=set(SITE_FIELDS), exclude_defaults=True),
    }


def _config(
    org: OrgDeployment, kind: StackKind, account_id: str, account: AccountSpec | None
) -> StackConfig:
    """The stack's config: the org file's settings that its kind has, and only those."""
    common: dict[str, Any] = {
        "stack_kind": kind,
        "pattern": org.pattern,
        "account_id": account_id,
        "management_account_id": org.management_account_id,
        "regions": org.regions_of(account) if account else org.regions,
        "bootstrap_role_name": org.bootstrap_role_name,
        "iam": org.iam,
        "akeyless": org.akeyless,
        "tags": org.tags_of(account),
    }
    hub: dict[str, Any] = {"hub_account_id": org.hub.account_id} if org.hub else {}
    if kind == "enroll":
        assert org.enrollment is not None, "an enroll stack only when the file asks for one"
        enroll = {"github": org.enrollment.github, "discovery": org.discovery}
        return stack_config({**common, "regions": (ENROLL_REGION,), **enroll})
    if kind == "org":
        gateways = (org.hub.account_id,) if org.hub else tuple(a.id for a in org.accounts)
        return stack_config({**common, **hub, "gateway_account_ids": gateways})
    if kind == "hub":
        hub |= {"organization_id": org.organization_id}
        return stack_config({**common, **hub, **_gateway_settings(org, org.hub)})
    assert account is not None, f"a {kind} stack is one account's"
    granted = org.capabilities_of(account)
    capabilities = {name: getattr(granted, name) for name in CapabilitySettings.model_fields}
    if granted.unsafe_allow_privileged_grants:  # the org file's explicit "I accept that"
        capabilities["unsafe_allow_privileged_grants"] = True
    if kind == "member":
        return stack_config({**common, **hub, **capabilities})
    return stack_config({**common, **capabilities, **_gateway_settings(org, account)})


def plan_stacks(org: OrgDeployment) -> list[StackSpec]:
    """Every stack of the deployment, in phase order, then account order."""
    stacks = [
        StackSpec(
            ORG_STACK,
            "org",
            0,
            org.management_account_id,
            _config(org, "org", org.management_account_id, None),
        )
    ]
    if org.enrollment is not None:  # in the org phase: it needs no other stack's outputs
        stacks.append(
            StackSpec(
                ENROLL_STACK,
                "enroll",
                0,
                org.management_account_id,
                _config(org, "enroll", org.management_account_id, None),
            )
        )
    if org.pattern == "centralized":
        assert org.hub is not None  # guaranteed by validation
        stacks.append(
            StackSpec(
                HUB_STACK,
                "hub",
                1,
                org.hub.account_id,
                _config(org, "hub", org.hub.account_id, None),
            )
        )
        member_kind: StackKind = "member"
        phase = 2
    else:
        member_kind = "account"
        phase = 1
    for account in org.accounts:
        stacks.append(
            StackSpec(
                stack_name(member_kind, account.id),
                member_kind,
                phase,
                account.id,
                _config(org, member_kind, account.id, account),
            )
        )
    return stacks
