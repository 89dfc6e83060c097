"""The policy rules, each with a compliant and a violating resource; the pack; offline checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
)

from config.model import OrgDeployment
from config.validation import parse_org
from policy.__main__ import policies, provider_account, validation
from policy.rules import EXCEPTION_TAG, RULES, Resource, check
from scripts.render import policy_violations, render
from tests.conftest import CENTRALIZED_EXAMPLE, run_orgctl

HUB_ROLE = "arn:aws:iam::222222222222:role/akeyless/akeyless-gateway"


def trust(principal: Any, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def ingress(cidrs: list[str], port: int = 8000, **extra: Any) -> dict[str, Any]:
    return {"protocol": "tcp", "fromPort": port, "toPort": port, "cidrBlocks": cidrs, **extra}


TAGS = {"owner": "platform"}
EXTERNAL_ID = {"StringEquals": {"sts:ExternalId": "x"}}
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
TARGET = "akeyless:index/targetAws:TargetAws"
ENCRYPTED = [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}]

# rule -> (compliant resource, violating resource)
CASES: dict[str, tuple[Resource, Resource]] = {
    "no-iam-access-keys": (
        Resource("aws:iam/role:Role", "r", {"tags": TAGS}),
        Resource("aws:iam/accessKey:AccessKey", "k", {"user": "u"}),
    ),
    "no-iam-users": (
        Resource("aws:iam/role:Role", "r", {"tags": TAGS}),
        Resource("aws:iam/user:User", "u", {"name": "u"}),
    ),
    "cross-account-trust-external-id": (
        Resource(
            "aws:iam/role:Role",
            "member",
            {"assumeRolePolicy": trust({"AWS": HUB_ROLE}, EXTERNAL_ID), "tags": TAGS},
            account_id="333333333333",
        ),
        Resource(
            "aws:iam/role:Role",
            "member",
            {"assumeRolePolicy": trust({"AWS": HUB_ROLE}), "tags": TAGS},
            account_id="333333333333",
        ),
    ),
    "no-wildcard-principal": (
        Resource(
            "aws:iam/role:Role",
            "r",
            {"assumeRolePolicy": trust({"Service": "ec2.amazonaws.com"}), "tags": TAGS},
        ),
        Resource(
            "aws:iam/role:Role",
            "r",
            {"assumeRolePolicy": trust({"AWS": "*"}, EXTERNAL_ID), "tags": TAGS},
        ),
    ),
    "imdsv2-required": (
        Resource(
            LAUNCH_TEMPLATE,
            "lt",
            {"metadataOptions": {"httpTokens": "required"}, "tags": TAGS},
        ),
        Resource(
            LAUNCH_TEMPLATE,
            "lt",
            {"metadataOptions": {"httpTokens": "optional"}, "tags": TAGS},
        ),
    ),
    "encrypted-ebs": (
        Resource(
            LAUNCH_TEMPLATE,
            "lt",
            {
                "metadataOptions": {"httpTokens": "required"},
                "blockDeviceMappings": ENCRYPTED,
                "tags": TAGS,
            },
        ),
        Resource("aws:ebs/volume:Volume", "v", {"encrypted": False}),
    ),
    "no-internet-ingress-to-gateway": (
        Resource(SECURITY_GROUP, "sg", {"ingress": [ingress(["10.0.0.0/8"])], "tags": TAGS}),
        Resource(
            SECURITY_GROUP,
            "sg",
            {"ingress": [ingress(["0.0.0.0/0"], port=8080)], "tags": TAGS},
        ),
    ),
    "akeyless-target-gateway-identity": (
        Resource(TARGET, "t", {"useGwCloudIdentity": True, "accessKeyId": "x"}),
        Resource(TARGET, "t", {"useGwCloudIdentity": True, "accessKey": "wJalr..."}),
    ),
    "required-tags": (
        Resource("aws:lb/loadBalancer:LoadBalancer", "lb", {"tags": TAGS}),
        Resource("aws:lb/loadBalancer:LoadBalancer", "lb", {"tags": {"team": "x"}}),
    ),
}


def test_every_rule_has_a_case() -> None:
    assert set(CASES) == set(RULES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_passes_the_compliant_and_fails_the_violating(rule: str) -> None:
    compliant, violating = CASES[rule]
    assert check(compliant) == []
    violations = check(violating)
    assert rule in {v.rule for v in violations}, violations


def test_same_account_self_assume_needs_no_external_id() -> None:
    role = Resource(
        "aws:iam/role:Role",
        "gw",
        {"assumeRolePolicy": trust({"AWS": "arn:aws:iam::333333333333:root"}), "tags": TAGS},
        account_id="333333333333",
    )
    assert check(role) == []


def test_open_ipv6_and_all_traffic_rules_are_caught() -> None:
    sg = Resource(
        SECURITY_GROUP,
        "sg",
        {
            "ingress": [
                {"protocol": "tcp", "fromPort": 7000, "toPort": 9000, "ipv6CidrBlocks": ["::/0"]},
                {"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]},
            ],
            "tags": TAGS,
        },
    )
    assert len(check(sg)) == 2
    other_port = Resource(
        SECURITY_GROUP, "sg", {"ingress": [ingress(["0.0.0.0/0"], port=443)], "tags": TAGS}
    )
    assert [v.rule for v in check(other_port)] == []


def test_an_exception_tag_exempts_only_the_rule_it_names() -> None:
    tags = {**TAGS, EXCEPTION_TAG: "no-internet-ingress-to-gateway"}
    sg = Resource(SECURITY_GROUP, "sg", {"ingress": [ingress(["0.0.0.0/0"])], "tags": tags})
    assert check(sg) == []
    untagged = Resource(SECURITY_GROUP, "sg", {"ingress": [ingress(["0.0.0.0/0"])]})
    assert {v.rule for v in check(untagged)} == {
        "no-internet-ingress-to-gateway",
        "required-tags",
    }


# --- the pack ---------------------------------------------------------------------


def args_for(
    resource: Resource, provider_accounts: list[str] | None = None
) -> ResourceValidationArgs:
    provider = (
        PolicyProviderResource(
            "pulumi:providers:aws",
            {"allowedAccountIds": json.dumps(provider_accounts)},
            "urn:provider",
            "aws",
        )
        if provider_accounts
        else None
    )
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    return ResourceValidationArgs(
        resource.type, resource.props, f"urn:{resource.name}", resource.name, options, provider
    )


def test_the_pack_holds_every_rule_as_a_mandatory_policy() -> None:
    pack = policies()
    assert [policy.name for policy in pack] == list(RULES)
    assert {policy.enforcement_level for policy in pack} == {EnforcementLevel.MANDATORY}


def test_the_pack_reads_the_account_from_the_provider() -> None:
    _, violating = CASES["cross-account-trust-external-id"]
    reports: list[tuple[str, str | None]] = []

    def report(message: str, urn: str | None = None) -> None:
        reports.append((message, urn))

    validate = validation("cross-account-trust-external-id")
    validate(
        args_for(violating, ["333333333333"]),
        report,
    )
    assert len(reports) == 1 and "sts:ExternalId" in reports[0][0]
    assert provider_account(args_for(violating, ["333333333333"])) == "333333333333"
    compliant, _ = CASES["cross-account-trust-external-id"]
    reports.clear()
    validate(
        args_for(compliant, ["333333333333"]),
        report,
    )
    assert reports == []


# --- offline, over the render ----------------------------------------------------------


@pytest.mark.parametrize("org_fixture", ["centralized_org", "distributed_org"])
def test_both_examples_hold_every_invariant(
    org_fixture: str, request: pytest.FixtureRequest
) -> None:
    org: OrgDeployment = request.getfixturevalue(org_fixture)
    assert policy_violations(render(org)) == []


def broken_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(CENTRALIZED_EXAMPLE.read_text())
    data["tags"] = {}
    for account in data["accounts"]:
        account.pop("tags", None)
    return data


def test_a_deliberately_broken_config_is_caught_offline() -> None:
    violations = policy_violations(render(parse_org(broken_data())))
    assert violations and {v.rule for v in violations} == {"required-tags"}
    assert any(v.resource == "hub/hub-compute-lb" for v in violations)


def test_cli_render_exits_1_on_a_violation(tmp_path: Path) -> None:
    config = tmp_path / "broken.yaml"
    config.write_text(yaml.safe_dump(broken_data()))
    result = run_orgctl(
        "render", "--config", str(config), "--out", str(tmp_path / "out"), home=tmp_path
    )
    assert result.returncode == 1
    assert "policy violation: required-tags: hub/hub-compute-lb" in result.stderr
    assert "Traceback" not in result.stderr
