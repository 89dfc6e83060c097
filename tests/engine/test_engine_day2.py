"""Day 2 on the real engine, on one deployment (the centralized example's org, hub and one
member): CLI starts per stack, incremental runs, and drift found by a refresh preview.

The ``pulumi`` orgctl runs is a wrapper that logs each invocation before it executes the
real CLI, so the tests count them per stack (``--stack``). Slow: ``pytest tests/engine``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import CENTRALIZED_EXAMPLE
from tests.engine.harness import Counting, Engine, all_succeeded, org_file, orgctl
from tests.fake_akeyless import FakeAkeyless

ORG, HUB, MEMBER = "111111111111", "222222222222", "333333333333"
MEMBER_STACK = f"member-{MEMBER}"
ACCOUNTS = (ORG, HUB, MEMBER)


@pytest.fixture(scope="module")
def deployed(
    engine: Engine, fake_gateway: FakeAkeyless, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Counting, Path, Path]]:
    """(counting engine, org file, state dir) after a first ``up`` of org, hub and a member."""
    folder = tmp_path_factory.mktemp("day2")
    counting = Counting(engine, folder)
    org = org_file(CENTRALIZED_EXAMPLE, fake_gateway, folder)
    state = folder / "state"
    first = orgctl(counting.engine, "up", org, state, "--only", *ACCOUNTS)
    all_succeeded(first)
    calls = counting.per_stack()
    # A new stack: stack init, up, stack output (read once, for the outputs and fingerprint).
    assert calls == {
        key: ["stack init", "up", "stack output"] for key in ["org", "hub", MEMBER_STACK]
    }
    yield counting, org, state


def test_an_up_that_changes_nothing_runs_no_stack_program(
    deployed: tuple[Counting, Path, Path],
) -> None:
    counting, org, state = deployed
    again = orgctl(counting.engine, "up", org, state, "--only", *ACCOUNTS)
    assert again.returncode == 0 and set(again.statuses().values()) == {"unchanged"}, (
        again.explain()
    )
    # One CLI start per stack: its fingerprint and outputs read back; no up, no program.
    assert counting.per_stack() == {key: ["stack output"] for key in ["org", "hub", MEMBER_STACK]}
    unchanged = [e for e in again.events if e.get("status") == "unchanged"]
    assert len(unchanged) == 3 and all("nothing it is built from" in e["reason"] for e in unchanged)
    assert all(s["reason"] for s in again.report["stacks"])


def test_one_accounts_tags_changed_run_exactly_its_stack_in_3_cli_starts_and_2_to_preview(
    deployed: tuple[Counting, Path, Path], fake_gateway: FakeAkeyless, tmp_path: Path
) -> None:
    counting, org, state = deployed
    document = yaml.safe_load(org.read_text(encoding="utf-8"))
    (account,) = [a for a in document["accounts"] if str(a["id"]) == MEMBER]
    account["tags"] = {"cost-center": "cc-42"}
    changed = tmp_path / "org.yaml"
    changed.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    preview = orgctl(counting.engine, "preview", changed, state, "--only", *ACCOUNTS)
    assert preview.statuses() == {
        "org": "unchanged",
        "hub": "unchanged",
        MEMBER_STACK: "succeeded",
    }, preview.explain()
    member = next(s for s in preview.report["stacks"] if s["name"] == MEMBER_STACK)
    assert member["changes"].get("update"), member
    assert counting.per_stack()[MEMBER_STACK] == ["stack output", "preview"]
    up = orgctl(counting.engine, "up", changed, state, "--only", *ACCOUNTS)
    assert up.statuses() == {
        "org": "unchanged",
        "hub": "unchanged",
        MEMBER_STACK: "succeeded",
    }, up.explain()
    member = next(s for s in up.report["stacks"] if s["name"] == MEMBER_STACK)
    assert member["reason"] == "changed since its last up: its settings", member
    calls = counting.per_stack()
    assert calls[MEMBER_STACK] == ["stack output", "up", "stack output"]
    assert calls["org"] == calls["hub"] == ["stack output"]
    # Deployed as changed: the next up leaves it unchanged too.
    again = orgctl(counting.engine, "up", changed, state, "--only", *ACCOUNTS)
    assert set(again.statuses().values()) == {"unchanged"}, again.explain()
    counting.per_stack()


def test_a_failed_up_records_no_fingerprint_so_the_next_up_runs_the_stack_again(
    deployed: tuple[Counting, Path, Path], tmp_path: Path
) -> None:
    """The member's AWS calls denied (pulumi-aws's AccessDenied text) while its tags change:
    the up fails, and the next one, without the fault, runs it instead of skipping it."""
    counting, org, state = deployed
    document = yaml.safe_load(org.read_text(encoding="utf-8"))
    (account,) = [a for a in document["accounts"] if str(a["id"]) == MEMBER]
    account["tags"] = {"cost-center": "cc-failed"}
    changed = tmp_path / "org.yaml"
    changed.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"deny": [MEMBER]}))
    failed = orgctl(
        counting.engine,
        "up",
        changed,
        state,
        "--only",
        MEMBER,
        "--retry-attempts",
        "1",
        env={"STANDIN_FAULTS": str(faults)},
    )
    assert failed.statuses() == {MEMBER_STACK: "failed"}, failed.explain()
    again = orgctl(counting.engine, "up", changed, state, "--only", MEMBER)
    assert again.statuses() == {MEMBER_STACK: "succeeded"}, again.explain()
    counting.per_stack()


def test_drift_finds_a_resource_changed_behind_pulumis_back_and_writes_nothing(
    deployed: tuple[Counting, Path, Path], tmp_path: Path
) -> None:
    counting, org, state = deployed
    stack_file = (
        state / "state" / ".pulumi" / "stacks" / "akeyless-gateway-org" / "member-333333333333.json"
    )
    before = stack_file.read_bytes()
    clean = orgctl(counting.engine, "drift", org, state, "--only", MEMBER)
    assert clean.returncode == 0, clean.explain()
    assert [e["status"] for e in clean.events] == ["checking", "clean", "finished"], clean.events
    role = f"{MEMBER_STACK}-access-role"
    drift_file = tmp_path / "drift.json"
    drift_file.write_text(json.dumps({role: {"tags": {"owner": "someone-by-hand"}}}))
    drifted = orgctl(
        counting.engine,
        "drift",
        org,
        state,
        "--only",
        MEMBER,
        env={"STANDIN_DRIFT": str(drift_file)},
    )
    assert drifted.returncode == 3, drifted.explain()
    verdict = next(e for e in drifted.events if e["status"] == "drifted")
    assert verdict["account"] == MEMBER and verdict["stack"] == MEMBER_STACK
    (resource,) = verdict["resources"]
    assert (resource["type"], resource["name"], resource["op"]) == (
        "aws:iam/role:Role",
        role,
        "update",
    )
    (tags,) = [p for p in resource["properties"] if p["name"] == "tags"]
    assert (
        tags["cloud"] == {"owner": "someone-by-hand"}
        and tags["state"]["owner"] != "someone-by-hand"
    )
    assert drifted.report["counts"] == {"drifted": 1}
    # One CLI start per stack, and the state untouched by either check.
    assert Counter(counting.per_stack()[MEMBER_STACK]) == {"refresh": 2}
    assert stack_file.read_bytes() == before


def test_drift_of_a_stack_never_deployed_exits_1(deployed: tuple[Counting, Path, Path]) -> None:
    counting, org, state = deployed
    unchecked = orgctl(counting.engine, "drift", org, state, "--only", "444444444444")
    assert unchecked.returncode == 1, unchecked.explain()
    assert unchecked.report["stacks"][0]["status"] == "unchecked"
    assert "not deployed" in unchecked.report["stacks"][0]["error"]
