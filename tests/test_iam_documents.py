"""IAM documents as plain data: exact trusts, least privilege, parliament-clean."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import parliament
import pytest

from akeyless_gateway_org.components.compute_kinds import compute_kind
from akeyless_gateway_org.components.iam_documents import (
    capability_statements,
    distributed_gateway_policy,
    gateway_trust_policy,
    hub_gateway_policy,
    member_role_policy,
    member_trust_policy,
    permissions_boundary_arn,
)
from akeyless_gateway_org.config.model import Capabilities, OrgDeployment
from akeyless_gateway_org.review.render import render
from tests.policy_eval import allows_action, grants, resources_for, within
from tests.test_components import rendered

ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
GATEWAY_ROLE = f"arn:aws:iam::{ACCOUNT}:role/akeyless/akeyless-gateway"
EVERYTHING = Capabilities.model_validate(
    {
        "dynamic_iam_user": {
            "enabled": True,
            "policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
            "group_names": ["temporary"],
            "console_access": True,
            "tag_keys": ["akeyless-managed"],
        },
        "dynamic_assume_role": {"enabled": True, "role_arns": [f"arn:aws:iam::{ACCOUNT}:role/app"]},
        "rotated_access_keys": {"enabled": True, "access_keys": {"svc-ci": "AKIAIOSFODNN7EXAMPLE"}},
        "usc_secrets_manager": {
            "enabled": True,
            "prefix": "akeyless/",
            "kms_key_arn": KEY_ARN,
        },
    }
)


def full_distributed_policy(regions: list[str] | None = None) -> dict[str, Any]:
    return distributed_gateway_policy(
        EVERYTHING,
        partition="aws",
        account_id=ACCOUNT,
        regions=regions or ["us-east-1"],
        gateway_role_arn=GATEWAY_ROLE,
    )


def findings(policy: dict[str, Any]) -> list[str]:
    """parliament's findings of MEDIUM severity or higher."""
    analyzed = parliament.analyze_policy_string(json.dumps(policy))
    enhanced = [parliament.enhance_finding(finding) for finding in analyzed.findings]
    return [
        f"{f.issue} ({f.severity}): {f.detail}"
        for f in enhanced
        if f.severity in ("MEDIUM", "HIGH", "CRITICAL")
    ]


def test_distributed_trust_is_compute_plus_self_assume() -> None:
    trust = gateway_trust_policy(
        partition="aws",
        account_id=ACCOUNT,
        gateway_role_arn=GATEWAY_ROLE,
        compute_trust=compute_kind("ec2").identity_trust,
    )
    assert trust["Statement"] == [
        {
            "Sid": "GatewayCompute",
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        },
        {
            "Sid": "GatewaySelfAssume",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": GATEWAY_ROLE}},
        },
    ]
    ecs = gateway_trust_policy(
        partition="aws",
        account_id=ACCOUNT,
        gateway_role_arn=GATEWAY_ROLE,
        compute_trust=compute_kind("ecs").identity_trust,
    )
    assert ecs["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}


def test_member_trust_names_one_principal_and_requires_the_external_id() -> None:
    hub_role = "arn:aws:iam::222222222222:role/akeyless/akeyless-gateway"
    trust = member_trust_policy(hub_gateway_role_arn=hub_role, external_id="ext-123")
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"AWS": hub_role}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "ext-123"}}


def test_hub_may_assume_only_the_member_role_inside_the_org() -> None:
    policy = hub_gateway_policy(
        partition="aws",
        path="/akeyless/",
        member_role_name="akeyless-gateway-member",
        organization_id="o-a1b2c3d4e5",
        gateway_role_arn=GATEWAY_ROLE,
    )
    assume, self_assume = policy["Statement"]
    assert assume["Action"] == ["sts:AssumeRole"]
    assert assume["Resource"] == ["arn:aws:iam::*:role/akeyless/akeyless-gateway-member"]
    assert assume["Condition"] == {"StringEquals": {"aws:ResourceOrgID": "o-a1b2c3d4e5"}}
    assert self_assume["Resource"] == [GATEWAY_ROLE]
    without_org = hub_gateway_policy(
        partition="aws",
        path="/",
        member_role_name="m",
        organization_id=None,
        gateway_role_arn=GATEWAY_ROLE,
    )
    assert "Condition" not in without_org["Statement"][0]


