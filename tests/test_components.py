"""Components under Pulumi's mock runtime: the exact inputs they register."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pytest

from akeyless_gateway_org.components.earlier_phase import NOT_DEPLOYED_NOTE, NotYetDeployed
from akeyless_gateway_org.components.gateway_identity import GatewayIdentity, GatewayIdentityArgs
from akeyless_gateway_org.components.member_access_role import (
    MemberAccessRole,
    MemberAccessRoleArgs,
)
from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.stacks import StackSpec
from akeyless_gateway_org.review.render import (
    RecordedResource,
    RenderError,
    StackRender,
    record_program,
    render,
    render_stack,
)

ACCOUNT = "123456789012"
HUB_ROLE = "arn:aws:iam::222222222222:role/akeyless/akeyless-gateway"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "X",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole"],
            "Resource": ["arn:aws:iam::1:role/x"],
        }
    ],
}


def record(build: Any) -> list[RecordedResource]:
    return record_program(build, project="test", stack="test", config={}).resources


def by_type(resources: list[RecordedResource], type_: str) -> list[RecordedResource]:
    return [r for r in resources if r.type == type_]


def one(resources: list[RecordedResource], type_: str) -> RecordedResource:
    (found,) = by_type(resources, type_)
    return found


_RENDERS: dict[int, list[StackRender]] = {}


def rendered(org: OrgDeployment) -> list[StackRender]:
    """The whole org rendered once per org object (rendering takes a moment)."""
    if id(org) not in _RENDERS:
        _RENDERS[id(org)] = render(org)
    return _RENDERS[id(org)]


def stack(org: OrgDeployment, name: str, **config: Any) -> list[RecordedResource]:
    """One stack's resources; with ``config`` overrides, rendered again with those.

    Earlier phases' outputs come from the whole org's render, as stack references would.
    """
    stacks = rendered(org)
    if not config:
        return next(s for s in stacks if s.spec.name == name).resources
    spec = next(s.spec for s in stacks if s.spec.name == name)
    spec = StackSpec(
        spec.name, spec.kind, spec.phase, spec.account_id, spec.config.model_copy(update=config)
    )
    return render_stack(spec, earlier_outputs={s.spec.name: s.outputs for s in stacks}).resources


def identity(**overrides: Any) -> list[RecordedResource]:
    """Record a GatewayIdentity with defaults for a test, ``overrides`` applied."""
    args: dict[str, Any] = {
        "account_id": ACCOUNT,
        "partition": "aws",
        "role_name": "akeyless-gateway",
        "path": "/akeyless/",
        "policy": POLICY,
        "tags": {"owner": "platform"},
    } | overrides
    return record(lambda: GatewayIdentity("gw", GatewayIdentityArgs(**args)))


def test_gateway_identity_for_ec2() -> None:
    resources = identity()
    component = one(resources, "akeyless-gateway:iam:GatewayIdentity")
    role = one(resources, "aws:iam/role:Role")
    assert component.name == "gw" and role.parent == "gw" and role.name == "gw-role"
    assert role.raw_inputs["name"] == "akeyless-gateway"
    assert role.raw_inputs["path"] == "/akeyless/"
    assert role.raw_inputs["tags"] == {"owner": "platform"}
    assert "permissionsBoundary" not in role.raw_inputs
    trust = json.loads(role.raw_inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    policy = one(resources, "aws:iam/rolePolicy:RolePolicy")
    assert json.loads(policy.raw_inputs["policy"]) == POLICY
    assert policy.raw_inputs["role"] == "akeyless-gateway"
    profile = one(resources, "aws:iam/instanceProfile:InstanceProfile")
    assert profile.raw_inputs["role"] == "akeyless-gateway"
    assert profile.raw_inputs["path"] == "/akeyless/"


def test_gateway_identity_for_ecs_has_no_instance_profile() -> None:
    resources = identity(
        compute="ecs", permissions_boundary_arn="arn:aws:iam::123456789012:policy/boundary"
    )
    assert by_type(resources, "aws:iam/instanceProfile:InstanceProfile") == []
    role = one(resources, "aws:iam/role:Role")
    assert role.raw_inputs["permissionsBoundary"] == "arn:aws:iam::123456789012:policy/boundary"
    trust = json.loads(role.raw_inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}


def test_member_access_role_trust_carries_the_external_id_as_a_secret() -> None:
    resources = record(
        lambda: MemberAccessRole(
            "m",
            MemberAccessRoleArgs(
                role_name="member",
                hub_gateway_role_arn=HUB_ROLE,
                external_id=pulumi.Output.from_input("ext-42"),
                policy=None,
            ),
        )
    )
    role = one(resources, "aws:iam/role:Role")
    trust = json.loads(role.raw_inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Condition"] == {"StringEquals": {"sts:ExternalId": "ext-42"}}
    assert trust["Statement"][0]["Principal"] == {"AWS": HUB_ROLE}
    assert "ext-42" not in json.dumps(role.inputs)  # masked in what a render shows
    assert by_type(resources, "aws:iam/rolePolicy:RolePolicy") == []  # nothing enabled


def provider_of(resources: list[RecordedResource]) -> dict[str, Any]:
    return one(resources, "pulumi:providers:aws").raw_inputs


def test_hub_stack(centralized_org: OrgDeployment) -> None:
    resources = stack(centralized_org, "hub")
    provider = provider_of(resources)
    assert json.loads(provider["allowedAccountIds"]) == ["222222222222"]
    assert json.loads(provider["assumeRoles"]) == [
        {
            "roleArn": "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole",
            "sessionName": "akeyless-gateway-deployment",
        }
    ]
    assert provider["region"] == "us-east-1"
    for resource in resources:
        if resource.type.startswith("aws:"):
            assert resource.provider_account == "222222222222", resource.name
    assert one(resources, "akeyless-gateway:centralized:Hub").name == "hub"
    policy = json.loads(one(resources, "aws:iam/rolePolicy:RolePolicy").raw_inputs["policy"])
    assert policy["Statement"][0]["Resource"] == [
        "arn:aws:iam::*:role/akeyless/akeyless-gateway-member"
    ]


def test_member_stack_trusts_only_the_hub_role_with_the_generated_external_id(
    centralized_org: OrgDeployment,
) -> None:
    resources = stack(centralized_org, "member-444444444444")
    provider = provider_of(resources)
    assert json.loads(provider["allowedAccountIds"]) == ["444444444444"]
    role = one(resources, "aws:iam/role:Role")
    assert role.provider_account == "444444444444"
    assert role.raw_inputs["name"] == "akeyless-gateway-member"
    assert role.raw_inputs["tags"]["environment"] == "staging"
    (statement,) = json.loads(role.raw_inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"AWS": HUB_ROLE}
    # The External ID is the output of the step that reads it from Akeyless.
    generated = "<member-444444444444-external-id.external_id: known after deploy>"
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": generated}}
    policy = json.loads(one(resources, "aws:iam/rolePolicy:RolePolicy").raw_inputs["policy"])
    assert {s["Sid"] for s in policy["Statement"]} >= {"DynamicSecretAssumeRoles", "UscSecrets"}


def test_a_stack_config_that_breaks_the_site_rules_is_a_clear_error(
    centralized_org: OrgDeployment,
) -> None:
    with pytest.raises(RenderError, match="vpc_id: required when compute is ec2"):
        stack(centralized_org, "hub", vpc_id=None)


def test_distributed_account_stack(distributed_org: OrgDeployment) -> None:
    resources = stack(distributed_org, "account-333333333333")
    assert json.loads(provider_of(resources)["allowedAccountIds"]) == ["333333333333"]
    assert one(resources, "akeyless-gateway:distributed:Account").parent is None
    (role,) = [
        r for r in by_type(resources, "aws:iam/role:Role") if r.name.endswith("-gateway-role")
    ]
    assert role.parent == "account-333333333333-gateway"
    trust = json.loads(role.raw_inputs["assumeRolePolicy"])
    assert trust["Statement"][1]["Condition"] == {
        "ArnEquals": {
            "aws:PrincipalArn": "arn:aws:iam::333333333333:role/akeyless/akeyless-gateway"
        }
    }
    (policy_resource,) = [
        r for r in by_type(resources, "aws:iam/rolePolicy:RolePolicy") if "-gateway-" in r.name
    ]
    policy = json.loads(policy_resource.raw_inputs["policy"])
    assert policy["Statement"][-1] == {
        "Sid": "GatewaySelfAssume",
        "Effect": "Allow",
        "Action": ["sts:AssumeRole"],
        "Resource": ["arn:aws:iam::333333333333:role/akeyless/akeyless-gateway"],
    }
    assert by_type(resources, "aws:iam/instanceProfile:InstanceProfile") == []  # runs on ecs


def test_no_resource_uses_the_ambient_default_provider(
    centralized_org: OrgDeployment, distributed_org: OrgDeployment
) -> None:
    for org in (centralized_org, distributed_org):
        for rendered_stack in rendered(org):
            for resource in rendered_stack.resources:
                if resource.type.startswith("pulumi:providers:"):
                    continue
                provider = resource.provider_ref.split("::")[-2] if resource.provider_ref else ""
                assert "default" not in provider, resource.name
                if resource.type.startswith("aws:"):
                    assert resource.provider_account == rendered_stack.spec.account_id


def test_org_stack_has_no_aws_resources(distributed_org: OrgDeployment) -> None:
    resources = stack(distributed_org, "org")
    assert not [r for r in resources if r.type.startswith(("aws:", "pulumi:providers:aws"))]


def test_a_gateway_account_missing_from_the_org_stack_is_named() -> None:
    from akeyless_gateway_org.components.stacks import access_id_of

    assert access_id_of({"333333333333": "p-abc123"}, "333333333333") == "p-abc123"
    with pytest.raises(NotYetDeployed, match="no access ID for account 444444444444"):
        access_id_of({"333333333333": "p-abc123"}, "444444444444")


# --- earlier phases not deployed yet -------------------------------------------------


def _names(resources: list[RecordedResource]) -> list[tuple[str, str]]:
    return sorted((r.type, r.name) for r in resources)


@pytest.mark.parametrize(
    ("name", "earlier"),
    [
        ("hub", {}),  # before the first up: the org stack does not exist
        ("hub", {"org": {}}),  # the org stack exists, never updated: no outputs
        ("hub", {"org": {"gatewayAccessIds": {"999999999999": "p-other0"}}}),  # not bound yet
        ("member-333333333333", {"org": {}}),  # no hub stack yet
    ],
)
def test_a_preview_shows_the_plan_when_an_earlier_phase_is_not_deployed(
    centralized_org: OrgDeployment,
    name: str,
    earlier: dict[str, dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    full = next(s for s in rendered(centralized_org) if s.spec.name == name)
    preview = render_stack(full.spec, earlier_outputs=earlier, preview=True)
    assert _names(preview.resources) == _names(full.resources)
    notes = [r.getMessage() for r in caplog.records if NOT_DEPLOYED_NOTE in r.getMessage()]
    assert notes and all(r.levelname == "WARNING" for r in caplog.records if r.message in notes)
    assert len(notes) == len(set(notes))  # one note per missing value


@pytest.mark.parametrize(
    ("earlier", "message"),
    [
        ({}, "the org stack does not exist yet: run `up` on org first"),
        ({"org": {"gatewayAccessIds": {}}}, "no access ID for account 222222222222"),
    ],
)
def test_outside_a_preview_an_earlier_phase_not_deployed_is_a_clear_error(
    centralized_org: OrgDeployment, earlier: dict[str, dict[str, Any]], message: str
) -> None:
    hub = next(s.spec for s in rendered(centralized_org) if s.spec.name == "hub")
    with pytest.raises(RenderError, match=re.escape(message)):
        render_stack(hub, earlier_outputs=earlier)
