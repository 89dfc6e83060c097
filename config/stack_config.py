"""One stack's configuration: the typed model and its Pulumi form.

A stack reads one structured config value, ``<project>:settings``: an object
holding every setting of its kind's config (:data:`StackConfig`), with the names
of the org file (``iam: {gateway_role_name: ...}``, ``gateway: {allowed_cidrs:
[...]}``), and two
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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Self, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from akeyless_gateway_org.config.cross_checks import GrantScope, RuleScope, cross_field_problems
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
    SITE_FIELDS,
    SITE_SELECTOR,
    AccountSelection,
    AkeylessSettings,
    AnyGatewaySettings,
    Capabilities,
    CapabilitySettings,
    Ec2Site,
    EcsSite,
    EksSite,
    FixedSizeGateway,
    GatewaySettings,
    GitHubDispatch,
    IamSettings,
    Pattern,
    Selector,
    SiteBase,
    StrictModel,
    default_auth_method_scope,
    tagged_variants,
)
from akeyless_gateway_org.config.validation import ConfigError, Problem, problems_of

StackKind = Literal["org", "hub", "member", "account", "enroll"]

SETTINGS_KEY = "settings"
"""The project config key holding a stack's settings, as one object."""
ACCESS_KEY_KEY = "akeylessAccessKey"
"""The project config key of the api_key login's access key: a secure value, never plain."""
ROTATED_SECRETS_KEY = "rotatedAccessKeySecrets"
SECRETS_COMMAND_VARIABLE = "AKEYLESS_GATEWAY_ORG_SECRETS_SET"
"""Set by orgctl for its stacks: the ``orgctl secrets set`` command of this run (org file,
backend and state options), so a stack missing a secret names the command that sets it."""
"""The project config key of the rotated keys' current secret halves, a JSON object
``{"<IAM user>": "<secret access key>"}``: a secure value, never plain."""
SETTINGS_HINT = "see the settings comment in Pulumi.yaml"
STACK_KIND_DESCRIPTION = "org | hub | member (centralized) | account (distributed) | enroll."
PATTERN_DESCRIPTION = "centralized | distributed."


class StackConfigBase(StrictModel):
    """What every stack kind has: which stack it is, where it deploys, how it logs in.

    A stack's config is one of :class:`OrgStackConfig`, :class:`HubStackConfig`,
    :class:`MemberStackConfig` or :class:`AccountStackConfig` (:data:`StackConfig`),
    each with exactly the fields its kind reads; a hub or account stack is also the
    site its Gateway runs on, of one compute kind. A settings object that sets a
    field its kind does not have is refused, naming that field.
    """

    stack_kind: StackKind = Field(description=STACK_KIND_DESCRIPTION)
    pattern: Pattern = Field(description=PATTERN_DESCRIPTION)
    account_id: AccountId = Field(description="The AWS account this stack deploys into.")
    management_account_id: AccountId = Field(
        description="The organization's management account (where the deployment runs from)."
    )
    regions: tuple[Region, ...] = Field(
        ("us-east-1",), description="Regions in scope; the first is where the Gateway runs."
    )
    bootstrap_role_name: RoleName = Field(
        DEFAULT_BOOTSTRAP_ROLE, description="Role assumed in the account to deploy into it."
    )
    iam: IamSettings = IamSettings()
    akeyless: AkeylessSettings
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
    tags: dict[TagKey, TagValue] = Field(
        default_factory=dict, description="Tags on every taggable resource."
    )

    @model_validator(mode="before")
    @classmethod
    def _scope_per_pattern(cls, data: Any) -> Any:
        return default_auth_method_scope(data)

    @model_validator(mode="after")
    def _holds_the_shared_rules(self) -> Self:
        """The org file's cross-field rules (``config/cross_checks.py``), on this stack."""
        found = cross_field_problems(self.rule_scope())
        if found:
            raise ValueError("; ".join(f"{name}: {message}" for name, message in found))
        return self

    def rule_scope(self) -> RuleScope:
        """This stack as the shared cross-field rules read it."""
        capabilities = getattr(self, "capabilities", None)
        gateway = getattr(self, "gateway", None)
        hub_account = getattr(self, "hub_account_id", None)
        return RuleScope(
            pattern=self.pattern,
            akeyless=self.akeyless,
            bootstrap_role_name=self.bootstrap_role_name,
            iam=self.iam,
            runs_hub=self.stack_kind == "hub",
            organization_id=getattr(self, "organization_id", None),
            sites=[("", self)] if isinstance(self, SiteBase) else [],
            grants=[GrantScope("", self.account_id, capabilities)]
            if isinstance(capabilities, Capabilities) and self.stack_kind != "hub"
            else [],
            image=gateway.image if isinstance(gateway, GatewaySettings) else None,
            registry_accounts=frozenset(
                {self.management_account_id}
                | ({self.account_id} if self.stack_kind == "hub" else set())
                | ({hub_account} if hub_account else set())
            ),
        )

    @model_validator(mode="after")
    def _can_log_in(self) -> Self:
        login = self.akeyless.login_problem(self.region) if self.regions else None
        if login:
            raise ValueError(login)
        return self

    @property
    def region(self) -> str:
        """The region the Gateway runs in."""
        return self.regions[0]


