"""The pattern components: one per stack kind (README.md, "Stacks").

| pattern     | stack              | component               |
|-------------|--------------------|-------------------------|
| both        | ``org``            | :class:`OrgStack`       |
| centralized | ``hub``            | :class:`HubStack`       |
| centralized | ``member-<id>``    | :class:`MemberStack`    |
| distributed | ``account-<id>``   | :class:`AccountStack`   |

Each takes the stack's validated :class:`StackConfig` as its args. Every AWS
resource goes through the stack's own pinned account provider; every
gateway-mediated Akeyless object through the Gateway's API provider. A stack
reads what an earlier phase produced from that stack's outputs (:class:`EarlierPhase`).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from typing import Any

import pulumi
from pydantic import TypeAdapter, ValidationError

from akeyless_gateway_org.components.akeyless_dynamic import GeneratedExternalId
from akeyless_gateway_org.components.akeyless_login import (
    Login,
    TokenLogin,
    account_token_login,
    login_of,
    logs_in_for_real,
    preview_token_login,
)
from akeyless_gateway_org.components.akeyless_names import (
    access_role_name,
    access_role_scope,
    auth_method_name,
    deployer_auth_method_name,
    deployer_bound_arns,
    deployer_role_name,
    gateway_api_url,
    gateway_bound_arns,
    gateway_health_url,
    gateway_health_url_of_host,
    target_name,
)
from akeyless_gateway_org.components.akeyless_objects import (
    DEPLOYER_ROLE_CAPABILITIES,
    AccountSecrets,
    AccountSecretsArgs,
    GatewayApi,
    GatewayApiArgs,
    GatewayAuth,
    GatewayAuthArgs,
    akeyless_provider,
    gateway_identity_target,
    inputs_fingerprint,
    target_identity_inputs,
)
from akeyless_gateway_org.components.akeyless_sdk import AkeylessResource
from akeyless_gateway_org.components.aws_account import account_provider, bootstrap_role_arn
from akeyless_gateway_org.components.compute_base import ComputeInputs
from akeyless_gateway_org.components.compute_kinds import compute_kind
from akeyless_gateway_org.components.earlier_phase import EarlierPhase, NotYetDeployed
from akeyless_gateway_org.components.gateway_identity import GatewayIdentity, GatewayIdentityArgs
from akeyless_gateway_org.components.gateway_runtime import (
    SERVICE_ACCOUNT_NAME,
    cluster_name,
    gateway_transport,
)
from akeyless_gateway_org.components.iam_documents import (
    ServiceAccountSubject,
    distributed_gateway_policy,
    ecr_pull_statements,
    hub_gateway_policy,
    member_role_policy,
    permissions_boundary_arn,
    role_arn,
)
from akeyless_gateway_org.components.member_access_role import (
    MemberAccessRole,
    MemberAccessRoleArgs,
)
from akeyless_gateway_org.config.fields import (
    AkeylessAccessId,
    HttpUrl,
    exported_gateway_host_problem,
    partition_of,
    plaintext_login_problem,
    private_ecr_repository,
    sts_url,
)
from akeyless_gateway_org.config.model import EksSite
from akeyless_gateway_org.config.stack_config import (
    ROTATED_SECRETS_KEY,
    SECRETS_COMMAND_VARIABLE,
    AccountStackConfig,
    CapabilityStackConfig,
    GatewayStackConfig,
    HubStackConfig,
    MemberStackConfig,
    OrgStackConfig,
    RoleStackConfig,
    StackConfigBase,
)
from akeyless_gateway_org.config.stacks import HUB_STACK, ORG_STACK
from akeyless_gateway_org.config.validation import ConfigError, Problem

# What each stack exports for later phases (stack outputs).
GATEWAY_ACCESS_IDS = "gatewayAccessIds"
DEPLOYER_ACCESS_IDS = "deployerAccessIds"
"""Distributed: account -> the access ID its account stack logs in with (deployer_auth_plan)."""
GATEWAY_URL = "gatewayUrl"
GATEWAY_HEALTH_URL = "gatewayHealthUrl"
GATEWAY_TRANSPORT = "gatewayTransport"
GATEWAY_ROLE_ARN = "gatewayRoleArn"
MEMBER_ROLE_ARN = "memberRoleArn"
TARGET_NAME = "targetName"
FINGERPRINT_OUTPUT = "orgctlFingerprint"
"""Every stack: what its last ``up`` by orgctl was built from (akeyless_gateway_org.run.
incremental), as orgctl handed it to the program in :data:`FINGERPRINT_VARIABLE`."""
FINGERPRINT_VARIABLE = "ORGCTL_STACK_FINGERPRINT"
"""Set by orgctl for an ``up`` only (JSON): a ``pulumi up`` by hand exports no fingerprint,
so orgctl's next run runs that stack again."""


