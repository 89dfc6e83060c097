"""Turning raw input (a YAML file, a dict, stack config) into validated models.

Every problem is reported with the path of the field it concerns, e.g.
``accounts[3].id``, and all problems of one input are reported together:
first every structural problem (types, formats, unknown keys); once the
structure is sound, every consistency problem (duplicates, the hub listed as a
member, ...).
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from akeyless_gateway_org.config.cross_checks import GrantScope, RuleScope, cross_field_problems
from akeyless_gateway_org.config.fields import MAX_USER_TAGS, bounded, shown
from akeyless_gateway_org.config.model import (
    ENROLL_REGION,
    SITE_FIELDS,
    Ec2Site,
    OrgDeployment,
    Selector,
    SiteBase,
    accounts_limit_problem,
    tagged_variants,
)
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
MAX_MESSAGE_CHARS = 8000
"""And at most this many characters of them: a hostile file gets a short answer."""


class ConfigError(InvalidInput):
    """Invalid input. ``problems`` lists every problem found, each with its field path."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        shown_lines: list[str] = []
        size = 0
        for problem in self.problems[:MAX_PROBLEMS_LISTED]:
            line = f"  - {problem}"
            if size + len(line) > MAX_MESSAGE_CHARS:
                break
            shown_lines.append(line)
            size += len(line) + 1
        lines = "\n".join(shown_lines)
        if len(self.problems) > len(shown_lines):
            lines += f"\n  - ... and {len(self.problems) - len(shown_lines)} more"
        super().__init__(
            f"{bounded(source)} is invalid ({len(self.problems)} problem(s)):\n{lines}"
        )


_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_:/@+=\[\]-][A-Za-z0-9_.:/@+=\[\]-]{0,63}")


def _segment(part: str) -> str:
    """A path segment as the message shows it: a key from the input (an unknown key, a tag
    key) only through the one bounded quote, ``shown``, unless it is a short plain name."""
    return part if _PLAIN_SEGMENT.fullmatch(part) else shown(part)


def field_path(location: Sequence[int | str]) -> str:
    """``("accounts", 3, "id")`` -> ``accounts[3].id``."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{_segment(part)}" if path else _segment(part)
    return path


@dataclass(frozen=True)
class _Choice:
    """One union passed on the way: its selector, its variants and the one taken."""

    selector: Selector
    variants: dict[str, Any]
    tag: str


@dataclass(frozen=True)
class _Located:
    """Where a pydantic error location points, as the file spells it."""

    path: tuple[int | str, ...]
    """The location without the tags of the unions on the way."""
    choices: tuple[_Choice, ...]
    """The unions passed since the last field, outermost first, when the path ends at a
    field of the variant taken (not deeper); empty otherwise."""
    selector: Selector | None
    """The selector of the tagged union the path ends at, if it does."""
    tags: tuple[str, ...] = ()
    """That union's tags."""

    def conditions(self, *, differing_values: bool = False) -> str:
        """The variants that decide what the field at the end of the path may be:
        ``stack_kind is member`` for ``vpc_id``, but for ``subnets`` on an eks hub only
        ``compute is eks``, since other hubs have it. ``differing_values``: only variants
        that all have the field, with different values (``pattern`` of a hub stack)."""
        if not self.choices or not self.path or not isinstance(self.path[-1], str):
            return ""
        name = self.path[-1]
        deciding = []
        for choice in self.choices:
            taken = _signature(choice.variants[choice.tag], name)
            others = {_signature(variant, name) for variant in choice.variants.values()}
            condition = choice.selector.condition(choice.tag)
            everywhere = all(None not in signature for signature in others)
            if (
                condition
                and len(taken) == 1
                and len(others) > 1
                and (everywhere or not differing_values)
            ):
                deciding.append(condition)
        return " and ".join(deciding)


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The concrete models of a (possibly nested) tagged union, or of a model."""
    annotation = _unwrapped(annotation)
    union = tagged_variants(annotation)
    if union is not None:
        return [model for variant in union[1].values() for model in _models(variant)]
    return [annotation] if isinstance(annotation, type) else []


def _signature(variant: Any, name: str) -> frozenset[tuple[str, bool] | None]:
    """How the models of ``variant`` declare field ``name``: type and required, or absent."""
    found: set[tuple[str, bool] | None] = set()
    for model in _models(variant):
        info = model.model_fields.get(name)
        found.add(None if info is None else (repr(info.annotation), info.is_required()))
    return frozenset(found)


def _unwrapped(annotation: Any) -> Any:
    """``annotation`` without ``X | None`` and without metadata other than a union's selector."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated and tagged_variants(annotation) is None:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            arms = [arm for arm in get_args(annotation) if arm is not type(None)]
            if len(arms) != 1:
                return annotation
            annotation = arms[0]
        else:
            return annotation


