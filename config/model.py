"""The organization deployment file, as a validated model.

One YAML file describes the whole deployment: the pattern, the accounts, the IAM
names and what each account's Gateway may do. ``config/org.example.yaml`` is a
complete, commented example. Every model forbids unknown keys, so a typo is an
error rather than a silently ignored setting.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from akeyless_gateway_org.config.fargate_sizes import FARGATE_MEMORY_MIB, fargate_size_problem
from akeyless_gateway_org.config.fields import (
    MAX_USER_TAGS,
    AccessKeyId,
    AccountId,
    AcmCertificateArn,
    AkeylessAccessId,
    AkeylessApiUrl,
    AkeylessPath,
    AvailabilityZone,
    Cidr,
    DnsName,
    EksClusterName,
    GatewayImage,
    GitHubRepository,
    GroupName,
    HostedZoneId,
    HttpUrl,
    IamPath,
    KmsKeyArn,
    KubernetesName,
    OidcProviderArn,
    OrganizationId,
    OrgUnitId,
    PolicyArn,
    PolicyName,
    PrintableText,
    Region,
    RoleArn,
    RoleName,
    S3BucketName,
    S3LogPrefix,
    SecretArn,
    SecretPrefix,
    SecurityGroupId,
    SubnetId,
    TagKey,
    TagValue,
    UserName,
    UserNamePrefix,
    VpcId,
    account_of_arn,
    gateway_host_problem,
    partition_of,
    partition_of_arn,
    region_of_arn,
)
from akeyless_gateway_org.config.privileged import (
    privileged_group,
    privileged_policy,
    privileged_role,
    privileged_user,
)
from akeyless_gateway_org.policy.networks import admits_the_internet

Pattern = Literal["centralized", "distributed"]

DEFAULT_BOOTSTRAP_ROLE = "OrganizationAccountAccessRole"


class StrictModel(BaseModel):
    """Base for every config model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Selector:
    """Which variant of a discriminated union a value is: the value of its ``key``.

    Used as pydantic's callable ``Discriminator`` with a ``Tag`` per variant; the
    tag is the key's value as the file spells it (``compute: eks`` -> ``"eks"``),
    ``default`` when the key is absent. ``config/validation.py`` reads the key
    back to name it in errors and to drop the tags from error paths.
    """

    key: str
    default: str | None = None

    def __call__(self, value: Any) -> str | None:
        if isinstance(value, BaseModel):
            tag = getattr(value, self.key, self.default)
        elif isinstance(value, Mapping):
            tag = value.get(self.key, self.default)
        else:  # not a mapping: the default variant's model says so, at this path
            tag = self.default
        return tag if isinstance(tag, str) else None

    def condition(self, tag: str) -> str | None:
        """When a variant applies, for messages (``compute is eks``); None: always."""
        return f"{self.key} is {tag}"

    @property
    def __name__(self) -> str:
        """What pydantic calls a callable discriminator in its own messages."""
        return self.key


