"""One stack's configuration: the typed model and its flat Pulumi form.

Pulumi project config can only declare strings, booleans, integers and arrays
(``Pulumi.yaml``), so a stack's settings are stored flat: each leaf of
``StackConfig`` becomes one key named by its path in camelCase
(``iam.gateway_role_name`` -> ``iamGatewayRoleName``,
``dynamic_iam_user.policy_arns`` -> ``dynamicIamUserPolicyArns``). A mapping
(tags, rotated access keys) is an array of ``key=value`` strings. The flattening is mechanical,
so the model stays the one source of truth and ``Pulumi.yaml`` is checked
against it by the tests.
"""

from __future__ import annotations

import json
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Field, ValidationError, model_validator

from config.fields import (
    AccountId,
    OrganizationId,
    Region,
    RoleName,
    TagKey,
    TagValue,
    UserName,
)
from config.model import (
    DEFAULT_BOOTSTRAP_ROLE,
    AkeylessSettings,
    Capabilities,
    DynamicAssumeRole,
    DynamicIamUser,
    GatewaySettings,
    GatewaySite,
    IamSettings,
    Pattern,
    RotatedAccessKeys,
    UscSecretsManager,
)
from config.validation import ConfigError, Problem

StackKind = Literal["org", "hub", "member", "account"]


class StackConfig(GatewaySite):
    """Everything one stack's program needs, and nothing from other stacks' accounts.

    The site settings (compute, network, Gateway URL) it inherits from
    :class:`GatewaySite` apply to the stacks that run a Gateway: hub and account.
    """

    stack_kind: StackKind = Field(
        description="org | hub | member (centralized) | account (distributed)."
    )
    pattern: Pattern = Field(description="centralized | distributed.")
    account_id: AccountId = Field(description="The AWS account this stack deploys into.")
    management_account_id: AccountId = Field(
        description="The organization's management account (where the deployment runs from)."
    )
    hub_account_id: AccountId | None = Field(
        None, description="Centralized: the account running the Gateway."
    )
    organization_id: OrganizationId | None = Field(
        None, description="AWS Organizations ID; scopes the hub's sts:AssumeRole to the org."
    )
    gateway_account_ids: tuple[AccountId, ...] = Field(
        (), description="org stack: every account whose Gateway role logs in to Akeyless."
    )
    regions: tuple[Region, ...] = Field(
        ("us-east-1",), description="Regions in scope; the first is where the Gateway runs."
    )
    bootstrap_role_name: RoleName = Field(
        DEFAULT_BOOTSTRAP_ROLE, description="Role assumed in the account to deploy into it."
    )
    iam: IamSettings = IamSettings()
    akeyless: AkeylessSettings
    gateway: GatewaySettings = GatewaySettings()
    pulumi_organization: str = Field(
        "organization",
        description="Owner part of stack references to earlier phases: 'organization' on a "
        "self-managed backend, the Pulumi Cloud organization otherwise.",
    )
    akeyless_access_key: str | None = Field(
        None,
        description="api_key login: the access key, when not in AKEYLESS_ACCESS_KEY (secret).",
        json_schema_extra={"secret": True},
    )
    rotated_access_key_secrets: dict[UserName, str] | None = Field(
        None,
        description="Rotated access keys: IAM user=its current secret access key, which "
        "Akeyless takes over with the key ID (secret; set with pulumi config set --secret).",
        json_schema_extra={"secret": True},
    )
    dynamic_iam_user: DynamicIamUser = DynamicIamUser()
    dynamic_assume_role: DynamicAssumeRole = DynamicAssumeRole()
    rotated_access_keys: RotatedAccessKeys = RotatedAccessKeys()
    usc_secrets_manager: UscSecretsManager = UscSecretsManager()
    tags: dict[TagKey, TagValue] = Field(
        default_factory=dict, description="Tags on every taggable resource, as key=value."
    )

    @model_validator(mode="after")
    def _kind_needs(self) -> StackConfig:
        if self.stack_kind == "member" and self.hub_account_id is None:
            raise ValueError("a member stack needs hubAccountId")
        if self.stack_kind in ("hub", "member") and self.pattern != "centralized":
            raise ValueError(f"a {self.stack_kind} stack belongs to the centralized pattern")
        if self.stack_kind == "account" and self.pattern != "distributed":
            raise ValueError("an account stack belongs to the distributed pattern")
        if self.stack_kind in ("org", "member") and self.site_fields_set:
            raise ValueError(
                f"a {self.stack_kind} stack runs no Gateway: "
                f"{', '.join(sorted(self.site_fields_set))} belong to the hub or account stacks"
            )
        login = self.akeyless.login_problem(self.region) if self.regions else None
        if login:
            raise ValueError(login)
        boundary = self.iam.boundary_problem(self.account_id)
        if boundary and self.stack_kind != "org":  # the org stack creates no IAM role
            raise ValueError(boundary)
        if self.stack_kind in ("hub", "account"):
            found = self.problems(self.gateway) + self.gateway.problems(
                networked=self.compute != "eks"
            )
            if found:
                raise ValueError("; ".join(f"{name}: {message}" for name, message in found))
        return self

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            dynamic_iam_user=self.dynamic_iam_user,
            dynamic_assume_role=self.dynamic_assume_role,
            rotated_access_keys=self.rotated_access_keys,
            usc_secrets_manager=self.usc_secrets_manager,
        )

    @property
    def region(self) -> str:
        """The region the Gateway runs in."""
        return self.regions[0]


