"""Faults on the real engine: the whole run SIGKILLed at several points, a flaky Akeyless, a
throttled account, a permanent error.

One deployment of the centralized example (org, hub, three members), in file order. Each kill
freezes and SIGKILLs orgctl and every process below it (the CLIs, language hosts, providers)
at once, as a CI runner that dies would; then one plain rerun, with no step in between, must
succeed for every stack, leave no lock and no pending operation in any stack's state.
The stand-in providers read ``STANDIN_FAULTS`` (tests/engine/standin_provider.py); the fake
Akeyless answers a share of requests with 502s and resets (tests/fake_akeyless.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CENTRALIZED_EXAMPLE
from tests.engine.harness import (
    Engine,
    Run,
    kill_tree,
    lock_files,
    org_file,
    orgctl,
    pending_operations,
    resources_in,
    set_rotated_key_secrets,
    start_orgctl,
)
from tests.fake_akeyless import FakeAkeyless

ORG, HUB = "111111111111", "222222222222"
MEMBERS = ("333333333333", "444444444444", "555555555555")
STACKS = ["org", "hub", *(f"member-{m}" for m in MEMBERS)]


@pytest.fixture(scope="module")
def chaos(
    engine: Engine, fake_gateway: FakeAkeyless, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Path]]:
    folder = tmp_path_factory.mktemp("chaos")
    paths = {
        "org": org_file(CENTRALIZED_EXAMPLE, fake_gateway, folder),
        "state": folder / "state",
        "faults": folder / "faults.json",
        "folder": folder,
    }
    retagged = folder / "retagged"
    retagged.mkdir()
    tags = {"owner": "platform-security", "chaos": "retagged"}
    paths["retagged"] = org_file(CENTRALIZED_EXAMPLE, fake_gateway, retagged, tags=tags)
    set_rotated_key_secrets(engine, paths["org"], paths["state"])
    yield paths


def _faults(paths: dict[str, Path], **faults: Any) -> dict[str, str]:
    paths["faults"].write_text(json.dumps(faults), encoding="utf-8")
    Path(f"{paths['faults']}.count").unlink(missing_ok=True)
    return {"STANDIN_FAULTS": str(paths["faults"])}


def _killed(
    engine: Engine,
    verb: str,
    org: Path,
    state: Path,
    when: Callable[[dict[str, Any]], bool],
    *extra: str,
    env: dict[str, str] | None = None,
    settle: float = 0.0,
) -> dict[str, Any] | None:
    """Run orgctl, SIGKILL its whole tree at the first event ``when`` accepts (plus ``settle``
    seconds, so resource operations are under way); return the report it left, if any (checked
    after the rerun, so a test says first whether the rerun recovered)."""
    report = state.parent / f"killed-{verb}-{time.monotonic_ns()}.json"
    process = start_orgctl(engine, verb, org, state, *extra, report=report, env=env)
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(json.loads(line))
        if when(seen[-1]):
            time.sleep(settle)
            kill_tree(process.pid)
            break
    process.communicate(timeout=60)
    assert process.returncode == -9, (process.returncode, seen)
    if not report.exists():
        return None
    document: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return document


def _statuses(report: dict[str, Any] | None) -> dict[str, str]:
    """The statuses of a report a killed run left (cut short: ``finished_at`` null)."""
    assert report is not None, "the killed run left no report"
    assert report["finished_at"] is None, report
    return {stack["name"]: stack["status"] for stack in report["stacks"]}


def _recovered(engine: Engine, run: Run, state: Path) -> None:
    """Every stack succeeded, or was left unchanged since its last completed up (its
    fingerprint: run/incremental.py); no lock left, no pending operation in any stack's state."""
    assert run.returncode == 0, run.explain()
    assert set(run.statuses()) == set(STACKS), run.explain()
    assert set(run.statuses().values()) <= {"succeeded", "unchanged"}, run.explain()
    assert lock_files(state) == []
    for stack in STACKS:
        assert pending_operations(engine, state, stack) == [], stack


def _member_locked(state: Path) -> Callable[[dict[str, Any]], bool]:
    def when(event: dict[str, Any]) -> bool:
        if event.get("kind") != "member" or event.get("status") != "running":
            return False
        deadline = time.monotonic() + 60
        while len([p for p in lock_files(state) if "member-" in str(p)]) < 2:
            assert time.monotonic() < deadline, "no member update took its lock"
            time.sleep(0.05)
        return True

    return when


