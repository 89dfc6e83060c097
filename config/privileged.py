"""Grants a Gateway must never hand out: privileged policies, groups and roles.

A dynamic secret attaches managed policies to temporary users, adds them to groups,
or hands out sessions of existing roles. Listing an administrator policy, group or
role there turns "short-lived credentials" into "short-lived org admin" for anyone
who may read the secret. These pure checks reject such grants; an org file can
override them only with the loudly named ``unsafe_allow_privileged_grants``.
"""

from __future__ import annotations

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
    }
)

PRIVILEGED_ROLE_NAMES = frozenset(
    {
        # The cross-account admin roles of AWS Organizations and Control Tower
        # (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_access.html).
        "OrganizationAccountAccessRole",
        "AWSControlTowerExecution",
        "AWSCloudFormationStackSetExecutionRole",
    }
)

_PRIVILEGED_WORDS = ("admin", "root", "poweruser", "fullaccess")
"""A customer-managed policy, group or role named with one of these is taken as privileged."""


def _named_privileged(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _PRIVILEGED_WORDS)


def privileged_policy(policy_arn: str) -> bool:
    """Whether a managed policy ARN is an administrator-like policy."""
    account, _, resource = _arn_parts(policy_arn)
    name = resource.rsplit("/", 1)[-1]
    if account == "aws":
        return name in PRIVILEGED_AWS_MANAGED_POLICIES or name.endswith("FullAccess")
    return _named_privileged(name)


def privileged_group(group_name: str) -> bool:
    return _named_privileged(group_name)


def privileged_role(role_arn: str, *, also: frozenset[str] = frozenset()) -> bool:
    """Whether a role ARN names an admin role, or one of ``also`` (this deployment's own)."""
    name = _arn_parts(role_arn)[2].rsplit("/", 1)[-1]
    if name in PRIVILEGED_ROLE_NAMES or name in also or name.startswith("AWSReservedSSO_"):
        return True
    return _named_privileged(name)


def _arn_parts(arn: str) -> tuple[str, str, str]:
    """``(account, service, resource)`` of an ARN already validated by its field type."""
    parts = arn.split(":", 5)
    return parts[4], parts[2], parts[5]