def tagged_variants(annotation: Any) -> tuple[Selector, dict[str, Any]] | None:
    """The selector and the variants by tag, if ``annotation`` is a union this file tags.

    A variant stays as annotated (``Annotated[Ec2Site, Tag("ec2")]``), so one that is
    itself a tagged union (a hub stack, by compute kind) is found the same way.
    """
    if get_origin(annotation) is not Annotated:
        return None
    union, *metadata = get_args(annotation)
    selectors = [
        item.discriminator
        for item in metadata
        if isinstance(item, Discriminator) and isinstance(item.discriminator, Selector)
    ]
    if not selectors:
        return None
    variants = {}
    for variant in get_args(union):
        tags = [item.tag for item in get_args(variant)[1:] if isinstance(item, Tag)]
        variants[tags[0]] = variant
    return selectors[0], variants


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


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
        (),
        description="Groups the Gateway may add the temporary users to. IAM limits only the "
        "group, never the user, so the Gateway can add any user of the account: each group "
        "must hold only what a temporary user may have.",
    )
    console_access: bool = Field(
        False,
        description="Give temporary users a console password (grants the login-profile "
        "actions; off by default: access keys only).",
    )
    tag_keys: tuple[TagKey, ...] = Field(
        (),
        description="Tag keys the Gateway may set on temporary users (iam:TagUser is "
        "limited to these through aws:TagKeys; none: no tagging is granted).",
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


class CapabilitySettings(StrictModel):
    """The capabilities themselves, declared once: each adds its least-privilege grant.

    :class:`Capabilities` (the org file's) and the stack configs of the accounts a
    Gateway acts in (member, account) inherit these fields, so a capability added
    here reaches the org file, the stack settings and ``Pulumi.yaml`` alike.
    """

    dynamic_iam_user: DynamicIamUser = Field(
        DynamicIamUser(), description="Dynamic secrets as temporary IAM users."
    )
    dynamic_assume_role: DynamicAssumeRole = Field(
        DynamicAssumeRole(), description="Dynamic secrets by assuming existing roles."
    )
    rotated_access_keys: RotatedAccessKeys = Field(
        RotatedAccessKeys(), description="Rotated secrets for IAM users' access keys."
    )
    usc_secrets_manager: UscSecretsManager = Field(
        UscSecretsManager(), description="The Universal Secrets Connector on Secrets Manager."
    )


class Capabilities(CapabilitySettings):
    """What a Gateway may do in one account, and whether privileged grants are accepted."""

    unsafe_allow_privileged_grants: bool = Field(
        False,
        description="UNSAFE: let dynamic secrets hand out administrator-like policies, groups "
        "or roles (config/privileged.py). Anyone who may read such a secret becomes admin.",
    )

    def privileged_grants(self, own_role_names: frozenset[str]) -> list[tuple[str, str]]:
        """``(field, message)`` for every privileged grant, unless explicitly allowed."""
        if self.unsafe_allow_privileged_grants:
            return []
        found: list[tuple[str, str]] = []
        dynamic, assume = self.dynamic_iam_user, self.dynamic_assume_role
        found += [
            (f"dynamic_iam_user.policy_arns[{index}]", f"{arn} is an administrator-like policy")
            for index, arn in enumerate(dynamic.policy_arns)
            if privileged_policy(arn)
        ]
        found += [
            (f"dynamic_iam_user.group_names[{index}]", f"group {name} looks privileged")
            for index, name in enumerate(dynamic.group_names)
            if privileged_group(name)
        ]
        found += [
            (f"dynamic_assume_role.role_arns[{index}]", f"{arn} is an administrator-like role")
            for index, arn in enumerate(assume.role_arns)
            if privileged_role(arn, also=own_role_names)
        ]
        rotated = self.rotated_access_keys
        found += [
            (f"rotated_access_keys.access_keys.{user}", f"user {user} looks privileged")
            for user in rotated.user_names
            if rotated.enabled and privileged_user(user)
        ]
        return [
            (
                where,
                f"{message}; a dynamic secret must not hand it out (set "
                "unsafe_allow_privileged_grants: true only if you accept that)",
            )
            for where, message in found
        ]


class CapabilityOverrides(StrictModel):
    """An account's capabilities: each one given replaces the organization default."""

    dynamic_iam_user: DynamicIamUser | None = None
    dynamic_assume_role: DynamicAssumeRole | None = None
    rotated_access_keys: RotatedAccessKeys | None = None
    usc_secrets_manager: UscSecretsManager | None = None
    unsafe_allow_privileged_grants: bool | None = None


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


LoginMethod = Literal["aws_iam", "api_key"]
AuthMethodScope = Literal["shared", "per_account"]


class AkeylessSettings(StrictModel):
    """Where this deployment's Akeyless objects live and how it logs in to Akeyless."""

    path: AkeylessPath = Field(
        "/aws-org", description="Akeyless folder holding every object this deployment names."
    )
    api_url: AkeylessApiUrl = Field(
        "https://api.akeyless.io",
        description="Akeyless API for auth methods and roles (the SaaS, or a Gateway's /api/v2).",
    )
    login: LoginMethod = Field(
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
        description="One AWS IAM auth method for every Gateway (shared; centralized only) or "
        "one per account (per_account; the distributed pattern's default and only choice).",
    )
    admin_access_ids: tuple[AkeylessAccessId, ...] = Field(
        (), description="Access IDs allowed to administer every Gateway."
    )
    gateway_health_timeout_seconds: int = Field(
        900, ge=10, le=3600, description="How long to wait for a Gateway's GET /health."
    )
    allow_plaintext_gateway_login_in_lab: bool = Field(
        False,
        description="LAB ONLY: let the deployment send its Akeyless login to a Gateway over "
        "plain http:// (anyone on the network path can replay it). Off: every Gateway "
        "the deployment logs in at needs TLS (tls_certificate_arn, https:// gateway_url).",
    )

    @model_validator(mode="after")
    def _needs_access_id(self) -> AkeylessSettings:
        # Gateway-only objects are created through the Gateway's API, which refuses
        # callers missing from its allowed access (Gateway permissions:
        # https://docs.akeyless.io/docs/gateway-access-permissions-reference), and
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
COMPUTE_DESCRIPTION = "ec2 (Auto Scaling), ecs (Fargate) or eks."
EksService = Literal["load_balancer", "cluster_ip"]
GATEWAY_MIN_CPU_UNITS = 1024
"""The Gateway needs at least 1 vCPU and 2 GB (Prerequisites of
https://docs.akeyless.io/docs/gateway-deploy-docker-compose)."""
GATEWAY_CPU_UNITS = tuple(cpu for cpu in FARGATE_MEMORY_MIB if cpu >= GATEWAY_MIN_CPU_UNITS)
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 180, 365, 731, 1827, 3653)


