"""``orgctl verify``: the comparison as pure data, and the whole check against a moto server
(IAM, through the preview role) and the local Akeyless server, with the roles, Akeyless
objects and stack outputs made as the deployment makes them; each mutation must be found."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from akeyless_gateway_org.cli import main
from akeyless_gateway_org.components.akeyless_objects import RoleRule
from akeyless_gateway_org.components.gateway_identity import GatewayIdentityArgs
from akeyless_gateway_org.components.member_access_role import MemberAccessRoleArgs
from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.validation import load_org_file
from akeyless_gateway_org.run.orchestrator import (
    DeploymentOptions,
    DeploymentRequest,
    run_deployment,
)
from akeyless_gateway_org.run.protocol import StackFailed
from akeyless_gateway_org.run.pulumi_runner import AutomationRunner
from akeyless_gateway_org.verify.check import akeyless_reader_for, aws_reader_for, verify_org
from akeyless_gateway_org.verify.compare import canonical
from akeyless_gateway_org.verify.expected import expected_org
from akeyless_gateway_org.verify.model import VerifyResult
from tests.conftest import FAKE_PASSPHRASE
from tests.fake_akeyless import FakeAkeyless, running_fake_akeyless
from tests.fake_pulumi import install_fake_pulumi, operations, set_behaviour

ROOT = Path(__file__).resolve().parent.parent
PREVIEW_ROLE = "akeyless-preview"
BOOTSTRAP_ROLE = "OrganizationAccountAccessRole"
DEPLOYER = "p-deploy0exmpl"


# --- pure ----------------------------------------------------------------------


def test_policy_documents_compare_as_iam_reads_them() -> None:
    one = {"Statement": [{"Action": ["sts:AssumeRole"], "Effect": "Allow", "Resource": ["b", "a"]}]}
    other = {
        "Statement": {"Resource": ["a", "b", "a"], "Effect": "Allow", "Action": "sts:AssumeRole"}
    }
    assert canonical(one) == canonical(other)
    assert canonical(one) != canonical({**one, "Statement": [{"Action": "sts:*"}]})


# --- the systems, as the deployment leaves them -------------------------------------


class DictState:
    """The Pulumi state as ``StackRunner.outputs`` answers it (secret outputs masked)."""

    def __init__(self, outputs: dict[str, dict[str, Any]]) -> None:
        self.stacks = outputs
        self.broken: str | None = None
        """When set, the backend fails every read with this message, as the runner does."""

    def existing_stacks(self) -> list[str]:
        if self.broken is not None:
            raise StackFailed(self.broken)
        return list(self.stacks)

    def outputs(self, stack: str) -> Mapping[str, Any]:
        return self.stacks[stack]


@pytest.fixture
def akeyless() -> Iterator[FakeAkeyless]:
    with running_fake_akeyless() as fake:
        fake.aws_iam_access_ids.add(DEPLOYER)
        fake.api_keys[DEPLOYER] = "deploy-key"
        yield fake


def iam_in(account_id: str) -> Any:
    """IAM of ``account_id`` as the deployment reaches it: through the bootstrap role."""
    credentials = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{BOOTSTRAP_ROLE}", RoleSessionName="deploy"
    )["Credentials"]
    return boto3.client(
        "iam",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def make_role(
    account_id: str, args: GatewayIdentityArgs | MemberAccessRoleArgs, trust: Any
) -> None:
    """As ``components.iam_role.role_with_inline_policy`` makes it, from the role's args."""
    iam = iam_in(account_id)
    name, boundary = args.role_name, args.permissions_boundary_arn
    extra = {"PermissionsBoundary": boundary} if boundary else {}
    iam.create_role(
        RoleName=name, Path=args.path, AssumeRolePolicyDocument=json.dumps(trust), **extra
    )
    if args.policy is not None:
        iam.put_role_policy(
            RoleName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(args.policy)
        )


def external_id_of(account_id: str) -> str:
    return f"generated-{account_id}-ext"


