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

import yaml
from pydantic import BaseModel, ValidationError

from config.fields import account_of_arn
from config.model import OrgDeployment

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigError(Exception):
    """Invalid input. ``problems`` lists every problem found, each with its field path."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{source} is invalid ({len(self.problems)} problem(s)):\n{lines}")


def field_path(location: Sequence[int | str]) -> str:
    """``("accounts", 3, "id")`` -> ``accounts[3].id``."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _problems_of(error: ValidationError) -> list[Problem]:
    problems = []
    for detail in error.errors():
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            message = "unknown key (check its spelling; see config/org.example.yaml)"
        problems.append(Problem(field_path(detail["loc"]), message))
    return problems


def validate_model(model: type[ModelT], data: Any, source: str) -> ModelT:
    """Validate ``data`` as ``model`` or raise ConfigError listing every problem."""
    if not isinstance(data, Mapping):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ConfigError(source, [Problem("", f"expected a mapping of settings, got {kind}")])
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ConfigError(source, _problems_of(error)) from None


def consistency_problems(org: OrgDeployment) -> list[Problem]:
    """What is wrong across fields of a structurally valid org deployment."""
    problems: list[Problem] = []
    if org.pattern == "centralized" and org.hub is None:
        problems.append(Problem("hub", "required for the centralized pattern"))
    if org.pattern == "distributed" and org.hub is not None:
        problems.append(Problem("hub", "only the centralized pattern has a hub; remove it"))
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
                for name, message in account.problems(org.gateway)
            ]
        if account.regions is not None:
            if not account.regions:
                problems.append(Problem(f"{where}.regions", "list at least one region, or omit it"))
            problems += _duplicates(f"{where}.regions", account.regions, "region")
        capabilities_path = (
            f"{where}.capabilities"
            if account.capabilities.dynamic_assume_role is not None
            else "default_capabilities"
        )
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
            Problem(f"hub.{name}", message) for name, message in org.hub.problems(org.gateway)
        ]
    sites = [org.hub] if org.hub is not None else list(org.accounts)
    networked = any(site is not None and site.compute != "eks" for site in sites)
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
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(
            source, [Problem("", f"cannot read the file: {error.strerror}")]
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(source, [Problem("", f"not valid YAML: {error}")]) from None
    return parse_org(data, source)
