"""IAM policy documents as pure functions: plain data in, plain dicts out.

No Pulumi types here, so a security reviewer (and the tests) can read every
document the program will create. Grants are, feature by feature, those of
the seed Terraform of the distributed pattern (AWS roles for the Akeyless
Gateway, https://docs.akeyless.io/docs/terraform-distributed-deployment), with
resources narrowed to the account, the regions, the temporary-user prefix, the
listed users, groups, roles and the secret prefix. ``iam:ListUsers`` and
``secretsmanager:ListSecrets`` take no resource narrower than ``*``: the AWS
Service Authorization Reference lists no resource type for them
(https://docs.aws.amazon.com/service-authorization/latest/reference/, pages
``list_awsidentityandaccessmanagementiam.html`` and ``list_awssecretsmanager.html``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from akeyless_gateway_org.config.fields import EcrRepository, account_of_arn
from akeyless_gateway_org.config.model import Capabilities, DynamicIamUser

Statement = dict[str, Any]
PolicyDocument = dict[str, Any]

POLICY_VERSION = "2012-10-17"

EC2_SERVICE = "ec2.amazonaws.com"
ECS_TASKS_SERVICE = "ecs-tasks.amazonaws.com"

TEMP_USER_ACTIONS = (
    "iam:CreateUser",
    "iam:DeleteUser",
    "iam:CreateAccessKey",
    "iam:DeleteAccessKey",
    "iam:ListAccessKeys",
    "iam:ListUserPolicies",
    "iam:ListAttachedUserPolicies",
    "iam:ListGroupsForUser",
    "iam:ListUserTags",
)
# Only when the temporary users get a console password (dynamic_iam_user.console_access).
LOGIN_PROFILE_ACTIONS = ("iam:CreateLoginProfile", "iam:GetLoginProfile", "iam:DeleteLoginProfile")
# Only for the tag keys the org file lists, through aws:TagKeys: tags on users can
# satisfy attribute-based access control elsewhere in the account.
USER_TAG_ACTIONS = ("iam:TagUser", "iam:UntagUser")
USER_POLICY_ACTIONS = ("iam:AttachUserPolicy", "iam:DetachUserPolicy")
GROUP_MEMBERSHIP_ACTIONS = ("iam:AddUserToGroup", "iam:RemoveUserFromGroup")
ROTATED_KEY_ACTIONS = (
    "iam:CreateAccessKey",
    "iam:DeleteAccessKey",
    "iam:ListAccessKeys",
    "iam:ListUserTags",
)
SECRET_ACTIONS = (
    "secretsmanager:CreateSecret",
    "secretsmanager:DeleteSecret",
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
    "secretsmanager:TagResource",
    "secretsmanager:UntagResource",
    "secretsmanager:UpdateSecret",
)
KMS_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")


def iam_arn(partition: str, account_id: str, kind: str, path: str, name: str) -> str:
    """``arn:<partition>:iam::<account>:<kind><path><name>``, e.g. a role ARN."""
    return f"arn:{partition}:iam::{account_id}:{kind}{path}{name}"


def role_arn(partition: str, account_id: str, path: str, name: str) -> str:
    """The ARN a role will have: known before it exists, so trusts need no lookups."""
    return iam_arn(partition, account_id, "role", path, name)


def permissions_boundary_arn(
    partition: str,
    account_id: str,
    *,
    arn: str | None,
    policy_name: str | None,
    policy_path: str = "/",
) -> str | None:
    """The permissions boundary of the roles in ``account_id``, or None for none.

    IAM attaches as boundary only an AWS-managed policy or a customer-managed
    policy of the role's own account
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html),
    so a policy name resolves in each account; an ARN of another account is refused.
    """
    if policy_name is not None:
        return iam_arn(partition, account_id, "policy", policy_path, policy_name)
    if arn is not None and account_of_arn(arn) not in ("aws", account_id):
        raise ValueError(
            f"permissions boundary {arn} belongs to another account than {account_id}; "
            "name the policy (permissions_boundary_policy_name) to use each account's own"
        )
    return arn


def policy_document(statements: Sequence[Statement]) -> PolicyDocument:
    return {"Version": POLICY_VERSION, "Statement": list(statements)}


def _allow(
    sid: str, actions: Sequence[str], resources: Sequence[str] | str, **extra: Any
) -> Statement:
    resource: list[str] | str = resources if isinstance(resources, str) else list(resources)
    return {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": resource, **extra}


# --- trust policies ---------------------------------------------------------


@dataclass(frozen=True)
class ServiceAccountSubject:
    """EKS: the one Kubernetes service account that may take the Gateway role (IRSA)."""

    oidc_provider_arn: str
    namespace: str
    name: str

    @property
    def issuer(self) -> str:
        """The provider's issuer host and path, the prefix of its condition keys."""
        return self.oidc_provider_arn.split(":oidc-provider/", 1)[1]