# The offline render's stand-in for a value only the cloud assigns
# (scripts/render.py ``after_deploy``): a whole value passes the checks below as
# it is; inside a URL it stands for a host.
_AFTER_DEPLOY = re.compile(r"<[A-Za-z0-9_.-]+: known after deploy>")
_STAND_IN_HOST = "known-after-deploy.invalid"


def checked_output(value: Any, kind: Any, what: str) -> str:
    """An earlier phase's output ``value``, checked as the config field type ``kind``.

    Stack outputs reach user data, container environments and API clients: a
    value of the wrong form is refused here, naming the output, rather than
    deployed.
    """
    text = value if isinstance(value, str) else repr(value)
    if _AFTER_DEPLOY.fullmatch(text):
        return text
    try:
        TypeAdapter(kind).validate_python(_AFTER_DEPLOY.sub(_STAND_IN_HOST, text))
    except ValidationError as error:
        reason = error.errors()[0]["msg"].removeprefix("Value error, ")
        raise ValueError(f"{what} {reason}: update that stack again") from None
    return text


def access_id_of(
    access_ids: Mapping[str, str], account_id: str, output: str = GATEWAY_ACCESS_IDS
) -> str:
    """The access ID the org stack's ``output`` holds for ``account_id``, or NotYetDeployed."""
    if account_id not in access_ids:
        raise NotYetDeployed(
            f"the org stack's {output} output has no access ID for account "
            f"{account_id}: update the org stack first (it binds the accounts it lists)"
        )
    return checked_output(
        access_ids[account_id],
        AkeylessAccessId,
        f"the org stack's {output} output for account {account_id}",
    )


def checked_url(url: Any, stack: str, output: str) -> str:
    """A URL exported by ``stack``, refused unless http(s)://<host>[:port][/path]."""
    return checked_output(url, HttpUrl, f"the {stack} stack's {output} output")


def login_url(
    url: Any, stack: str, output: str, *, allow_plaintext_in_lab: bool, region: str
) -> str:
    """A Gateway API URL exported by ``stack`` that this stack logs in at: checked as
    :func:`checked_url`, refused at a host the deployer does not allow (that stack's own
    load balancer in ``region`` aside), and over plain http unless the lab key allows it."""
    checked = checked_url(url, stack, output)
    if _AFTER_DEPLOY.fullmatch(checked):
        return checked
    # The render's stand-in for the hub's load balancer is that load balancer.
    host_problem = (
        None if _AFTER_DEPLOY.search(checked) else exported_gateway_host_problem(checked, region)
    )
    problem = host_problem or plaintext_login_problem(
        checked, allowed_in_lab=allow_plaintext_in_lab
    )
    if problem is not None:
        raise ValueError(f"the {stack} stack's {output} output: {problem}")
    return checked


