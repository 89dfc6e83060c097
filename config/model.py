"""The organization deployment file, as a validated model.

One YAML file describes the whole deployment: the pattern, the accounts, the IAM
names and what each account's Gateway may do. ``config/org.example.yaml`` is a
complete, commented example. Every model forbids unknown keys, so a typo is an
error rather than a silently ignored setting.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config.fields import (
    AccessKeyId,
    AccountId,
    AkeylessAccessId,
    AkeylessPath,
    AvailabilityZone,
    Cidr,
    EksClusterName,
    GatewayImage,
    GroupName,
    HttpsUrl,
    HttpUrl,
    IamPath,
    KmsKeyArn,
    KubernetesName,
    OidcProviderArn,
    OrganizationId,
    OrgUnitId,
    PolicyArn,
    PolicyName,
    Region,
    RoleArn,
    RoleName,
    SecretPrefix,
    SecurityGroupId,
    SubnetId,
    TagKey,
    TagValue,
    UserName,
    UserNamePrefix,
    VpcId,
    account_of_arn,
    is_open_to_the_internet,
    partition_of,
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
        None,
        description="Permissions boundary of every role created: an AWS-managed policy ARN "
        "(a customer-managed policy bounds only roles of its own account; for those, "
        "use permissions_boundary_policy_name).",
    )
    permissions_boundary_policy_name: PolicyName | None = Field(
        None,
        description="Permissions boundary of every role created: a customer-managed policy "
        "of this name (and permissions_boundary_policy_path) in each role's own account.",
    )
    permissions_boundary_policy_path: IamPath = Field(
        "/", description="IAM path of permissions_boundary_policy_name."
    )

    @model_validator(mode="after")
    def _one_boundary(self) -> IamSettings:
        if self.permissions_boundary_arn and self.permissions_boundary_policy_name:
            raise ValueError(
                "set permissions_boundary_arn or permissions_boundary_policy_name, not both"
            )
        return self

    def boundary_problem(self, account_id: str) -> str | None:
        """Why the boundary cannot bound roles in ``account_id``, or None.

        IAM attaches as permissions boundary only an AWS-managed policy or a
        customer-managed policy of the role's own account
        (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
        """
        arn = self.permissions_boundary_arn
        if arn is None or account_of_arn(arn) in ("aws", account_id):
            return None
        return (
            f"{arn} is a policy of account {account_of_arn(arn)}, and IAM bounds a role only "
            f"with an AWS-managed policy or one of the role's own account ({account_id}); "
            "use permissions_boundary_policy_name to name a policy present in every account"
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
        description="Access ID the deployment logs in with (required): the AWS IAM auth "
        "method for aws_iam, the value of AKEYLESS_ACCESS_ID for api_key. Each Gateway "
        "allows it from its first start, so the deployment can create objects through it.",
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
    def _needs_access_id(self) -> AkeylessSettings:
        # Gateway-only objects are created through the Gateway's API, which refuses
        # callers missing from its allowed access (../shared/akeyless/FACTS.md), and
        # the allowed-access entries are themselves created through that API: the
        # deployment's own access ID must be seeded at the Gateway's first start.
        if self.login_access_id is None:
            what = (
                "the access ID of the AWS IAM auth method the deployment's role logs in with"
                if self.login == "aws_iam"
                else "the access ID of AKEYLESS_ACCESS_ID"
            )
            raise ValueError(
                f"login_access_id is required ({what}): every Gateway allows it from its "
                "first start, or the deployment's first create through the Gateway is refused"
            )
        return self

    def login_problem(self, region: str) -> str | None:
        """Why the deployment cannot log in from ``region``'s partition this way, or None.

        The provider's ``aws_iam_login`` takes only an access ID and signs
        ``GetCallerIdentity`` for the global STS endpoint in us-east-1
        (terraform-provider-akeyless ``akeyless/login.go`` and ``provider.go`` call
        akeyless-go-cloud-id ``cloudprovider/aws/cloud_id.go``), which credentials of
        GovCloud or China cannot sign: those partitions need their regional STS.
        """
        partition = partition_of(region)
        if self.login != "aws_iam" or partition == "aws":
            return None
        return (
            f"login aws_iam cannot work in {partition} ({region}): the Akeyless provider signs "
            "its AWS IAM login for the global STS endpoint only, and that partition needs its "
            "regional one; use login: api_key"
        )


ComputeKind = Literal["ec2", "ecs", "eks"]
FARGATE_CPU_UNITS = (1024, 2048, 4096)
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 180, 365, 731, 1827, 3653)


def _one_of(value: int, allowed: tuple[int, ...]) -> int:
    if value not in allowed:
        raise ValueError(f"must be one of {', '.join(map(str, allowed))}, got {value}")
    return value


class GatewaySettings(StrictModel):
    """How every Gateway runs: image, size, and who may reach it."""

    image: GatewayImage = Field(
        "akeyless/gateway:5.0.1", description="Pinned Gateway image (EC2 and ECS)."
    )
    replicas: int = Field(2, ge=1, le=20, description="Instances or tasks per Gateway.")
    instance_type: str = Field(
        "t3.medium",
        pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$",
        description="EC2 instance type (at least 1 vCPU / 2 GiB).",
    )
    cpu: int = Field(1024, description="ECS task CPU units: 1024, 2048 or 4096.")
    memory_mib: int = Field(2048, ge=2048, le=30720, description="ECS task memory (MiB).")
    root_volume_gib: int = Field(30, ge=8, le=1024, description="EC2 root volume (encrypted).")
    allowed_cidrs: tuple[Cidr, ...] = Field(
        (), description="Networks that may reach the Gateway's ports 8000 and 8080."
    )
    allowed_security_group_ids: tuple[SecurityGroupId, ...] = Field(
        (), description="Security groups that may reach the Gateway's ports 8000 and 8080."
    )
    allow_internet_ingress: bool = Field(
        False, description="Permit 0.0.0.0/0 or ::/0 in allowed_cidrs (an explicit exception)."
    )
    associate_public_ip: bool = Field(False, description="EC2: give instances a public IP.")
    log_retention_days: int = Field(30, description="ECS: CloudWatch log retention in days.")
    helm_chart_version: str = Field(
        "1.9.1",
        pattern=r"^\d+\.\d+\.\d+$",
        description="EKS: pinned akeyless-gateway Helm chart version.",
    )

    @field_validator("cpu")
    @classmethod
    def _fargate_cpu(cls, value: int) -> int:
        return _one_of(value, FARGATE_CPU_UNITS)

    @field_validator("log_retention_days")
    @classmethod
    def _log_retention(cls, value: int) -> int:
        return _one_of(value, LOG_RETENTION_DAYS)

    def problems(self, *, networked: bool) -> list[tuple[str, str]]:
        """(field, message) for what is wrong; ``networked``: some Gateway runs on ec2/ecs."""
        found = [
            (
                f"allowed_cidrs[{index}]",
                "opens the Gateway to the internet; set allow_internet_ingress: true "
                "to make this an explicit exception",
            )
            for index, cidr in enumerate(self.allowed_cidrs)
            if is_open_to_the_internet(cidr) and not self.allow_internet_ingress
        ]
        if networked and not self.allowed_cidrs and not self.allowed_security_group_ids:
            found.append(
                (
                    "allowed_cidrs",
                    "name who may reach the Gateway (allowed_cidrs or allowed_security_group_ids)",
                )
            )
        return found


class GatewaySite(StrictModel):
    """Where and on what one Gateway runs (the hub, or each distributed account)."""

    compute: ComputeKind = Field("ec2", description="ec2 (Auto Scaling), ecs (Fargate) or eks.")
    vpc_id: VpcId | None = Field(None, description="ec2/ecs: the existing VPC.")
    subnets: dict[SubnetId, AvailabilityZone] = Field(
        default_factory=dict,
        description="ec2/ecs: private subnet -> its availability zone (spread over them).",
    )
    eks_cluster_name: EksClusterName | None = Field(None, description="eks: existing cluster.")
    eks_oidc_provider_arn: OidcProviderArn | None = Field(
        None, description="eks: the cluster's IAM OIDC provider (for IRSA)."
    )
    eks_namespace: KubernetesName = Field("akeyless", description="eks: namespace of the Gateway.")
    gateway_url: HttpsUrl | None = Field(
        None,
        description="The Gateway's API as the deployment reaches it "
        "(https://<host>:8000/api/v2); default: the load balancer's. Required for eks.",
    )
    gateway_health_url: HttpUrl | None = Field(
        None, description="The Gateway's health check (default http://<host>:8080/health)."
    )

    def problems(self, gateway: GatewaySettings) -> list[tuple[str, str]]:
        """(field, message) for what this site lacks to run a Gateway of ``gateway``."""
        found: list[tuple[str, str]] = []
        if self.compute == "eks":
            for name in ("eks_cluster_name", "eks_oidc_provider_arn", "gateway_url"):
                if getattr(self, name) is None:
                    found.append((name, "required when compute is eks"))
            return found
        if self.vpc_id is None:
            found.append(("vpc_id", f"required when compute is {self.compute}"))
        if not self.subnets:
            found.append(("subnets", f"list the private subnets for {self.compute}"))
        elif gateway.replicas > 1 and len(set(self.subnets.values())) < 2:
            found.append(
                (
                    "subnets",
                    f"{gateway.replicas} replicas need subnets in at least two availability "
                    f"zones, got {sorted(set(self.subnets.values()))}",
                )
            )
        return found

    @property
    def site_fields_set(self) -> set[str]:
        """The site settings that differ from their defaults (a member may set none)."""
        return {
            name
            for name, info in GatewaySite.model_fields.items()
            if getattr(self, name) != info.get_default(call_default_factory=True)
        }


class AccountSelection(StrictModel):
    """Which accounts the deployment reaches: the file's list, or AWS Organizations."""

    source: Literal["file", "organizations"] = Field(
        "file",
        description="file: the accounts listed here (works offline); organizations: every "
        "ACTIVE account of the organization, filtered below (the listed accounts then only "
        "carry per-account settings).",
    )
    include_account_ids: tuple[AccountId, ...] = Field(
        (), description="Only these accounts (empty: no restriction)."
    )
    exclude_account_ids: tuple[AccountId, ...] = Field((), description="Never these accounts.")
    include_ous: tuple[OrgUnitId, ...] = Field(
        (), description="organizations: only accounts under these OUs, nested OUs included."
    )
    exclude_ous: tuple[OrgUnitId, ...] = Field(
        (), description="organizations: no account under these OUs, nested OUs included."
    )
    include_tags: dict[TagKey, TagValue] = Field(
        default_factory=dict, description="organizations: only accounts carrying all these tags."
    )
    exclude_tags: dict[TagKey, TagValue] = Field(
        default_factory=dict, description="organizations: no account carrying any of these tags."
    )
    management_account: Literal["exclude", "include"] = Field(
        "exclude", description="Whether the management account itself is a member/Gateway account."
    )

    @model_validator(mode="after")
    def _filters_need_organizations(self) -> AccountSelection:
        if self.source == "file":
            given = [
                name
                for name in ("include_ous", "exclude_ous", "include_tags", "exclude_tags")
                if getattr(self, name)
            ]
            if given:
                raise ValueError(
                    f"{', '.join(given)} need source: organizations (the file has no OUs or tags)"
                )
        return self


class HubSpec(GatewaySite):
    """Centralized pattern: the account that runs the Gateway."""

    account_id: AccountId


class AccountSpec(GatewaySite):
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
    gateway: GatewaySettings = GatewaySettings()
    bootstrap_role_name: RoleName = Field(
        DEFAULT_BOOTSTRAP_ROLE,
        description="Role the deployment assumes in each account to create resources there.",
    )
    default_capabilities: Capabilities = Capabilities()
    discovery: AccountSelection = AccountSelection()
    accounts: tuple[AccountSpec, ...] = Field(
        (),
        description="Member accounts (centralized) or Gateway accounts (distributed); with "
        "discovery from organizations, per-account settings of discovered accounts.",
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