@dataclass(frozen=True)
class ServicePrincipalTrust:
    """The Gateway's compute takes its role as an AWS service (``components.compute_kinds``)."""

    service: str
    """The service principal, e.g. ``ec2.amazonaws.com``."""
    source_service: str | None = None
    """Only on behalf of this service's resources in the role's own account: the
    confused-deputy conditions ``aws:SourceAccount`` and ``aws:SourceArn``
    (``arn:<partition>:<source_service>:*:<account>:*``)."""


@dataclass(frozen=True)
class ServiceAccountTrust:
    """The Gateway's compute takes its role as one Kubernetes service account (EKS IRSA),
    named by a :class:`ServiceAccountSubject`."""


ComputeTrust = ServicePrincipalTrust | ServiceAccountTrust
"""Who the Gateway's compute is to IAM: each compute kind states its own."""


def _compute_statement(
    trust: ComputeTrust,
    subject: ServiceAccountSubject | None,
    *,
    partition: str,
    account_id: str,
) -> Statement:
    if isinstance(trust, ServicePrincipalTrust):
        statement: Statement = {
            "Sid": "GatewayCompute",
            "Effect": "Allow",
            "Principal": {"Service": trust.service},
            "Action": "sts:AssumeRole",
        }
        if trust.source_service is not None:
            statement["Condition"] = {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {
                    "aws:SourceArn": f"arn:{partition}:{trust.source_service}:*:{account_id}:*"
                },
            }
        return statement
    if subject is None:
        raise ValueError("an EKS Gateway identity needs its service account")
    return {
        "Sid": "GatewayServiceAccount",
        "Effect": "Allow",
        "Principal": {"Federated": subject.oidc_provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {
                f"{subject.issuer}:sub": (
                    f"system:serviceaccount:{subject.namespace}:{subject.name}"
                ),
                f"{subject.issuer}:aud": "sts.amazonaws.com",
            }
        },
    }


def gateway_trust_policy(
    *,
    partition: str,
    account_id: str,
    gateway_role_arn: str,
    compute_trust: ComputeTrust,
    service_account: ServiceAccountSubject | None = None,
) -> PolicyDocument:
    """Trust of the Gateway's identity role: its compute, and the role itself.

    The compute (``compute_trust``, from its kind in ``components.compute_kinds``) is a
    service principal (ec2, ecs tasks) or exactly one service account of the cluster's
    OIDC provider (``service_account``; ``sub`` and ``aud`` pinned).
    Self-assume is written as the seed does it: the account as principal, narrowed
    to this role's ARN by ``aws:PrincipalArn``, because a role cannot name itself
    as a principal before it exists.
    """
    return policy_document(
        [
            _compute_statement(
                compute_trust, service_account, partition=partition, account_id=account_id
            ),
            {
                "Sid": "GatewaySelfAssume",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"ArnEquals": {"aws:PrincipalArn": gateway_role_arn}},
            },
        ]
    )


