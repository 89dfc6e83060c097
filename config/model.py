"""The organization deployment file, as a validated model.

One YAML file describes the whole deployment: the pattern, the accounts, the IAM
names and what each account's Gateway may do. ``config/org.example.yaml`` is a
complete, commented example. Every model forbids unknown keys, so a typo is an
error rather than a silently ignored setting.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from config.fields import (
    AccessKeyId,
    AccountId,
    AkeylessAccessId,
    AkeylessPath,
    GroupName,
    HttpsUrl,
    HttpUrl,
    IamPath,
    KmsKeyArn,
    OrganizationId,
    PolicyArn,
    Region,
    RoleArn,
    RoleName,
    SecretPrefix,
    TagKey,
    TagValue,
    UserName,
    UserNamePrefix,
)

Pattern = Literal["centralized", "distributed"]

DEFAULT_BOOTSTRAP_ROLE = "OrganizationAccountAccessRole"


class StrictModel(BaseModel):
    """Base for every config model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DynamicIamUser(StrictModel):
    """Dynamic secrets that create short-lived IAM users (``access_mode: iam_user``)."""

    enabled: bool = Field(False, description="Dynamic secrets as temporary IAM users.")
    user_name_prefix: UserNamePrefix = Field(
        "tmp.", description="Prefix of the temporary users' names (Akeyless default 'tmp.')."
    )
    policy_arns: tuple[PolicyArn, ...] = Field(
        (), description="Managed policies the Gateway may attach to the temporary users."
    )
    group_names: tuple[GroupName, ...] = Field(
        (), description="Groups the Gateway may add the temporary users to."
    )


class DynamicAssumeRole(StrictModel):
    """Dynamic secrets that hand out sessions of existing roles (``access_mode: assume_role``)."""

    enabled: bool = Field(False, description="Dynamic secrets by assuming existing roles.")
    role_arns: tuple[RoleArn, ...] = Field(
        (), description="Roles the Gateway may assume; each must trust the Gateway's role."
    )

    @model_validator(mode="after")
    def _needs_roles(self) -> DynamicAssumeRole:
        if self.enabled and not self.role_arns:
            raise ValueError("role_arns must list at least one role when enabled")
        return self


class RotatedAccessKeys(StrictModel):
    """Rotated secrets that rotate existing IAM users' access keys."""

    enabled: bool = Field(False, description="Rotated secrets for IAM users' access keys.")
    access_keys: dict[UserName, AccessKeyId] = Field(
        default_factory=dict,
        description="IAM user -> the ID of its access key Akeyless takes over and rotates.",
    )
    rotation_interval_days: int = Field(
        30, ge=1, le=365, description="Days between automatic rotations."
    )

    @model_validator(mode="after")
    def _needs_users(self) -> RotatedAccessKeys:
        if self.enabled and not self.access_keys:
            raise ValueError("access_keys must name at least one user when enabled")
        return self

    @property
    def user_names(self) -> tuple[str, ...]:
        return tuple(self.access_keys)


class UscSecretsManager(StrictModel):
    """The Universal Secrets Connector over AWS Secrets Manager."""

    enabled: bool = Field(False, description="Universal Secrets Connector on Secrets Manager.")
    prefix: SecretPrefix = Field(
        "akeyless/", description="Only secrets whose names start with this prefix are reachable."
    )
    kms_key_arn: KmsKeyArn | None = Field(
        None, description="Customer-managed KMS key encrypting those secrets, if any."
    )


class Capabilities(StrictModel):
    """What a Gateway may do in one account; each capability adds its least-privilege grant."""

    dynamic_iam_user: DynamicIamUser = DynamicIamUser()
    dynamic_assume_role: DynamicAssumeRole = DynamicAssumeRole()
    rotated_access_keys: RotatedAccessKeys = RotatedAccessKeys()
    usc_secrets_manager: UscSecretsManager = UscSecretsManager()


class CapabilityOverrides(StrictModel):
    """An account's capabilities: each one given replaces the organization default."""

    dynamic_iam_user: DynamicIamUser | None = None
    dynamic_assume_role: DynamicAssumeRole | None = None
    rotated_access_keys: RotatedAccessKeys | None = None
    usc_secrets_manager: UscSecretsManager | None = None


class IamSettings(StrictModel):
    """Names of the IAM roles this program creates."""

    gateway_role_name: RoleName = Field(
        "akeyless-gateway", description="The Gateway's own identity role (hub or each account)."
    )
    member_role_name: RoleName = Field(
        "akeyless-gateway-member",
        description="Centralized: the role in each member account the hub Gateway assumes.",
    )
    path: IamPath = Field("/akeyless/", description="IAM path of every role created.")
    permissions_boundary_arn: PolicyArn | None = Field(
        None, description="Permissions boundary attached to every role created."
    )


