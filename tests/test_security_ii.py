"""Issue 21 (Security II), one test per finding; each fails on the code before the fix.

1 the deployer's login and gateway_url, 2 every way in holds the same rules, 3 privileged
grants, 4 the PR comment, 5 text from the org file, 6 the live preview, 7 group membership
(tests/test_cloudsplaining.py), 8 bounds.
"""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from akeyless_gateway_org.components.akeyless_api import (
    AkeylessApiError,
    read_generated_external_id,
)
from akeyless_gateway_org.components.akeyless_login import PREVIEW_TOKEN
from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.stack_config import parse_stack_config
from akeyless_gateway_org.config.validation import ConfigError, parse_org
from akeyless_gateway_org.faults import RetryPolicy
from akeyless_gateway_org.policy.rules import Resource, check
from akeyless_gateway_org.review.render import policy_violations, render, render_stack
from akeyless_gateway_org.run.orchestrator import DeploymentEvent, DeploymentRequest, run_deployment
from akeyless_gateway_org.run.progress import LiveProgress
from tests.conftest import CENTRALIZED_EXAMPLE, DISTRIBUTED_EXAMPLE, example_document, run_orgctl
from tests.fake_akeyless import running_fake_akeyless

WORKFLOWS = Path(__file__).resolve().parent.parent / ".github" / "workflows"
CERTIFICATE = "arn:aws:acm:us-east-1:222222222222:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"


def problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_org(data, "org.yaml")
    return {problem.path: problem.message for problem in caught.value.problems}


def stack_problems(settings: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(settings)
    return str(caught.value)


def example() -> dict[str, Any]:
    return copy.deepcopy(example_document())


MEMBER: dict[str, Any] = {
    "stack_kind": "member",
    "pattern": "centralized",
    "account_id": "333333333333",
    "management_account_id": "111111111111",
    "hub_account_id": "222222222222",
    "akeyless": {"login_access_id": "p-deploy0exmpl"},
    "tags": {"owner": "platform-security"},
}
HUB: dict[str, Any] = {
    "stack_kind": "hub",
    "pattern": "centralized",
    "account_id": "222222222222",
    "management_account_id": "111111111111",
    "hub_account_id": "222222222222",
    "akeyless": {"login_access_id": "p-deploy0exmpl"},
    "gateway": {"allowed_cidrs": ["10.0.0.0/8"]},
    "tags": {"owner": "platform-security"},
    "vpc_id": "vpc-0a1b2c3d4e5f60718",
    "subnets": {"subnet-0a1b2c3d4e5f60001": "us-east-1a", "subnet-0a1b2c3d4e5f60002": "us-east-1b"},
    "tls_certificate_arn": CERTIFICATE,
}


# --- 1: the deployer's login reaches only Gateways the deployer allows, over TLS ---------


def test_a_gateway_url_outside_the_deployers_list_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AKEYLESS_GATEWAY_ORG_GATEWAY_HOSTS", "gateway.corp.example")
    data = example()
    data["hub"] |= {
        "tls_certificate_arn": CERTIFICATE,
        "gateway_url": "https://collector.attacker.example:8000/api/v2",
    }
    found = problems(data)
    assert "not a Gateway the deployer allows" in found["hub.gateway_url"]
    data["hub"]["gateway_url"] = "https://gateway.corp.example:8000/api/v2"
    data["hub"]["gateway_health_url"] = "http://collector.attacker.example:8080/health"
    assert "not a Gateway the deployer allows" in problems(data)["hub.gateway_health_url"]


def test_the_login_is_never_sent_in_clear_without_the_lab_key() -> None:
    data = example()
    del data["akeyless"]["allow_plaintext_gateway_login_in_lab"]
    assert "in clear" in problems(data)["hub.tls_certificate_arn"]
    data["hub"]["tls_certificate_arn"] = CERTIFICATE  # TLS at the load balancer: https,
    data["hub"]["gateway_url"] = "https://gw.example:8000/api/v2"  # on a name it covers
    assert isinstance(parse_org(data), OrgDeployment)


def test_a_member_logs_in_at_the_hub_only_over_tls_unless_the_lab_says_so() -> None:
    from akeyless_gateway_org.components.stacks import login_url

    region = "us-east-1"
    plain = "http://internal-hub-lb.elb.us-east-1.amazonaws.com:8000/api/v2"
    with pytest.raises(ValueError, match="in clear"):
        login_url(plain, "hub", "gatewayUrl", allow_plaintext_in_lab=False, region=region)
    assert login_url(plain, "hub", "gatewayUrl", allow_plaintext_in_lab=True, region=region) == (
        plain
    )
    secure = plain.replace("http://", "https://")
    assert login_url(secure, "hub", "gatewayUrl", allow_plaintext_in_lab=False, region=region) == (
        secure
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://attacker.example:8000/api/v2",
        "https://hub-lb.elb.eu-west-1.amazonaws.com:8000/api/v2",  # another region's
        "https://hub-lb.elb.us-east-1.amazonaws.com.attacker.example:8000/api/v2",
    ],
)
def test_a_member_refuses_a_hub_url_whose_host_the_deployer_does_not_allow(url: str) -> None:
    """The hub's gatewayUrl comes from the hub's state, not from validated config: whoever
    can write that state must not be able to point the members' logins elsewhere."""
    from akeyless_gateway_org.components.stacks import login_url

    with pytest.raises(ValueError, match="not a Gateway the deployer allows"):
        login_url(url, "hub", "gatewayUrl", allow_plaintext_in_lab=True, region="us-east-1")
    listed = "https://gateway.staging.example.internal:8000/api/v2"  # tests/conftest.py's list
    assert login_url(listed, "hub", "gatewayUrl", allow_plaintext_in_lab=False, region="x") == (
        listed
    )