def ecs_execution_trust_policy(account_id: str) -> PolicyDocument:
    """Trust of the ECS execution role: ECS tasks of this account only."""
    return policy_document(
        [
            {
                "Sid": "EcsTasksOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": ECS_TASKS_SERVICE},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ]
    )


def ecr_pull_statements(repository: EcrRepository | None) -> list[Statement]:
    """Pulling the Gateway's image from its private ECR repository, and nothing else; no
    statement for a public image.

    A pull needs ``ecr:GetAuthorizationToken`` (the registry login), then
    ``ecr:BatchGetImage`` and ``ecr:GetDownloadUrlForLayer`` on the repository (Amazon ECR
    User Guide, "Pulling an image from a private repository", and "Private repository
    policies": the pull actions). GetAuthorizationToken takes no resource: the Service
    Authorization Reference lists no resource type for it ("Actions, resources, and
    condition keys for Amazon Elastic Container Registry"), so ``*`` is its only form.
    """
    if repository is None:
        return []
    return [
        _allow("GatewayImageRegistryLogin", ["ecr:GetAuthorizationToken"], "*"),
        _allow(
            "GatewayImagePull",
            ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            [repository.arn],
        ),
    ]


def ecs_execution_policy(
    *,
    partition: str,
    region: str,
    account_id: str,
    log_group_name: str,
    image_repository: EcrRepository | None = None,
) -> PolicyDocument:
    """What ECS needs to start the Gateway task: write its logs and, for a private ECR
    image, pull that one repository (ECS pulls with the task execution role: Amazon ECS
    Developer Guide, "Amazon ECS task execution IAM role"). No secret access."""
    log_group = f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group_name}"
    return policy_document(
        [
            _allow(
                "GatewayTaskLogs",
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                [f"{log_group}:log-stream:*"],
            ),
            *ecr_pull_statements(image_repository),
        ]
    )