def rotated_secret_keys(config: CapabilityStackConfig) -> dict[str, pulumi.Output[str]]:
    """Each rotated user's current secret access key, as a secret; or a clear error.

    Every Akeyless example of the api-key rotator passes both halves of the key
    it takes over (https://docs.akeyless.io/docs/create-an-aws-rotated-secret);
    the secret half comes only from the stack's secret config, never from the
    org file.
    """
    rotated, keys = config.rotated_access_keys, config.rotated_access_key_secrets or {}
    missing = [user for user in rotated.user_names if rotated.enabled and user not in keys]
    if missing:
        # Under orgctl, its own command for this run; by hand, the CLI's in the same shell.
        orgctl = os.environ.get(SECRETS_COMMAND_VARIABLE)
        command = (
            f"{orgctl} --account {config.account_id}"
            if orgctl
            else f"pulumi config set --secret {ROTATED_SECRETS_KEY} --stack {pulumi.get_stack()}"
        )
        raise ConfigError(
            f"config of stack {pulumi.get_stack()!r}",
            [
                Problem(
                    ROTATED_SECRETS_KEY,
                    f"no current secret access key for {', '.join(missing)}: run `{command}` "
                    'with the JSON object {"<user>": "<secret access key>", ...} on stdin '
                    "(never on the command line)",
                )
            ],
        )
    return {user: pulumi.Output.secret(key) for user, key in keys.items()}


def gateway_role_arn(config: StackConfigBase, account_id: str) -> str:
    """The Gateway identity role's ARN in ``account_id`` (deterministic from config)."""
    return role_arn(
        partition_of(config.region), account_id, config.iam.path, config.iam.gateway_role_name
    )


# --- what each stack deploys, as plain data: the components build it, `orgctl verify` checks it


def boundary_of(config: RoleStackConfig) -> str | None:
    """The permissions boundary of the roles this stack makes in its account, or None."""
    return permissions_boundary_arn(
        partition_of(config.region),
        config.account_id,
        arn=config.iam.permissions_boundary_arn,
        policy_name=config.iam.permissions_boundary_policy_name,
        policy_path=config.iam.permissions_boundary_policy_path,
    )


def gateway_identity_args(config: GatewayStackConfig) -> GatewayIdentityArgs:
    """The Gateway identity role of a hub or account stack: name, trust, policy, boundary.

    Centralized, the hub's role only hops into member roles; distributed, each account's
    role acts on its own account by its capabilities.
    """
    partition = partition_of(config.region)
    own_arn = gateway_role_arn(config, config.account_id)
    if isinstance(config, HubStackConfig):
        policy = hub_gateway_policy(
            partition=partition,
            path=config.iam.path,
            member_role_name=config.iam.member_role_name,
            organization_id=config.organization_id,
            gateway_role_arn=own_arn,
        )
    else:
        assert isinstance(config, AccountStackConfig), "a Gateway runs in a hub or account stack"
        policy = distributed_gateway_policy(
            config.capabilities,
            partition=partition,
            account_id=config.account_id,
            regions=config.regions,
            gateway_role_arn=own_arn,
        )
    if compute_kind(config.compute).pulls_image_as_identity:
        # The pull of a private ECR image, where the kind pulls with this role.
        pull = ecr_pull_statements(private_ecr_repository(config.gateway.image))
        policy = {**policy, "Statement": [*policy["Statement"], *pull]}
    return GatewayIdentityArgs(
        account_id=config.account_id,
        partition=partition,
        role_name=config.iam.gateway_role_name,
        path=config.iam.path,
        permissions_boundary_arn=boundary_of(config),
        policy=policy,
        compute=config.compute,
        service_account=ServiceAccountSubject(
            config.eks_oidc_provider_arn, config.eks_namespace, SERVICE_ACCOUNT_NAME
        )
        if isinstance(config, EksSite) and config.eks_oidc_provider_arn is not None
        else None,
        tags=config.tags,
    )


def member_access_args(
    config: MemberStackConfig, external_id: pulumi.Input[str]
) -> MemberAccessRoleArgs:
    """The member role the hub Gateway assumes, requiring ``external_id`` (its Target's)."""
    iam = config.iam
    return MemberAccessRoleArgs(
        role_name=iam.member_role_name,
        path=iam.path,
        permissions_boundary_arn=boundary_of(config),
        hub_gateway_role_arn=gateway_role_arn(config, config.hub_account_id),
        external_id=external_id,
        policy=member_role_policy(
            config.capabilities,
            partition=partition_of(config.region),
            account_id=config.account_id,
            regions=config.regions,
        ),
        tags=config.tags,
    )