# The deployer's login never reaches a distributed account's Gateway: each account stack logs
# in as its own bootstrap role, with an access ID that reaches only its account's folder.

DEPLOYER = "p-deploy0exmpl"  # the distributed example's akeyless.login_access_id
AUTH_METHOD = "akeyless:index/authMethodAwsIam:AuthMethodAwsIam"
ROLE = "akeyless:index/role:Role"
PROVIDER = "pulumi:providers:akeyless"


def distributed_org() -> OrgDeployment:
    return parse_org(yaml.safe_load(DISTRIBUTED_EXAMPLE.read_text()), "org.yaml")


def test_each_distributed_account_gets_a_deployer_login_bound_to_its_bootstrap_role() -> None:
    org = next(s for s in render(distributed_org()) if s.spec.name == "org")
    methods = {
        r.raw_inputs["name"]: r.raw_inputs
        for r in org.resources
        if r.type == AUTH_METHOD and "/auth/deployer-" in r.raw_inputs["name"]
    }
    assert set(methods) == {
        "/aws-org/auth/deployer-333333333333",
        "/aws-org/auth/deployer-444444444444",
    }
    method = methods["/aws-org/auth/deployer-444444444444"]
    assert method["boundAwsAccountIds"] == ["444444444444"]
    assert method["boundArns"] == [
        "arn:aws:iam::444444444444:role/OrganizationAccountAccessRole",
        "arn:aws:sts::444444444444:assumed-role/OrganizationAccountAccessRole/*",
    ]
    roles = {r.raw_inputs["name"]: r.raw_inputs for r in org.resources if r.type == ROLE}
    rules = roles["/aws-org/roles/deployer-444444444444"]["rules"]
    assert {(rule["ruleType"], rule["path"]) for rule in rules} == {
        ("item-rule", "/aws-org/aws/444444444444/*"),
        ("target-rule", "/aws-org/aws/444444444444/*"),
    }
    assert {tuple(rule["capabilities"]) for rule in rules} == {
        ("create", "read", "update", "delete", "list")
    }
    assert set(org.outputs["deployerAccessIds"]) == {"333333333333", "444444444444"}
    assert not policy_violations(render(distributed_org()))


def test_the_pack_refuses_a_deployer_role_wider_than_its_account() -> None:
    wide = Resource(
        ROLE,
        "org-deployer-444444444444-role",
        {
            "name": "/aws-org/roles/deployer-444444444444",
            "rules": [{"path": "/aws-org/*", "capabilities": ["create"], "ruleType": "item-rule"}],
        },
    )
    assert [v.rule for v in check(wide)] == ["akeyless-role-within-account-folder"]