def _one_of(value: int, allowed: tuple[int, ...]) -> int:
    if value not in allowed:
        raise ValueError(f"must be one of {', '.join(map(str, allowed))}, got {value}")
    return value


GatewayService = Literal["vault_proxy", "kmip"]
"""An optional Gateway service; its port is ``GATEWAY_SERVICE_PORTS`` in gateway_runtime."""


class AccessLogs(StrictModel):
    """Where the load balancer writes its access logs: an existing bucket, never created here.

    A Network Load Balancer logs TLS connections only ("Access logs are created only if
    the load balancer has a TLS listener": ELB User Guide, "Access logs for your Network
    Load Balancer"), so a site needs TLS (``dns`` or ``tls_certificate_arn``) to log.
    """

    bucket: S3BucketName = Field(
        description="Existing bucket in the Gateway's region whose policy lets "
        "delivery.logs.amazonaws.com write (README, 'Access logs')."
    )
    prefix: S3LogPrefix | None = Field(
        None, description="Key prefix inside the bucket (none: the bucket's root)."
    )


class Autoscaling(StrictModel):
    """Replicas that follow CPU load, never fewer than two (two availability zones)."""

    min: int = Field(2, ge=2, le=100, description="Fewest instances/tasks/pods (at least 2).")
    max: int = Field(ge=2, le=100, description="Most instances/tasks/pods.")
    target_cpu_percent: int = Field(
        60, ge=10, le=90, description="Average CPU utilization the scaling keeps to."
    )

    @model_validator(mode="after")
    def _max_at_least_min(self) -> Autoscaling:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) must be at least min ({self.min})")
        return self