def account_target_inputs(config: MemberStackConfig | AccountStackConfig) -> dict[str, Any]:
    """The account's AWS Target: through the member role (centralized) or the Gateway's own
    identity in its own account (distributed)."""
    iam = config.iam
    member_role = (
        role_arn(partition_of(config.region), config.account_id, iam.path, iam.member_role_name)
        if isinstance(config, MemberStackConfig)
        else None
    )
    return target_identity_inputs(
        target_name=target_name(config.akeyless.path, config.account_id),
        region=config.region,
        role_arn=member_role,
    )


def gateway_auth_plan(config: OrgStackConfig) -> list[GatewayAuthArgs]:
    """The org stack's auth methods and access roles: one for every Gateway (``shared``) or
    one per Gateway account (``per_account``; distributed, each reaches only its folder)."""
    settings, iam = config.akeyless, config.iam
    partition = partition_of(config.region)
    per_account = settings.auth_method_scope == "per_account"
    units = (
        [(account,) for account in config.gateway_account_ids]
        if per_account
        else [config.gateway_account_ids]
    )
    plans = []
    for accounts in units:
        unit = accounts[0] if per_account else None
        scoped = unit if config.pattern == "distributed" else None
        plans.append(
            GatewayAuthArgs(
                auth_method_name=auth_method_name(settings.path, unit),
                role_name=access_role_name(settings.path, unit),
                scope_path=access_role_scope(settings.path, scoped),
                account_ids=accounts,
                bound_arns=[
                    arn
                    for account in accounts
                    for arn in gateway_bound_arns(
                        partition, account, iam.path, iam.gateway_role_name
                    )
                ],
                sts_url=sts_url(config.region),
            )
        )
    return plans


def deployer_auth_plan(config: OrgStackConfig) -> list[GatewayAuthArgs]:
    """Distributed: per account, the auth method its account stack logs in with, bound to
    that account's bootstrap role only, and a role managing only that account's folder.

    A login the account's Gateway sees is then worth that folder, which the account's admin
    reaches anyway: ``bound_aws_account_ids`` and ``bound_arns`` restrict who may log in
    (https://docs.akeyless.io/docs/aws-iam-auth-method), the role's rules what the login
    may do (https://docs.akeyless.io/docs/rbac). The centralized hub's members keep the
    deployer's login, sent to the hub Gateway over TLS only.
    """
    if config.pattern != "distributed":
        return []
    path, partition = config.akeyless.path, partition_of(config.region)
    return [
        GatewayAuthArgs(
            auth_method_name=deployer_auth_method_name(path, account),
            role_name=deployer_role_name(path, account),
            scope_path=access_role_scope(path, account),
            account_ids=(account,),
            bound_arns=deployer_bound_arns(partition, account, config.bootstrap_role_name),
            sts_url=sts_url(config.region),
            capabilities=DEPLOYER_ROLE_CAPABILITIES,
            auth_method_description=(
                f"The deployment's login in account {account} (managed by Pulumi)"
            ),
            role_description=f"What the deployment may do in account {account} (managed by Pulumi)",
        )
        for account in config.gateway_account_ids
    ]


