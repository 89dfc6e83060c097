"""Both example organizations through ``orgctl`` on the real Pulumi engine.

Per pattern, in order: a preview of the fresh organization, ``up`` (later phases read the
earlier ones' outputs through real stack references; the policy pack runs in the real
analyzer), a preview and an ``up`` with nothing to change, the state checked for secrets in
plain text, a by-hand ``pulumi preview``, and ``destroy --yes``. Slow (minutes): run
separately, ``pytest tests/engine``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from akeyless_gateway_org.components.akeyless_api import LOGIN_SESSION_NAME
from akeyless_gateway_org.components.enrollment import (
    dispatch_endpoint,
    dispatch_input_template,
    enroll_triggers,
    rule_name,
)
from akeyless_gateway_org.config.stacks import ENROLL_STACK, plan_stacks
from akeyless_gateway_org.config.validation import load_org_file
from akeyless_gateway_org.run.pulumi_runner import AutomationRunner
from akeyless_gateway_org.verify.check import verify_org
from tests.engine.harness import (
    DEPLOY_ACCESS_ID,
    EXAMPLES,
    FAKE_AWS_SECRET,
    GITHUB_TOKEN,
    GITHUB_TOKEN_SECRET,
    ROTATED_SECRET,
    Engine,
    Run,
    all_succeeded,
    all_succeeded_changing_nothing,
    external_id,
    org_file,
    orgctl,
    put_secret,
    resources_in,
    set_rotated_key_secrets,
    stack_file,
    sts_endpoint,
)
from tests.fake_akeyless import FakeAkeyless

ENROLL_REPOSITORY = "example-org/akeyless-gateway-org"
SECRET_SIGNATURE, SECRET_SIG_VALUE = (
    "4dabf18193072939515e22adb298388d",
    "1b47061264138c4ac30d75fd1eb44270",
)
"""How the state marks a secret value (pulumi/pulumi sdk/go/common/resource/sig: the secret
signature key and value), beside its ``ciphertext``."""


class NothingThere:
    """AWS and Akeyless holding nothing: the stand-in providers create nothing in either."""

    def role(self, *names: str) -> None:
        return None

    def auth_method(self, name: str) -> None:
        return None

    def target(self, name: str) -> None:
        return None


@pytest.fixture(scope="module", params=sorted(EXAMPLES))
def deployment(
    request: pytest.FixtureRequest,
    engine: Engine,
    fake_gateway: FakeAkeyless,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Path, Path]]:
    """(pattern, org file, state dir) of one example, for the tests below in file order."""
    pattern: str = request.param
    folder = tmp_path_factory.mktemp(pattern)
    # The centralized organization also gets the optional enroll stack (README.md,
    # "Auto-enrolment"), its token in the stand-in Secrets Manager.
    enrollment = {
        "github": {"repository": ENROLL_REPOSITORY, "token_secret_arn": GITHUB_TOKEN_SECRET}
    }
    changes = {"enrollment": enrollment} if pattern == "centralized" else {}
    put_secret(engine, GITHUB_TOKEN_SECRET, GITHUB_TOKEN)
    org = org_file(EXAMPLES[pattern], fake_gateway, folder, **changes)
    state = folder / "state"
    set_rotated_key_secrets(engine, org, state)
    yield pattern, org, state


def test_preview_of_the_fresh_organization_succeeds_for_every_stack(
    engine: Engine, deployment: tuple[str, Path, Path], tmp_path: Path
) -> None:
    """A first preview, before anything exists: later phases cannot read earlier outputs yet."""
    _pattern, org, _state = deployment
    fresh = tmp_path / "fresh"
    set_rotated_key_secrets(engine, org, fresh)
    run = orgctl(engine, "preview", org, fresh)
    all_succeeded(run)


def test_up_deploys_every_stack_in_phase_order(
    engine: Engine, deployment: tuple[str, Path, Path], fake_gateway: FakeAkeyless
) -> None:
    pattern, org, state = deployment
    run = orgctl(engine, "up", org, state)
    all_succeeded(run)
    for stack in run.report["stacks"]:
        assert stack["changes"].get("create", 0) > 0, stack
    started = [e["stack"] for e in run.events if e.get("status") == "running"]
    assert started[0] == "org", started
    if pattern == "centralized":
        # Each member read its Target's External ID through the hub Gateway's URL, which it
        # got from the hub stack's outputs through a stack reference.
        requests = fake_gateway.requests
        read = {body["name"] for path, body in requests if path == "/target-get-details"}
        members = [s["name"] for s in run.report["stacks"] if s["kind"] == "member"]
        assert len(read) >= len(members) == 3, (read, members)
    else:
        each_account_logged_in_as_its_bootstrap_role(run, state, fake_gateway)


def each_account_logged_in_as_its_bootstrap_role(run: Run, state: Path, fake: FakeAkeyless) -> None:
    """Distributed: every account stack logged in with its own deployer access ID (the org
    stack's auth method for that account), signed by a session of that account's bootstrap
    role as STS (moto, answering as AWS does) names it; the deployer's own access ID appears
    nowhere in an account stack's state."""
    methods = {
        r["inputs"]["name"]: r["outputs"]["accessId"]
        for r in resources_in(state, "org")
        if r["type"] == "akeyless:index/authMethodAwsIam:AuthMethodAwsIam"
    }
    accounts = [s["account"] for s in run.report["stacks"] if s["kind"] == "account"]
    assert accounts
    logins = dict(fake.aws_iam_logins)
    for account in accounts:
        access_id = methods[f"/aws-org/auth/deployer-{account}"]
        caller = boto3.client(
            "sts",
            endpoint_url=sts_endpoint(),
            region_name="us-east-1",
            aws_access_key_id=logins[access_id],
            aws_secret_access_key="unused: moto does not check signatures",
        ).get_caller_identity()
        assert caller["Arn"] == (
            f"arn:aws:sts::{account}:assumed-role/OrganizationAccountAccessRole/"
            f"{LOGIN_SESSION_NAME}"
        )
        # Only the stack's own settings name the deployer's access ID (the dynamic
        # providers' config); no resource, the Gateway's allowed access included, does.
        resources = [
            r
            for r in resources_in(state, f"account-{account}")
            if r["type"] != "pulumi:providers:pulumi-python"
        ]
        assert DEPLOY_ACCESS_ID not in json.dumps(resources)
        assert access_id in json.dumps(resources)  # what its Gateway allows from its start
        (provider,) = [r for r in resources if r["type"] == "pulumi:providers:akeyless"]
        assert "tokenLogins" in provider["inputs"], provider["inputs"]


def test_preview_after_up_has_nothing_to_change(
    engine: Engine, deployment: tuple[str, Path, Path]
) -> None:
    _pattern, org, state = deployment
    # --all: the program itself must find nothing to change, not the fingerprint.
    run = orgctl(engine, "preview", org, state, "--all")
    all_succeeded_changing_nothing(run)


def test_up_again_changes_nothing(engine: Engine, deployment: tuple[str, Path, Path]) -> None:
    pattern, org, state = deployment
    run = orgctl(engine, "up", org, state, "--all")  # the program's own no-op, not a skip
    if pattern == "centralized":
        all_succeeded_changing_nothing(run)
        # ...the enroll stack too (the token read again from Secrets Manager, the same value).
        assert ENROLL_STACK in run.statuses(), run.statuses()
        return
    # Distributed: each account stack logged in anew, so its Gateway provider holds a new
    # token (one update, of the provider alone); nothing else changed.
    all_succeeded(run)
    assert ENROLL_STACK not in run.statuses(), run.statuses()
    for stack in run.report["stacks"]:
        changed = {op: n for op, n in stack["changes"].items() if op != "same" and n}
        assert changed == ({"update": 1} if stack["kind"] == "account" else {}), stack


def test_a_refused_account_login_ends_that_stack_with_its_message(
    engine: Engine, deployment: tuple[str, Path, Path], fake_gateway: FakeAkeyless
) -> None:
    """Distributed: Akeyless refusing an account stack's own login (its auth method changed,
    say) fails that stack with the login's message, not a traceback, and changes nothing.
    Centralized: members log in as the deployer, so refusing those logins changes nothing."""
    pattern, org, state = deployment
    if pattern == "centralized":
        fake_gateway.session_signed_access_ids = False
        try:
            run = orgctl(engine, "up", org, state, "--all", "--only", "333333333333")
        finally:
            fake_gateway.session_signed_access_ids = True
        all_succeeded_changing_nothing(run)
        assert "member-333333333333" in run.statuses(), run.statuses()
        return
    account = "444444444444"

    def ids() -> dict[str, Any]:  # what was created, replaced or deleted would show here
        return {r["urn"]: r.get("id") for r in resources_in(state, f"account-{account}")}

    before = ids()
    fake_gateway.session_signed_access_ids = False
    try:
        run = orgctl(engine, "up", org, state, "--all", "--only", account)
    finally:
        fake_gateway.session_signed_access_ids = True
    assert run.returncode == 1, run.stderr
    (failed,) = [s for s in run.report["stacks"] if s["status"] == "failed"]
    error = failed["error"]
    assert failed["name"] == f"account-{account}", failed
    assert "cannot log in to Akeyless at https://127.0.0.1:" in error, error
    assert f"signed as arn:aws:iam::{account}:role/OrganizationAccountAccessRole" in error, error
    assert "HTTP 401" in error and "Traceback" not in error, error
    assert ids() == before


def test_the_enroll_stack_holds_its_rules_and_the_token_encrypted(
    deployment: tuple[str, Path, Path],
) -> None:
    """The centralized organization's enroll stack on the real engine: one rule per way in
    with the pattern the component builds (the tests/test_enrollment.py ones, run against
    AWS's documented events), each target the one API destination through the one role,
    and the connection's token (read from Secrets Manager through the invoke) a secret in
    the state. The distributed one asks for no enroll stack and has none."""
    pattern, org_path, state = deployment
    if pattern == "distributed":
        assert not stack_file(state, ENROLL_STACK).exists()
        return
    resources = resources_in(state, ENROLL_STACK)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        by_type.setdefault(resource["type"], []).append(resource.get("outputs", {}))
    selection = load_org_file(org_path).discovery
    rules = {rule["name"]: rule for rule in by_type["aws:cloudwatch/eventRule:EventRule"]}
    assert {name: json.loads(rule["eventPattern"]) for name, rule in rules.items()} == {
        rule_name(trigger.name): trigger.pattern for trigger in enroll_triggers(selection)
    }
    (destination,) = by_type["aws:cloudwatch/eventApiDestination:EventApiDestination"]
    assert destination["invocationEndpoint"] == dispatch_endpoint(ENROLL_REPOSITORY)
    (role,) = by_type["aws:iam/role:Role"]
    # Only these rules may have EventBridge assume the role: the ARNs the program predicted
    # for its trust policy are the deployed rules' (the policy is a secret-free input).
    trust = json.loads(role["assumeRolePolicy"])["Statement"][0]["Condition"]
    assert sorted(trust["ArnEquals"]["aws:SourceArn"]) == sorted(r["arn"] for r in rules.values())
    targets = by_type["aws:cloudwatch/eventTarget:EventTarget"]
    assert sorted(target["rule"] for target in targets) == sorted(rules)
    (queue,) = by_type["aws:sqs/queue:Queue"]
    for target in targets:
        assert (target["arn"], target["roleArn"]) == (destination["arn"], role["arn"])
        assert target["inputTransformer"]["inputTemplate"] == dispatch_input_template()
        assert target["deadLetterConfig"]["arn"] == queue["arn"]
    # ...and only these rules may send to the dead-letter queue.
    (queue_policy,) = by_type["aws:sqs/queuePolicy:QueuePolicy"]
    assert queue_policy["queueUrl"] == queue["url"]
    (letters,) = json.loads(queue_policy["policy"])["Statement"]
    assert letters["Resource"] == queue["arn"]
    assert sorted(letters["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(
        r["arn"] for r in rules.values()
    )
    (connection,) = by_type["aws:cloudwatch/eventConnection:EventConnection"]
    api_key = connection["authParameters"]["apiKey"]
    assert api_key["key"] == "Authorization"
    # A Pulumi secret in the state: the signature and its ciphertext, never the value.
    assert api_key["value"].get(SECRET_SIGNATURE) == SECRET_SIG_VALUE, api_key
    assert "ciphertext" in api_key["value"]


def test_verify_reads_what_the_real_stacks_export(
    engine: Engine, deployment: tuple[str, Path, Path]
) -> None:
    """``orgctl verify``'s state side on the real engine: every output it expects (the ones
    later phases read) is there, with the value it expects, read through the runner's
    ``outputs``. The stand-in providers create nothing in AWS or Akeyless, so those objects are
    all "missing"; the state must show no finding and nothing unchecked."""
    _pattern, org_path, state = deployment
    org = load_org_file(org_path)
    runner = AutomationRunner(state_dir=state, pulumi_cli=engine.pulumi, install=False)
    runner.prepare(plan_stacks(org), engine.env)
    try:
        result = verify_org(
            org,
            aws=NothingThere(),
            akeyless=NothingThere(),
            state=runner,
        )
    finally:
        runner.finish()
    assert not result.unchecked, result.unchecked
    assert [f for f in result.findings if f.system == "pulumi"] == []
    assert {f.property for f in result.findings} == {"exists"}  # the AWS/Akeyless objects
    assert result.checked > len(result.findings)  # ...and the stacks, which agree


def test_a_named_gateway_gets_its_certificate_and_each_services_listener(
    deployment: tuple[str, Path, Path],
) -> None:
    """The distributed example's ECS account has ``dns`` and the Vault proxy and KMIP on: on
    the real engine the certificate is validated through its record (the stand-in fails a
    validation missing it, as the provider does) and the TLS listeners took the validated ARN.
    The centralized hub has neither: two plain listeners, no certificate."""
    pattern, _org, state = deployment
    stack = "account-333333333333" if pattern == "distributed" else "hub"
    resources = resources_in(state, stack)
    listeners = {
        int(r["outputs"]["port"]): r["outputs"]
        for r in resources
        if r["type"] == "aws:lb/listener:Listener"
    }
    certificates = [r for r in resources if r["type"] == "aws:acm/certificate:Certificate"]
    if pattern == "centralized":
        assert {port: lst["protocol"] for port, lst in listeners.items()} == {
            8000: "TCP",
            8080: "TCP",
        }
        assert certificates == []
        return
    (certificate,) = certificates
    assert certificate["outputs"]["domainName"] == "gateway.prod.example.com"
    (validation,) = [
        r for r in resources if r["type"] == "aws:acm/certificateValidation:CertificateValidation"
    ]
    alias = [
        r["outputs"]
        for r in resources
        if r["type"] == "aws:route53/record:Record" and r["outputs"].get("type") == "A"
    ]
    assert [a["name"] for a in alias] == ["gateway.prod.example.com"]
    assert {port: lst["protocol"] for port, lst in listeners.items()} == {
        8000: "TLS",
        8080: "TCP",
        8200: "TLS",
        5696: "TCP",
    }
    for port in (8000, 8200):
        assert listeners[port]["certificateArn"] == validation["outputs"]["certificateArn"]
        assert validation["urn"] in next(
            r["dependencies"]
            for r in resources
            if r["type"] == "aws:lb/listener:Listener" and int(r["outputs"]["port"]) == port
        )


def test_state_holds_no_external_id_or_key_in_plain_text(
    deployment: tuple[str, Path, Path],
) -> None:
    pattern, _org, state = deployment
    files = sorted((state / "state").rglob("*.json"))
    assert any(path.parent.name == "akeyless-gateway-org" for path in files), files
    text = "\n".join(path.read_text(encoding="utf-8") for path in files)
    assert FAKE_AWS_SECRET not in text
    assert ROTATED_SECRET not in text, "a rotated user's secret access key in plain text"
    # Nor the enroll stack's GitHub token, in any file of the state folder or the runs'
    # reports and work dirs (the stand-in's own store of secrets is elsewhere).
    written = [path for path in state.rglob("*") if path.is_file()]
    assert GITHUB_TOKEN not in "\n".join(
        path.read_text(encoding="utf-8", errors="replace") for path in written
    ), "the GitHub token in plain text"
    if pattern == "centralized":
        for account in ("333333333333", "444444444444", "555555555555"):
            assert external_id(account) not in text, f"External ID of {account} in plain text"
        # ...and yet the member role's trust holds it, encrypted: the secret made it through.
        member = resources_in(state, "member-333333333333")
        roles = [r for r in member if r["type"] == "aws:iam/role:Role"]
        assert roles and all(
            r["outputs"]["assumeRolePolicy"].get(SECRET_SIGNATURE) == SECRET_SIG_VALUE
            for r in roles
        ), roles


def session_logins(fake: FakeAkeyless) -> int:
    """How many logins an STS session signed (the account stacks' own)."""
    return sum(1 for _, signer in fake.aws_iam_logins if signer.startswith("ASIA"))


def test_drift_of_the_deployed_organization_finds_none_and_each_account_logs_in_anew(
    engine: Engine, deployment: tuple[str, Path, Path], fake_gateway: FakeAkeyless
) -> None:
    """The drift check reads Akeyless with a token of this run, not the expired one in the
    state: each distributed account stack's refresh runs its program, which logs in."""
    _pattern, org, state = deployment
    before = session_logins(fake_gateway)
    run = orgctl(engine, "drift", org, state)
    assert run.returncode == 0, run.explain()
    accounts = [s for s in plan_stacks(load_org_file(org)) if s.kind == "account"]
    assert session_logins(fake_gateway) - before == len(accounts)


def test_destroy_leaves_every_stack_empty(
    engine: Engine, deployment: tuple[str, Path, Path], fake_gateway: FakeAkeyless
) -> None:
    pattern, org, state = deployment
    before = session_logins(fake_gateway)
    run = orgctl(engine, "destroy", org, state, "--yes")
    all_succeeded(run)
    assert (ENROLL_STACK in run.statuses()) == (pattern == "centralized"), run.statuses()
    # Each account stack's destroy ran its program for a token of its own (--run-program).
    accounts = [s for s in run.report["stacks"] if s["kind"] == "account"]
    assert session_logins(fake_gateway) - before == len(accounts)
    for stack in run.report["stacks"]:
        assert stack_file(state, stack["name"]).exists(), stack["name"]
        assert resources_in(state, stack["name"]) == [], stack["name"]


def test_an_enroll_token_secret_that_does_not_exist_fails_only_the_enroll_stack(
    engine: Engine, fake_gateway: FakeAkeyless, tmp_path: Path
) -> None:
    """The secret named in the org file is missing from Secrets Manager: the invoke fails as
    the real data source fails (standin_provider.py, ``secret_version``), the enroll stack
    fails naming the secret, and the org stack beside it in the phase is unaffected."""
    missing = GITHUB_TOKEN_SECRET.replace("github-enroll", "never-created")
    enrollment = {"github": {"repository": ENROLL_REPOSITORY, "token_secret_arn": missing}}
    org = org_file(EXAMPLES["centralized"], fake_gateway, tmp_path, enrollment=enrollment)
    management = load_org_file(org).management_account_id
    run = orgctl(engine, "preview", org, tmp_path / "state", "--only", management, "--phase", "org")
    assert run.returncode == 1, run.explain()
    assert run.statuses() == {"org": "succeeded", ENROLL_STACK: "failed"}, run.explain()
    error = run.errors()[ENROLL_STACK]
    assert f"cannot read the GitHub token from {missing}" in error, error
    assert "can't find the specified secret" in error and "Traceback" not in error, error
