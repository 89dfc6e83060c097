"""Upgrading deployed organizations to this code on the real engine changes nothing.

Per pattern, the Gateway stacks and the org stack of the example as an older checkout deployed
them (``fixtures/upgrade``: made by ``tests/engine/upgrade_fixture.py``, which names the commit
in ``fixtures/upgrade/SOURCE``) are imported with ``pulumi stack import``; then ``orgctl
preview`` and ``orgctl up`` of this code over them must find nothing to create, replace,
update or delete, and every resource keeps its ID. What moved (a component's type, a
resource's parent) is matched to its old state by ``aliases`` (components/compute_kinds.py).
Slow: run separately, ``pytest tests/engine -n 0``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from akeyless_gateway_org.components.akeyless_dynamic import ROTATION_SCHEDULE_TYPE
from akeyless_gateway_org.components.compute_base import LEGACY_COMPUTE_TYPE
from akeyless_gateway_org.components.compute_kinds import COMPUTE_KINDS
from tests.engine.harness import (
    EXAMPLES,
    ROTATED_SECRET,
    Engine,
    all_succeeded,
    external_id,
    gateway_accounts,
    org_file,
    orgctl,
    pulumi_cli,
    resources_in,
    set_rotated_key_secrets,
)
from tests.engine.upgrade_fixture import (
    FIXTURE_DIR,
    PROJECT,
    backend_env,
    fixture_states,
    qualified,
)
from tests.fake_akeyless import FakeAkeyless

Deployed = tuple[Path, Path, list[str], dict[str, str]]


def _ids(resources: list[dict[str, object]]) -> dict[tuple[object, object], object]:
    """(type, logical name) -> ID of every custom resource of a state."""
    return {
        (r["type"], str(r["urn"]).rsplit("::", 1)[-1]): r.get("id")
        for r in resources
        if r.get("custom")
    }


FIXTURE_CERTIFICATE = (
    "arn:aws:acm:us-east-1:333333333333:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
)
"""The certificate the distributed example named when the fixture was deployed."""


def as_the_fixture_deployed(org: Path) -> None:
    """The example's org file as the fixture's deployment configured it, in this code's terms.

    The example since turned on features the fixture predates (``gateway.services``, ``dns``
    for account 333333333333); the fixture's account had ``tls_certificate_arn`` and no
    ``gateway_url``, which is refused now (the load balancer's own name is one no ACM
    certificate covers), so it gets a ``gateway_url`` on a name the certificate covers.
    """
    document = yaml.safe_load(org.read_text(encoding="utf-8"))
    document.get("gateway", {}).pop("services", None)
    for account in document.get("accounts", []):
        if account.pop("dns", None) is not None:
            account["tls_certificate_arn"] = FIXTURE_CERTIFICATE
            account["gateway_url"] = "https://gateway.prod.example.com:8000/api/v2"
    org.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


# The one migration of this version (components/gateway_network.py): the load balancer's
# group moves to a new group whose rules are all separate resources (the old ``-lb-sg``
# deleted last, its egress rules replaced to follow it), and each rotated secret gains the
# RotationSchedule that alone sends its schedule (components/akeyless_objects.py).
_NEW_TYPES = {
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    ROTATION_SCHEDULE_TYPE,
}
_FOLLOWING_THE_GROUP = {"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"}
# And the distributed pattern's per-account logins (components/stacks.py, deployer_auth_plan):
# the org stack gains each account's deployer auth method, role and association, and each
# Gateway allows that access ID from its start instead of the deployer's, which for ECS is a
# new task definition revision (a registered revision is immutable: the bridge replaces it
# on any change of containerDefinitions: terraform-provider-aws
# internal/service/ecs/task_definition.go, every argument but tags ForceNew).
_RESEEDED = {"aws:ecs/taskDefinition:TaskDefinition"}
_DEPLOYER_AUTH = "org-deployer-"
NEW_URL_STACK = "account-333333333333"
_RENEWED = {f"{NEW_URL_STACK}-gateway-api-health"}
"""The one intended change of ``as_the_fixture_deployed``: the account whose certificate had
no name now reaches its Gateway at one, so the health gate on the URL runs again (replaced;
the Akeyless provider's ``apiGatewayAddress`` is updated in place)."""


def _migration(
    before: dict[tuple[object, object], object], after: dict[tuple[object, object], object]
) -> tuple[set[tuple[object, object]], set[tuple[object, object]]]:
    """What an upgrade changed beyond the planned migration: (resources gone or given a new
    ID that should not be, resources added that should not be)."""
    lost = {
        key
        for key, old_id in before.items()
        if after.get(key) != old_id
        and not (key[0] == "aws:ec2/securityGroup:SecurityGroup" and str(key[1]).endswith("-lb-sg"))
        and not (key in after and key[0] in _FOLLOWING_THE_GROUP)
        and not (key in after and key[1] in _RENEWED)
        and not (key in after and key[0] in _RESEEDED)
    }
    added = {
        key
        for key in after.keys() - before.keys()
        if key[0] not in _NEW_TYPES and not str(key[1]).startswith(_DEPLOYER_AUTH)
    }
    return lost, added


@pytest.fixture(scope="module", params=sorted(EXAMPLES))
def imported(
    request: pytest.FixtureRequest,
    engine: Engine,
    fake_gateway: FakeAkeyless,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployed]:
    """(org file, state dir, accounts, stack -> fixture) with the older deployment imported."""
    pattern: str = request.param
    folder = tmp_path_factory.mktemp(f"upgrade-{pattern}")
    org, state = org_file(EXAMPLES[pattern], fake_gateway, folder), folder / "state"
    as_the_fixture_deployed(org)
    states = fixture_states(pattern, fake_gateway.url)
    assert states, f"no fixture in {FIXTURE_DIR / pattern}"
    (state / "state").mkdir(parents=True)
    for stack, text in states.items():
        # The stack's work dir as orgctl keeps it: orgctl rewrites Pulumi.yaml and keeps the
        # secrets provider's salt that `stack init` writes into Pulumi.<stack>.yaml.
        work = state / "work" / stack
        work.mkdir(parents=True)
        (work / "Pulumi.yaml").write_text(f"name: {PROJECT}\nruntime: python\n", encoding="utf-8")
        (work / "fixture.json").write_text(text, encoding="utf-8")
        for command in (
            ("stack", "init", qualified(stack), "--secrets-provider", "passphrase"),
            ("stack", "import", "--stack", qualified(stack), "--file", "fixture.json"),
        ):
            result = pulumi_cli(engine, *command, cwd=work, env=backend_env(state))
            assert result.returncode == 0, (command, result.stderr)
    accounts = gateway_accounts(org)
    set_rotated_key_secrets(engine, org, state, only=accounts)
    yield org, state, accounts, states


def test_the_fixture_is_an_older_deployment_with_no_secret_in_clear() -> None:
    source = (FIXTURE_DIR / "SOURCE").read_text(encoding="utf-8").split()[0]
    assert len(source) == 40, source
    text = "\n".join(path.read_text(encoding="utf-8") for path in FIXTURE_DIR.rglob("*.json"))
    assert "akeyless-gateway:compute:GatewayCompute" in text  # the compute as it was
    assert ROTATED_SECRET not in text
    for account in ("333333333333", "444444444444", "555555555555"):
        assert external_id(account) not in text


def test_preview_of_the_upgrade_succeeds(engine: Engine, imported: Deployed) -> None:
    org, state, accounts, _states = imported
    run = orgctl(engine, "preview", org, state, "--only", *accounts)
    all_succeeded(run)  # what the migration changes is pinned by the up below
    assert {stack["name"] for stack in run.report["stacks"]} == set(_states)


def test_up_of_the_upgrade_makes_only_the_planned_migration_and_keeps_every_other_id(
    engine: Engine, imported: Deployed
) -> None:
    org, state, accounts, states = imported
    run = orgctl(engine, "up", org, state, "--only", *accounts)
    all_succeeded(run)
    types = set()
    for stack, text in states.items():
        before = _ids(json.loads(text)["deployment"]["resources"])
        after = _ids(resources_in(state, stack))
        assert _migration(before, after) == (set(), set()), stack
        types |= {str(r["type"]) for r in resources_in(state, stack)}
    # The state now records this code's components (the aliases matched them), not the old one.
    compute = {t for t in types if t.startswith("akeyless-gateway:compute:")}
    assert compute and not compute & {LEGACY_COMPUTE_TYPE}, compute
    assert compute <= {spec.type_token for spec in COMPUTE_KINDS.values()}, compute
