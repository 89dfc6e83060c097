"""Which accounts a deployment reaches: the org file's list, or AWS Organizations.

``resolve_accounts(org)`` returns the org deployment with ``accounts`` set to the
selection. With ``discovery.source: file`` (the default, offline) that is the
file's list, filtered by account ID. With ``organizations`` it reads AWS
Organizations through boto3 (honouring ``AWS_ENDPOINT_URL``, so an emulator
works): only ACTIVE accounts, include/exclude by account ID, by OU (nested OUs
included) and by tags; every list call paginated. The file's ``organization_id``
and ``management_account_id`` must be the organization's. A discovered account takes
its settings from the file when listed there, else the organization defaults.

The filtering itself is :func:`select_accounts`, a pure function.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions

from akeyless_gateway_org.config.model import AccountSelection, AccountSpec, OrgDeployment
from akeyless_gateway_org.config.validation import ConfigError, Problem, consistency_problems
from akeyless_gateway_org.errors import InvalidInput, OrgError, RunFailure

TAG_READ_THREADS = 8


class DiscoveryError(OrgError):
    """The accounts could not be resolved: one of the two below."""


class SelectionError(DiscoveryError, InvalidInput):
    """The selection is wrong: an unknown OU, an empty result."""


class OrganizationsUnavailable(DiscoveryError, RunFailure):
    """AWS Organizations could not be read (credentials, permissions, network)."""


@dataclass(frozen=True)
class OrgAccount:
    """An account as AWS Organizations (or the org file) describes it."""

    id: str
    name: str = ""
    state: str = "ACTIVE"
    tags: Mapping[str, str] = field(default_factory=dict)


def select_accounts(
    candidates: Sequence[OrgAccount],
    selection: AccountSelection,
    *,
    management_account_id: str,
    hub_account_id: str | None = None,
    accounts_under: Mapping[str, frozenset[str]] | None = None,
) -> list[OrgAccount]:
    """The candidates the selection keeps, in account-ID order.

    ``accounts_under`` maps each OU named by the selection to the IDs of every
    account below it. The hub is never a member; the management account only
    when ``management_account: include``.
    """
    under = accounts_under or {}
    included_by_ou = frozenset().union(*(under[ou] for ou in selection.include_ous))
    excluded_by_ou = frozenset().union(*(under[ou] for ou in selection.exclude_ous))

    def keep(account: OrgAccount) -> bool:
        if account.state != "ACTIVE" or account.id == hub_account_id:
            return False
        if account.id == management_account_id and selection.management_account == "exclude":
            return False
        if selection.include_account_ids and account.id not in selection.include_account_ids:
            return False
        if account.id in selection.exclude_account_ids or account.id in excluded_by_ou:
            return False
        if selection.include_ous and account.id not in included_by_ou:
            return False
        tags = account.tags
        if any(tags.get(key) != value for key, value in selection.include_tags.items()):
            return False
        return not any(tags.get(key) == value for key, value in selection.exclude_tags.items())

    return sorted((a for a in candidates if keep(a)), key=lambda a: a.id)


# --- AWS Organizations ------------------------------------------------------------


def _pages(client: Any, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(operation).paginate(**params):
        yield from page[key]


def _accounts_under(client: Any, ou: str) -> frozenset[str]:
    """Every account below ``ou``, nested OUs included (breadth first)."""
    found: set[str] = set()
    pending = [ou]
    try:
        while pending:
            parent = pending.pop()
            found.update(
                a["Id"]
                for a in _pages(client, "list_accounts_for_parent", "Accounts", ParentId=parent)
            )
            pending.extend(
                child["Id"]
                for child in _pages(
                    client,
                    "list_children",
                    "Children",
                    ParentId=parent,
                    ChildType="ORGANIZATIONAL_UNIT",
                )
            )
    except botocore.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("ParentNotFoundException", "ChildNotFoundException"):
            raise SelectionError(f"unknown organizational unit {ou!r} (discovery)") from None
        raise
    return frozenset(found)


def _tags_of(client: Any, account_id: str) -> dict[str, str]:
    return {
        tag["Key"]: tag["Value"]
        for tag in _pages(client, "list_tags_for_resource", "Tags", ResourceId=account_id)
    }


@dataclass(frozen=True)
class Organization:
    """What AWS Organizations says about the organization the credentials reach."""

    id: str
    management_account_id: str
    accounts: list[OrgAccount]
    accounts_under: dict[str, frozenset[str]]


def read_organization(selection: AccountSelection, client: Any | None = None) -> Organization:
    """The organization: its IDs, every account, and the accounts under each OU the
    selection names. Tags are read (in parallel) only when the selection filters on them.
    """
    client = client or boto3.client("organizations")
    try:
        organization = client.describe_organization()["Organization"]
        listed = list(_pages(client, "list_accounts", "Accounts"))
        under = {
            ou: _accounts_under(client, ou)
            for ou in dict.fromkeys([*selection.include_ous, *selection.exclude_ous])
        }
        tags: dict[str, dict[str, str]] = {}
        if selection.include_tags or selection.exclude_tags:
            ids = [account["Id"] for account in listed]
            with ThreadPoolExecutor(TAG_READ_THREADS) as pool:
                tags = dict(zip(ids, pool.map(lambda i: _tags_of(client, i), ids), strict=True))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise OrganizationsUnavailable(f"cannot read AWS Organizations: {error}") from None
    accounts = [
        OrgAccount(
            id=account["Id"],
            name=account.get("Name", ""),
            # `State` replaces the deprecated `Status`; read whichever is there.
            state=account.get("State") or account.get("Status", ""),
            tags=tags.get(account["Id"], {}),
        )
        for account in listed
    ]
    # `MasterAccountId` is the management account (DescribeOrganization's Organization).
    return Organization(organization["Id"], organization["MasterAccountId"], accounts, under)


def organization_problems(org: OrgDeployment, organization: Organization) -> list[Problem]:
    """Where the org file contradicts the organization it is deployed to.

    The hub's sts:AssumeRole is scoped by ``aws:ResourceOrgID``: a wrong
    ``organization_id`` would only show as denied hops at run time.
    """
    problems = []
    if org.organization_id is not None and org.organization_id != organization.id:
        problems.append(
            Problem(
                "organization_id",
                f"is {org.organization_id}, but the credentials reach organization "
                f"{organization.id}",
            )
        )
    if org.management_account_id != organization.management_account_id:
        problems.append(
            Problem(
                "management_account_id",
                f"is {org.management_account_id}, but organization {organization.id} is "
                f"managed from {organization.management_account_id}",
            )
        )
    return problems


def resolve_accounts(org: OrgDeployment, client: Any | None = None) -> OrgDeployment:
    """The deployment with ``accounts`` set to the selection, or DiscoveryError / ConfigError."""
    selection = org.discovery
    hub = org.hub.account_id if org.hub else None
    listed = {account.id: account for account in org.accounts}
    if selection.source == "file":
        candidates = [OrgAccount(id=a.id, name=a.name or "") for a in org.accounts]
        under: dict[str, frozenset[str]] = {}
    else:
        organization = read_organization(selection, client)
        mismatches = organization_problems(org, organization)
        if mismatches:
            raise ConfigError("the organization config, against AWS Organizations", mismatches)
        candidates, under = organization.accounts, organization.accounts_under
    chosen = select_accounts(
        candidates,
        selection,
        management_account_id=org.management_account_id,
        hub_account_id=hub,
        accounts_under=under,
    )
    if not chosen:
        raise SelectionError(
            f"no account matches the selection (source {selection.source}, "
            f"{len(candidates)} candidate accounts)"
        )
    specs = tuple(listed.get(a.id) or AccountSpec(id=a.id, name=a.name or None) for a in chosen)
    resolved = org.model_copy(update={"accounts": specs})
    problems = consistency_problems(resolved)
    if problems:
        unlisted = [spec.id for spec in specs if spec.id not in listed]
        hint = (
            [Problem("accounts", f"discovered, not listed here: {', '.join(unlisted)}")]
            if unlisted
            else []
        )
        raise ConfigError("the selected accounts", problems + hint)
    return resolved