class GatewaySettings(StrictModel):
    """How every Gateway runs: image, size, services, and who may reach it.

    Its size is one of two forms (:data:`AnyGatewaySettings`): a fixed number of
    ``replicas`` (:class:`FixedSizeGateway`, the default) or ``autoscaling``
    (:class:`AutoscaledGateway`); a file that sets both gets an error naming the
    one that does not belong.
    """

    image: GatewayImage = Field(
        "akeyless/gateway:5.0.1", description="Pinned Gateway image (EC2, ECS and EKS)."
    )
    instance_type: str = Field(
        "t3.medium",
        pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$",
        description="EC2 instance type (at least 1 vCPU / 2 GiB).",
    )
    cpu: int = Field(
        1024,
        description="ECS task CPU units: "
        f"{', '.join(map(str, GATEWAY_CPU_UNITS))} (at least 1 vCPU).",
    )
    memory_mib: int = Field(
        2048,
        ge=2048,
        description="ECS task memory (MiB): one of Fargate's sizes for that CPU, at least 2048.",
    )
    root_volume_gib: int = Field(30, ge=8, le=1024, description="EC2 root volume (encrypted).")
    allowed_cidrs: tuple[Cidr, ...] = Field(
        (),
        description="Networks that may reach the Gateway's ports (8000, 8080 and each of "
        "gateway.services).",
    )
    allowed_security_group_ids: tuple[SecurityGroupId, ...] = Field(
        (),
        description="Security groups that may reach the Gateway's ports (8000, 8080 and each "
        "of gateway.services).",
    )
    services: tuple[GatewayService, ...] = Field(
        (),
        description="Optional Gateway services, each adding exactly its port: vault_proxy "
        "(8200, HashiCorp Vault proxy) and kmip (5696, TLS passed through, never terminated "
        "at the load balancer).",
    )
    access_logs: AccessLogs | None = Field(
        None,
        description="Load-balancer access logs to an existing S3 bucket (TLS listeners only; "
        "the bucket policy it needs is in the README).",
    )
    # What counts as the internet: policy/networks.py (the union of allowed_cidrs, not
    # only 0.0.0.0/0 or ::/0). The description is mirrored in Pulumi.yaml.
    allow_internet_ingress: bool = Field(
        False, description="Permit 0.0.0.0/0 or ::/0 in allowed_cidrs (an explicit exception)."
    )
    associate_public_ip: bool = Field(False, description="EC2: give instances a public IP.")
    log_retention_days: int = Field(30, description="ECS: CloudWatch log retention in days.")
    helm_chart_version: str = Field(
        "3.3.0",
        pattern=r"^\d+\.\d+\.\d+$",
        description="EKS: pinned akeyless-gateway Helm chart version.",
    )

    @field_validator("cpu")
    @classmethod
    def _fargate_cpu(cls, value: int) -> int:
        return _one_of(value, GATEWAY_CPU_UNITS)

    @field_validator("memory_mib")
    @classmethod
    def _fargate_memory(cls, value: int, info: ValidationInfo) -> int:
        cpu = info.data.get("cpu")  # absent when cpu itself was invalid
        problem = fargate_size_problem(cpu, value) if cpu is not None else None
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _log_retention(cls, value: int) -> int:
        return _one_of(value, LOG_RETENTION_DAYS)

    @field_validator("services")
    @classmethod
    def _each_service_once(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        repeated = sorted({service for service in value if value.count(service) > 1})
        if repeated:
            raise ValueError(f"lists {', '.join(repeated)} more than once")
        return value

    @property
    def least_replicas(self) -> int:
        """The fewest instances, tasks or pods that ever run (fixed size or autoscaling)."""
        raise NotImplementedError  # each form says (FixedSizeGateway, AutoscaledGateway)

    def problems(self, *, networked: bool) -> list[tuple[str, str]]:
        """(field, message) for what is wrong; ``networked``: some Gateway runs on ec2/ecs."""
        found = []
        # The union, not each block: 0.0.0.0/1 and 128.0.0.0/1 are the internet too.
        # Blocks that are the internet on their own are named one by one.
        if admits_the_internet(self.allowed_cidrs) and not self.allow_internet_ingress:
            alone = [
                f"allowed_cidrs[{index}]"
                for index, cidr in enumerate(self.allowed_cidrs)
                if admits_the_internet([cidr])
            ]
            found += [
                (
                    where,
                    f"{'opens' if alone else 'these networks together open'} the Gateway to "
                    "the internet (more public addresses than a /16 of IPv4 or a /32 of "
                    "IPv6); set allow_internet_ingress: true to make this an explicit exception",
                )
                for where in alone or ["allowed_cidrs"]
            ]
        if networked and not self.allowed_cidrs and not self.allowed_security_group_ids:
            found.append(
                (
                    "allowed_cidrs",
                    "name who may reach the Gateway (allowed_cidrs or allowed_security_group_ids)",
                )
            )
        return found


class FixedSizeGateway(GatewaySettings):
    """A Gateway of a fixed number of instances, tasks or pods."""

    replicas: int = Field(
        2, ge=1, le=20, description="Instances, tasks or pods per Gateway (fixed size)."
    )

    @property
    def least_replicas(self) -> int:
        return self.replicas


class AutoscaledGateway(GatewaySettings):
    """A Gateway whose replicas follow CPU load (instead of ``replicas``)."""

    autoscaling: Autoscaling = Field(
        description="Target tracking on CPU: ec2 Auto Scaling group policy, ecs Application "
        "Auto Scaling, eks the chart's HorizontalPodAutoscaler."
    )

    @property
    def least_replicas(self) -> int:
        return self.autoscaling.min


@dataclass(frozen=True)
class ScalingSelector(Selector):
    """A Gateway's size form: ``autoscaling`` when the key is given, else ``replicas``."""

    def __call__(self, value: Any) -> str | None:
        if isinstance(value, BaseModel):
            return "autoscaling" if isinstance(value, AutoscaledGateway) else "replicas"
        if isinstance(value, Mapping):
            return "autoscaling" if self.key in value else "replicas"
        return "replicas"

    def condition(self, tag: str) -> str | None:
        return "autoscaling is set" if tag == "autoscaling" else None


AnyGatewaySettings = Annotated[
    Annotated[FixedSizeGateway, Tag("replicas")] | Annotated[AutoscaledGateway, Tag("autoscaling")],
    Discriminator(ScalingSelector("autoscaling")),
]
"""The Gateway settings as a file has them: a fixed ``replicas`` or ``autoscaling``."""


AWS_OWNED_DOMAIN = "amazonaws.com"
"""Names under it are AWS's (a load balancer's ``*.elb.amazonaws.com``): ACM issues no
certificate for them ("You cannot request certificates for Amazon-owned domain names such
as those ending in amazonaws.com": ACM User Guide, "Request a public certificate")."""


class DnsSettings(StrictModel):
    """The Gateway's own name: a record in a Route 53 zone the deployment may write to."""

    zone_id: HostedZoneId = Field(
        description="Route 53 hosted zone holding the name: in the site's account, or "
        "delegated there (the deployment writes the alias and the certificate's validation "
        "records into it)."
    )
    name: DnsName = Field(
        description="The Gateway's name (e.g. gateway.prod.example.com): an ACM certificate "
        "is issued for it, the load balancer's listeners use it, gatewayUrl is "
        "https://<name>:8000/api/v2."
    )


class SiteBase(StrictModel):
    """What every Gateway site has, whatever it runs on: its kind and its transport.

    A site is one of :class:`Ec2Site`, :class:`EcsSite` or :class:`EksSite`, each
    with exactly its own fields (:data:`GatewaySite`): an eks site has no subnets,
    an ec2 site no cluster name, and a file that sets one gets an error naming it.
    """

    compute: ComputeKind = Field(description=COMPUTE_DESCRIPTION)
    tls_certificate_arn: AcmCertificateArn | None = Field(
        None,
        description="ACM certificate (this account and region) to terminate TLS on port 8000 "
        "at the load balancer (then https://); without it the Gateway's API is plain HTTP "
        "inside the VPC (http://).",
    )
    dns: DnsSettings | None = Field(
        None,
        description="The Gateway's own DNS name in a Route 53 zone: the stack creates an ACM "
        "certificate validated by DNS, TLS listeners and the alias record (then https://).",
    )
    gateway_url: HttpUrl | None = Field(
        None,
        description="The Gateway's API as the deployment reaches it "
        "(<scheme>://<host>:8000/api/v2, https only with TLS); default: https://<dns.name> "
        "with dns, the load balancer's otherwise. Required for eks without dns and with "
        "tls_certificate_arn (a name the certificate covers).",
    )
    gateway_health_url: HttpUrl | None = Field(
        None,
        description="The Gateway's health check, plain HTTP (default http://<host>:8080/health).",
    )

    @property
    def api_scheme(self) -> Literal["http", "https"]:
        """What port 8000 speaks to its callers: TLS only where the load balancer terminates it.

        The Gateway itself serves plain HTTP on 8000 unless TLS is configured in it
        (akeyless-gateway chart ``globalConfig.TLSConf``, off by default), and the
        load balancer passes TCP through unless it holds a certificate.
        """
        return "https" if self.terminates_tls else "http"

    @property
    def terminates_tls(self) -> bool:
        """Whether the load balancer holds a certificate (named, or made for ``dns``)."""
        return self.tls_certificate_arn is not None or self.dns is not None

    @property
    def has_load_balancer(self) -> bool:
        """Whether the Gateway's ports are exposed through a load balancer this program makes."""
        return True

    def problems(
        self,
        gateway: GatewaySettings,
        *,
        account_id: str | None = None,
        region: str | None = None,
    ) -> list[tuple[str, str]]:
        """(field, message) for what this site lacks to run a Gateway of ``gateway``.

        ``account_id`` and ``region``, where the Gateway runs, when known. The
        fields a site needs are checked here rather than required by the type: in
        the org file a centralized member's account is read with the same models
        and runs no Gateway, so only where the site runs one are they needed.
        """
        found: list[tuple[str, str]] = []
        certificate = self.tls_certificate_arn
        if self.dns is not None and certificate is not None:
            found.append(
                (
                    "dns",
                    "set dns (the stack creates the certificate for dns.name) or "
                    "tls_certificate_arn (an existing certificate), not both",
                )
            )
        if self.dns is not None and not self.has_load_balancer:
            found.append(("dns", "eks_service cluster_ip has no load balancer to name"))
        if certificate is not None and self.gateway_url is None:
            found.append(
                (
                    "gateway_url",
                    "required with tls_certificate_arn: the load balancer's own name ends in "
                    f"{AWS_OWNED_DOMAIN}, which no ACM certificate covers, so TLS to it fails; "
                    "give https://<a name your certificate covers>:8000/api/v2, or use dns",
                )
            )
        if gateway.access_logs is not None and not self.terminates_tls:
            found.append(
                (
                    "gateway.access_logs",
                    "a Network Load Balancer logs TLS connections only: set dns or "
                    "tls_certificate_arn, or leave access_logs out"
                    if self.has_load_balancer
                    else "eks_service cluster_ip has no load balancer to log",
                )
            )
        if certificate is not None:
            if not self.has_load_balancer:
                found.append(
                    (
                        "tls_certificate_arn",
                        "eks_service cluster_ip has no load balancer to terminate TLS at",
                    )
                )
            # ACM certificates are regional and an NLB uses only its own account's
            # (ELB API CreateListener, Certificates; ACM User Guide, "Regions").
            if account_id is not None and account_of_arn(certificate) != account_id:
                found.append(
                    (
                        "tls_certificate_arn",
                        f"{certificate} is in account {account_of_arn(certificate)}; "
                        f"the load balancer is in {account_id}",
                    )
                )
            if region is not None and region_of_arn(certificate) != region:
                found.append(
                    (
                        "tls_certificate_arn",
                        f"{certificate} is in {region_of_arn(certificate)}; "
                        f"the Gateway runs in {region}",
                    )
                )
        if self.gateway_health_url is not None and not self.gateway_health_url.startswith(
            "http://"
        ):
            found.append(
                (
                    "gateway_health_url",
                    "must start with http://: port 8080 is plain HTTP, TLS is only ever on 8000, "
                    f"got {self.gateway_health_url}",
                )
            )
        # The deployment sends its Akeyless login to these (login at the API, the health
        # poll before it): the deployer names them, not the org file (config/fields.py).
        # The name the stack itself creates (``dns``) is one it may log in at.
        created = frozenset({self.dns.name.lower()}) if self.dns is not None else frozenset()
        for name in ("gateway_url", "gateway_health_url"):
            url = getattr(self, name)
            if url is not None and (host_problem := gateway_host_problem(url, created)):
                found.append((name, host_problem))
        host = (urlsplit(self.gateway_url).hostname or "") if self.gateway_url else ""
        if self.terminates_tls and (
            host == AWS_OWNED_DOMAIN
            or host.endswith(f".{AWS_OWNED_DOMAIN}")
            or _is_ip_address(host)
        ):
            found.append(
                (
                    "gateway_url",
                    f"{host} is not a name an ACM certificate can cover (AWS-owned or an "
                    "IP address); give the DNS name you point at the load balancer",
                )
            )
        if self.gateway_url is not None:
            scheme = self.gateway_url.split("://", 1)[0]
            if scheme != self.api_scheme:
                found.append(
                    (
                        "gateway_url",
                        f"must start with {self.api_scheme}://: port 8000 is "
                        + (
                            "TLS at the load balancer (dns or tls_certificate_arn)"
                            if self.api_scheme == "https"
                            else "plain HTTP (set dns or tls_certificate_arn to terminate "
                            "TLS at the load balancer)"
                        )
                        + f", got {self.gateway_url}",
                    )
                )
        return found


class NetworkSite(SiteBase):
    """A Gateway in the account's own VPC behind a network load balancer: ec2 or ecs."""

    vpc_id: VpcId | None = Field(None, description="The existing VPC.")
    subnets: dict[SubnetId, AvailabilityZone] = Field(
        default_factory=dict,
        description="Private subnet -> its availability zone (spread over them).",
    )

    def problems(
        self,
        gateway: GatewaySettings,
        *,
        account_id: str | None = None,
        region: str | None = None,
    ) -> list[tuple[str, str]]:
        found = super().problems(gateway, account_id=account_id, region=region)
        if self.vpc_id is None:
            found.append(("vpc_id", f"required when compute is {self.compute}"))
        if not self.subnets:
            found.append(("subnets", f"list the private subnets for {self.compute}"))
        elif gateway.least_replicas > 1 and len(set(self.subnets.values())) < 2:
            found.append(
                (
                    "subnets",
                    f"{gateway.least_replicas} replicas need subnets in at least two "
                    f"availability zones, got {sorted(set(self.subnets.values()))}",
                )
            )
        return found


class Ec2Site(NetworkSite):
    """An Auto Scaling group of instances, each running the Gateway's container."""

    compute: Literal["ec2"] = Field("ec2", description=COMPUTE_DESCRIPTION)


class EcsSite(NetworkSite):
    """A Fargate service running the Gateway's task."""

    compute: Literal["ecs"] = Field(description=COMPUTE_DESCRIPTION)


class EksSite(SiteBase):
    """The Gateway's Helm chart in an existing EKS cluster."""

    compute: Literal["eks"] = Field(description=COMPUTE_DESCRIPTION)
    eks_cluster_name: EksClusterName | None = Field(None, description="The existing cluster.")
    eks_oidc_provider_arn: OidcProviderArn | None = Field(
        None, description="The cluster's IAM OIDC provider (for IRSA)."
    )
    eks_namespace: KubernetesName = Field("akeyless", description="Namespace of the Gateway.")
    eks_service: EksService = Field(
        "load_balancer",
        description="How ports 8000/8080 are exposed: load_balancer (internal, from "
        "gateway.allowed_cidrs only) or cluster_ip (reached another way, e.g. from the cluster).",
    )

    @property
    def has_load_balancer(self) -> bool:
        return self.eks_service == "load_balancer"

    def problems(
        self,
        gateway: GatewaySettings,
        *,
        account_id: str | None = None,
        region: str | None = None,
    ) -> list[tuple[str, str]]:
        found = super().problems(gateway, account_id=account_id, region=region)
        for name in ("eks_cluster_name", "eks_oidc_provider_arn"):
            if getattr(self, name) is None:
                found.append((name, "required when compute is eks"))
        # The Service's load balancer gets its name only once created: the stack
        # points dns.name at it, or the file names the URL (tls_certificate_arn: above).
        if self.gateway_url is None and self.dns is None and self.tls_certificate_arn is None:
            found.append(("gateway_url", "required when compute is eks without dns"))
        provider = self.eks_oidc_provider_arn
        # The IRSA role trusts this provider: one of another account would let that
        # account's cluster hand out the Gateway's identity.
        if provider is not None and account_id not in (None, account_of_arn(provider)):
            found.append(
                (
                    "eks_oidc_provider_arn",
                    f"{provider} is in account {account_of_arn(provider)}; the Gateway's "
                    f"role is in {account_id} and trusts only its own account's provider",
                )
            )
        if self.eks_service == "load_balancer" and not gateway.allowed_cidrs:
            found.append(
                (
                    "eks_service",
                    "an EKS load balancer admits sources by CIDR only "
                    "(loadBalancerSourceRanges): set gateway.allowed_cidrs, or use cluster_ip",
                )
            )
        return found


SITE_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(
        [
            "compute",
            *(name for name in NetworkSite.model_fields if name not in SiteBase.model_fields),
            *(name for name in EksSite.model_fields if name not in SiteBase.model_fields),
            *SiteBase.model_fields,
        ]
    )
)
"""Every site field of any compute kind, in the order a stack's settings list them."""