def deploy(org: OrgDeployment, fake: FakeAkeyless) -> DictState:
    """What `orgctl up` leaves in IAM, Akeyless and the state, from the same plan."""
    expected = expected_org(org)
    outputs: dict[str, dict[str, Any]] = {}
    for number, auth in enumerate(expected.auths):
        access_id = f"p-gateway{number}"
        plan = auth.plan
        fake.add_aws_iam_auth_method(
            plan.auth_method_name, access_id, list(plan.account_ids), list(plan.bound_arns)
        )
        fake.add_role(
            plan.role_name,
            [(r.rule_type, r.path, list(r.capabilities)) for r in plan.role_rules()],
            [plan.auth_method_name],
        )
        ids = outputs.setdefault("org", {}).setdefault(auth.output, {})
        ids |= {account: access_id for account in plan.account_ids}
    for gateway in expected.gateway_roles:
        make_role(gateway.account_id, gateway.args, gateway.args.trust_policy())
    for target in expected.targets:
        generated = external_id_of(target.account_id)
        fake.add_aws_target(
            target.name,
            target.inputs.get("role_arn"),
            generated if target.inputs.get("generate_external_id") else None,
        )
    for member_role in expected.member_roles:
        trust = member_role.args.trust_policy(external_id_of(member_role.account_id))
        make_role(member_role.account_id, member_role.args, trust)
    for stack in expected.stacks:
        values = outputs.setdefault(stack.stack, {})
        values |= dict(stack.exact)
        for url in stack.urls:
            values.setdefault(url, f"http://gateway-{stack.account_id}.internal:8000/api/v2")
    return DictState(outputs)


def org_of(example: str, fake: FakeAkeyless) -> OrgDeployment:
    org = load_org_file(ROOT / "config" / example)
    akeyless = org.akeyless.model_copy(update={"api_url": fake.url})
    return org.model_copy(update={"preview_role_name": PREVIEW_ROLE, "akeyless": akeyless})


def verify(org: OrgDeployment, state: DictState) -> VerifyResult:
    # boto3's default session: its service models load once for the whole module.
    aws = aws_reader_for(org, session=boto3.DEFAULT_SESSION or boto3.session.Session())
    return verify_org(org, aws=aws, akeyless=akeyless_reader_for(org, "deploy-key"), state=state)


@pytest.mark.parametrize("example", ["org.example.yaml", "org.distributed.example.yaml"])
def test_a_clean_org_agrees(aws: str, akeyless: FakeAkeyless, example: str) -> None:
    org = org_of(example, akeyless)
    result = verify(org, deploy(org, akeyless))
    assert (result.findings, result.unchecked, result.verdict) == ((), (), "agree")
    # Every account's objects were read: its role, its Target and its stack at least.
    assert result.checked >= 3 * len(org.accounts)


def member(org: OrgDeployment) -> str:
    return org.accounts[1].id


def test_the_four_mutations_are_each_found_in_their_own_account(
    aws: str, akeyless: FakeAkeyless
) -> None:
    """A Target deleted (first member), an External ID regenerated in Akeyless (second), a
    trust policy edited by hand in IAM (third), an extra bound ARN on the auth method (the
    org's): one deployment, each mutation in its own account, each found once, nothing else."""
    org = org_of("org.example.yaml", akeyless)
    state = deploy(org, akeyless)
    deleted, regenerated, edited = (account.id for account in org.accounts)
    path = org.akeyless.path

    del akeyless.targets[f"{path}/aws/{deleted}/target"]

    target = akeyless.targets[f"{path}/aws/{regenerated}/target"]
    option = target["value"]["aws_target_details"]["gw_cloud_identity_external_id_opt"]
    option["generated_external_id"] = "regenerated-id"

    iam = iam_in(edited)
    trust = iam.get_role(RoleName="akeyless-gateway-member")["Role"]["AssumeRolePolicyDocument"]
    principal = trust["Statement"][0]["Principal"]
    principal["AWS"] = [principal["AWS"], "arn:aws:iam::999999999999:root"]
    iam.update_assume_role_policy(
        RoleName="akeyless-gateway-member", PolicyDocument=json.dumps(trust)
    )

    auth_method = f"{path}/auth/gateway"
    rules = akeyless.auth_methods[auth_method]["access_info"]["aws_iam_access_rules"]
    rules["arn"].append("arn:aws:iam::999999999999:role/intruder")

    result = verify(org, state)
    assert (result.verdict, result.unchecked) == ("disagree", ())
    member_role = "IAM role arn:aws:iam::{}:role/akeyless/akeyless-gateway-member"
    by_object = {(f.account_id, f.system, f.object, f.property): f for f in result.findings}
    assert sorted(by_object) == sorted(
        [
            (deleted, "akeyless", f"Akeyless target {path}/aws/{deleted}/target", "exists"),
            (regenerated, "aws", member_role.format(regenerated), "trust policy"),
            (edited, "aws", member_role.format(edited), "trust policy"),
            (
                org.management_account_id,
                "akeyless",
                f"Akeyless auth method {auth_method}",
                "bound ARNs",
            ),
        ]
    )
    assert len(result.findings) == 4

    gone = by_object[deleted, "akeyless", f"Akeyless target {path}/aws/{deleted}/target", "exists"]
    assert (gone.expected, gone.found) == ("exists", "missing")

    new_id = by_object[regenerated, "aws", member_role.format(regenerated), "trust policy"]
    whose = f"[External ID of Akeyless target {path}/aws/{regenerated}/target]"
    assert f'"sts:ExternalId":"{whose}"' in new_id.expected
    assert '"sts:ExternalId":"[another External ID]"' in new_id.found
    text = json.dumps([finding.as_json() for finding in result.findings])
    assert "regenerated-id" not in text, "an External ID printed"
    assert not any(external_id_of(account.id) in text for account in org.accounts)

    by_hand = by_object[edited, "aws", member_role.format(edited), "trust policy"]
    assert "999999999999" in by_hand.found and "999999999999" not in by_hand.expected

    extra = by_object[
        org.management_account_id, "akeyless", f"Akeyless auth method {auth_method}", "bound ARNs"
    ]
    assert "role/intruder" in extra.found and "role/intruder" not in extra.expected


