"""Turning raw input (a YAML file, a dict, stack config) into validated models.

Every problem is reported with the path of the field it concerns, e.g.
``accounts[3].id``, and all problems of one input are reported together:
first every structural problem (types, formats, unknown keys); once the
structure is sound, every consistency problem (duplicates, the hub listed as a
member, ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from akeyless_gateway_org.config.fields import MAX_USER_TAGS, account_of_arn, bounded
from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.org_file import OrgFileError, read_org_yaml
from akeyless_gateway_org.errors import InvalidInput

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, and what."""

    path: str
    message: str

    def __str__(self) -> str:
        message = bounded(self.message)
        return f"{bounded(self.path, 200)}: {message}" if self.path else message


MAX_PROBLEMS_LISTED = 50
"""A message lists this many problems at most; ``problems`` keeps them all."""


class ConfigError(InvalidInput):
    """Invalid input. ``problems`` lists every problem found, each with its field path."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        listed = self.problems[:MAX_PROBLEMS_LISTED]
        lines = "\n".join(f"  - {problem}" for problem in listed)
        if len(self.problems) > len(listed):
            lines += f"\n  - ... and {len(self.problems) - len(listed)} more"
        super().__init__(
            f"{bounded(source)} is invalid ({len(self.problems)} problem(s)):\n{lines}"
        )


def field_path(location: Sequence[int | str]) -> str:
    """``("accounts", 3, "id")`` -> ``accounts[3].id``."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def problems_of(
    error: ValidationError, prefix: str = "", unknown_hint: str = "see config/org.example.yaml"
) -> list[Problem]:
    """Each problem of ``error`` at its field path (under ``prefix``, if given)."""
    problems = []
    for detail in error.errors():
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            message = f"unknown key (check its spelling; {unknown_hint})"
        location = (prefix, *detail["loc"]) if prefix else detail["loc"]
        problems.append(Problem(field_path(location), message))
    return problems


def validate_model(model: type[ModelT], data: Any, source: str) -> ModelT:
    """Validate ``data`` as ``model`` or raise ConfigError listing every problem."""
    if not isinstance(data, Mapping):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ConfigError(source, [Problem("", f"expected a mapping of settings, got {kind}")])
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ConfigError(source, problems_of(error)) from None