def test_a_distributed_accounts_gateway_never_sees_the_deployers_login() -> None:
    stacks = render(distributed_org())
    for account in ("333333333333", "444444444444"):
        rendered_stack = next(s for s in stacks if s.spec.name == f"account-{account}")
        everything = json.dumps([r.inputs for r in rendered_stack.resources])
        assert DEPLOYER not in everything, account
        # its own deployer access ID is what the Gateway allows from its start
        assert f"org-deployer-{account}-auth-method.accessId" in everything
        (provider,) = [r for r in rendered_stack.resources if r.type == PROVIDER]
        assert set(provider.raw_inputs) == {"apiGatewayAddress", "tokenLogins"}


def test_an_account_token_is_signed_by_the_bootstrap_role_session() -> None:
    """What Akeyless does with an AWS IAM login (https://docs.akeyless.io/docs/aws-iam-auth-method):
    it sends the signed GetCallerIdentity to STS and matches the caller's ARN against the
    auth method's bound ARNs. Here STS is moto's, which resolves a session's key to its
    assumed-role ARN as AWS does (moto/sts/models.py, get_caller_identity)."""
    import boto3
    from moto import mock_aws

    from akeyless_gateway_org.components.akeyless_api import login_token

    bootstrap = "arn:aws:iam::444444444444:role/OrganizationAccountAccessRole"
    with mock_aws(), running_fake_akeyless() as fake:
        fake.aws_iam_access_ids.add("p-deployer444")
        token = login_token(
            api_url=fake.url, login="aws_iam", access_id="p-deployer444", signed_as=bootstrap
        )
        assert token == "t-valid"
        ((access_id, key_id),) = fake.aws_iam_logins
        assert access_id == "p-deployer444"
        caller = boto3.client(
            "sts", aws_access_key_id=key_id, aws_secret_access_key="x", region_name="us-east-1"
        ).get_caller_identity()
    assert caller["Arn"] == (
        "arn:aws:sts::444444444444:assumed-role/OrganizationAccountAccessRole/orgctl-akeyless-login"
    )


def test_a_failed_assume_names_the_role_and_logs_in_nowhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from akeyless_gateway_org.components.akeyless_api import login_token

    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no AWS identity, or no STS
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    with running_fake_akeyless() as fake:
        with pytest.raises(
            AkeylessApiError,
            match=r"cannot assume arn:aws:iam::444444444444:role/OrganizationAccountAccessRole \(",
        ):
            login_token(
                api_url=fake.url,
                login="aws_iam",
                access_id="p-deployer444",
                signed_as="arn:aws:iam::444444444444:role/OrganizationAccountAccessRole",
                retry=RetryPolicy(attempts=1, backoff_seconds=0, max_backoff_seconds=0),
            )
        assert not [route for route, _ in fake.requests if route == "/auth"]


def test_a_preview_plans_with_the_last_token_and_the_render_never_logs_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_login(**_: Any) -> str:
        raise AssertionError("the program logged in outside an up")

    monkeypatch.setattr("akeyless_gateway_org.components.akeyless_login.login_token", no_login)
    org = distributed_org()
    stacks = render(org)
    account = next(s for s in stacks if s.spec.name == "account-444444444444")
    preview = render_stack(
        account.spec, earlier_outputs={s.spec.name: s.outputs for s in stacks}, preview=True
    )
    (provider,) = [r for r in preview.resources if r.type == PROVIDER]
    assert provider.raw_inputs["tokenLogins"] == [{"token": PREVIEW_TOKEN}]
    assert provider.ignore_changes == ["tokenLogins"]


def test_an_external_id_that_sts_would_not_take_never_reaches_a_trust() -> None:
    target = "/aws-org/aws/333333333333/target"
    role = "arn:aws:iam::333333333333:role/akeyless/akeyless-gateway-member"
    with running_fake_akeyless() as fake:
        fake.add_aws_target(target, role, 'x", "Principal": "*')
        with pytest.raises(AkeylessApiError, match="not an External ID STS accepts"):
            read_generated_external_id(
                api_url=fake.url, token="t-valid", target_name=target, account_id="333333333333"
            )


# --- 2: a hand-written stack file and a portal's request hold the org file's rules --------