class OrgStackConfig(StackConfigBase):
    """The org stack: the Akeyless objects every Gateway logs in with; no AWS resource."""

    stack_kind: Literal["org"] = Field(description=STACK_KIND_DESCRIPTION)
    hub_account_id: AccountId | None = Field(
        None, description="Centralized: the account running the Gateway."
    )
    gateway_account_ids: tuple[AccountId, ...] = Field(
        (), description="Every account whose Gateway role logs in to Akeyless."
    )


class EnrollStackConfig(StackConfigBase):
    """The optional enroll stack (management account): Organizations events to a
    ``repository_dispatch`` (components/enrollment.py)."""

    stack_kind: Literal["enroll"] = Field(description=STACK_KIND_DESCRIPTION)
    github: GitHubDispatch = Field(description="Where the dispatch goes, and its token's secret.")
    discovery: AccountSelection = Field(
        AccountSelection(), description="The org file's selection: its OUs pick the moves."
    )


class RoleStackConfig(StackConfigBase):
    """A stack that creates IAM roles in its account (hub, member, account).

    The org stack creates none, so only these need a permissions boundary that
    can bound roles in their account.
    """

    @model_validator(mode="after")
    def _can_be_bounded(self) -> Self:
        boundary = self.iam.boundary_problem(self.account_id)
        if boundary:
            raise ValueError(boundary)
        return self


class GatewayStackConfig(RoleStackConfig, SiteBase):
    """A stack that runs a Gateway (hub, account): its settings and, inherited, its site.

    Each concrete config is also one of :class:`Ec2Site`, :class:`EcsSite` or
    :class:`EksSite`, and has exactly that kind's site fields.
    """

    gateway: AnyGatewaySettings = FixedSizeGateway()

    @model_validator(mode="after")
    def _can_run_the_gateway(self) -> Self:
        found = self.problems(self.gateway, account_id=self.account_id, region=self.region) + [
            (f"gateway.{name}", message)
            for name, message in self.gateway.problems(networked=self.has_load_balancer)
        ]
        if found:
            raise ValueError("; ".join(f"{name}: {message}" for name, message in found))
        return self


class CapabilityStackConfig(CapabilitySettings, RoleStackConfig):
    """A stack that grants capabilities in its account (member, account).

    The four capabilities are inherited from :class:`CapabilitySettings`, not
    re-declared, so they sit flat at the top of the settings object, as ever.
    """

    rotated_access_key_secrets: dict[UserName, str] | None = Field(
        None,
        description="Rotated access keys: IAM user -> its current secret access key, which "
        "Akeyless takes over with the key ID; never in the settings object, only the secure "
        f"config value {ROTATED_SECRETS_KEY} (a JSON object).",
    )
    unsafe_allow_privileged_grants: bool = Field(
        False,
        description="UNSAFE: let dynamic secrets hand out administrator-like policies, groups "
        "or roles (config/privileged.py). Anyone who may read such a secret becomes admin.",
    )

    @property
    def capabilities(self) -> Capabilities:
        """This stack's capabilities, as the permission documents and secrets take them."""
        granted = {name: getattr(self, name) for name in CapabilitySettings.model_fields}
        return Capabilities(
            **granted, unsafe_allow_privileged_grants=self.unsafe_allow_privileged_grants
        )