def test_flaky_akeyless_and_a_throttled_account_succeed_through_retries(
    engine: Engine, chaos: dict[str, Path], fake_gateway: FakeAkeyless
) -> None:
    """The first deployment. Akeyless fails its first four requests (502, reset, 502, reset),
    then a fifth of them; member 444's AWS calls are throttled once: the run succeeds, the
    throttled stack after a retry the report keeps."""
    org, state = chaos["org"], chaos["state"]
    env = _faults(chaos, throttle={MEMBERS[1]: 1})
    fake_gateway.faults = ["502", "reset", "502", "reset"]
    fake_gateway.fault_share = 0.2
    fake_gateway.faulted.clear()
    try:
        run = orgctl(engine, "up", org, state, env=env)
    finally:
        fake_gateway.fault_share, fake_gateway.faults = 0.0, []
    _recovered(engine, run, state)
    assert {fault for _, fault in fake_gateway.faulted} == {"502", "reset"}, fake_gateway.faulted
    throttled = next(s for s in run.report["stacks"] if s["name"] == f"member-{MEMBERS[1]}")
    outcomes = [attempt["outcome"] for attempt in throttled["attempts"]]
    assert outcomes[0] == "transient" and outcomes[-1] == "succeeded", throttled["attempts"]
    assert "api error Throttling" in throttled["attempts"][0]["error"]
    retried = [e for e in run.events if e.get("status") == "retrying"]
    assert any(e["stack"] == f"member-{MEMBERS[1]}" for e in retried), retried


def test_killed_before_the_first_stack_a_plain_rerun_deploys_everything(
    engine: Engine, chaos: dict[str, Path]
) -> None:
    org, state = chaos["org"], chaos["state"]
    report = _killed(engine, "up", org, state, lambda e: e.get("status") == "phase_started")
    _recovered(engine, orgctl(engine, "up", org, state), state)
    # The plan; the org stack may have been launched in the instant before the kill.
    statuses = _statuses(report)
    assert statuses.pop("org") in ("queued", "running"), statuses
    assert set(statuses.values()) == {"queued"}, statuses


def test_killed_mid_phase_a_plain_rerun_clears_the_dead_locks_and_finishes(
    engine: Engine, chaos: dict[str, Path]
) -> None:
    """Members updating (a new tag on every resource, each operation slowed): killed."""
    org, state = chaos["retagged"], chaos["state"]
    env = _faults(chaos, delay_seconds=0.4)
    report = _killed(engine, "up", org, state, _member_locked(state), env=env, settle=1.5)
    left = lock_files(state)
    assert left, "the killed updates left no lock: the kill came too late to test anything"
    run = orgctl(engine, "up", org, state)
    _recovered(engine, run, state)
    statuses = _statuses(report)
    assert statuses["org"] == statuses["hub"] == "succeeded", statuses
    assert "running" in {statuses[f"member-{m}"] for m in MEMBERS}, statuses
    removed = [w for s in run.report["stacks"] for w in s["warnings"] if "stale lock" in w]
    # Every removal is a warning; a `pulumi` child already ending when the kill came may
    # still release its own lock before the rerun (seen once in a CI run here), so the
    # rerun can find fewer dead locks than the kill left, never more. _recovered above
    # holds the point: the rerun succeeded and left no lock.
    assert len(removed) <= len(left), (removed, left)
    assert not removed or any(
        e.get("warnings") for e in run.events if e.get("status") == "succeeded"
    )


def test_killed_between_phases_a_plain_rerun_finishes(
    engine: Engine, chaos: dict[str, Path]
) -> None:
    org, state = chaos["org"], chaos["state"]

    def org_phase_done(event: dict[str, Any]) -> bool:
        return event.get("status") == "phase_finished" and event.get("phase") == 0

    report = _killed(engine, "up", org, state, org_phase_done)
    _recovered(engine, orgctl(engine, "up", org, state), state)
    statuses = _statuses(report)
    assert statuses.pop("org") == "succeeded", statuses
    assert statuses.pop("hub") in ("queued", "running"), statuses  # launched in that instant?
    assert set(statuses.values()) == {"queued"}, statuses


def test_a_permanent_error_fails_fast_once(engine: Engine, chaos: dict[str, Path]) -> None:
    """Member 333's AWS calls are denied while its resources are retagged: one attempt."""
    org, state = chaos["retagged"], chaos["state"]
    env = _faults(chaos, deny=[MEMBERS[0]])
    run = orgctl(engine, "up", org, state, "--only", MEMBERS[0], env=env)
    assert run.returncode == 1, run.explain()
    (stack,) = run.report["stacks"]
    assert stack["status"] == "failed" and "AccessDenied" in stack["error"], stack
    assert [a["outcome"] for a in stack["attempts"]] == ["failed"], stack["attempts"]
    assert [e["status"] for e in run.events if e.get("stack")] == ["queued", "running", "failed"]


def test_killed_during_destroy_a_plain_rerun_destroys_everything(
    engine: Engine, chaos: dict[str, Path]
) -> None:
    org, state = chaos["org"], chaos["state"]
    env = _faults(chaos, delay_seconds=0.4)
    report = _killed(
        engine, "destroy", org, state, _member_locked(state), "--yes", env=env, settle=1.5
    )
    assert lock_files(state), "the killed destroy left no lock: the kill came too late"
    run = orgctl(engine, "destroy", org, state, "--yes")
    _recovered(engine, run, state)
    for stack in STACKS:
        assert resources_in(state, stack) == [], stack
    assert "running" in set(_statuses(report).values()), report