def test_a_hand_written_hub_needs_the_organization_id() -> None:
    settings = {**HUB, "akeyless": {**HUB["akeyless"]}}
    assert "organization_id: required for the centralized pattern" in stack_problems(settings)


def test_a_hand_written_distributed_org_stack_is_per_account_by_default() -> None:
    config = parse_stack_config(
        {
            "stack_kind": "org",
            "pattern": "distributed",
            "account_id": "111111111111",
            "management_account_id": "111111111111",
            "gateway_account_ids": ["333333333333", "444444444444"],
            "akeyless": {"login_access_id": "p-deploy0exmpl"},
        }
    )
    assert config.akeyless.auth_method_scope == "per_account"


@pytest.mark.parametrize(
    "capabilities,fragment",
    [
        (
            {
                "dynamic_iam_user": {
                    "enabled": True,
                    "policy_arns": ["arn:aws:iam::aws:policy/AdministratorAccess"],
                }
            },
            "administrator-like policy",
        ),
        (
            {"dynamic_iam_user": {"enabled": True, "group_names": ["Admins"]}},
            "looks privileged",
        ),
        (
            {
                "dynamic_assume_role": {
                    "enabled": True,
                    "role_arns": ["arn:aws:iam::444444444444:role/app-readonly"],
                }
            },
            "outside account 333333333333",
        ),
        (
            {
                "dynamic_assume_role": {
                    "enabled": True,
                    "role_arns": ["arn:aws:iam::333333333333:role/OrganizationAccountAccessRole"],
                }
            },
            "administrator-like role",
        ),
    ],
)
def test_a_hand_written_member_gets_no_privileged_or_foreign_grant(
    capabilities: dict[str, Any], fragment: str
) -> None:
    assert fragment in stack_problems({**MEMBER, **capabilities})


def test_a_portals_own_model_holds_the_same_rules() -> None:
    data = example()
    data["default_capabilities"]["dynamic_iam_user"]["policy_arns"] = [
        "arn:aws:iam::aws:policy/job-function/SystemAdministrator"
    ]
    org = OrgDeployment.model_validate(data)  # a portal's request, never through parse_org

    class NoRunner:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"the runner was used ({name}) before the rules held")

    with pytest.raises(ConfigError, match="SystemAdministrator is an administrator-like"):
        run_deployment(DeploymentRequest(org, "up"), runner=NoRunner())


def policy(*statements: dict[str, Any]) -> Resource:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return Resource("aws:iam/rolePolicy:RolePolicy", "hub-policy", {"policy": json.dumps(document)})


def rules_broken(resource: Resource) -> set[str]:
    return {violation.rule for violation in check(resource)}


def test_the_pack_catches_assume_role_in_any_account_without_the_org_condition() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": "arn:aws:iam::*:role/akeyless/akeyless-gateway-member",
    }
    assert "assume-role-within-organization" in rules_broken(policy(statement))
    scoped = {**statement, "Condition": {"StringEquals": {"aws:ResourceOrgID": "o-a1b2c3d4e5"}}}
    assert "assume-role-within-organization" not in rules_broken(policy(scoped))


def test_the_pack_catches_an_account_role_wider_than_its_folder() -> None:
    role = Resource(
        "akeyless:index/role:Role",
        "org-gateway-333333333333-role",
        {
            "name": "/aws-org/roles/gateway-333333333333",
            "rules": [{"capabilities": ["read", "list"], "path": "/aws-org/*"}],
        },
    )
    assert "akeyless-role-within-account-folder" in rules_broken(role)


# --- 3: privileged grants --------------------------------------------------------------


@pytest.mark.parametrize(
    "policy_name",
    [
        "job-function/SystemAdministrator",
        "AWSCodeBuildAdminAccess",
        "SecretsManagerReadWrite",
        "AWSKeyManagementServicePowerUser",
    ],
)
def test_aws_managed_admin_equivalents_are_refused(policy_name: str) -> None:
    data = example()
    data["default_capabilities"]["dynamic_iam_user"]["policy_arns"] = [
        f"arn:aws:iam::aws:policy/{policy_name}"
    ]
    found = problems(data)
    assert any("administrator-like policy" in message for message in found.values()), found