SITE_SELECTOR = Selector("compute", default="ec2")
"""A site's kind: its ``compute``, ec2 when the file leaves it out."""

GatewaySite = Annotated[
    Annotated[Ec2Site, Tag("ec2")]
    | Annotated[EcsSite, Tag("ecs")]
    | Annotated[EksSite, Tag("eks")],
    Discriminator(SITE_SELECTOR),
]
"""Where and on what one Gateway runs: exactly the fields of its compute kind."""


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


ENROLL_REGION = "us-east-1"
"""Where the enroll stack's rule listens: Organizations is a global service whose CloudTrail
events reach EventBridge in US East (N. Virginia) only
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_cloudtrail-integration.html;
https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-organizations.html)."""


class GitHubDispatch(StrictModel):
    """Where a new account's deployment starts: a ``repository_dispatch`` to a GitHub repository.

    The event type is always ``enroll-account``, the one ``.github/workflows/org-deploy.yml``
    accepts; the token never enters the org file or the stack's settings, only its secret's ARN.
    """

    repository: GitHubRepository = Field(
        description="owner/name of the repository running .github/workflows/org-deploy.yml."
    )
    token_secret_arn: SecretArn = Field(
        description="Secrets Manager secret (management account, us-east-1) holding a GitHub "
        "token allowed to create repository_dispatch events on that repository (a fine-grained "
        "token with Contents: write on it alone)."
    )

    def token_secret_problem(self, account_id: str, region: str) -> str | None:
        """Why the enroll stack (``account_id``, ``region``) cannot read the token secret, or
        None. Its provider reads the secret with the stack's own credentials in its own
        region (components/enrollment.py), and GetSecretValue names a secret of that region
        (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html);
        another account's secret would also need that account to share it and its KMS key."""
        arn = self.token_secret_arn
        where = (partition_of_arn(arn), account_of_arn(arn), region_of_arn(arn))
        if where == (partition_of(region), account_id, region):
            return None
        return (
            f"{arn} is a secret of account {where[1]} in {where[2]}; the enroll stack reads it "
            f"in its own account and region, the management account {account_id} in {region}: "
            "keep the token in a secret there"
        )


