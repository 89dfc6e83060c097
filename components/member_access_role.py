"""Centralized pattern: the role in a member account that the hub Gateway assumes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi

from akeyless_gateway_org.components.iam_documents import PolicyDocument, member_trust_policy
from akeyless_gateway_org.components.iam_role import role_with_inline_policy


@dataclass(frozen=True)
class MemberAccessRoleArgs:
    """Inputs of :class:`MemberAccessRole`."""

    role_name: str
    """Physical name of the role (the hub may assume only this name and path)."""
    hub_gateway_role_arn: str
    """The one principal trusted: the hub Gateway's identity role."""
    external_id: pulumi.Input[str]
    """The External ID the hub must present; stored as a Pulumi secret."""
    policy: PolicyDocument | None
    """What the hub may do in this account; None when no capability is enabled."""
    path: str = "/"
    permissions_boundary_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def trust_policy(self, external_id: str) -> PolicyDocument:
        """The role's trust: only the hub Gateway role, and only with ``external_id``."""
        return member_trust_policy(
            hub_gateway_role_arn=self.hub_gateway_role_arn, external_id=external_id
        )


class MemberAccessRole(pulumi.ComponentResource):
    """A role trusted only by the hub Gateway role, and only with the External ID.

    The trust policy embeds the External ID, so it is a Pulumi secret as a whole.
    Outputs: ``role_arn``, ``role_name``.
    """

    role_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: MemberAccessRoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("akeyless-gateway:iam:MemberAccessRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        trust = pulumi.Output.secret(args.external_id).apply(
            lambda external_id: json.dumps(args.trust_policy(external_id))
        )
        role = role_with_inline_policy(
            name,
            role_name=args.role_name,
            path=args.path,
            description="Akeyless Gateway access from the hub account (managed by Pulumi)",
            trust_policy=trust,
            policy=args.policy,
            permissions_boundary_arn=args.permissions_boundary_arn,
            tags=args.tags,
            opts=child,
        )
        self.role_arn = role.arn
        self.role_name = role.name
        self.register_outputs({"role_arn": self.role_arn, "role_name": self.role_name})
