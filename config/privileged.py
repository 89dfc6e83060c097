"""Grants a Gateway must never hand out: privileged policies, groups and roles.

A dynamic secret attaches managed policies to temporary users, adds them to groups,
or hands out sessions of existing roles. Listing an administrator policy, group or
role there turns "short-lived credentials" into "short-lived org admin" for anyone
who may read the secret. These pure checks reject such grants; an org file can
override them only with the loudly named ``unsafe_allow_privileged_grants``.
"""

from __future__ import annotations

import re

PRIVILEGED_AWS_MANAGED_POLICIES = frozenset(
    {
        # Full or near-full control of the account, or of who controls it
        # (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/policy-list.html).
        "AdministratorAccess",
        "AdministratorAccess-Amplify",
        "AdministratorAccess-AWSElasticBeanstalk",
        "PowerUserAccess",
        "IAMFullAccess",
        "AWSOrganizationsFullAccess",
        "AWSSSOMasterAccountAdministrator",
        "AWSSSODirectoryAdministrator",
        "AWSCloudFormationFullAccess",
        "AWSLambda_FullAccess",
        # Admin-equivalent without the word in the name: read and write every secret,
        # or manage every KMS key's policy (same reference).
        "SecretsManagerReadWrite",
        "AWSKeyManagementServicePowerUser",
    }
)

PRIVILEGED_ROLE_NAMES = frozenset(
    {
        # The cross-account admin roles of AWS Organizations and Control Tower
        # (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_access.html).
        "OrganizationAccountAccessRole",
        "AWSControlTowerExecution",
        "AWSCloudFormationStackSetExecutionRole",
        # Account Factory for Terraform's execution role, admin in every vended account
        # (https://docs.aws.amazon.com/controltower/latest/userguide/aft-architecture.html).
        "AWSAFTExecution",
        "AWSAFTService",
    }
)

PRIVILEGED_ROLE_PREFIXES = (
    # CloudFormation deploys with these, and they are administrators of their account:
    # service-managed StackSets create `stacksets-exec-<id>` in every member account
    # (AWS CloudFormation User Guide, "StackSets" with AWS Organizations), IAM Identity
    # Center's permission-set roles are `AWSReservedSSO_<set>_<id>`.
    "stacksets-exec-",
    "AWSReservedSSO_",
)

# CDK bootstrap's `cdk-<qualifier>-cfn-exec-role-<account>-<region>`, AdministratorAccess
# by default (https://docs.aws.amazon.com/cdk/v2/guide/bootstrapping-env.html).
_CDK_EXECUTION_ROLE = re.compile(r"^cdk-[a-z0-9]+-cfn-exec-role-")

_PRIVILEGED_WORDS = ("admin", "root", "poweruser", "fullaccess")
"""A customer-managed policy, group or role named with one of these is taken as privileged."""


def _named_privileged(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _PRIVILEGED_WORDS)


def privileged_policy(policy_arn: str) -> bool:
    """Whether a managed policy ARN is an administrator-like policy."""
    account, _, resource = _arn_parts(policy_arn)
    name = resource.rsplit("/", 1)[-1]
    if account == "aws" and (
        name in PRIVILEGED_AWS_MANAGED_POLICIES or name.endswith("FullAccess")
    ):
        return True
    # The words apply to AWS-managed names too: job-function/SystemAdministrator,
    # AWSCodeBuildAdminAccess, ...PowerUser.
    return _named_privileged(name)


def privileged_group(group_name: str) -> bool:
    return _named_privileged(group_name)


def privileged_user(user_name: str) -> bool:
    """Whether a user whose keys would be rotated (and so readable) looks privileged:
    ``break-glass-admin``'s key in a rotated secret is its admin power for every reader."""
    return _named_privileged(user_name) or "break-glass" in user_name.lower()


def privileged_role(role_arn: str, *, also: frozenset[str] = frozenset()) -> bool:
    """Whether a role ARN names an admin role, or one of ``also`` (this deployment's own)."""
    name = _arn_parts(role_arn)[2].rsplit("/", 1)[-1]
    if name in PRIVILEGED_ROLE_NAMES or name in also or name.startswith(PRIVILEGED_ROLE_PREFIXES):
        return True
    if _CDK_EXECUTION_ROLE.match(name):
        return True
    return _named_privileged(name)


def _arn_parts(arn: str) -> tuple[str, str, str]:
    """``(account, service, resource)`` of an ARN already validated by its field type."""
    parts = arn.split(":", 5)
    return parts[4], parts[2], parts[5]
