"""The Akeyless side under mocks, for both patterns, checked against the provider schema."""

from __future__ import annotations

import base64
import json
import tomllib
from collections.abc import Iterator
from typing import Any

import akeyless
import pytest
from packaging.requirements import Requirement

import akeyless_gateway_org.components.stacks
from akeyless_gateway_org.components.akeyless_api import AkeylessApiError, login_token
from akeyless_gateway_org.components.akeyless_dynamic import (
    EXTERNAL_ID_TYPE,
    GATEWAY_HEALTH_TYPE,
    _ExternalIdProvider,
    _GatewayHealthProvider,
    _RotationScheduleProvider,
)
from akeyless_gateway_org.components.akeyless_login import login_of
from akeyless_gateway_org.components.akeyless_objects import (
    GATEWAY_CLOUD_IDENTITY_ACCESS_KEY_ID,
)
from akeyless_gateway_org.components.akeyless_sdk import load_schema
from akeyless_gateway_org.components.stacks import (
    access_id_of,
    checked_output,
    checked_url,
    rotated_secret_keys,
)
from akeyless_gateway_org.config.fields import AkeylessAccessId
from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.stack_config import (
    ROTATED_SECRETS_KEY,
    SETTINGS_KEY,
    MemberStackConfig,
    parse_stack_config,
    stack_config_entries,
)
from akeyless_gateway_org.config.stacks import StackSpec
from akeyless_gateway_org.config.validation import ConfigError
from akeyless_gateway_org.project import PROJECT_DIR
from akeyless_gateway_org.review.render import (
    OPERATOR_SECRET,
    RecordedResource,
    StackRender,
    after_deploy,
    config_strings,
    render_stack,
    with_operator_secrets,
)
from tests.fake_akeyless import FakeAkeyless, running_fake_akeyless
from tests.test_components import by_type, one, rendered, stack

TARGET = "akeyless:index/targetAws:TargetAws"
AUTH_METHOD = "akeyless:index/authMethodAwsIam:AuthMethodAwsIam"
ROLE = "akeyless:index/role:Role"
ASSOCIATION = "akeyless:index/associateRoleAuthMethod:AssociateRoleAuthMethod"
ALLOWED_ACCESS = "akeyless:index/gatewayAllowedAccess:GatewayAllowedAccess"
DYNAMIC = "akeyless:index/dynamicSecretAws:DynamicSecretAws"
ROTATED = "akeyless:index/rotatedSecretAws:RotatedSecretAws"
USC = "akeyless:index/usc:Usc"
PROVIDER = "pulumi:providers:akeyless"
MEMBER = "member-333333333333"
MEMBER_ROLE_ARN = "arn:aws:iam::333333333333:role/akeyless/akeyless-gateway-member"
HUB_LB = "<hub-compute-lb.dnsName: known after deploy>"
HUB_GATEWAY_API = f"http://{HUB_LB}:8000/api/v2"  # no TLS certificate: plain HTTP


@pytest.fixture
def fake() -> Iterator[FakeAkeyless]:
    with running_fake_akeyless() as server:
        yield server


def akeyless_resources(stacks: list[StackRender]) -> Iterator[RecordedResource]:
    for rendered_stack in stacks:
        for resource in rendered_stack.resources:
            if resource.type.startswith("akeyless:"):
                yield resource


# --- every input in the schema ------------------------------------------------


@pytest.mark.parametrize("org_fixture", ["centralized_org", "distributed_org"])
def test_every_akeyless_input_is_in_the_provider_schema(
    org_fixture: str, request: pytest.FixtureRequest
) -> None:
    org: OrgDeployment = request.getfixturevalue(org_fixture)
    schema = load_schema()["resources"]
    seen = set()
    for resource in akeyless_resources(rendered(org)):
        inputs = schema[resource.type]["inputs"]
        assert set(resource.raw_inputs) <= set(inputs), resource.name
        required = {wire for wire, spec in inputs.items() if spec["required"]}
        assert required <= set(resource.raw_inputs), resource.name
        seen.add(resource.type)
    expected = {TARGET, AUTH_METHOD, ROLE, ASSOCIATION, ALLOWED_ACCESS, DYNAMIC, ROTATED, USC}
    assert seen == expected  # the full object set appears in each example