@pytest.mark.parametrize(
    "role",
    [
        "cdk-hnb659fds-cfn-exec-role-333333333333-us-east-1",
        "stacksets-exec-1a2b3c",
        "AWSAFTExecution",
    ],
)
def test_deployment_execution_roles_are_refused(role: str) -> None:
    data = example()
    data["accounts"][0]["capabilities"]["dynamic_assume_role"]["role_arns"] = [
        f"arn:aws:iam::333333333333:role/{role}"
    ]
    assert "administrator-like role" in " ".join(problems(data).values())


def test_a_rotated_admin_user_is_refused() -> None:
    data = example()
    data["accounts"][2]["capabilities"]["rotated_access_keys"]["access_keys"] = {
        "break-glass-admin": "AKIAIOSFODNN7EXAMPLE"
    }
    assert "user break-glass-admin looks privileged" in " ".join(problems(data).values())


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        {"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": "*"},
    ],
)
def test_a_known_document_granting_admin_is_a_violation(statement: dict[str, Any]) -> None:
    assert "no-privileged-identity-policies" in rules_broken(policy(statement))


# --- 4: the PR comment is built by base-branch code and says whose code computed it ------


def test_the_comment_is_built_by_the_trusted_job_and_labelled(tmp_path: Path) -> None:
    # A render.json as `orgctl render` writes it (review/render.py, render_json), small.
    render = {
        "summary": {"akeyless_sdk": "schema"},
        "stacks": [
            {
                "name": "org",
                "kind": "org",
                "account": "111111111111",
                "resources": [
                    {
                        "type": "akeyless:index/role:Role",
                        "name": "org-gateway-role",
                        "parent": None,
                        "provider_account": None,
                        "inputs": {"name": "/aws-org/roles/gateway"},
                    }
                ],
            }
        ],
    }
    (tmp_path / "render.json").write_text(json.dumps(render), encoding="utf-8")
    head = "0123456789abcdef0123456789abcdef01234567"
    result = run_orgctl(
        "pr-comment",
        "--render",
        str(tmp_path / "render.json"),
        "--head-sha",
        head,
        "--out",
        str(tmp_path / "comment.md"),
        home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "comment.md").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "<!-- akeyless-gateway-org:preview -->"
    assert lines[1].startswith(f"> Computed from the pull request's own code (commit `{head}`)")
    workflow = yaml.safe_load((WORKFLOWS / "pr-comment.yml").read_text(encoding="utf-8"))
    runs = " ".join(
        str(step.get("run", "")) for job in workflow["jobs"].values() for step in job["steps"]
    )
    assert "orgctl pr-comment" in runs


# --- 5: text from the org file --------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["prod\x1b[32m APPROVED", "prod\rAPPROVED", "nul\x00", "\x1b]52;c;ZXZpbA==\x07", "a\u202eb"],
)
def test_account_names_are_printable_text(name: str) -> None:
    data = example()
    data["accounts"][0]["name"] = name
    assert "must be printable text" in problems(data)["accounts[0].name"]


def test_the_live_view_never_hands_a_control_character_to_the_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=False, color_system=None)
    with LiveProgress(console) as live:
        live(
            DeploymentEvent(
                "failed",
                stack="member-333333333333",
                kind="member",
                account="333333333333",
                account_name="prod\x1b]52;c;ZXZpbA==\x07",
                error="error: \x1b[32mAPPROVED\r",
            )
        )
    text = out.getvalue()
    assert "\x1b" not in text and "\r" not in text and "\x07" not in text
    assert "\\x1b" in text  # shown, escaped


# --- 6: the live preview ----------------------------------------------------------------


def test_the_live_preview_installs_the_lock_reads_the_base_org_file_and_drops_its_label() -> None:
    live = yaml.safe_load((WORKFLOWS / "live-preview.yml").read_text(encoding="utf-8"))
    preview = live["jobs"]["preview"]
    runs = [str(step.get("run", "")) for step in preview["steps"]]
    install = next(run for run in runs if "pulumi install" in run)
    assert "--require-hashes -r requirements.lock" in install
    assert "pulumi install --no-dependencies" in install
    assert install.index("--require-hashes") < install.index("pulumi install")
    assert any('--config "base/$ORG_CONFIG"' in run for run in runs)
    assert (
        preview["if"]
        == "github.event.action == 'labeled' && github.event.label.name == 'live-preview'"
    )
    unlabel = live["jobs"]["unlabel"]
    assert "synchronize" in unlabel["if"]
    assert "removeLabel" in unlabel["steps"][0]["with"]["script"]