class EnrollmentSettings(StrictModel):
    """The optional ``enroll`` stack: new accounts in scope start their own deployment."""

    github: GitHubDispatch


class HubSpecBase(StrictModel):
    """Centralized pattern: the account that runs the Gateway, with its site's fields."""

    account_id: AccountId


class Ec2HubSpec(HubSpecBase, Ec2Site):
    """The hub, its Gateway on EC2."""


class EcsHubSpec(HubSpecBase, EcsSite):
    """The hub, its Gateway on ECS."""


class EksHubSpec(HubSpecBase, EksSite):
    """The hub, its Gateway on EKS."""


HubSpec = Annotated[
    Annotated[Ec2HubSpec, Tag("ec2")]
    | Annotated[EcsHubSpec, Tag("ecs")]
    | Annotated[EksHubSpec, Tag("eks")],
    Discriminator(SITE_SELECTOR),
]
"""The hub as the org file has it: its account and exactly its compute kind's fields."""


class AccountSpec(StrictModel):
    """One account of the organization that this deployment reaches.

    As it is, an account without a Gateway site: a centralized member (or a
    distributed account that lacks its site, which validation reports). With site
    fields it is one of :class:`Ec2AccountSpec`, :class:`EcsAccountSpec`,
    :class:`EksAccountSpec` (:data:`AnyAccountSpec`).
    """

    id: AccountId
    name: PrintableText | None = Field(
        None, description="Human-readable label used in reports (printable text, 256 at most)."
    )
    regions: tuple[Region, ...] | None = Field(
        None, description="Overrides the organization's regions for this account."
    )
    capabilities: CapabilityOverrides = Field(
        CapabilityOverrides(),
        description="Per capability, replaces the one in default_capabilities.",
    )
    tags: dict[TagKey, TagValue] = Field(
        default_factory=dict,
        max_length=MAX_USER_TAGS,
        description="Added to the organization's tags.",
    )


