"""The pattern components: one per stack kind of ``../shared/DESIGN.md``.

| pattern     | stack              | component               |
|-------------|--------------------|-------------------------|
| both        | ``org``            | :class:`OrgStack`       |
| centralized | ``hub``            | :class:`HubStack`       |
| centralized | ``member-<id>``    | :class:`MemberStack`    |
| distributed | ``account-<id>``   | :class:`AccountStack`   |

Each takes the stack's validated :class:`StackConfig` as its args. Every AWS
resource goes through the stack's own pinned account provider.
"""

from __future__ import annotations

import pulumi

from components.aws_account import account_provider
from components.gateway_identity import GatewayIdentity, GatewayIdentityArgs
from components.iam_documents import (
    PolicyDocument,
    distributed_gateway_policy,
    hub_gateway_policy,
    member_role_policy,
    role_arn,
)
from components.member_access_role import MemberAccessRole, MemberAccessRoleArgs
from config.fields import partition_of
from config.stack_config import StackConfig


def gateway_role_arn(config: StackConfig, account_id: str) -> str:
    """The Gateway identity role's ARN in ``account_id`` (deterministic from config)."""
    return role_arn(
        partition_of(config.region), account_id, config.iam.path, config.iam.gateway_role_name
    )


class _AccountComponent(pulumi.ComponentResource):
    """Base of the components that deploy into one AWS account through its own provider."""

    def __init__(
        self, type_token: str, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None
    ) -> None:
        super().__init__(type_token, name, None, opts)
        self.config = config
        self.partition = partition_of(config.region)
        self.provider = account_provider(
            f"{name}-aws",
            account_id=config.account_id,
            region=config.region,
            partition=self.partition,
            bootstrap_role_name=config.bootstrap_role_name,
            parent=self,
        )
        self.in_account = pulumi.ResourceOptions(parent=self, provider=self.provider)

    def _gateway_identity(self, name: str, policy: PolicyDocument) -> GatewayIdentity:
        """The Gateway identity role in this component's account, with ``policy``."""
        config = self.config
        return GatewayIdentity(
            f"{name}-gateway",
            GatewayIdentityArgs(
                account_id=config.account_id,
                partition=self.partition,
                role_name=config.iam.gateway_role_name,
                path=config.iam.path,
                permissions_boundary_arn=config.iam.permissions_boundary_arn,
                policy=policy,
                tags=config.tags,
            ),
            self.in_account,
        )


class OrgStack(pulumi.ComponentResource):
    """Organization-wide Akeyless objects (auth method, access role, association).

    Output ``gateway_role_arns``: the Gateway identities Akeyless must accept.
    """

    gateway_role_arns: list[str]

    def __init__(
        self, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("akeyless-gateway:org:Org", name, None, opts)
        self.gateway_role_arns = [
            gateway_role_arn(config, account) for account in config.gateway_account_ids
        ]
        self.register_outputs({"gateway_role_arns": self.gateway_role_arns})


class HubStack(_AccountComponent):
    """Centralized: the Gateway's identity in the hub account, allowed to hop into members.

    Output ``gateway_role_arn``: the principal every member role trusts.
    """

    gateway_role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("akeyless-gateway:centralized:Hub", name, config, opts)
        arn = gateway_role_arn(config, config.account_id)
        identity = self._gateway_identity(
            name,
            hub_gateway_policy(
                partition=self.partition,
                path=config.iam.path,
                member_role_name=config.iam.member_role_name,
                organization_id=config.organization_id,
                gateway_role_arn=arn,
            ),
        )
        self.gateway_role_arn = identity.role_arn
        self.register_outputs({"gateway_role_arn": self.gateway_role_arn})


class MemberStack(_AccountComponent):
    """Centralized: the role in a member account that only the hub Gateway may assume.

    Output ``member_role_arn``: what the member's AWS Target points at.
    """

    member_role_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        config: StackConfig,
        external_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("akeyless-gateway:centralized:Member", name, config, opts)
        if config.hub_account_id is None:
            raise ValueError("a member stack needs hubAccountId")
        access = MemberAccessRole(
            f"{name}-access",
            MemberAccessRoleArgs(
                role_name=config.iam.member_role_name,
                path=config.iam.path,
                permissions_boundary_arn=config.iam.permissions_boundary_arn,
                hub_gateway_role_arn=gateway_role_arn(config, config.hub_account_id),
                external_id=external_id,
                policy=member_role_policy(
                    config.capabilities,
                    partition=self.partition,
                    account_id=config.account_id,
                    regions=config.regions,
                ),
                tags=config.tags,
            ),
            self.in_account,
        )
        self.member_role_arn = access.role_arn
        self.register_outputs({"member_role_arn": self.member_role_arn})


class AccountStack(_AccountComponent):
    """Distributed: a Gateway identity that acts only on its own account.

    Output ``gateway_role_arn``.
    """

    gateway_role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("akeyless-gateway:distributed:Account", name, config, opts)
        arn = gateway_role_arn(config, config.account_id)
        identity = self._gateway_identity(
            name,
            distributed_gateway_policy(
                config.capabilities,
                partition=self.partition,
                account_id=config.account_id,
                regions=config.regions,
                gateway_role_arn=arn,
            ),
        )
        self.gateway_role_arn = identity.role_arn
        self.register_outputs({"gateway_role_arn": self.gateway_role_arn})