class HubStackConfig(GatewayStackConfig):
    """Centralized: the hub, whose Gateway hops into the members; it grants nothing itself."""

    stack_kind: Literal["hub"] = Field(description=STACK_KIND_DESCRIPTION)
    pattern: Literal["centralized"] = Field(description=PATTERN_DESCRIPTION)
    hub_account_id: AccountId | None = Field(
        None, description="Centralized: the account running the Gateway."
    )
    organization_id: OrganizationId | None = Field(
        None, description="AWS Organizations ID; scopes the hub's sts:AssumeRole to the org."
    )

    @property
    def capabilities(self) -> Capabilities:
        """None enabled: a hub's Gateway acts in the members, whose stacks grant it that."""
        return Capabilities()


class Ec2HubStackConfig(Ec2Site, HubStackConfig):
    """A hub whose Gateway runs on EC2."""


class EcsHubStackConfig(EcsSite, HubStackConfig):
    """A hub whose Gateway runs on ECS."""


class EksHubStackConfig(EksSite, HubStackConfig):
    """A hub whose Gateway runs on EKS."""


class MemberStackConfig(CapabilityStackConfig):
    """Centralized: a member account, reached through the hub's Gateway; it runs none."""

    stack_kind: Literal["member"] = Field(description=STACK_KIND_DESCRIPTION)
    pattern: Literal["centralized"] = Field(description=PATTERN_DESCRIPTION)
    hub_account_id: AccountId = Field(description="Centralized: the account running the Gateway.")


class AccountStackConfig(CapabilityStackConfig, GatewayStackConfig):
    """Distributed: an account with its own Gateway, which acts only on that account."""

    stack_kind: Literal["account"] = Field(description=STACK_KIND_DESCRIPTION)
    pattern: Literal["distributed"] = Field(description=PATTERN_DESCRIPTION)


class Ec2AccountStackConfig(Ec2Site, AccountStackConfig):
    """An account whose Gateway runs on EC2."""


class EcsAccountStackConfig(EcsSite, AccountStackConfig):
    """An account whose Gateway runs on ECS."""


class EksAccountStackConfig(EksSite, AccountStackConfig):
    """An account whose Gateway runs on EKS."""


StackConfig = Annotated[
    Annotated[OrgStackConfig, Tag("org")]
    | Annotated[
        Annotated[Ec2HubStackConfig, Tag("ec2")]
        | Annotated[EcsHubStackConfig, Tag("ecs")]
        | Annotated[EksHubStackConfig, Tag("eks")],
        Discriminator(SITE_SELECTOR),
        Tag("hub"),
    ]
    | Annotated[MemberStackConfig, Tag("member")]
    | Annotated[
        Annotated[Ec2AccountStackConfig, Tag("ec2")]
        | Annotated[EcsAccountStackConfig, Tag("ecs")]
        | Annotated[EksAccountStackConfig, Tag("eks")],
        Discriminator(SITE_SELECTOR),
        Tag("account"),
    ]
    | Annotated[EnrollStackConfig, Tag("enroll")],
    Discriminator(Selector("stack_kind")),
]
"""Everything one stack's program needs, and nothing from other stacks' accounts: the
config of its kind (and, for hub and account, of its Gateway's compute kind)."""

_STACK_CONFIG: TypeAdapter[StackConfig] = TypeAdapter(StackConfig)


def stack_config(settings: Mapping[str, Any]) -> StackConfig:
    """The config of the kind ``settings`` names; raises pydantic's ValidationError."""
    return _STACK_CONFIG.validate_python(settings)


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


SETTINGS_ORDER: tuple[str, ...] = (
    "stack_kind",
    "pattern",
    "account_id",
    "management_account_id",
    "hub_account_id",
    "organization_id",
    "gateway_account_ids",
    "regions",
    "bootstrap_role_name",
    "iam",
    "akeyless",
    "gateway",
    "pulumi_organization",
    *CapabilitySettings.model_fields,
    "tags",
    *SITE_FIELDS,
)
"""The order settings are written and documented in: the stack's own, then where its
Gateway runs. Only an order: the fields themselves are each kind's model's."""


def _in_settings_order(names: Iterable[str]) -> list[str]:
    """``names`` (dotted paths, too) in :data:`SETTINGS_ORDER` of their first part."""
    order = {name: index for index, name in enumerate(SETTINGS_ORDER)}
    return sorted(names, key=lambda name: order.get(name.split(".")[0], len(order)))


