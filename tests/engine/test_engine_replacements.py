"""Changes that replace resources, on the real engine with stand-ins that fail as AWS does.

One deployment (a distributed account on EC2 with a rotated access key) goes through the
changes in file order: a new VPC, then EC2 to ECS, then a new rotation interval, then
destroy. Each must succeed, and each failed on the code before (see the README, "Changes
that replace resources"): the stand-ins refuse to delete a target group a listener still
forwards to, a load balancer name already taken, and record which fields each update of a
rotated secret sends (``standin_rules.py``, ``standin_provider.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import DISTRIBUTED_EXAMPLE
from tests.engine.harness import (
    Engine,
    all_succeeded,
    orgctl,
    resources_in,
    set_rotated_key_secrets,
    succeeded_running,
)
from tests.fake_akeyless import FakeAkeyless

ACCOUNT = "333333333333"
STACK = f"account-{ACCOUNT}"
ACCESS_ID, ACCESS_KEY = "p-deploy0exmpl", "e2e-deploy-access-key"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
ROTATED_SECRET = "akeyless:index/rotatedSecretAws:RotatedSecretAws"


class Org:
    """The org file of the one account, rewritten for each change."""

    def __init__(self, path: Path, fake: FakeAkeyless) -> None:
        self.path = path
        document: dict[str, Any] = yaml.safe_load(DISTRIBUTED_EXAMPLE.read_text(encoding="utf-8"))
        document["akeyless"]["gateway_health_timeout_seconds"] = 20
        document["akeyless"]["api_url"] = fake.api_url  # where the account stack logs in
        document["default_capabilities"] = {}
        document["accounts"] = [
            {
                "id": ACCOUNT,
                "name": "workloads-prod",
                "compute": "ec2",
                "vpc_id": "vpc-0a1a1a1a1a1a1a1a1",
                "subnets": {
                    "subnet-0a1a1a1a1a1a10001": "us-east-1a",
                    "subnet-0a1a1a1a1a1a10002": "us-east-1b",
                },
                "gateway_url": f"{fake.url}/api/v2",
                "gateway_health_url": f"{fake.url}/health",
                "capabilities": {
                    "rotated_access_keys": {
                        "enabled": True,
                        "access_keys": {"svc-ci-deployer": "AKIAI44QH8DHBEXAMPLE"},
                        "rotation_interval_days": 30,
                    }
                },
            }
        ]
        self.document = document

    @property
    def site(self) -> dict[str, Any]:
        account: dict[str, Any] = self.document["accounts"][0]
        return account

    def write(self) -> Path:
        self.path.write_text(yaml.safe_dump(self.document, sort_keys=False), encoding="utf-8")
        return self.path


@pytest.fixture(scope="module")
def deployed(
    engine: Engine, fake_gateway: FakeAkeyless, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Org, Path, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("replacements")
    org, state = Org(folder / "org.yaml", fake_gateway), folder / "state"
    fake_gateway.api_keys[ACCESS_ID] = ACCESS_KEY
    env = {"AKEYLESS_ACCESS_ID": ACCESS_ID, "AKEYLESS_ACCESS_KEY": ACCESS_KEY}
    set_rotated_key_secrets(engine, org.write(), state)
    all_succeeded(orgctl(engine, "up", org.path, state, env=env))
    yield org, state, env


def _ids(state: Path, token: str) -> set[str]:
    return {r["id"] for r in resources_in(state, STACK) if r["type"] == token}


def _world(state: Path) -> Path:
    """The stand-ins' cloud of this deployment (standin_provider._world_path)."""
    return state / "standin-world.json"


def test_a_new_vpc_replaces_the_target_groups_before_deleting_the_old(
    engine: Engine, deployed: tuple[Org, Path, dict[str, str]]
) -> None:
    org, state, env = deployed
    before = _ids(state, TARGET_GROUP)
    org.site["vpc_id"] = "vpc-0b2b2b2b2b2b2b2b2"
    org.site["subnets"] = {
        "subnet-0b2b2b2b2b2b20001": "us-east-1a",
        "subnet-0b2b2b2b2b2b20002": "us-east-1b",
    }
    run = orgctl(engine, "up", org.write(), state, env=env)
    # Before: the bridge's delete-before-replace deleted each old group first, which AWS
    # refuses while its listener forwards to it (ResourceInUse).
    succeeded_running(run, STACK)
    after = _ids(state, TARGET_GROUP)
    assert len(after) == len(before) and not before & after


def test_switching_from_ec2_to_ecs_keeps_the_load_balancer(
    engine: Engine, deployed: tuple[Org, Path, dict[str, str]]
) -> None:
    org, state, env = deployed
    balancer = _ids(state, "aws:lb/loadBalancer:LoadBalancer")
    org.site["compute"] = "ecs"
    run = orgctl(engine, "up", org.write(), state, env=env)
    # Before: the ECS component was a new resource beside the EC2 one, so was its load
    # balancer, under the name the EC2 one still held (DuplicateLoadBalancerName).
    succeeded_running(run, STACK)
    types = {r["type"] for r in resources_in(state, STACK)}
    assert "aws:ecs/service:Service" in types and "aws:autoscaling/group:Group" not in types
    assert _ids(state, "aws:lb/loadBalancer:LoadBalancer") == balancer


def test_a_new_rotation_interval_never_sends_the_handed_over_key_again(
    engine: Engine, deployed: tuple[Org, Path, dict[str, str]], fake_gateway: FakeAkeyless
) -> None:
    org, state, env = deployed
    updates = Path(f"{_world(state)}.updates.jsonl")
    updates.unlink(missing_ok=True)
    fake_gateway.requests.clear()
    org.site["capabilities"]["rotated_access_keys"]["rotation_interval_days"] = 45
    succeeded_running(orgctl(engine, "up", org.write(), state, env=env), STACK)
    # Before: the provider's update of the rotated secret carried apiId and apiKey, the
    # engine having filled the ignored inputs with the old ones.
    sent = (
        [json.loads(line)["sent"] for line in updates.read_text(encoding="utf-8").splitlines()]
        if updates.exists()
        else []
    )
    assert not [fields for fields in sent if {"apiId", "apiKey"} & set(fields)], sent
    changes = [
        body for route, body in fake_gateway.requests if route == "/rotated-secret-update-aws"
    ]
    assert changes, fake_gateway.requests
    assert all("api-key" not in body and "api-id" not in body for body in changes), changes
    assert [body.get("rotation-interval") for body in changes] == ["45"]


def test_destroy_deletes_everything_in_an_order_aws_accepts(
    engine: Engine, deployed: tuple[Org, Path, dict[str, str]]
) -> None:
    org, state, env = deployed
    all_succeeded(orgctl(engine, "destroy", org.path, state, "--yes", env=env))
    assert resources_in(state, STACK) == []
    live = json.loads(_world(state).read_text(encoding="utf-8"))
    assert live == {}, sorted(value["urn"] for value in live.values())
