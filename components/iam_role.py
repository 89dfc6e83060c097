"""An IAM role with its identity policy inline: the one way this program makes roles."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from akeyless_gateway_org.components.iam_documents import PolicyDocument


def role_with_inline_policy(
    name: str,
    *,
    role_name: str,
    path: str,
    description: str,
    trust_policy: pulumi.Input[str],
    policy: PolicyDocument | None,
    permissions_boundary_arn: str | None,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.iam.Role:
    """``<name>-role`` and, when ``policy`` grants anything, ``<name>-policy`` inline.

    Inline (not managed) so the grant lives and dies with the role and the
    whole permission set reads from one resource.
    """
    role = aws.iam.Role(
        f"{name}-role",
        name=role_name,
        path=path,
        description=description,
        assume_role_policy=trust_policy,
        permissions_boundary=permissions_boundary_arn,
        tags=tags,
        opts=opts,
    )
    if policy is not None:
        aws.iam.RolePolicy(
            f"{name}-policy",
            name=f"{role_name}-policy",
            role=role.name,
            policy=json.dumps(policy),
            opts=opts,
        )
    return role