def test_a_wider_access_role_and_a_stale_access_id_in_the_state_are_found(
    aws: str, akeyless: FakeAkeyless
) -> None:
    org = org_of("org.distributed.example.yaml", akeyless)
    state = deploy(org, akeyless)
    account = org.accounts[0].id
    role = akeyless.roles[f"{org.akeyless.path}/roles/gateway-{account}"]["rules"]["path_rules"]
    role.append({"type": "item-rule", "path": "/*", "capabilities": ["read"]})
    role.append({"type": "item-rule", "path": "/secret/*", "capabilities": ["deny"]})  # narrows
    state.stacks["org"]["gatewayAccessIds"][account] = "p-stale0access"
    result = verify(org, state)
    assert [(f.account_id, f.system, f.property) for f in result.findings] == [
        (account, "akeyless", "rules"),
        (account, "pulumi", "output gatewayAccessIds[" + account + "]"),
    ]
    assert "item-rule /*: read" in result.findings[0].found


def test_a_deployer_login_bound_wider_or_a_stale_deployer_access_id_is_found(
    aws: str, akeyless: FakeAkeyless
) -> None:
    """Distributed: an account's deployer auth method bound to more than its bootstrap role,
    and the org stack's deployerAccessIds pointing elsewhere, are each found in that account."""
    org = org_of("org.distributed.example.yaml", akeyless)
    state = deploy(org, akeyless)
    account = org.accounts[1].id
    method = akeyless.auth_methods[f"{org.akeyless.path}/auth/deployer-{account}"]
    bound = method["access_info"]["aws_iam_access_rules"]["arn"]
    bound.append("arn:aws:iam::999999999999:role/anyone")
    state.stacks["org"]["deployerAccessIds"][account] = "p-stale0deploy"
    result = verify(org, state)
    assert [(f.account_id, f.system, f.property) for f in result.findings] == [
        (account, "akeyless", "bound ARNs"),
        (account, "pulumi", "output deployerAccessIds[" + account + "]"),
    ]


def test_what_cannot_be_read_is_unchecked_not_agreed(aws: str, akeyless: FakeAkeyless) -> None:
    org = org_of("org.distributed.example.yaml", akeyless)
    state = deploy(org, akeyless)
    akeyless.api_keys[DEPLOYER] = "rotated-key"  # verify's key no longer logs in
    result = verify(org, state)
    assert result.verdict == "incomplete"
    assert {item.system for item in result.unchecked} == {"akeyless"}
    assert all("HTTP 401" in item.reason for item in result.unchecked)
    # One login attempt for the whole run, not one per object.
    assert [route for route, _ in akeyless.requests].count("/auth") == 1
    akeyless.api_keys[DEPLOYER] = "deploy-key"
    state.broken = "no stack organization/akeyless-gateway-org/org: backend not answering"
    result = verify(org, state)
    assert result.verdict == "incomplete" and not result.findings
    assert {(item.system, item.reason) for item in result.unchecked} == {("pulumi", state.broken)}


