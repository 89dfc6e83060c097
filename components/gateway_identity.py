"""The Gateway's own identity: the IAM role its compute runs as."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from akeyless_gateway_org.components.compute_kinds import compute_kind
from akeyless_gateway_org.components.iam_documents import (
    PolicyDocument,
    ServiceAccountSubject,
    gateway_trust_policy,
    role_arn,
)
from akeyless_gateway_org.components.iam_role import role_with_inline_policy
from akeyless_gateway_org.config.model import ComputeKind


@dataclass(frozen=True)
class GatewayIdentityArgs:
    """Inputs of :class:`GatewayIdentity`."""

    account_id: str
    """The account the Gateway runs in."""
    partition: str
    """ARN partition of that account's region (``aws`` for commercial regions)."""
    role_name: str
    """Physical name of the role; keep it stable, Akeyless binds to it."""
    policy: PolicyDocument
    """The role's identity policy (see ``components.iam_documents``)."""
    path: str = "/"
    """IAM path of the role and instance profile."""
    compute: ComputeKind = "ec2"
    """What runs the Gateway: its kind (``components.compute_kinds``) says who the role
    trusts and whether it gets an instance profile (ec2)."""
    service_account: ServiceAccountSubject | None = None
    """``eks``: the one service account trusted through the cluster's OIDC provider."""
    permissions_boundary_arn: str | None = None
    """Optional permissions boundary for the role."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags on the role and instance profile."""

    @property
    def role_arn(self) -> str:
        return role_arn(self.partition, self.account_id, self.path, self.role_name)

    def trust_policy(self) -> PolicyDocument:
        """Who may take the role: the compute of its kind (``components.compute_kinds``), and
        the role itself."""
        return gateway_trust_policy(
            partition=self.partition,
            account_id=self.account_id,
            gateway_role_arn=self.role_arn,
            compute_trust=compute_kind(self.compute).identity_trust,
            service_account=self.service_account,
        )


class GatewayIdentity(pulumi.ComponentResource):
    """An IAM role trusted by the Gateway's compute (and itself), with its policy inline.

    On EKS this is the IRSA role of the Gateway's service account.

    Outputs: ``role_arn``, ``role_name`` and, where the compute kind needs one (EC2),
    ``instance_profile_name``.
    """

    role_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]
    instance_profile_name: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: GatewayIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("akeyless-gateway:iam:GatewayIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = role_with_inline_policy(
            name,
            role_name=args.role_name,
            path=args.path,
            description="Akeyless Gateway identity (managed by Pulumi)",
            trust_policy=json.dumps(args.trust_policy()),
            policy=args.policy,
            permissions_boundary_arn=args.permissions_boundary_arn,
            tags=args.tags,
            opts=child,
        )
        self.role_arn = role.arn
        self.role_name = role.name
        self.instance_profile_name = None
        if compute_kind(args.compute).needs_instance_profile:
            profile = aws.iam.InstanceProfile(
                f"{name}-instance-profile",
                name=args.role_name,
                path=args.path,
                role=role.name,
                tags=args.tags,
                opts=child,
            )
            self.instance_profile_name = profile.name
        self.register_outputs(
            {
                "role_arn": self.role_arn,
                "role_name": self.role_name,
                "instance_profile_name": self.instance_profile_name,
            }
        )