AkeylessLogin = Literal["aws_iam", "api_key"]
AuthMethodScope = Literal["shared", "per_account"]


class AkeylessSettings(StrictModel):
    """Where this deployment's Akeyless objects live and how it logs in to Akeyless."""

    path: AkeylessPath = Field(
        "/aws-org", description="Akeyless folder holding every object this deployment names."
    )
    api_url: HttpsUrl = Field(
        "https://api.akeyless.io",
        description="Akeyless API for auth methods and roles (the SaaS, or a Gateway's /api/v2).",
    )
    login: AkeylessLogin = Field(
        "aws_iam",
        description="How the deployment logs in: aws_iam (its own AWS identity) or api_key "
        "(AKEYLESS_ACCESS_ID / AKEYLESS_ACCESS_KEY, or the secret akeylessAccessKey).",
    )
    login_access_id: AkeylessAccessId | None = Field(
        None,
        description="Access ID the deployment logs in with (required for aws_iam; "
        "for api_key, defaults to AKEYLESS_ACCESS_ID).",
    )
    auth_method_scope: AuthMethodScope = Field(
        "shared",
        description="One AWS IAM auth method for every Gateway (shared) or one per account.",
    )
    admin_access_ids: tuple[AkeylessAccessId, ...] = Field(
        (), description="Access IDs allowed to administer every Gateway."
    )
    gateway_health_timeout_seconds: int = Field(
        900, ge=10, le=3600, description="How long to wait for a Gateway's GET /health."
    )

    @model_validator(mode="after")
    def _aws_iam_needs_access_id(self) -> AkeylessSettings:
        if self.login == "aws_iam" and self.login_access_id is None:
            raise ValueError(
                "login_access_id is required for aws_iam login "
                "(the access ID of the AWS IAM auth method the deployment's role logs in with)"
            )
        return self


class GatewayEndpoint(StrictModel):
    """Where the deployment reaches a Gateway, when not where its compute says."""

    gateway_url: HttpsUrl | None = Field(
        None,
        description="The Gateway's API as seen from the deployment (https://<host>:8000/api/v2).",
    )
    gateway_health_url: HttpUrl | None = Field(
        None, description="The Gateway's health check (default http://<host>:8080/health)."
    )


class HubSpec(GatewayEndpoint):
    """Centralized pattern: the account that runs the Gateway."""

    account_id: AccountId


class AccountSpec(GatewayEndpoint):
    """One account of the organization that this deployment reaches."""

    id: AccountId
    name: str | None = Field(None, description="Human-readable label used in reports.")
    regions: tuple[Region, ...] | None = Field(
        None, description="Overrides the organization's regions for this account."
    )
    capabilities: CapabilityOverrides = Field(
        CapabilityOverrides(),
        description="Per capability, replaces the one in default_capabilities.",
    )
    tags: dict[TagKey, TagValue] = Field(
        default_factory=dict, description="Added to the organization's tags."
    )


class OrgDeployment(StrictModel):
    """A whole organization deployment, as written in the org file."""

    pattern: Pattern
    management_account_id: AccountId = Field(
        description="The account the deployment runs from (AWS Organizations management)."
    )
    organization_id: OrganizationId | None = Field(
        None, description="Limits the hub's sts:AssumeRole to roles inside this organization."
    )
    hub: HubSpec | None = Field(None, description="Required for, and only for, centralized.")
    regions: tuple[Region, ...] = Field(
        ("us-east-1",), description="Regions in scope; the first is where the Gateway runs."
    )
    iam: IamSettings = IamSettings()
    akeyless: AkeylessSettings
    bootstrap_role_name: RoleName = Field(
        DEFAULT_BOOTSTRAP_ROLE,
        description="Role the deployment assumes in each account to create resources there.",
    )
    default_capabilities: Capabilities = Capabilities()
    accounts: tuple[AccountSpec, ...] = Field(
        description="Member accounts (centralized) or Gateway accounts (distributed)."
    )
    tags: dict[TagKey, TagValue] = Field(
        default_factory=dict, description="Tags on every taggable resource."
    )

    def capabilities_of(self, account: AccountSpec) -> Capabilities:
        """The organization defaults with the account's own capabilities laid over them."""
        overrides = account.capabilities.model_dump(exclude_none=True)
        return self.default_capabilities.model_copy(
            update={name: getattr(account.capabilities, name) for name in overrides}
        )

    def regions_of(self, account: AccountSpec) -> tuple[Region, ...]:
        return account.regions if account.regions else self.regions

    def tags_of(self, account: AccountSpec | None) -> dict[str, str]:
        return {**self.tags, **(account.tags if account else {})}