def test_orgctl_verify_reads_the_state_through_the_runner_and_exits_3_on_a_finding(
    aws: str,
    akeyless: FakeAkeyless,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The whole verb: the org file, the state through ``AutomationRunner.outputs`` (the fake
    CLI, after an ``up`` that exported what the stacks export), AWS and Akeyless."""
    org = org_of("org.example.yaml", akeyless)
    state = deploy(org, akeyless)
    fake = install_fake_pulumi(tmp_path / "cli")
    set_behaviour(fake, outputs=state.stacks, check_config=False)  # not what is tested here
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", FAKE_PASSPHRASE)
    request = DeploymentRequest(org, "up", DeploymentOptions(parallel=4))
    runner = AutomationRunner(state_dir=tmp_path / "state", pulumi_cli=fake)
    assert run_deployment(request, runner=runner).ok
    document = yaml.safe_load((ROOT / "config" / "org.example.yaml").read_text())
    document["preview_role_name"] = PREVIEW_ROLE
    config = tmp_path / "org.yaml"
    config.write_text(yaml.safe_dump(document))

    def with_local_akeyless(path: Path) -> OrgDeployment:
        """The file as read, pointed at the local server (the file may name https only)."""
        read = load_org_file(path)
        settings = read.akeyless.model_copy(update={"api_url": akeyless.url})
        return read.model_copy(update={"akeyless": settings})

    monkeypatch.setattr("akeyless_gateway_org.cli.verify.load_org_file", with_local_akeyless)
    args = ["verify", "--config", str(config), "--pulumi-cli", str(fake)]
    args += ["--state-dir", str(tmp_path / "state")]

    assert main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "agree"
    target = f"{org.akeyless.path}/aws/{member(org)}/target"
    del akeyless.targets[target]
    assert main(args) == 3
    out = capsys.readouterr()
    assert "expected: exists" in out.out and "found:    missing" in out.out
    assert "verify: disagree" in out.err
    # Nothing was deployed or changed by verify: only `up` ran an operation.
    assert [call["argv"][0] for call in operations(fake)] == ["up"] * 5


def test_verify_never_falls_back_to_the_bootstrap_role(akeyless: FakeAkeyless) -> None:
    org = org_of("org.example.yaml", akeyless).model_copy(update={"preview_role_name": None})
    with pytest.raises(Exception, match="preview_role_name"):
        aws_reader_for(org)


def test_rules_that_only_deny_do_not_widen_a_role() -> None:
    from akeyless_gateway_org.verify.compare import _rules_text

    deny = RoleRule("item-rule", "/x/*", ("deny",))
    read = RoleRule("item-rule", "/x/*", ("read",))
    assert _rules_text([read, deny]) == _rules_text([read])


def test_without_a_readable_state_aws_and_akeyless_are_still_checked_and_it_exits_1(
    aws: str,
    akeyless: FakeAkeyless,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    org = org_of("org.distributed.example.yaml", akeyless)
    deploy(org, akeyless)
    del akeyless.targets[f"{org.akeyless.path}/aws/{org.accounts[0].id}/target"]
    monkeypatch.setattr("akeyless_gateway_org.cli.verify.load_org_file", lambda path: org)
    monkeypatch.setenv("AKEYLESS_ACCESS_KEY", "deploy-key")
    missing_cli = tmp_path / "no-pulumi" / "bin" / "pulumi"
    args = ["verify", "--config", "org.yaml", "--pulumi-cli", str(missing_cli)]
    assert main([*args, "--state-dir", str(tmp_path / "state")]) == 1
    out = capsys.readouterr()
    assert "found:    missing" in out.out  # the Target, found all the same
    assert "NOT CHECKED: the Pulumi state cannot be read: the Pulumi CLI was not found" in out.out
    assert "verify: incomplete" in out.err


def test_a_trust_that_differs_only_in_masked_external_ids_is_still_a_finding() -> None:
    from akeyless_gateway_org.verify.compare import _Collector, _masked, _role
    from akeyless_gateway_org.verify.model import IamRole

    def trust(external_id: str) -> dict[str, Any]:
        return {"Statement": [{"Condition": {"StringEquals": {"sts:ExternalId": external_id}}}]}

    out = _Collector()
    found = IamRole("arn:aws:iam::1:role/r", trust("id-in-iam"), None, {}, ())
    masked = lambda document: _masked(document, None, "the Target's")  # noqa: E731
    _role(
        out,
        "1",
        found.arn,
        found,
        trust=trust("id-in-akeyless"),
        boundary=None,
        policies={},
        mask=masked,
    )
    assert [(f.property, f.found.endswith("(its External IDs differ)")) for f in out.findings] == [
        ("trust policy", True)
    ]
    assert "id-in" not in json.dumps(out.findings[0].as_json())  # never an ID itself