@pytest.mark.parametrize("org_fixture", ["centralized_org", "distributed_org"])
def test_targets_use_the_gateway_identity_and_never_a_key(
    org_fixture: str, request: pytest.FixtureRequest
) -> None:
    org: OrgDeployment = request.getfixturevalue(org_fixture)
    targets = [r for r in akeyless_resources(rendered(org)) if r.type == TARGET]
    assert len(targets) == len(org.accounts)
    for target in targets:
        assert target.raw_inputs["useGwCloudIdentity"] is True
        assert target.raw_inputs["accessKeyId"] == GATEWAY_CLOUD_IDENTITY_ACCESS_KEY_ID
        assert "accessKey" not in target.raw_inputs
        assert "sessionToken" not in target.raw_inputs


def test_every_object_has_an_explicit_name_under_the_deployment_folder(
    centralized_org: OrgDeployment,
) -> None:
    for resource in akeyless_resources(rendered(centralized_org)):
        if resource.type in (ALLOWED_ACCESS, ASSOCIATION):
            continue
        assert resource.raw_inputs["name"].startswith("/aws-org/"), resource.name


# --- org stack ----------------------------------------------------------------


def test_shared_auth_method_binds_the_hub_gateway_role_and_its_sessions(
    centralized_org: OrgDeployment,
) -> None:
    resources = stack(centralized_org, "org")
    method = one(resources, AUTH_METHOD)
    assert method.raw_inputs["name"] == "/aws-org/auth/gateway"
    assert method.raw_inputs["boundAwsAccountIds"] == ["222222222222"]
    assert method.raw_inputs["boundArns"] == [
        "arn:aws:iam::222222222222:role/akeyless/akeyless-gateway",
        "arn:aws:sts::222222222222:assumed-role/akeyless-gateway/*",
    ]
    assert "stsUrl" not in method.raw_inputs  # the default STS endpoint
    role = one(resources, ROLE)
    assert role.raw_inputs["rules"] == [
        {"capabilities": ["read", "list"], "path": "/aws-org/*", "ruleType": "item-rule"},
        {"capabilities": ["read", "list"], "path": "/aws-org/*", "ruleType": "target-rule"},
    ]
    association = one(resources, ASSOCIATION)
    assert association.raw_inputs == {
        "amName": "/aws-org/auth/gateway",
        "roleName": "/aws-org/roles/gateway",
    }
    provider = one(resources, PROVIDER)
    assert provider.raw_inputs["apiGatewayAddress"] == "https://api.akeyless.io"
    assert provider.raw_inputs["awsIamLogins"] == [{"accessId": "p-deploy0exmpl"}]


def test_per_account_auth_methods_reach_only_their_account(
    distributed_org: OrgDeployment,
) -> None:
    resources = stack(distributed_org, "org")
    methods = {r.raw_inputs["name"]: r.raw_inputs for r in by_type(resources, AUTH_METHOD)}
    assert {name for name in methods if "/auth/gateway" in name} == {
        "/aws-org/auth/gateway-333333333333",
        "/aws-org/auth/gateway-444444444444",
    }
    assert methods["/aws-org/auth/gateway-444444444444"]["boundAwsAccountIds"] == ["444444444444"]
    rules = {r.raw_inputs["name"]: r.raw_inputs["rules"] for r in by_type(resources, ROLE)}
    assert {rule["path"] for rule in rules["/aws-org/roles/gateway-333333333333"]} == {
        "/aws-org/aws/333333333333/*"
    }
    # one per account for its Gateway, one per account for the deployment's login there
    assert len(by_type(resources, ASSOCIATION)) == 4