class _AccountComponent(pulumi.ComponentResource):
    """Base of the components that deploy into one AWS account through its own provider."""

    def __init__(
        self,
        type_token: str,
        name: str,
        config: RoleStackConfig,
        opts: pulumi.ResourceOptions | None,
    ) -> None:
        super().__init__(type_token, name, None, opts)
        self.config = config
        self.partition = partition_of(config.region)
        self.deploy_role_arn = bootstrap_role_arn(
            self.partition, config.account_id, config.bootstrap_role_name
        )
        # What the config alone can refuse is refused before any resource exists.
        self.login = self._login(config)
        self.rotated_secret_keys: dict[str, pulumi.Output[str]] = (
            rotated_secret_keys(config) if isinstance(config, CapabilityStackConfig) else {}
        )
        self.boundary_arn = boundary_of(config)
        self.provider = account_provider(
            f"{name}-aws",
            account_id=config.account_id,
            region=config.region,
            partition=self.partition,
            bootstrap_role_name=config.bootstrap_role_name,
            parent=self,
        )
        self.in_account = pulumi.ResourceOptions(parent=self, provider=self.provider)

    @functools.cached_property
    def org_outputs(self) -> EarlierPhase:
        """The org stack's outputs, read once (one engine invoke) for whoever needs them."""
        return EarlierPhase(self.config, ORG_STACK)

    def _login(self, config: RoleStackConfig) -> Login:
        """How this stack logs in to Akeyless: the deployer's login (centralized)."""
        return login_of(config)

    def _seeded_access_ids(self) -> pulumi.Input[list[str]]:
        """Who may administer the Gateway from its first start: this stack's own login,
        which then creates everything else through it."""
        if isinstance(self.login, TokenLogin):
            return self.login.access_id.apply(lambda access_id: [access_id])
        return [self.login.access_id] if self.login.access_id else []

    def _gateway_api(
        self,
        name: str,
        api_url: pulumi.Input[str],
        health_url: pulumi.Input[str],
        admin_access_ids: tuple[str, ...],
        depends_on: list[pulumi.Resource],
    ) -> GatewayApi:
        return GatewayApi(
            f"{name}-gateway-api",
            GatewayApiArgs(
                api_url=api_url,
                health_url=health_url,
                health_timeout_seconds=self.config.akeyless.gateway_health_timeout_seconds,
                login=self.login,
                admin_access_ids=admin_access_ids,
            ),
            pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

    def _run_gateway(self, name: str, config: GatewayStackConfig) -> GatewayApi:
        """The Gateway this stack runs: identity, compute, and its API once healthy.

        Sets ``gateway_role_arn``, ``gateway_url``, ``gateway_health_url`` and
        ``gateway_transport`` (what the URL's scheme means, for the reader).
        """
        identity = GatewayIdentity(
            f"{name}-gateway", gateway_identity_args(config), self.in_account
        )
        access_id = self.org_outputs.value(
            GATEWAY_ACCESS_IDS, lambda ids: access_id_of(ids, config.account_id)
        )
        cluster = cluster_name(config.akeyless.path, config.account_id)
        # One source of truth per allowed-access entry, whose names must be unique
        # (akeylesslabs/helm-charts charts/akeyless-gateway/values.yaml,
        # allowedAccessPermissions: "Name must be unique"): the deployment itself
        # is seeded at the Gateway's first start, since the other entries are created
        # through the Gateway's API; the admins are managed objects.
        seeded = self._seeded_access_ids()
        admins = tuple(
            a
            for a in config.akeyless.admin_access_ids
            if isinstance(self.login, TokenLogin) or a != self.login.access_id
        )
        compute = compute_kind(config.compute).build(
            f"{name}-compute",
            config,
            ComputeInputs(
                settings=config.gateway,
                account_id=config.account_id,
                region=config.region,
                partition=self.partition,
                identity_role_arn=identity.role_arn,
                instance_profile_name=identity.instance_profile_name,
                access_id=access_id,
                cluster=cluster,
                seeded_access_ids=seeded,
                resource_prefix=config.iam.gateway_role_name,
                iam_path=config.iam.path,
                permissions_boundary_arn=self.boundary_arn,
                deploy_role_arn=self.deploy_role_arn,
                tags=config.tags,
            ),
            self.in_account,
        )
        if config.gateway_url is not None:
            self.gateway_url = pulumi.Output.from_input(config.gateway_url)
            health = pulumi.Output.from_input(gateway_health_url(config.gateway_url))
        elif config.dns is not None:
            # The name the stack's certificate covers: TLS to it verifies.
            self.gateway_url = pulumi.Output.from_input(gateway_api_url(config.dns.name, "https"))
            health = pulumi.Output.from_input(gateway_health_url_of_host(config.dns.name))
        elif compute.host is not None:
            self.gateway_url = compute.host.apply(
                lambda host: gateway_api_url(host, config.api_scheme)
            )
            health = compute.host.apply(gateway_health_url_of_host)
        else:  # validation guarantees it: a kind without a load balancer needs gateway_url
            raise ValueError(f"compute {config.compute} has no load balancer: set gateway_url")
        self.gateway_health_url = (
            pulumi.Output.from_input(config.gateway_health_url)
            if config.gateway_health_url is not None
            else health
        )
        self.gateway_role_arn = identity.role_arn
        self.gateway_transport = gateway_transport(
            certificate_arn=config.tls_certificate_arn,
            load_balancer=config.has_load_balancer,
            dns_name=config.dns.name if config.dns else None,
        )
        return self._gateway_api(
            name, self.gateway_url, self.gateway_health_url, admins, depends_on=[identity, compute]
        )

    def _account_secrets(
        self,
        name: str,
        config: CapabilityStackConfig,
        gateway: GatewayApi,
        target: AkeylessResource,
        after: pulumi.Resource,
    ) -> None:
        AccountSecrets(
            f"{name}-secrets",
            AccountSecretsArgs(
                path=config.akeyless.path,
                account_id=config.account_id,
                region=config.region,
                target_name=target.name,
                capabilities=config.capabilities,
                api_url=gateway.api_url,
                login=self.login,
                rotated_secret_keys=self.rotated_secret_keys,
            ),
            pulumi.ResourceOptions(parent=self, providers=[gateway.provider], depends_on=[after]),
        )


class OrgStack(pulumi.ComponentResource):
    """Organization-wide Akeyless objects: how Gateways log in, and what they may see.

    One :class:`GatewayAuth` for every Gateway (``shared``) or one per Gateway
    account (``per_account``); in the distributed pattern a per-account role
    reaches only its account's folder. Output ``gateway_access_ids``: account ->
    the access ID its Gateway logs in with.
    """

    gateway_access_ids: dict[str, pulumi.Output[str]]
    deployer_access_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, config: OrgStackConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("akeyless-gateway:org:Org", name, None, opts)
        settings = config.akeyless
        provider = akeyless_provider(
            f"{name}-akeyless",
            api_url=settings.api_url,
            login=login_of(config),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.gateway_access_ids = {}
        for plan in gateway_auth_plan(config):
            unit = plan.account_ids[0] if settings.auth_method_scope == "per_account" else None
            auth = GatewayAuth(
                f"{name}-gateway" if unit is None else f"{name}-gateway-{unit}",
                plan,
                pulumi.ResourceOptions(parent=self, providers=[provider]),
            )
            self.gateway_access_ids |= {account: auth.access_id for account in plan.account_ids}
        self.deployer_access_ids = {
            plan.account_ids[0]: GatewayAuth(
                f"{name}-deployer-{plan.account_ids[0]}",
                plan,
                pulumi.ResourceOptions(parent=self, providers=[provider]),
            ).access_id
            for plan in deployer_auth_plan(config)
        }
        self.register_outputs(
            {
                "gateway_access_ids": self.gateway_access_ids,
                "deployer_access_ids": self.deployer_access_ids,
            }
        )


class HubStack(_AccountComponent):
    """Centralized: the Gateway in the hub account, allowed to hop into members.

    Outputs ``gateway_role_arn`` (the principal every member role trusts),
    ``gateway_url`` and ``gateway_health_url`` (what member stacks create through).
    """

    gateway_role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, config: HubStackConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("akeyless-gateway:centralized:Hub", name, config, opts)
        self._run_gateway(name, config)
        self.register_outputs(
            {
                "gateway_role_arn": self.gateway_role_arn,
                "gateway_url": self.gateway_url,
                "gateway_health_url": self.gateway_health_url,
                "gateway_transport": self.gateway_transport,
            }
        )


class MemberStack(_AccountComponent):
    """Centralized: an AWS Target for the account, and the role only the hub may assume.

    Order: Target (Akeyless generates its External ID) -> External ID read ->
    member role trusting the hub Gateway role with that External ID -> secrets.
    Outputs ``member_role_arn`` and ``target_name``.
    """

    member_role_arn: pulumi.Output[str]
    target_name: pulumi.Output[str]

    def __init__(
        self, name: str, config: MemberStackConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("akeyless-gateway:centralized:Member", name, config, opts)
        hub = EarlierPhase(config, HUB_STACK)
        lab = config.akeyless.allow_plaintext_gateway_login_in_lab
        hub_gateway_url = hub.value(
            GATEWAY_URL,
            lambda url: login_url(
                url, HUB_STACK, GATEWAY_URL, allow_plaintext_in_lab=lab, region=config.region
            ),
        )
        hub_health_url = hub.value(
            GATEWAY_HEALTH_URL, lambda url: checked_url(url, HUB_STACK, GATEWAY_HEALTH_URL)
        )
        gateway = self._gateway_api(name, hub_gateway_url, hub_health_url, (), depends_on=[])
        target_inputs = account_target_inputs(config)
        target = gateway_identity_target(
            f"{name}-target",
            target_inputs,
            pulumi.ResourceOptions(parent=self, provider=gateway.provider),
        )
        # The provider re-sends generate_external_id=true on every in-place update of
        # the Target, whose ID is its name (terraform-provider-akeyless
        # akeyless/resource_aws_target.go, resourceAwsTargetUpdate): the ID is read
        # again whenever any of the Target's inputs change, not only its name.
        fingerprint = inputs_fingerprint(target_inputs)
        external_id = GeneratedExternalId(
            f"{name}-external-id",
            api_url=hub_gateway_url,
            target_name=target.name,
            target_id=target.id,
            target_inputs=target.id.apply(lambda _: fingerprint),
            account_id=config.account_id,
            login=self.login,
            opts=pulumi.ResourceOptions(parent=self),
        )
        access = MemberAccessRole(
            f"{name}-access", member_access_args(config, external_id.external_id), self.in_account
        )
        self._account_secrets(name, config, gateway, target, after=access)
        self.member_role_arn = access.role_arn
        self.target_name = target.name
        self.register_outputs(
            {"member_role_arn": self.member_role_arn, "target_name": self.target_name}
        )


class AccountStack(_AccountComponent):
    """Distributed: a Gateway that acts only on its own account, with its own identity.

    Outputs ``gateway_role_arn``, ``gateway_url``, ``gateway_health_url``, ``target_name``.
    """

    gateway_role_arn: pulumi.Output[str]
    target_name: pulumi.Output[str]

    def _login(self, config: RoleStackConfig) -> Login:
        """The account's own deployer access ID (from the org stack), logged in as this
        account's bootstrap role: its Gateway never sees the deployer's login."""
        org = self.org_outputs

        def select(ids: Mapping[str, str]) -> str:
            return access_id_of(ids, config.account_id, DEPLOYER_ACCESS_IDS)

        if not logs_in_for_real():
            return preview_token_login(org.value(DEPLOYER_ACCESS_IDS, select))
        return account_token_login(
            api_url=config.akeyless.api_url,
            access_id=org.plain(DEPLOYER_ACCESS_IDS, select),
            bootstrap_role_arn=self.deploy_role_arn,
        )

    def __init__(
        self, name: str, config: AccountStackConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("akeyless-gateway:distributed:Account", name, config, opts)
        gateway = self._run_gateway(name, config)
        target = gateway_identity_target(
            f"{name}-target",
            account_target_inputs(config),
            pulumi.ResourceOptions(parent=self, provider=gateway.provider),
        )
        self._account_secrets(name, config, gateway, target, after=target)
        self.target_name = target.name
        self.register_outputs(
            {
                "gateway_role_arn": self.gateway_role_arn,
                "gateway_url": self.gateway_url,
                "gateway_health_url": self.gateway_health_url,
                "gateway_transport": self.gateway_transport,
                "target_name": self.target_name,
            }
        )