FlatType = Literal["string", "boolean", "integer", "array"]


@dataclass(frozen=True)
class FlatKey:
    """One Pulumi config key of a stack: its name, type, description and default."""

    name: str
    path: tuple[str, ...]
    type: FlatType
    description: str
    default: Any
    secret: bool = False
    mapping: bool = False
    """A mapping, stored as an array of ``key=value`` strings (like tags)."""


def _camel(path: tuple[str, ...]) -> str:
    words = "_".join(path).split("_")
    return words[0] + "".join(word.capitalize() for word in words[1:])


def _without_none(annotation: Any) -> Any:
    """``X | None`` -> ``X``; anything else unchanged."""
    if get_origin(annotation) in (Union, types.UnionType):
        return next(arg for arg in get_args(annotation) if arg is not type(None))
    return annotation


def _flat_type(annotation: Any) -> FlatType:
    annotation = _without_none(annotation)
    origin = get_origin(annotation)
    if origin in (tuple, list, dict):
        return "array"
    if annotation is bool:
        return "boolean"
    if annotation is int:
        return "integer"
    return "string"


def _flat_default(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return [f"{key}={item}" for key, item in value.items()]
    return value


def flat_keys(
    model: type[BaseModel] = StackConfig, prefix: tuple[str, ...] = ()
) -> Iterator[FlatKey]:
    """Every leaf of the model as a flat Pulumi config key, in declaration order."""
    for name, info in model.model_fields.items():
        path = (*prefix, name)
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from flat_keys(annotation, path)
            continue
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        yield FlatKey(
            name=_camel(path),
            path=path,
            type=_flat_type(annotation),
            description=info.description or "",
            default=_flat_default(default),
            secret=isinstance(info.json_schema_extra, dict)
            and bool(info.json_schema_extra.get("secret")),
            mapping=get_origin(_without_none(annotation)) is dict,
        )


def flatten(config: StackConfig) -> dict[str, Any]:
    """The stack config as flat key -> value, leaving out unset optional values."""
    flat: dict[str, Any] = {}
    for key in flat_keys():
        value: Any = config
        for part in key.path:
            value = getattr(value, part)
        if value is not None:
            flat[key.name] = _flat_default(value)
    return flat


def _parse_flat_value(key: FlatKey, raw: Any) -> Any:
    """Pulumi hands every config value over as a string; decode arrays and tags."""
    value = raw
    if key.type == "array" and isinstance(raw, str):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise ValueError("must be a JSON array of strings") from None
    if key.type == "array" and not isinstance(value, list):
        raise ValueError("must be an array of strings")
    if key.mapping:
        pairs: dict[str, Any] = {}
        for item in value:
            if not isinstance(item, str) or "=" not in item:
                raise ValueError(f"must be 'key=value' strings, got {item!r}")
            pair_key, _, pair_value = item.partition("=")
            pairs[pair_key] = pair_value
        return pairs
    return value


def _nest(flat_path: tuple[str, ...], value: Any, into: dict[str, Any]) -> None:
    node = into
    for part in flat_path[:-1]:
        node = node.setdefault(part, {})
    node[flat_path[-1]] = value


def parse_stack_config(flat: Mapping[str, Any], source: str = "stack config") -> StackConfig:
    """Validate flat key -> value settings into a StackConfig, or raise ConfigError.

    Problems are reported with the flat key names a Pulumi user writes.
    """
    keys = {key.name: key for key in flat_keys()}
    problems = [
        Problem(name, "unknown key (see the config: section of Pulumi.yaml)")
        for name in flat
        if name not in keys
    ]
    nested: dict[str, Any] = {}
    for name, raw in flat.items():
        if name not in keys or raw is None:
            continue
        try:
            _nest(keys[name].path, _parse_flat_value(keys[name], raw), nested)
        except ValueError as error:
            problems.append(Problem(name, str(error)))
    if problems:
        raise ConfigError(source, problems)
    by_path = {key.path: key.name for key in keys.values()}
    try:
        return StackConfig.model_validate(nested)
    except ValidationError as error:
        raise ConfigError(source, _flat_problems(error, by_path)) from None


def _flat_problems(error: ValidationError, by_path: Mapping[tuple[str, ...], str]) -> list[Problem]:
    problems = []
    for detail in error.errors():
        location = detail["loc"]
        names = tuple(part for part in location if isinstance(part, str))
        # The longest model path that is a flat key names the problem; an index
        # into an array stays as [i]; a whole-object problem names the object.
        for length in range(len(names), 0, -1):
            if names[:length] in by_path:
                name = by_path[names[:length]]
                rest = "".join(f"[{part}]" for part in location[length:] if isinstance(part, int))
                break
        else:
            name, rest = _camel(names) if names else "", ""
        message = detail["msg"].removeprefix("Value error, ")
        problems.append(Problem(name + rest, message))
    return problems
