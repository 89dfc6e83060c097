"""One stack's configuration: the typed model and its Pulumi form.

A stack reads one structured config value, ``<project>:settings``: an object
holding every setting of :class:`StackConfig`, with the names of the org file
(``iam: {gateway_role_name: ...}``, ``gateway: {allowed_cidrs: [...]}``), and two
optional secure values: ``<project>:akeylessAccessKey`` (an ``api_key`` login
without ``AKEYLESS_ACCESS_KEY``) and ``<project>:rotatedAccessKeySecrets`` (the
current secret halves of the rotated access keys).

Why one object and not a key per setting: the Pulumi CLI treats every project
config key declared without a ``default`` as required, and refuses a typed
``secret: true`` key that is not encrypted, even when it has a default
(``mergeConfig`` and ``validateStackConfigValue`` in pulumi/pulumi
``pkg/workspace/config.go``), so optional settings cannot be declared one by
one. ``Pulumi.yaml`` declares ``settings`` (``type: object``, allowed since
Pulumi 3.187: ``simpleConfigType`` in ``sdk/go/common/workspace/project.json``)
and lists its fields in a comment generated from this model
(``python -m scripts.pulumi_yaml``); the program validates the object here.
"""

from __future__ import annotations

import json
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Field, ValidationError, model_validator

from akeyless_gateway_org.config.fields import (
    AccountId,
    OrganizationId,
    Region,
    RoleName,
    TagKey,
    TagValue,
    UserName,
)
from akeyless_gateway_org.config.model import (
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
from akeyless_gateway_org.config.validation import ConfigError, Problem, problems_of

StackKind = Literal["org", "hub", "member", "account"]

SETTINGS_KEY = "settings"
"""The project config key holding a stack's settings, as one object."""
ACCESS_KEY_KEY = "akeylessAccessKey"
"""The project config key of the api_key login's access key: a secure value, never plain."""
ROTATED_SECRETS_KEY = "rotatedAccessKeySecrets"
"""The project config key of the rotated keys' current secret halves, a JSON object
``{"<IAM user>": "<secret access key>"}``: a secure value, never plain."""
SETTINGS_HINT = "see the settings comment in Pulumi.yaml"


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
        description="api_key login: the access key, when not in AKEYLESS_ACCESS_KEY; "
        f"never in the settings object, only the secure config value {ACCESS_KEY_KEY}.",
    )
    rotated_access_key_secrets: dict[UserName, str] | None = Field(
        None,
        description="Rotated access keys: IAM user -> its current secret access key, which "
        "Akeyless takes over with the key ID; never in the settings object, only the secure "
        f"config value {ROTATED_SECRETS_KEY} (a JSON object).",
    )
    dynamic_iam_user: DynamicIamUser = DynamicIamUser()
    dynamic_assume_role: DynamicAssumeRole = DynamicAssumeRole()
    rotated_access_keys: RotatedAccessKeys = RotatedAccessKeys()
    usc_secrets_manager: UscSecretsManager = UscSecretsManager()
    tags: dict[TagKey, TagValue] = Field(
        default_factory=dict, description="Tags on every taggable resource."
    )

    @model_validator(mode="after")
    def _kind_needs(self) -> StackConfig:
        if self.stack_kind == "member" and self.hub_account_id is None:
            raise ValueError("a member stack needs hub_account_id")
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
            found = self.problems(self.gateway, account_id=self.account_id, region=self.region) + [
                (f"gateway.{name}", message)
                for name, message in self.gateway.problems(networked=self.has_load_balancer)
            ]
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


_SECRET_FIELDS = {
    "akeyless_access_key": ACCESS_KEY_KEY,
    "rotated_access_key_secrets": ROTATED_SECRETS_KEY,
}
"""Settings kept out of the ``settings`` object, each in its own secure config key."""
SECRET_KEYS = tuple(_SECRET_FIELDS.values())
"""Every secure config key a stack reads (each optional, so none is declared in Pulumi.yaml)."""