def test_nothing_enabled_grants_nothing() -> None:
    assert (
        capability_statements(
            Capabilities(), partition="aws", account_id=ACCOUNT, regions=["us-east-1"]
        )
        == []
    )
    assert (
        member_role_policy(
            Capabilities(), partition="aws", account_id=ACCOUNT, regions=["us-east-1"]
        )
        is None
    )


def test_each_capability_adds_only_its_own_grants() -> None:
    usc_only = Capabilities.model_validate({"usc_secrets_manager": {"enabled": True}})
    statements = capability_statements(
        usc_only, partition="aws", account_id=ACCOUNT, regions=["us-east-1", "eu-west-1"]
    )
    actions = {action for s in statements for action in s["Action"]}
    assert all(a.startswith("secretsmanager:") for a in actions)
    secrets = next(s for s in statements if s["Sid"] == "UscSecrets")["Resource"]
    assert secrets == [
        f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:akeyless/*",
        f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:akeyless/*",
    ]


def test_only_list_users_and_list_secrets_take_a_star() -> None:
    starred = {action for action, resource in grants(full_distributed_policy()) if resource == "*"}
    assert starred == {"iam:ListUsers", "secretsmanager:ListSecrets"}


def test_every_resource_is_in_the_account() -> None:
    for _, resource in grants(full_distributed_policy()):
        if resource == "*" or resource.startswith("arn:aws:iam::aws:policy/"):
            continue
        assert resource.split(":")[4] == ACCOUNT, resource


def test_attach_user_policy_is_limited_to_the_listed_policies() -> None:
    statement = next(
        s for s in full_distributed_policy()["Statement"] if s["Sid"] == "DynamicSecretUserPolicies"
    )
    assert statement["Condition"] == {
        "ArnEquals": {"iam:PolicyARN": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}
    }


def test_kms_use_is_limited_to_secrets_manager() -> None:
    statement = next(s for s in full_distributed_policy()["Statement"] if s["Sid"] == "UscKmsKey")
    assert statement["Condition"] == {
        "StringEquals": {"kms:ViaService": ["secretsmanager.us-east-1.amazonaws.com"]}
    }


def test_parliament_flags_a_bad_policy() -> None:
    """Guards the lint tests below: parliament must be able to fail."""
    bad = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket"}
        ],
    }
    assert findings(bad)


def generated_identity_policies(org: OrgDeployment) -> list[tuple[str, dict[str, Any]]]:
    """Every identity policy the program registers for an org, as rendered under mocks."""
    return [
        (resource.name, json.loads(resource.raw_inputs["policy"]))
        for stack in rendered(org)
        for resource in stack.resources
        if resource.type == "aws:iam/rolePolicy:RolePolicy"
    ]


@pytest.mark.parametrize("org_fixture", ["centralized_org", "distributed_org"])
def test_every_generated_identity_policy_lints_clean(
    org_fixture: str, request: pytest.FixtureRequest
) -> None:
    org = request.getfixturevalue(org_fixture)
    policies = generated_identity_policies(org)
    sites = [org.hub] if org.hub is not None else list(org.accounts)
    ecs_execution_roles = sum(1 for site in sites if site is not None and site.compute == "ecs")
    gateway_roles = len(org.accounts) + (1 if org.pattern == "centralized" else 0)
    assert len(policies) == gateway_roles + ecs_execution_roles
    for name, policy in policies:
        assert findings(policy) == [], name


def test_full_policy_lints_clean_in_several_regions() -> None:
    assert findings(full_distributed_policy(["us-east-1", "eu-west-1", "ap-southeast-2"])) == []


# What the seed Terraform of the distributed pattern (AWS roles for the Akeyless Gateway,
# https://docs.akeyless.io/docs/terraform-distributed-deployment) grants, with
# ${var.management_account} = ACCOUNT and ${var.region} = us-east-1.
SEED_USERS = f"arn:aws:iam::{ACCOUNT}:user/*"
SEED_GRANTS: dict[str, list[str]] = {
    **{
        a: [SEED_USERS]
        for a in [
            "iam:CreateUser",
            "iam:DeleteUser",
            "iam:TagUser",
            "iam:UntagUser",
            "iam:CreateAccessKey",
            "iam:DeleteAccessKey",
            "iam:ListAccessKeys",
            "iam:CreateLoginProfile",
            "iam:GetLoginProfile",
            "iam:DeleteLoginProfile",
            "iam:AttachUserPolicy",
            "iam:DetachUserPolicy",
            "iam:ListUserPolicies",
            "iam:ListAttachedUserPolicies",
            "iam:AddUserToGroup",
            "iam:RemoveUserFromGroup",
            "iam:ListGroupsForUser",
            "iam:ListUserTags",
            "iam:ListUsers",
        ]
    },
    **{
        a: ["*", f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:*"]
        for a in [
            "secretsmanager:ListSecrets",
            "secretsmanager:GetSecretValue",
            "secretsmanager:DescribeSecret",
            "secretsmanager:CreateSecret",
            "secretsmanager:UpdateSecret",
            "secretsmanager:DeleteSecret",
            "secretsmanager:PutSecretValue",
            "secretsmanager:UntagResource",
            "secretsmanager:TagResource",
        ]
    },
    "sts:AssumeRole": [GATEWAY_ROLE],
}
# Where AWS authorizes against another resource type than the seed names:
# group membership against the group and ListUsers against * (the AWS Service
# Authorization Reference, list_awsidentityandaccessmanagementiam.html, gives the group
# actions the group resource type and ListUsers none), and assume_role dynamic secrets
# against the configured target roles, a feature the seed does not grant.
OTHER_RESOURCE_TYPES = {
    "iam:AddUserToGroup": [f"arn:aws:iam::{ACCOUNT}:group/*"],
    "iam:RemoveUserFromGroup": [f"arn:aws:iam::{ACCOUNT}:group/*"],
    "iam:ListUsers": ["*"],
    "sts:AssumeRole": [f"arn:aws:iam::{ACCOUNT}:role/*"],
}


def full_member_policy() -> dict[str, Any]:
    policy = member_role_policy(
        EVERYTHING, partition="aws", account_id=ACCOUNT, regions=["us-east-1"]
    )
    assert policy is not None
    return policy


def test_everything_the_seed_grants_is_still_allowed() -> None:
    policy = full_distributed_policy()
    missing = [action for action in SEED_GRANTS if not allows_action(policy, action)]
    assert missing == []


def test_a_member_role_allows_every_feature_action_of_the_seed() -> None:
    """The member role has the features; the hub's role does the self-assume."""
    policy = full_member_policy()
    features = [action for action in SEED_GRANTS if action != "sts:AssumeRole"]
    assert [action for action in features if not allows_action(policy, action)] == []
    for action in features:
        allowed = SEED_GRANTS[action] + OTHER_RESOURCE_TYPES.get(action, [])
        assert all(within(r, allowed) for r in resources_for(policy, action)), action


def test_no_grant_is_broader_than_the_seeds() -> None:
    policy = full_distributed_policy()
    for action, seed_resources in SEED_GRANTS.items():
        allowed = seed_resources + OTHER_RESOURCE_TYPES.get(action, [])
        for resource in resources_for(policy, action):
            assert within(resource, allowed), (action, resource)
    assert within(f"arn:aws:iam::{ACCOUNT}:user/tmp.*", [SEED_USERS])
    assert not within("*", [SEED_USERS])  # the check can fail


def _statements(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {statement["Sid"]: statement for statement in policy["Statement"]}


def _dynamic_only(**settings: Any) -> dict[str, Any]:
    capabilities = Capabilities.model_validate({"dynamic_iam_user": {"enabled": True, **settings}})
    policy = member_role_policy(
        capabilities, partition="aws", account_id=ACCOUNT, regions=["us-east-1"]
    )
    assert policy is not None
    return policy


def test_temporary_users_get_no_console_and_no_tags_unless_asked() -> None:
    actions = {
        action
        for statement in _dynamic_only()["Statement"]
        if statement["Effect"] == "Allow"
        for action in statement["Action"]
    }
    assert not actions & {"iam:CreateLoginProfile", "iam:GetLoginProfile", "iam:DeleteLoginProfile"}
    assert not actions & {"iam:TagUser", "iam:UntagUser"}


def test_tagging_temporary_users_is_limited_to_the_listed_keys() -> None:
    tags = _statements(_dynamic_only(tag_keys=["akeyless-managed"]))["DynamicSecretTempUserTags"]
    assert tags["Condition"] == {"ForAllValues:StringEquals": {"aws:TagKeys": ["akeyless-managed"]}}


def test_a_user_under_a_path_never_matches_the_temporary_user_grant() -> None:
    # `CreateUser --path /tmp.x/ --user-name admin` makes arn:...:user/tmp.x/admin,
    # which the allow pattern user/tmp.* matches; the explicit deny covers it.
    statements = _statements(_dynamic_only())
    allow = statements["DynamicSecretTempUsers"]["Resource"][0]
    deny = statements["NoTempUsersUnderAPath"]
    assert statements["NoTempUsersUnderAPath"]["Effect"] == "Deny"
    assert "iam:CreateUser" in deny["Action"]
    pathed = f"arn:aws:iam::{ACCOUNT}:user/tmp.x/admin"
    plain = f"arn:aws:iam::{ACCOUNT}:user/tmp.8f3a"
    assert fnmatch.fnmatchcase(pathed, allow) and fnmatch.fnmatchcase(plain, allow)
    assert fnmatch.fnmatchcase(pathed, deny["Resource"][0])
    assert not fnmatch.fnmatchcase(plain, deny["Resource"][0])


def test_the_ecs_task_role_trusts_only_tasks_of_its_own_account() -> None:
    trust = gateway_trust_policy(
        partition="aws",
        account_id=ACCOUNT,
        gateway_role_arn=GATEWAY_ROLE,
        compute_trust=compute_kind("ecs").identity_trust,
    )
    compute = _statements(trust)["GatewayCompute"]
    assert compute["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert compute["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:*:{ACCOUNT}:*"},
    }


# --- permissions boundaries -------------------------------------------------------


def test_a_boundary_by_name_resolves_in_each_roles_own_account() -> None:
    """IAM bounds a role only with AWS's policies or its own account's (issue 12, item 12)."""
    named = permissions_boundary_arn(
        "aws-us-gov", "333333333333", arn=None, policy_name="boundary", policy_path="/platform/"
    )
    assert named == "arn:aws-us-gov:iam::333333333333:policy/platform/boundary"
    managed = "arn:aws:iam::aws:policy/PowerUserAccess"
    assert permissions_boundary_arn("aws", ACCOUNT, arn=managed, policy_name=None) == managed
    own = f"arn:aws:iam::{ACCOUNT}:policy/boundary"
    assert permissions_boundary_arn("aws", ACCOUNT, arn=own, policy_name=None) == own
    with pytest.raises(ValueError, match="another account than 333333333333"):
        permissions_boundary_arn("aws", "333333333333", arn=own, policy_name=None)
    assert permissions_boundary_arn("aws", ACCOUNT, arn=None, policy_name=None) is None


def test_every_role_of_every_account_gets_its_own_accounts_boundary(
    centralized_org: OrgDeployment,
) -> None:
    iam = centralized_org.iam.model_copy(update={"permissions_boundary_policy_name": "boundary"})
    roles = [
        (stack.spec.account_id, resource.raw_inputs)
        for stack in render(centralized_org.model_copy(update={"iam": iam}))
        for resource in stack.resources
        if resource.type == "aws:iam/role:Role"
    ]
    assert {account for account, _ in roles} == {
        "222222222222",
        "333333333333",
        "444444444444",
        "555555555555",
    }
    for account, role in roles:
        assert role["permissionsBoundary"] == f"arn:aws:iam::{account}:policy/boundary"
