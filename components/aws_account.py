"""The explicit AWS provider for one account: every resource in an account goes through it.

The deployment runs with the management account's credentials and assumes the
bootstrap role (default ``OrganizationAccountAccessRole``) in the target
account. ``allowed_account_ids`` pins the provider to that account, so a
misconfigured role can never deploy into the wrong one.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from akeyless_gateway_org.components.iam_documents import role_arn

SESSION_NAME = "akeyless-gateway-deployment"


def bootstrap_role_arn(partition: str, account_id: str, bootstrap_role_name: str) -> str:
    """The role the deployment assumes in an account (at path ``/``, as Organizations makes it)."""
    return role_arn(partition, account_id, "/", bootstrap_role_name)


def account_provider(
    name: str,
    *,
    account_id: str,
    region: str,
    partition: str,
    bootstrap_role_name: str,
    parent: pulumi.Resource,
) -> aws.Provider:
    """A provider assuming ``bootstrap_role_name`` in ``account_id``, pinned to it."""
    return aws.Provider(
        name,
        region=region,
        allowed_account_ids=[account_id],
        assume_roles=[
            aws.ProviderAssumeRoleArgs(
                role_arn=bootstrap_role_arn(partition, account_id, bootstrap_role_name),
                session_name=SESSION_NAME,
            )
        ],
        opts=pulumi.ResourceOptions(parent=parent),
    )
