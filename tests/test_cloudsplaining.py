"""cloudsplaining, offline, on every identity policy the program generates.

``scan_policy`` is what ``cloudsplaining scan-policy-file`` runs
(cloudsplaining/command/scan_policy_file.py). By default it flags only statements
whose resource is unconstrained; with both ``flag_*`` options it also flags
statements narrowed by ARN or condition. The default scan must find nothing that
escalates privilege or exposes resources; the strict scan's findings must each be
accepted below, with the reason, in this one place.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cloudsplaining.command.scan_policy_file import scan_policy

from akeyless_gateway_org.config.model import DynamicIamUser, OrgDeployment
from tests.test_iam_documents import (
    full_distributed_policy,
    full_member_policy,
    generated_identity_policies,
)

TEMP_USERS = "the temporary users of iam_user dynamic secrets only (user/<prefix>*, path / only)"
GROUP_MEMBERSHIP = (
    "the groups in dynamic_iam_user.group_names only, but ANY user of the account: IAM "
    "authorizes AddUserToGroup/RemoveUserFromGroup on the group alone and has no condition "
    "key for the user (Service Authorization Reference, IAM actions), so the Gateway can put "
    "any user into those groups; each must hold only what a temporary user may have "
    "(administrator-like groups are refused by config/privileged.py)"
)
ACCEPTED: dict[tuple[str, str], str] = {
    ("CredentialsExposure", "sts:AssumeRole"): (
        "the Gateway's job: its own role, the member roles (External ID) and the listed roles"
    ),
    ("PrivilegeEscalation", "iam:addusertogroup"): GROUP_MEMBERSHIP,
    ("DataExfiltration", "secretsmanager:GetSecretValue"): (
        "the Universal Secrets Connector reads secrets under its prefix only"
    ),
    **{
        ("ResourceExposure", action): f"dynamic secrets manage {TEMP_USERS}"
        for action in (
            "iam:CreateAccessKey",
            "iam:DeleteAccessKey",
            "iam:CreateLoginProfile",
            "iam:DeleteLoginProfile",
            "iam:CreateUser",
            "iam:DeleteUser",
            "iam:AttachUserPolicy",
            "iam:DetachUserPolicy",
        )
    },
    ("ResourceExposure", "iam:AddUserToGroup"): GROUP_MEMBERSHIP,
    ("ResourceExposure", "iam:RemoveUserFromGroup"): GROUP_MEMBERSHIP,
}
"""Findings of the strict scan that are the capabilities themselves, with why each is safe.
Rotated secrets' CreateAccessKey/DeleteAccessKey on the listed users are the same finding."""

ESCALATION_OR_EXPOSURE = ("PrivilegeEscalation", "ResourceExposure")


def findings(policy: dict[str, Any], *, strict: bool) -> set[tuple[str, str]]:
    report = scan_policy(
        policy, flag_resource_arn_statements=strict, flag_conditional_statements=strict
    )
    found: set[tuple[str, str]] = set()
    for category in (*ESCALATION_OR_EXPOSURE, "CredentialsExposure", "DataExfiltration"):
        for finding in report[category]["findings"]:
            if isinstance(finding, dict):  # privilege escalation: a method and its actions
                found |= {(category, action) for action in finding["actions"]}
            else:
                found.add((category, finding))
    return found


def test_cloudsplaining_finds_an_unconstrained_key_grant() -> None:
    """Guards the tests below: the scan can fail."""
    bad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*"}],
    }
    assert ("PrivilegeEscalation", "iam:createaccesskey") in findings(bad, strict=False)


@pytest.mark.parametrize("org_fixture", ["centralized_org", "distributed_org"])
def test_every_generated_identity_policy_passes_the_default_scan(
    org_fixture: str, request: pytest.FixtureRequest
) -> None:
    org: OrgDeployment = request.getfixturevalue(org_fixture)
    for name, policy in generated_identity_policies(org):
        unexpected = findings(policy, strict=False) - ACCEPTED.keys()
        assert unexpected == set(), f"{name}: {json.dumps(policy)}"
        assert not {f for f in findings(policy, strict=False) if f[0] in ESCALATION_OR_EXPOSURE}


def test_every_capability_at_once_has_only_accepted_findings_in_the_strict_scan() -> None:
    for policy in (full_distributed_policy(), full_member_policy()):
        assert findings(policy, strict=False) <= {("CredentialsExposure", "sts:AssumeRole")}
        assert findings(policy, strict=True) - ACCEPTED.keys() == set()


def test_the_group_membership_finding_is_explained_truthfully() -> None:
    """Group membership is not limited to the temporary users (issue 21, finding 7): the
    generated grant names groups only, with no condition on the user, so the reason and the
    setting's own description say who can really be added."""
    policy = full_member_policy()
    (statement,) = [s for s in policy["Statement"] if "iam:AddUserToGroup" in s["Action"]]
    assert all(":group/" in arn for arn in statement["Resource"]) and "Condition" not in statement
    for key in (
        ("PrivilegeEscalation", "iam:addusertogroup"),
        ("ResourceExposure", "iam:AddUserToGroup"),
        ("ResourceExposure", "iam:RemoveUserFromGroup"),
    ):
        assert "ANY user of the account" in ACCEPTED[key], key
    description = DynamicIamUser.model_fields["group_names"].description or ""
    assert "any user of the account" in description