def test_org_exports_each_gateway_accounts_access_id(distributed_org: OrgDeployment) -> None:
    org = next(s for s in rendered(distributed_org) if s.spec.name == "org")
    assert org.outputs["gatewayAccessIds"] == {
        "333333333333": "<org-gateway-333333333333-auth-method.accessId: known after deploy>",
        "444444444444": "<org-gateway-444444444444-auth-method.accessId: known after deploy>",
    }


# --- gateway stacks -----------------------------------------------------------


def test_hub_waits_for_health_then_manages_allowed_access(centralized_org: OrgDeployment) -> None:
    resources = stack(centralized_org, "hub")
    health = one(resources, GATEWAY_HEALTH_TYPE)
    assert health.raw_inputs["api_url"] == HUB_GATEWAY_API  # the load balancer's
    assert health.raw_inputs["health_url"] == f"http://{HUB_LB}:8080/health"
    assert health.raw_inputs["timeout_seconds"] == 900
    provider = one(resources, PROVIDER)
    assert provider.raw_inputs["apiGatewayAddress"] == HUB_GATEWAY_API
    (allowed,) = by_type(resources, ALLOWED_ACCESS)
    assert allowed.raw_inputs["accessId"] == "p-admins0exmpl"
    assert allowed.raw_inputs["permissions"] == "admin"
    assert allowed.provider_ref.split("::")[-2] == provider.name


def test_gateway_provider_takes_its_url_from_the_health_check(
    centralized_org: OrgDeployment,
) -> None:
    """The provider's address is the health step's output, so it waits for the Gateway.

    A configured URL overrides the load balancer's.
    """
    resources = stack(centralized_org, "hub", gateway_url="http://gw.example:8000/api/v2")
    health = one(resources, GATEWAY_HEALTH_TYPE)
    assert health.raw_inputs["api_url"] == "http://gw.example:8000/api/v2"
    assert health.raw_inputs["health_url"] == "http://gw.example:8080/health"
    provider = one(resources, PROVIDER)
    assert provider.raw_inputs["apiGatewayAddress"] == "http://gw.example:8000/api/v2"
    assert provider.parent == health.parent


def test_member_creates_through_the_hub_gateway_without_managing_it(
    centralized_org: OrgDeployment,
) -> None:
    resources = stack(centralized_org, MEMBER)
    assert one(resources, PROVIDER).raw_inputs["apiGatewayAddress"] == HUB_GATEWAY_API
    assert by_type(resources, ALLOWED_ACCESS) == []
    target = one(resources, TARGET)
    assert target.raw_inputs["roleArn"] == MEMBER_ROLE_ARN
    assert target.raw_inputs["generateExternalId"] is True
    assert target.raw_inputs["name"] == "/aws-org/aws/333333333333/target"


def test_external_id_is_read_from_the_target_into_the_member_trust(
    centralized_org: OrgDeployment,
) -> None:
    resources = stack(centralized_org, MEMBER)
    target = one(resources, TARGET)
    read = one(resources, EXTERNAL_ID_TYPE)
    assert read.raw_inputs["target_name"] == target.raw_inputs["name"]
    assert read.raw_inputs["target_id"] == f"<{target.name}.id: known after deploy>"
    assert read.raw_inputs["api_url"] == HUB_GATEWAY_API
    role = one(resources, "aws:iam/role:Role")
    (statement,) = json.loads(role.raw_inputs["assumeRolePolicy"])["Statement"]
    assert statement["Condition"]["StringEquals"]["sts:ExternalId"] == (
        f"<{read.name}.external_id: known after deploy>"
    )
    # A Pulumi secret that does not exist before deploy: shown as generated, marked secret.
    assert (
        f"<{read.name}.external_id: known after deploy, secret>" in role.inputs["assumeRolePolicy"]
    )