def stack_settings(config: StackConfig) -> dict[str, Any]:
    """The ``settings`` object of a stack: what differs from the model's defaults.

    The stack's own fields first, where its Gateway runs last, as ``Pulumi.yaml`` lists them.
    """
    dumped = config.model_dump(mode="json", exclude_defaults=True, exclude=set(_SECRET_FIELDS))
    return {name: dumped[name] for name in _in_settings_order(list(dumped))}


def stack_config_entries(config: StackConfig) -> list[ConfigEntry]:
    """Every config value of the stack: its settings, then each secret that is set.

    The one description of a stack's config that both the Automation API runner
    (the stack file) and the offline render (the mock runtime) use.
    """
    entries = [ConfigEntry(SETTINGS_KEY, stack_settings(config))]
    for field, key in _SECRET_FIELDS.items():
        value = getattr(config, field, None)
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
        return stack_config({**settings, **given})
    except ValidationError as error:
        problems = problems_of(error, StackConfig, prefix=SETTINGS_KEY, unknown_hint=SETTINGS_HINT)
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
    """Required in every stack kind that has it."""
    description: str
    stack_kinds: tuple[str, ...]
    """The stack kinds that have the field."""
    computes: tuple[str, ...] = ()
    """A site field's compute kinds (hub and account stacks); empty for the others."""
    required_for: tuple[str, ...] = ()
    """The stack kinds that require the field, when others have it as an option."""


def stack_variants() -> list[tuple[tuple[str, ...], type[StackConfigBase]]]:
    """Every concrete stack config model with its tags: ``(("hub", "eks"), EksHubStackConfig)``."""
    found: list[tuple[tuple[str, ...], type[StackConfigBase]]] = []

    def visit(annotation: Any, tags: tuple[str, ...]) -> None:
        union = tagged_variants(annotation)
        if union is not None:
            for tag, variant in union[1].items():
                visit(variant, (*tags, tag))
            return
        model = get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation
        found.append((tags, model))

    visit(StackConfig, ())
    return found


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
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object"
    if annotation is int:
        return "integer"
    metadata_origin = getattr(annotation, "__origin__", None)
    if metadata_origin is not None:  # Annotated[str, ...]
        return _type_name(metadata_origin)
    return "string"


def _leaves(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(dotted path, FieldInfo)`` of every leaf of ``model``'s settings, secrets left out."""
    for name, info in model.model_fields.items():
        if name in _SECRET_FIELDS:
            continue
        annotation = info.annotation
        union = tagged_variants(info.rebuild_annotation())
        if union is not None:  # each form's fields (gateway: replicas or autoscaling)
            seen: set[str] = set()
            for variant in union[1].values():
                for path, leaf in _leaves(get_args(variant)[0], f"{prefix}{name}."):
                    if path not in seen:
                        seen.add(path)
                        yield path, leaf
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _leaves(annotation, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", info


def setting_docs() -> list[SettingDoc]:
    """Every leaf of the settings object of any kind, dotted (``iam.path``), in settings
    order, each with the stack kinds (and, for site fields, compute kinds) that have it."""
    variants: dict[str, list[tuple[str, str | None, Any]]] = {}
    for tags, model in stack_variants():
        kind, compute = tags[0], (tags[1] if len(tags) > 1 else None)
        for path, info in _leaves(model):
            variants.setdefault(path, []).append((kind, compute, info))
    docs = []
    for path in _in_settings_order(list(variants)):
        found = variants[path]
        kinds = tuple(dict.fromkeys(kind for kind, _, _ in found))
        required = tuple(
            kind
            for kind in kinds
            if all(info.is_required() for other, _, info in found if other == kind)
        )
        optional = [info for _, _, info in found if not info.is_required()]
        default = optional[0].get_default(call_default_factory=True) if optional else None
        site = path in SITE_FIELDS
        docs.append(
            SettingDoc(
                path=path,
                type=_type_name(found[0][2].annotation),
                default=list(default) if isinstance(default, tuple) else default,
                required=not optional,
                description=next((i.description for _, _, i in found if i.description), ""),
                stack_kinds=kinds,
                computes=tuple(dict.fromkeys(c for _, c, _ in found if c)) if site else (),
                required_for=required if optional else (),
            )
        )
    return docs