def _child(annotation: Any, segment: int | str) -> Any:
    """The type at ``segment`` inside ``annotation``, or None when not known."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        info = annotation.model_fields.get(str(segment))
        if info is None:
            return None
        return Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (tuple, list) and isinstance(segment, int) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def _located(schema: Any, location: Sequence[int | str]) -> _Located:
    """Follow ``location`` through ``schema``, dropping each union tag it passes.

    pydantic puts the tag of the variant it validated into the location
    (``("hub", "eks", "subnets")``); the file has no such level.
    """
    path: list[int | str] = []
    choices: list[_Choice] = []  # since the last field
    fields_since = 0  # fields since the last union
    current = schema
    rest = list(location)
    while True:
        current = _unwrapped(current)
        union = tagged_variants(current)
        if union is not None:
            selector, variants = union
            if rest and isinstance(rest[0], str) and rest[0] in variants:
                tag = str(rest.pop(0))
                choices = (
                    [*choices, _Choice(selector, variants, tag)]
                    if not fields_since
                    else [_Choice(selector, variants, tag)]
                )
                fields_since = 0
                current = variants[tag]
                continue
            if not rest:
                return _Located(tuple(path), (), selector, tuple(variants))
        if not rest:
            return _Located(tuple(path), tuple(choices) if fields_since == 1 else (), None)
        segment = rest.pop(0)
        path.append(segment)
        fields_since += 1
        current = _child(current, segment)


def _selector_message(selector: Selector, tags: tuple[str, ...], given: Any) -> str:
    """What is wrong with the key that selects a variant: absent, or naming none."""
    choices = ", ".join(repr(tag) for tag in tags if selector.condition(tag))
    if not isinstance(given, Mapping) or selector.key not in given:
        return f"required: one of {choices}"
    return f"must be one of {choices}, got {shown(given[selector.key])}"


def problems_of(
    error: ValidationError,
    schema: Any,
    prefix: str = "",
    unknown_hint: str = "see config/org.example.yaml",
) -> list[Problem]:
    """Each problem of ``error`` at its field path (under ``prefix``, if given).

    ``schema`` is what was validated: the path follows it so that a union's tag,
    which pydantic adds to the location, is left out, and a field that only some
    variants have is named with the variant that lacks it (``stack_kind is member``).
    """
    problems = []
    for detail in error.errors():
        located = _located(schema, detail["loc"])
        path = located.path
        message = detail["msg"].removeprefix("Value error, ")
        when = located.conditions()
        if located.selector is not None:  # the union's own key is missing or unknown
            path = (*path, located.selector.key)
            message = _selector_message(located.selector, located.tags, detail["input"])
        elif detail["type"] == "extra_forbidden":
            what = f"not a setting when {when}" if when else "unknown key"
            message = f"{what} (check its spelling; {unknown_hint})"
        elif detail["type"] == "missing" and when:
            message = f"required when {when}"
        elif detail["type"] == "literal_error" and (
            differing := located.conditions(differing_values=True)
        ):
            message = f"{message} when {differing}"
        location = (prefix, *path) if prefix else path
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
        raise ConfigError(source, problems_of(error, model)) from None


def consistency_problems(org: OrgDeployment) -> list[Problem]:
    """What is wrong across fields of a structurally valid org deployment."""
    problems: list[Problem] = []
    if org.pattern == "centralized" and org.hub is None:
        problems.append(Problem("hub", "required for the centralized pattern"))
    if org.pattern == "distributed" and org.hub is not None:
        problems.append(Problem("hub", "only the centralized pattern has a hub; remove it"))
    if limit := accounts_limit_problem(len(org.accounts)):  # discovery may find more
        problems.append(Problem("accounts", limit))
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
            # One account list serves both patterns, so the type lets a member carry a
            # site (any site field makes it one); only the pattern says it must not.
            given: set[str] = account.model_fields_set if isinstance(account, SiteBase) else set()
            problems += [
                Problem(f"{where}.{name}", "members run no Gateway in the centralized pattern")
                for name in sorted(given & set(SITE_FIELDS))
            ]
        else:
            # An account that sets no site field is an ec2 site with nothing set.
            site = account if isinstance(account, SiteBase) else Ec2Site()
            problems += [
                Problem(f"{where}.{name}", message)
                for name, message in site.problems(
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
    if org.hub is not None:
        problems += [
            Problem(f"hub.{name}", message)
            for name, message in org.hub.problems(
                org.gateway,
                account_id=org.hub.account_id,
                region=next(iter(org.regions), None),
            )
        ]
    if org.enrollment is not None and (
        secret := org.enrollment.github.token_secret_problem(
            org.management_account_id, ENROLL_REGION
        )
    ):
        problems.append(Problem("enrollment.github.token_secret_arn", secret))
    problems += [Problem(path, message) for path, message in cross_field_problems(rule_scope(org))]
    sites = [org.hub] if org.hub is not None else list(org.accounts)
    # An account without a site is reported above as an ec2 site lacking its network.
    networked = any(not isinstance(site, SiteBase) or site.has_load_balancer for site in sites)
    problems += [
        Problem(f"gateway.{name}", message)
        for name, message in org.gateway.problems(networked=networked)
    ]
    return problems


def rule_scope(org: OrgDeployment) -> RuleScope:
    """The org file as the shared cross-field rules read it (``config/cross_checks.py``)."""
    sites: list[tuple[str, SiteBase]] = []
    if org.hub is not None:
        sites.append(("hub.", org.hub))
    elif org.pattern == "distributed":
        for index, account in enumerate(org.accounts):
            if isinstance(account, SiteBase):
                sites.append((f"accounts[{index}].", account))
    grants = []
    for index, account in enumerate(org.accounts):
        capabilities = org.capabilities_of(account)
        grants.append(GrantScope(f"accounts[{index}].capabilities", account.id, capabilities))
    # The registries every stack knows to be the organization's (config/cross_checks.py).
    registries = {org.management_account_id} | ({org.hub.account_id} if org.hub else set())
    return RuleScope(
        pattern=org.pattern,
        akeyless=org.akeyless,
        bootstrap_role_name=org.bootstrap_role_name,
        iam=org.iam,
        runs_hub=org.pattern == "centralized",
        organization_id=org.organization_id,
        sites=sites,
        grants=grants,
        image=org.gateway.image,
        registry_accounts=frozenset(registries),
        preview_role_name=org.preview_role_name,
    )


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