def test_distributed_target_uses_the_local_identity(distributed_org: OrgDeployment) -> None:
    resources = stack(distributed_org, "account-444444444444")
    target = one(resources, TARGET)
    assert "roleArn" not in target.raw_inputs
    assert "generateExternalId" not in target.raw_inputs
    assert by_type(resources, EXTERNAL_ID_TYPE) == []
    provider = one(resources, PROVIDER)
    assert provider.raw_inputs["apiGatewayAddress"] == (
        "http://gateway.staging.example.internal:8000/api/v2"  # eks: the configured URL
    )
    assert "apiKeyLogins" not in provider.raw_inputs  # api_key login from the environment


def test_a_configured_access_key_is_a_secret(centralized_org: OrgDeployment) -> None:
    resources = stack(
        centralized_org,
        "member-555555555555",
        akeyless=centralized_org.akeyless.model_copy(
            update={"login": "api_key", "login_access_id": "p-deployer01"}
        ),
        akeyless_access_key="s3cr3t-key",
    )
    provider = one(resources, PROVIDER)
    assert provider.raw_inputs["apiKeyLogins"] == [
        {"accessId": "p-deployer01", "accessKey": "s3cr3t-key"}
    ]
    assert "s3cr3t-key" not in json.dumps([r.inputs for r in resources])


# --- secrets per capability -----------------------------------------------------