def member_trust_policy(*, hub_gateway_role_arn: str, external_id: str) -> PolicyDocument:
    """Trust of a member account's role: only the hub Gateway role, with the External ID."""
    return policy_document(
        [
            {
                "Sid": "HubGatewayWithExternalId",
                "Effect": "Allow",
                "Principal": {"AWS": hub_gateway_role_arn},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ]
    )


# --- identity policies ------------------------------------------------------


def self_assume_statement(gateway_role_arn: str) -> Statement:
    return _allow("GatewaySelfAssume", ["sts:AssumeRole"], [gateway_role_arn])


def assume_member_roles_statement(
    *, partition: str, path: str, member_role_name: str, organization_id: str | None
) -> Statement:
    """The hub may assume the member role (by path and name) in any account of the org."""
    statement = _allow(
        "AssumeMemberRoles",
        ["sts:AssumeRole"],
        [iam_arn(partition, "*", "role", path, member_role_name)],
    )
    if organization_id:
        statement["Condition"] = {"StringEquals": {"aws:ResourceOrgID": organization_id}}
    return statement


def _temporary_user_statements(
    dynamic: DynamicIamUser, *, partition: str, account_id: str
) -> list[Statement]:
    """The temporary users of ``iam_user`` dynamic secrets: only at path ``/``, only by prefix.

    ``user/<prefix>*`` alone would also match ``user/<prefix>x/admin``, a user named
    ``admin`` at path ``/<prefix>x/`` (a resource ``*`` matches ``/``, see
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html),
    so every user with a path is denied explicitly.
    """
    temp_users = iam_arn(partition, account_id, "user", "/", f"{dynamic.user_name_prefix}*")
    actions = list(TEMP_USER_ACTIONS)
    if dynamic.console_access:
        actions += LOGIN_PROFILE_ACTIONS
    statements = [_allow("DynamicSecretTempUsers", actions, [temp_users])]
    if dynamic.tag_keys:
        statements.append(
            _allow(
                "DynamicSecretTempUserTags",
                USER_TAG_ACTIONS,
                [temp_users],
                Condition={"ForAllValues:StringEquals": {"aws:TagKeys": list(dynamic.tag_keys)}},
            )
        )
    if dynamic.policy_arns:
        statements.append(
            _allow(
                "DynamicSecretUserPolicies",
                USER_POLICY_ACTIONS,
                [temp_users],
                Condition={"ArnEquals": {"iam:PolicyARN": list(dynamic.policy_arns)}},
            )
        )
    if dynamic.group_names:
        groups = [iam_arn(partition, account_id, "group", "/", g) for g in dynamic.group_names]
        statements.append(_allow("DynamicSecretUserGroups", GROUP_MEMBERSHIP_ACTIONS, groups))
    statements.append(
        {
            "Sid": "NoTempUsersUnderAPath",
            "Effect": "Deny",
            "Action": [*actions, *USER_TAG_ACTIONS, *USER_POLICY_ACTIONS],
            "Resource": [iam_arn(partition, account_id, "user", "/", "*/*")],
        }
    )
    return statements


def capability_statements(
    capabilities: Capabilities, *, partition: str, account_id: str, regions: Sequence[str]
) -> list[Statement]:
    """Least-privilege statements for every enabled capability in one account."""
    statements: list[Statement] = []
    dynamic = capabilities.dynamic_iam_user
    rotated = capabilities.rotated_access_keys
    usc = capabilities.usc_secrets_manager
    assume = capabilities.dynamic_assume_role

    if dynamic.enabled or rotated.enabled:
        statements.append(_allow("ListIamUsers", ["iam:ListUsers"], "*"))

    if dynamic.enabled:
        statements += _temporary_user_statements(
            dynamic, partition=partition, account_id=account_id
        )

    if assume.enabled:
        statements.append(_allow("DynamicSecretAssumeRoles", ["sts:AssumeRole"], assume.role_arns))

    if rotated.enabled:
        users = [iam_arn(partition, account_id, "user", "/", u) for u in rotated.user_names]
        statements.append(_allow("RotatedAccessKeys", ROTATED_KEY_ACTIONS, users))

    if usc.enabled:
        secrets = [
            f"arn:{partition}:secretsmanager:{region}:{account_id}:secret:{usc.prefix}*"
            for region in regions
        ]
        statements.append(_allow("UscListSecrets", ["secretsmanager:ListSecrets"], "*"))
        statements.append(_allow("UscSecrets", SECRET_ACTIONS, secrets))
        if usc.kms_key_arn:
            via = [f"secretsmanager.{region}.amazonaws.com" for region in regions]
            statements.append(
                _allow(
                    "UscKmsKey",
                    KMS_ACTIONS,
                    [usc.kms_key_arn],
                    Condition={"StringEquals": {"kms:ViaService": via}},
                )
            )
    return statements


def distributed_gateway_policy(
    capabilities: Capabilities,
    *,
    partition: str,
    account_id: str,
    regions: Sequence[str],
    gateway_role_arn: str,
) -> PolicyDocument:
    """Distributed: the Gateway's own role acts on its own account, as the seed grants."""
    return policy_document(
        [
            *capability_statements(
                capabilities, partition=partition, account_id=account_id, regions=regions
            ),
            self_assume_statement(gateway_role_arn),
        ]
    )


def hub_gateway_policy(
    *,
    partition: str,
    path: str,
    member_role_name: str,
    organization_id: str | None,
    gateway_role_arn: str,
) -> PolicyDocument:
    """Centralized: the hub Gateway only hops into member roles (and itself)."""
    return policy_document(
        [
            assume_member_roles_statement(
                partition=partition,
                path=path,
                member_role_name=member_role_name,
                organization_id=organization_id,
            ),
            self_assume_statement(gateway_role_arn),
        ]
    )


def member_role_policy(
    capabilities: Capabilities, *, partition: str, account_id: str, regions: Sequence[str]
) -> PolicyDocument | None:
    """Centralized: what the hub Gateway may do inside one member account (None if nothing)."""
    statements = capability_statements(
        capabilities, partition=partition, account_id=account_id, regions=regions
    )
    return policy_document(statements) if statements else None