def _secret_text(value: Any) -> str:
    """A secret as its secure config value: a string as itself, a mapping as JSON text."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _secret_value(field: str, key: str, text: str) -> Any:
    """A secure config value as the field holds it; the value is never quoted in an error."""
    if field != "rotated_access_key_secrets":
        return text
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise ValueError(
            f'must be a JSON object {{"<IAM user>": "<secret access key>"}}: set it with '
            f"`pulumi config set --secret {key}` (the value on stdin)"
        )
    return value


@dataclass(frozen=True)
class ConfigEntry:
    """One config value of a stack, as ``pulumi config set`` would store it."""

    key: str
    """The key without its ``<project>:`` namespace."""
    value: Any
    """A string (secrets) or a JSON-compatible object (the settings)."""
    secret: bool = False


def stack_settings(config: StackConfig) -> dict[str, Any]:
    """The ``settings`` object of a stack: what differs from the model's defaults.

    The stack's own fields first, where its Gateway runs last, as ``Pulumi.yaml`` lists them.
    """
    dumped = config.model_dump(mode="json", exclude_defaults=True, exclude=set(_SECRET_FIELDS))
    site = {name: dumped.pop(name) for name in GatewaySite.model_fields if name in dumped}
    return {**dumped, **site}


def stack_config_entries(config: StackConfig) -> list[ConfigEntry]:
    """Every config value of the stack: its settings, then each secret that is set.

    The one description of a stack's config that both the Automation API runner
    (the stack file) and the offline render (the mock runtime) use.
    """
    entries = [ConfigEntry(SETTINGS_KEY, stack_settings(config))]
    for field, key in _SECRET_FIELDS.items():
        value = getattr(config, field)
        if value is not None:
            entries.append(ConfigEntry(key, _secret_text(value), secret=True))
    return entries


def parse_stack_config(
    settings: Any, secrets: Mapping[str, str] | None = None, source: str = "stack config"
) -> StackConfig:
    """Validate a stack's ``settings`` object and secrets into a StackConfig, or raise ConfigError.

    ``secrets`` maps config keys (``akeylessAccessKey``, ``rotatedAccessKeySecrets``)
    to their decrypted values. Problems name ``settings.<field path>`` as the stack
    file spells it, or the secret's own key.
    """
    if not isinstance(settings, Mapping):
        kind = "nothing" if settings is None else f"a {type(settings).__name__}"
        problem = Problem(SETTINGS_KEY, f"must be an object of settings, got {kind}")
        raise ConfigError(source, [problem])
    misplaced = [
        Problem(
            f"{SETTINGS_KEY}.{field}",
            f"a secret: remove it here and run `pulumi config set --secret {key}`",
        )
        for field, key in _SECRET_FIELDS.items()
        if field in settings
    ]
    if misplaced:
        raise ConfigError(source, misplaced)
    given: dict[str, Any] = {}
    unreadable: list[Problem] = []
    for field, key in _SECRET_FIELDS.items():
        text = (secrets or {}).get(key)
        if text is None:
            continue
        try:
            given[field] = _secret_value(field, key, text)
        except ValueError as error:
            unreadable.append(Problem(key, str(error)))
    if unreadable:
        raise ConfigError(source, unreadable)
    try:
        return StackConfig.model_validate({**settings, **given})
    except ValidationError as error:
        problems = problems_of(error, prefix=SETTINGS_KEY, unknown_hint=SETTINGS_HINT)
        raise ConfigError(source, [_at_secret_key(problem) for problem in problems]) from None


def _at_secret_key(problem: Problem) -> Problem:
    """A problem inside a secret, named by its config key rather than a settings path."""
    for field, key in _SECRET_FIELDS.items():
        inside = f"{SETTINGS_KEY}.{field}"
        if problem.path == inside or problem.path.startswith((f"{inside}.", f"{inside}[")):
            return Problem(key + problem.path.removeprefix(inside), problem.message)
    return problem


@dataclass(frozen=True)
class SettingDoc:
    """One field of the settings object, for the comment in ``Pulumi.yaml``."""

    path: str
    type: str
    default: Any
    required: bool
    description: str


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        inner = [arg for arg in get_args(annotation) if arg is not type(None)]
        return _type_name(inner[0])
    if origin is Literal:
        return "string"
    if origin in (tuple, list):
        return f"list of {_type_name(get_args(annotation)[0])}"
    if origin is dict:
        key, value = get_args(annotation)
        return f"map of {_type_name(key)} to {_type_name(value)}"
    if annotation is bool:
        return "boolean"
    if annotation is int:
        return "integer"
    metadata_origin = getattr(annotation, "__origin__", None)
    if metadata_origin is not None:  # Annotated[str, ...]
        return _type_name(metadata_origin)
    return "string"


def setting_docs(model: type[BaseModel] = StackConfig, prefix: str = "") -> Iterator[SettingDoc]:
    """Every leaf of the settings object, in declaration order, dotted (``iam.path``)."""
    for name, info in model.model_fields.items():
        if name in _SECRET_FIELDS:
            continue
        path = f"{prefix}{name}"
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from setting_docs(annotation, f"{path}.")
            continue
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        if isinstance(default, tuple):
            default = list(default)
        yield SettingDoc(
            path=path,
            type=_type_name(annotation),
            default=default,
            required=info.is_required(),
            description=info.description or "",
        )