def test_secrets_follow_each_accounts_capabilities(centralized_org: OrgDeployment) -> None:
    resources = stack(centralized_org, "member-555555555555")
    target_name = "/aws-org/aws/555555555555/target"
    dynamic = {r.raw_inputs["accessMode"]: r.raw_inputs for r in by_type(resources, DYNAMIC)}
    assert dynamic["assume_role"]["awsRoleArns"] == (
        "arn:aws:iam::555555555555:role/analytics-readonly"
    )
    assert dynamic["iam_user"]["awsUserPolicies"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert dynamic["iam_user"]["awsUserGroups"] == "akeyless-temporary-users"
    assert dynamic["iam_user"]["awsUserConsoleAccess"] is False
    assert {d["targetName"] for d in dynamic.values()} == {target_name}
    assert {d["region"] for d in dynamic.values()} == {"eu-west-1"}
    rotated = one(resources, ROTATED).raw_inputs
    assert rotated["name"] == "/aws-org/aws/555555555555/rotated/svc-etl"
    assert rotated["apiId"] == "AKIAIOSFODNN7EXAMPLE"
    assert rotated["authenticationCredentials"] == "use-target-creds"
    assert rotated["apiKey"] == OPERATOR_SECRET  # the render's stand-in for the stack's secret
    usc = one(resources, USC).raw_inputs
    assert usc["targetToAssociate"] == target_name
    assert (usc["uscPrefix"], usc["usePrefixAsFilter"]) == ("akeyless/", "true")


def test_disabled_capabilities_create_no_secrets(centralized_org: OrgDeployment) -> None:
    resources = stack(centralized_org, "member-444444444444")
    assert by_type(resources, ROTATED) == []  # not enabled for staging
    assert {r.raw_inputs["accessMode"] for r in by_type(resources, DYNAMIC)} == {
        "iam_user",
        "assume_role",
    }


# --- the deployment steps, against a local Akeyless --------------------------------


def external_id_props(fake: FakeAkeyless, **overrides: Any) -> dict[str, Any]:
    return {
        "api_url": fake.url,
        "target_name": "/aws-org/aws/333333333333/target",
        "target_id": "t-1",
        "account_id": "333333333333",
        "login": "api_key",
        "access_id": "p-deployer01",
        "access_key": "key-1",
        "external_id": None,
    } | overrides


def test_external_id_step_logs_in_and_reads_the_target(fake: FakeAkeyless) -> None:
    fake.api_keys["p-deployer01"] = "key-1"
    fake.add_aws_target("/aws-org/aws/333333333333/target", MEMBER_ROLE_ARN, "gen-ext-333")
    result = _ExternalIdProvider().create(external_id_props(fake))
    assert result.outs is not None and result.outs["external_id"] == "gen-ext-333"
    assert [path for path, _ in fake.requests] == ["/auth", "/target-get-details"]
    assert fake.requests[1][1]["token"] == "t-valid"


def test_external_id_step_takes_the_key_from_the_environment(
    fake: FakeAkeyless, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.api_keys["p-from-env1"] = "env-key"
    fake.add_aws_target("/aws-org/aws/333333333333/target", MEMBER_ROLE_ARN, "gen-ext-env")
    monkeypatch.setenv("AKEYLESS_ACCESS_ID", "p-from-env1")
    monkeypatch.setenv("AKEYLESS_ACCESS_KEY", "env-key")
    props = external_id_props(fake, access_id=None, access_key=None)
    result = _ExternalIdProvider().read("t", props)
    assert result.outs is not None and result.outs["external_id"] == "gen-ext-env"


def test_external_id_step_failure_names_target_and_account(fake: FakeAkeyless) -> None:
    fake.api_keys["p-deployer01"] = "key-1"  # logs in, but the target does not exist
    with pytest.raises(AkeylessApiError) as caught:
        _ExternalIdProvider().create(external_id_props(fake))
    message = str(caught.value)
    assert "/aws-org/aws/333333333333/target" in message and "333333333333" in message
    assert "key-1" not in message


def test_a_refused_login_names_the_access_id_not_the_key(fake: FakeAkeyless) -> None:
    with pytest.raises(AkeylessApiError, match="p-deployer01") as caught:
        _ExternalIdProvider().create(external_id_props(fake, access_key="wrong-key"))
    assert "wrong-key" not in str(caught.value)


def test_aws_iam_login_sends_a_signed_get_caller_identity(
    fake: FakeAkeyless, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIATESTTESTTESTTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "test-session")
    fake.aws_iam_access_ids.add("p-gwdeploy1")
    assert login_token(api_url=fake.url, login="aws_iam", access_id="p-gwdeploy1") == "t-valid"
    (path, body), *_ = fake.requests
    assert (path, body["access-type"]) == ("/auth", "aws_iam")
    request = json.loads(base64.b64decode(body["cloud-id"]))
    assert base64.b64decode(request["sts_request_body"]) == (
        b"Action=GetCallerIdentity&Version=2011-06-15"
    )
    assert "test-secret" not in json.dumps(body)  # signed with, never sent


def test_health_step_waits_for_the_gateway(fake: FakeAkeyless) -> None:
    props = {"api_url": "https://gw:8000/api/v2", "health_url": f"{fake.url}/health"}
    result = _GatewayHealthProvider().create({**props, "timeout_seconds": 5})
    assert result.outs is not None and result.outs["api_url"] == "https://gw:8000/api/v2"


def test_health_step_fails_clearly_on_timeout(fake: FakeAkeyless) -> None:
    fake.health_status = 503
    props = {"api_url": "https://gw:8000/api/v2", "health_url": f"{fake.url}/health"}
    with pytest.raises(AkeylessApiError, match=r"/health did not become healthy within 0.2s"):
        _GatewayHealthProvider().create({**props, "timeout_seconds": 0.2})


def test_steps_are_replaced_when_what_they_check_changes() -> None:
    old = {"api_url": "https://a:8000/api/v2", "health_url": "http://a:8080/health"}
    unchanged = _GatewayHealthProvider().diff("x", old, dict(old))
    assert not unchanged.changes
    moved = _GatewayHealthProvider().diff("x", old, {**old, "api_url": "https://b:8000/api/v2"})
    assert moved.changes and moved.replaces == ["api_url"]
    target = {"api_url": "u", "target_name": "n", "target_id": "1", "target_inputs": "a"}
    renamed = _ExternalIdProvider().diff("x", target, {**target, "target_name": "m"})
    assert renamed.changes and renamed.replaces == ["target_name"]
    schedule = {"secret_name": "s", "rotation_interval": "30", "auto_rotate": "true"}
    longer = _RotationScheduleProvider().diff(
        "x", schedule, {**schedule, "rotation_interval": "45"}
    )
    assert longer.changes and longer.replaces == []


# --- what real Akeyless and the provider require (issue 12) --------------------------


def test_a_rotated_keys_secret_half_is_a_secret_in_and_out(centralized_org: OrgDeployment) -> None:
    """The provider reads api_key back from the rotated value, unmarked (item 6)."""
    resources = stack(
        centralized_org,
        "member-555555555555",
        rotated_access_key_secrets={"svc-etl": "wJalrXUtnFEMI-current"},
    )
    rotated = one(resources, ROTATED)
    assert rotated.raw_inputs["apiKey"] == "wJalrXUtnFEMI-current"
    assert rotated.inputs["apiKey"] == "[secret]"
    assert rotated.additional_secret_outputs == ["apiKey"]
    # Handed over once: the secret is never updated (its provider's update re-sends the
    # pair), every input but its name ignored; RotationSchedule sets the schedule alone.
    assert sorted(rotated.ignore_changes) == sorted(set(rotated.raw_inputs) - {"name"})
    schedule = one(resources, "pulumi-python:dynamic/akeyless_gateway:RotationSchedule")
    assert schedule.raw_inputs["secret_name"] == rotated.raw_inputs["name"]
    assert (schedule.raw_inputs["rotation_interval"], schedule.raw_inputs["auto_rotate"]) == (
        rotated.raw_inputs["rotationInterval"],
        "true",
    )
    assert not {"api_id", "api_key", "apiId", "apiKey"} & set(schedule.raw_inputs)
    assert "wJalrXUtnFEMI-current" not in json.dumps([r.inputs for r in resources])


def test_a_rotated_key_without_its_secret_half_is_a_clear_error(
    centralized_org: OrgDeployment,
) -> None:
    spec = next(s.spec for s in rendered(centralized_org) if s.spec.name == "member-555555555555")
    assert isinstance(spec.config, MemberStackConfig)
    assert spec.config.rotated_access_key_secrets is None  # the org file holds no secret
    with pytest.raises(ConfigError) as caught:
        rotated_secret_keys(spec.config)
    (problem,) = caught.value.problems
    assert problem.path == "rotatedAccessKeySecrets" and "svc-etl" in problem.message
    config = spec.config.model_copy(update={"rotated_access_key_secrets": {"svc-etl": "k"}})
    assert set(rotated_secret_keys(config)) == {"svc-etl"}


def test_the_secret_halves_round_trip_as_one_secure_value(
    centralized_org: OrgDeployment,
) -> None:
    spec = next(s.spec for s in rendered(centralized_org) if s.spec.name == "member-555555555555")
    entries = {e.key: e for e in stack_config_entries(with_operator_secrets(spec).config)}
    secret = entries[ROTATED_SECRETS_KEY]
    assert secret.secret and json.loads(secret.value) == {"svc-etl": OPERATOR_SECRET}
    assert OPERATOR_SECRET not in json.dumps(entries[SETTINGS_KEY].value)  # never plain
    parsed = parse_stack_config(entries[SETTINGS_KEY].value, {ROTATED_SECRETS_KEY: secret.value})
    assert isinstance(parsed, MemberStackConfig)
    assert parsed.rotated_access_key_secrets == {"svc-etl": OPERATOR_SECRET}
    assert f"p:{ROTATED_SECRETS_KEY}" not in config_strings(spec, "p")  # unset: left out
    with pytest.raises(ConfigError) as caught:  # the old list form, or any non-object
        parse_stack_config(entries[SETTINGS_KEY].value, {ROTATED_SECRETS_KEY: '["svc-etl=k"]'})
    (problem,) = caught.value.problems
    assert problem.path == ROTATED_SECRETS_KEY and "svc-etl=k" not in str(problem)
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(
            {**entries[SETTINGS_KEY].value, "rotated_access_key_secrets": {"svc-etl": "k"}}
        )
    assert [p.path for p in caught.value.problems] == ["settings.rotated_access_key_secrets"]


def test_each_allowed_access_entry_has_one_source(centralized_org: OrgDeployment) -> None:
    """Seeded at start or managed, never both under one name (item 7)."""
    admins = ("p-admins0exmpl", "p-deploy0exmpl")  # the deployer is an admin too
    resources = stack(
        centralized_org,
        "hub",
        akeyless=centralized_org.akeyless.model_copy(update={"admin_access_ids": admins}),
    )
    template = one(resources, "aws:ec2/launchTemplate:LaunchTemplate")
    script = base64.b64decode(template.raw_inputs["userData"]).decode()
    seed = next(line for line in script.splitlines() if line.startswith("ALLOWED_ACCESS_"))
    seeded = {entry["name"]: entry["access_id"] for entry in json.loads(seed.split("=", 1)[1])}
    managed = {
        r.raw_inputs["name"]: r.raw_inputs["accessId"] for r in by_type(resources, ALLOWED_ACCESS)
    }
    assert seeded == {"admin-p-deploy0exmpl": "p-deploy0exmpl"}  # the deployment itself
    assert managed == {"admin-p-admins0exmpl": "p-admins0exmpl"}
    assert not set(seeded) & set(managed)


def test_the_external_id_is_read_again_whenever_the_target_changes(
    centralized_org: OrgDeployment, fake: FakeAkeyless
) -> None:
    """The provider re-sends generate_external_id on every target update (item 8)."""
    before = one(stack(centralized_org, MEMBER), EXTERNAL_ID_TYPE).raw_inputs
    moved = one(stack(centralized_org, MEMBER, regions=("eu-west-1",)), EXTERNAL_ID_TYPE)
    after = moved.raw_inputs
    assert before["target_name"] == after["target_name"]
    assert before["target_inputs"] != after["target_inputs"]  # the target's region changed
    old = external_id_props(fake, target_inputs=before["target_inputs"], external_id="gen-1")
    new = external_id_props(fake, target_inputs=after["target_inputs"])
    diff = _ExternalIdProvider().diff("t", old, new)
    assert diff.changes and not diff.replaces  # updated in place: read again
    fake.api_keys["p-deployer01"] = "key-1"
    fake.add_aws_target("/aws-org/aws/333333333333/target", MEMBER_ROLE_ARN, "gen-2")
    updated = _ExternalIdProvider().update("t", old, new)
    assert updated.outs is not None and updated.outs["external_id"] == "gen-2"
    assert not _ExternalIdProvider().diff("t", old, {**old}).changes


@pytest.mark.parametrize(
    ("region", "sts"),
    [
        ("us-gov-west-1", "https://sts.us-gov-west-1.amazonaws.com"),
        ("cn-north-1", "https://sts.cn-north-1.amazonaws.com.cn"),
    ],
)
def test_the_auth_method_uses_the_regional_sts_outside_the_aws_partition(
    distributed_org: OrgDeployment, region: str, sts: str
) -> None:
    """GovCloud and China have no global STS endpoint (item 9)."""
    spec = next(s.spec for s in rendered(distributed_org) if s.spec.name == "org")
    config = spec.config.model_copy(update={"regions": (region,)})
    org_stack = render_stack(
        StackSpec(spec.name, spec.kind, spec.phase, spec.account_id, config)
    ).resources
    assert {r.raw_inputs["stsUrl"] for r in by_type(org_stack, AUTH_METHOD)} == {sts}
    partition = "aws-us-gov" if region.startswith("us-gov") else "aws-cn"
    assert all(
        arn.startswith(f"arn:{partition}:")
        for r in by_type(org_stack, AUTH_METHOD)
        for arn in r.raw_inputs["boundArns"]
    )


def test_inputs_the_provider_cannot_update_replace_the_object(
    centralized_org: OrgDeployment,
) -> None:
    """resource_usc.go and resource_assoc_role_am.go refuse these updates (item 10)."""
    usc = one(stack(centralized_org, MEMBER), USC)
    assert usc.replace_on_changes == ["targetToAssociate", "uscPrefix", "usePrefixAsFilter"]
    assert usc.delete_before_replace  # the replacement keeps the unique name
    association = one(stack(centralized_org, "org"), ASSOCIATION)
    assert association.replace_on_changes == ["roleName", "amName"]


@pytest.mark.parametrize(
    "bad", ["p-abc123\nGATEWAY_ACCESS_TYPE=access_key", "", "admin", {"nested": "p-abc123def"}]
)
def test_an_earlier_phases_access_id_is_checked(bad: Any) -> None:
    """An access ID reaches user data and the container environment (item 14)."""
    with pytest.raises(ValueError, match="gatewayAccessIds output for account 222222222222"):
        access_id_of({"222222222222": bad}, "222222222222")


@pytest.mark.parametrize("bad", ["gw:8000/api/v2", "ftp://gw/api", "https://gw host:8000/", ""])
def test_an_earlier_phases_url_is_checked(bad: str) -> None:
    with pytest.raises(ValueError, match="hub stack's gatewayUrl output must be an http"):
        checked_url(bad, "hub", "gatewayUrl")


def test_the_gateway_stack_checks_the_access_id_it_reads(
    centralized_org: OrgDeployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Observed rather than forged: see the next test."""
    checked: list[tuple[Any, str]] = []

    def spy(access_ids: Any, account_id: str) -> str:
        checked.append((access_ids, account_id))
        return access_id_of(access_ids, account_id)

    monkeypatch.setattr(akeyless_gateway_org.components.stacks, "access_id_of", spy)
    stack(centralized_org, "hub", tags={"fresh": "render"})  # an override renders anew
    (ids, account), *_ = checked
    assert account == "222222222222"
    assert ids == rendered(centralized_org)[0].outputs["gatewayAccessIds"]


def test_a_member_stack_checks_the_urls_it_reads(
    centralized_org: OrgDeployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Observed rather than forged (the check itself is tested above): programs failing
    half-way in this process made CPython 3.11.7 raise "AST constructor recursion depth
    mismatch" on a later import, so these wiring tests do not fail a program."""
    checked: list[tuple[str, str, str]] = []

    def spy(url: Any, stack_name: str, output: str) -> str:
        checked.append((stack_name, output, url))
        return checked_url(url, stack_name, output)

    monkeypatch.setattr(akeyless_gateway_org.components.stacks, "checked_url", spy)
    stack(centralized_org, MEMBER, tags={"fresh": "render"})  # an override renders anew
    assert sorted(checked) == [
        ("hub", "gatewayHealthUrl", f"http://{HUB_LB}:8080/health"),
        ("hub", "gatewayUrl", HUB_GATEWAY_API),
    ]


def test_the_renders_placeholders_are_what_the_output_checks_let_through() -> None:
    assert checked_output(after_deploy("org-auth", "accessId"), AkeylessAccessId, "x")
    url = f"https://{after_deploy('hub-lb', 'dnsName')}:8000/api/v2"
    assert checked_url(url, "hub", "gatewayUrl") == url


def test_the_sdk_floor_has_the_external_id_field() -> None:
    """gw_cloud_identity_external_id_opt appears in akeyless 5.0.5 (item 11)."""
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]
    (requirement,) = [
        Requirement(r) for r in project["dependencies"] if Requirement(r).name == "akeyless"
    ]
    assert not requirement.specifier.contains("5.0.4")
    assert requirement.specifier.contains("5.0.5")
    assert "gw_cloud_identity_external_id_opt" in akeyless.AWSTargetDetails.attribute_map


def test_the_environment_may_not_log_in_as_another_access_id(
    distributed_org: OrgDeployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Gateways allow login_access_id; the provider would log in as the variable."""
    config = next(s.spec for s in rendered(distributed_org) if s.spec.name == "org").config
    monkeypatch.setenv("AKEYLESS_ACCESS_ID", "p-someone0else")
    with pytest.raises(ConfigError, match="AKEYLESS_ACCESS_ID is p-someone0else"):
        login_of(config)
    monkeypatch.setenv("AKEYLESS_ACCESS_ID", "p-deploy0exmpl")
    assert login_of(config).access_id == "p-deploy0exmpl"