class Ec2AccountSpec(AccountSpec, Ec2Site):
    """An account whose Gateway runs on EC2 (distributed)."""


class EcsAccountSpec(AccountSpec, EcsSite):
    """An account whose Gateway runs on ECS (distributed)."""


class EksAccountSpec(AccountSpec, EksSite):
    """An account whose Gateway runs on EKS (distributed)."""


NO_SITE = "none"
"""The tag of an org-file account that sets no site field."""


@dataclass(frozen=True)
class AccountSelector(Selector):
    """An org-file account's variant: its site's compute kind if it sets any site field.

    The org file lists centralized members and distributed Gateway accounts alike;
    an account with none of the site fields is a bare :class:`AccountSpec`, so a
    member needs no site, and one that sets any is a site of its compute kind.
    """

    def __call__(self, value: Any) -> str | None:
        if isinstance(value, Mapping):
            return super().__call__(value) if _SITE_KEYS.intersection(value) else NO_SITE
        if isinstance(value, SiteBase):
            return super().__call__(value)
        return NO_SITE

    def condition(self, tag: str) -> str | None:
        return None if tag == NO_SITE else super().condition(tag)


_SITE_KEYS = frozenset(SITE_FIELDS)

AnyAccountSpec = Annotated[
    Annotated[AccountSpec, Tag(NO_SITE)]
    | Annotated[Ec2AccountSpec, Tag("ec2")]
    | Annotated[EcsAccountSpec, Tag("ecs")]
    | Annotated[EksAccountSpec, Tag("eks")],
    Discriminator(AccountSelector("compute", default="ec2")),
]
"""An account as the org file has it: bare, or with exactly its compute kind's site fields."""