def test_the_preview_role_cannot_be_the_bootstrap_role() -> None:
    data = example()
    data["preview_role_name"] = data["bootstrap_role_name"]
    assert "read-only role" in problems(data)["preview_role_name"]


# --- 8: bounds --------------------------------------------------------------------------


def test_a_hostile_file_gets_a_short_error_that_quotes_through_the_bounded_helper() -> None:
    data = example()
    for index in range(60):
        data[f"\x1b]52;c;{'A' * 5000}{index}"] = 1
    with pytest.raises(ConfigError) as caught:
        parse_org(data, "hostile.yaml")
    message = str(caught.value)
    assert len(message) < 8500
    assert "A" * 100 not in message and "\x1b" not in message


def test_the_accounts_per_org_file_are_limited() -> None:
    data = example()
    data["accounts"] = [{"id": f"{900000000000 + index:012d}"} for index in range(2001)]
    assert "at most 2000" in problems(data)["accounts"]


def test_every_workflow_job_has_a_timeout() -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name, job in document["jobs"].items():
            if "uses" in job:
                # A job calling a reusable workflow takes no timeout-minutes (GitHub docs,
                # "Supported keywords for jobs that call a reusable workflow"): the called
                # workflow's own jobs carry theirs, which this loop checks in its file.
                continue
            assert isinstance(job.get("timeout-minutes"), int), f"{path.name}: {name}"


@pytest.mark.parametrize(
    "where,value",
    [
        (("akeyless", "path"), "/aws-org/.."),
        (("akeyless", "path"), "/aws-org/./x"),
        (("iam", "path"), "/akeyless/../"),
    ],
)
def test_dot_path_segments_are_refused(where: tuple[str, str], value: str) -> None:
    data = example()
    data[where[0]][where[1]] = value
    assert "'.' or '..'" in problems(data)[".".join(where)]


def test_an_ecr_image_from_outside_the_organization_must_be_pinned_by_digest() -> None:
    data = example()
    foreign = "999999999999.dkr.ecr.us-east-1.amazonaws.com/akeyless/gateway:5.0.1"
    data["gateway"]["image"] = foreign
    assert "pin it by digest" in problems(data)["gateway.image"]
    data["gateway"]["image"] = foreign + "@sha256:" + "a" * 64
    assert isinstance(parse_org(data), OrgDeployment)


def test_the_eks_oidc_provider_is_in_the_roles_own_account() -> None:
    data = yaml.safe_load(
        (CENTRALIZED_EXAMPLE.parent / "org.distributed.example.yaml").read_text(encoding="utf-8")
    )
    eks = next(i for i, a in enumerate(data["accounts"]) if a.get("compute") == "eks")
    provider = data["accounts"][eks]["eks_oidc_provider_arn"]
    account = data["accounts"][eks]["id"]
    data["accounts"][eks]["eks_oidc_provider_arn"] = provider.replace(account, "999999999999")
    assert (
        "trusts only its own account's provider"
        in (problems(data)[f"accounts[{eks}].eks_oidc_provider_arn"])
    )


def test_an_account_stack_reads_the_org_stacks_outputs_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its login and its Gateway both need the org stack's outputs: one engine invoke."""
    from akeyless_gateway_org.components.earlier_phase import READ_STACK_OUTPUTS
    from akeyless_gateway_org.review import render as render_module

    reads: list[str] = []
    call = render_module._RenderMocks.call

    def counting(self: Any, args: Any) -> Any:
        if args.token == READ_STACK_OUTPUTS:
            reads.append(str(args.args["name"]))
        return call(self, args)

    stacks = render(distributed_org())
    account = next(s for s in stacks if s.spec.name == "account-444444444444")
    monkeypatch.setattr(render_module._RenderMocks, "call", counting)
    render_stack(account.spec, earlier_outputs={s.spec.name: s.outputs for s in stacks})
    assert [name.split("/")[-1] for name in reads] == ["org"]