def consistency_problems(org: OrgDeployment) -> list[Problem]:
    """What is wrong across fields of a structurally valid org deployment."""
    problems: list[Problem] = []
    if org.pattern == "centralized" and org.hub is None:
        problems.append(Problem("hub", "required for the centralized pattern"))
    if org.pattern == "distributed" and org.hub is not None:
        problems.append(Problem("hub", "only the centralized pattern has a hub; remove it"))
    if org.pattern == "centralized" and org.organization_id is None:
        problems.append(
            Problem(
                "organization_id",
                "required for the centralized pattern: without it the hub could assume a role "
                "of that name in any AWS account (discovery prints it: orgctl accounts)",
            )
        )
    if org.pattern == "distributed" and org.akeyless.auth_method_scope == "shared":
        problems.append(
            Problem(
                "akeyless.auth_method_scope",
                "the distributed pattern needs per_account: with one shared auth method every "
                "account's Gateway could read every other account's secrets",
            )
        )
    own_roles = frozenset(
        {org.bootstrap_role_name, org.iam.gateway_role_name, org.iam.member_role_name}
    )
    if not org.accounts and org.discovery.source == "file":
        problems.append(Problem("accounts", "list at least one account"))
    if not org.regions:
        problems.append(Problem("regions", "list at least one region"))
    problems += _duplicates("regions", org.regions, "region")
    if org.regions and (login := org.akeyless.login_problem(org.regions[0])):
        problems.append(Problem("akeyless.login", login))
    role_accounts = [org.hub.account_id] if org.hub is not None else []
    role_accounts += [account.id for account in org.accounts]
    unbounded = [a for a in dict.fromkeys(role_accounts) if org.iam.boundary_problem(a)]
    if unbounded:
        more = f" (also accounts {', '.join(unbounded[1:])})" if unbounded[1:] else ""
        problems.append(
            Problem(
                "iam.permissions_boundary_arn", f"{org.iam.boundary_problem(unbounded[0])}{more}"
            )
        )
    seen: dict[str, int] = {}
    for index, account in enumerate(org.accounts):
        where = f"accounts[{index}]"
        if account.id in seen:
            problems.append(
                Problem(
                    f"{where}.id", f"account {account.id} is already accounts[{seen[account.id]}]"
                )
            )
        seen.setdefault(account.id, index)
        if (
            account.id == org.management_account_id
            and org.discovery.management_account == "exclude"
        ):
            problems.append(
                Problem(
                    f"{where}.id",
                    f"{account.id} is the management account, which "
                    "discovery.management_account: exclude leaves out; remove it here, or set "
                    "management_account: include to deploy into it",
                )
            )
        if org.hub is not None and account.id == org.hub.account_id:
            problems.append(
                Problem(f"{where}.id", f"{account.id} is the hub account; the hub is not a member")
            )
        if org.pattern == "centralized":
            problems += [
                Problem(f"{where}.{name}", "members run no Gateway in the centralized pattern")
                for name in sorted(account.site_fields_set)
            ]
        else:
            problems += [
                Problem(f"{where}.{name}", message)
                for name, message in account.problems(
                    org.gateway,
                    account_id=account.id,
                    region=next(iter(org.regions_of(account)), None),
                )
            ]
        if len(org.tags_of(account)) > MAX_USER_TAGS:
            problems.append(
                Problem(
                    f"{where}.tags",
                    f"with the organization's tags this account's resources would carry "
                    f"{len(org.tags_of(account))} tags; at most {MAX_USER_TAGS} are allowed",
                )
            )
        if account.regions is not None:
            if not account.regions:
                problems.append(Problem(f"{where}.regions", "list at least one region, or omit it"))
            problems += _duplicates(f"{where}.regions", account.regions, "region")
        capabilities_path = (
            f"{where}.capabilities"
            if account.capabilities.dynamic_assume_role is not None
            else "default_capabilities"
        )
        problems += [
            Problem(f"{where}.capabilities.{field}", message)
            for field, message in org.capabilities_of(account).privileged_grants(own_roles)
        ]
        role_arns = org.capabilities_of(account).dynamic_assume_role.role_arns
        for arn_index, arn in enumerate(role_arns):
            if account_of_arn(arn) != account.id:
                problems.append(
                    Problem(
                        f"{capabilities_path}.dynamic_assume_role.role_arns[{arn_index}]",
                        f"{arn} is outside account {account.id} ({where}); "
                        "a Gateway assumes only roles in the account it serves",
                    )
                )
    if org.hub is not None:
        problems += [
            Problem(f"hub.{name}", message)
            for name, message in org.hub.problems(
                org.gateway,
                account_id=org.hub.account_id,
                region=next(iter(org.regions), None),
            )
        ]
    sites = [org.hub] if org.hub is not None else list(org.accounts)
    networked = any(site is not None and site.has_load_balancer for site in sites)
    problems += [
        Problem(f"gateway.{name}", message)
        for name, message in org.gateway.problems(networked=networked)
    ]
    return problems


def _duplicates(path: str, values: Sequence[str], what: str) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for index, value in enumerate(values):
        if value in seen:
            problems.append(Problem(f"{path}[{index}]", f"{what} {value!r} is listed twice"))
        seen.add(value)
    return problems


def parse_org(data: Any, source: str = "organization config") -> OrgDeployment:
    """Validate a parsed org file (a dict) into an OrgDeployment, or raise ConfigError."""
    org = validate_model(OrgDeployment, data, source)
    problems = consistency_problems(org)
    if problems:
        raise ConfigError(source, problems)
    return org


def load_org_file(path: str | Path) -> OrgDeployment:
    """Read and validate an org deployment YAML file, or raise ConfigError."""
    source = str(path)
    try:
        data = read_org_yaml(Path(path))
    except OrgFileError as error:
        raise ConfigError(source, [Problem("", str(error))]) from None
    return parse_org(data, source)