MAX_ACCOUNTS = 2000
"""Accounts one org file (or one discovery) may reach. The render of the limit takes minutes,
not hours (README, "Bounds"; ``python -m benchmarks.accounts_limit_bench --accounts 2000``); split a
larger organization into several org files by OU."""


def accounts_limit_problem(count: int) -> str | None:
    """Why ``count`` accounts are too many for one deployment, or None."""
    if count <= MAX_ACCOUNTS:
        return None
    return (
        f"{count} accounts; one org file reaches at most {MAX_ACCOUNTS} (split the organization "
        "into several org files, e.g. by OU with discovery.include_ous)"
    )


def _at_most_max_accounts(value: Any) -> Any:
    # Checked before the items are: 45,000 accounts would take seconds to validate first.
    if isinstance(value, list | tuple) and (problem := accounts_limit_problem(len(value))):
        raise ValueError(problem)
    return value


def default_auth_method_scope(data: Any) -> Any:
    """Raw input with the distributed pattern's default scope filled in (``per_account``).

    Distributed: each Gateway reaches only its own account's objects, so the auth
    method is per account unless the input says otherwise (which
    ``config/cross_checks.py`` then rejects, naming the field). Org files and stack
    files alike.
    """
    if isinstance(data, Mapping) and data.get("pattern") == "distributed":
        akeyless = data.get("akeyless")
        if isinstance(akeyless, Mapping) and "auth_method_scope" not in akeyless:
            return {**data, "akeyless": {**akeyless, "auth_method_scope": "per_account"}}
    return data


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
    gateway: AnyGatewaySettings = FixedSizeGateway()
    bootstrap_role_name: RoleName = Field(
        DEFAULT_BOOTSTRAP_ROLE,
        description="Role the deployment assumes in each account to create resources there.",
    )
    preview_role_name: RoleName | None = Field(
        None,
        description="Read-only role in each account that a live preview assumes instead of "
        "the bootstrap role (orgctl preview --preview-role; never used by up or destroy).",
    )
    default_capabilities: Capabilities = Capabilities()
    discovery: AccountSelection = AccountSelection()
    accounts: Annotated[tuple[AnyAccountSpec, ...], BeforeValidator(_at_most_max_accounts)] = Field(
        (),
        description="Member accounts (centralized) or Gateway accounts (distributed); with "
        "discovery from organizations, per-account settings of discovered accounts.",
    )
    tags: dict[TagKey, TagValue] = Field(
        default_factory=dict,
        max_length=MAX_USER_TAGS,
        description="Tags on every taggable resource.",
    )
    enrollment: EnrollmentSettings | None = Field(
        None,
        description="The enroll stack in the management account (README.md, "
        '"Auto-enrolment"); absent: no such stack.',
    )

    @model_validator(mode="before")
    @classmethod
    def _scope_per_pattern(cls, data: Any) -> Any:
        return default_auth_method_scope(data)

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
