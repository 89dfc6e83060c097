"""Faults the run survives, against the fake ``pulumi``: a report written as the run goes,
locks of updates that are gone, transient failures retried and permanent ones not.

The real-engine versions (SIGKILL of the whole run, a flaky Akeyless, a throttled account)
are in ``tests/engine/test_engine_chaos.py``.
"""

from __future__ import annotations

import json
import os
import random
import socket
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from akeyless_gateway_org.faults import RetryPolicy, classify
from akeyless_gateway_org.run.backend_locks import RunLease, stack_locks
from akeyless_gateway_org.run.orchestrator import (
    DeploymentEvent,
    DeploymentOptions,
    DeploymentRequest,
    DeploymentResult,
    InvalidRequest,
    load_report,
    run_deployment,
)
from akeyless_gateway_org.run.pulumi_runner import AutomationRunner
from tests.conftest import FAKE_PASSPHRASE, orgctl_with_fake
from tests.fake_pulumi import install_fake_pulumi, operations, set_behaviour
from tests.test_orchestrator import org_with_members

PROJECT = "akeyless-gateway-org"
MEMBER = "member-900000000000"
FAST: dict[str, Any] = {"retry_backoff_seconds": 0.0, "lock_backoff_seconds": 0.0}
THROTTLED = (
    "creating IAM Role (akeyless-gateway-member): operation error IAM: CreateRole, exceeded "
    "maximum number of attempts, 25, https response error StatusCode: 400, RequestID: "
    "3f1c7a52-0000-4000-8000-000000000000, api error Throttling: Rate exceeded"
)
DENIED = (
    "creating IAM Role (akeyless-gateway-member): operation error IAM: CreateRole, https "
    "response error StatusCode: 403, RequestID: 3f1c7a52-0000-4000-8000-000000000001, api error "
    "AccessDenied: User: arn:aws:sts::900000000000:assumed-role/deployer/x is not authorized to "
    "perform: iam:CreateRole"
)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", FAKE_PASSPHRASE)
    return install_fake_pulumi(tmp_path / "cli")


def deploy(
    fake: Path,
    tmp_path: Path,
    *,
    members: int = 1,
    events: list[DeploymentEvent] | None = None,
    runner: AutomationRunner | None = None,
    **options: Any,
) -> DeploymentResult:
    runner = runner or AutomationRunner(state_dir=tmp_path / "state", pulumi_cli=fake)
    request = DeploymentRequest(org_with_members(members), "up", DeploymentOptions(**options))
    return run_deployment(request, events.append if events is not None else None, runner=runner)


def lock_dir(tmp_path: Path, stack: str) -> Path:
    return tmp_path / "state" / "state" / ".pulumi" / "locks" / "organization" / PROJECT / stack


def foreign_lock(tmp_path: Path, stack: str, age: timedelta) -> Path:
    """A lock as another host's ``pulumi up`` writes it (pkg/backend/diy/lock.go)."""
    folder = lock_dir(tmp_path, stack)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4()}.json"
    stamp = (datetime.now(UTC) - age).isoformat().replace("+00:00", "123Z")  # Go's nanoseconds
    content = {"pid": 4242, "username": "ci", "hostname": "another-runner", "timestamp": stamp}
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


# --- classification ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "fault"),
    [
        (THROTTLED, "transient"),
        (
            "operation error EC2: RunInstances, https response error StatusCode: 503, RequestID: "
            "x, api error RequestLimitExceeded: Request limit exceeded.",
            "transient",
        ),
        (
            "reading IAM Role: operation error IAM: GetRole, exceeded maximum number of attempts, "
            "25, https response error StatusCode: 0, RequestID: , request send failed, Post "
            '"https://iam.amazonaws.com/": read tcp 10.0.0.1:443: connection reset by peer',
            "transient",
        ),
        ('Post "https://sts.amazonaws.com/": dial tcp: i/o timeout', "transient"),
        (
            "Exception: cannot read the External ID of target '/t' (account 1) at http://gw: "
            "HTTP 502 Bad Gateway (after 5 attempts)",
            "transient",
        ),
        (
            "Exception: cannot log in to Akeyless at https://api.akeyless.io: "
            "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))",
            "transient",
        ),
        (
            "Exception: the Gateway at http://gw:8080/health did not become healthy within 900s "
            "(last: HTTP 502)",
            "transient",
        ),
        (DENIED, "permanent"),
        (
            "cannot log in to Akeyless at http://x with access ID p-x (api_key login): HTTP 401 "
            "Unauthorized",
            "permanent",
        ),
        ("mandatory policy violation: required-tags", "permanent"),
        (
            "    - [mandatory]  required-tags  (aws:iam/role:Role: hub-role)\n"
            "    error: HTTP 503 from somewhere",
            "permanent",
        ),
        ("error: settings is invalid (1 problem(s)):\n  - regions[0]: unknown region", "permanent"),
        ("Stack 'hub' is missing configuration value 'settings'", "permanent"),
        (
            "creating IAM Role (x): EntityAlreadyExists: Role with name x already exists.",
            "permanent",
        ),
        ("error: update failed", "permanent"),
    ],
)
def test_classify_retries_only_what_passes(message: str, fault: str) -> None:
    assert classify(message) == fault


def test_backoff_is_exponential_capped_and_jittered() -> None:
    policy = RetryPolicy(attempts=5, backoff_seconds=2.0, max_backoff_seconds=5.0)
    rng = random.Random(1)
    waits = [[policy.backoff(attempt, rng) for _ in range(200)] for attempt in (1, 2, 3, 4)]
    assert [max(w) <= cap for w, cap in zip(waits, (2, 4, 5, 5), strict=True)] == [True] * 4
    assert all(min(w) < cap / 4 for w, cap in zip(waits, (2, 4, 5, 5), strict=True))
    assert len({round(w, 6) for w in waits[0]}) > 100  # not one fixed wait: jitter


# --- retries of a stack ----------------------------------------------------------------------


def test_a_throttled_stack_is_retried_and_every_attempt_is_kept(fake: Path, tmp_path: Path) -> None:
    set_behaviour(fake, fail={MEMBER: THROTTLED}, fail_times={MEMBER: 2})
    events: list[DeploymentEvent] = []
    result = deploy(fake, tmp_path, events=events, **FAST)
    assert result.ok, [s.error for s in result.stacks]
    member = result.stacks[-1]
    assert [a.outcome for a in member.attempts] == ["transient", "transient", "succeeded"]
    assert "api error Throttling" in (member.attempts[0].error or "")
    mine = [(e.status, e.attempt) for e in events if e.stack == MEMBER and e.status != "queued"]
    assert mine == [
        ("running", 1),
        ("retrying", 1),
        ("running", 2),
        ("retrying", 2),
        ("running", 3),
        ("succeeded", 3),
    ]
    report = result.as_report()["stacks"][-1]
    assert [a["outcome"] for a in report["attempts"]] == ["transient", "transient", "succeeded"]


def test_a_permanent_failure_fails_once(fake: Path, tmp_path: Path) -> None:
    set_behaviour(fake, fail={MEMBER: DENIED})
    result = deploy(fake, tmp_path, **FAST)
    (failed,) = result.failed
    assert [a.outcome for a in failed.attempts] == ["failed"]
    assert [c["stack"] for c in operations(fake)].count(MEMBER) == 1


def test_transient_failures_past_the_attempts_fail_saying_so(fake: Path, tmp_path: Path) -> None:
    set_behaviour(fake, fail={MEMBER: THROTTLED})
    result = deploy(fake, tmp_path, retry_attempts=2, **FAST)
    (failed,) = result.failed
    assert [a.outcome for a in failed.attempts] == ["transient", "transient"]
    assert "a transient failure, 2 attempts: giving up" in (failed.error or "")


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("retry_attempts", 0, "retry_attempts must be at least 1"),
        ("retry_backoff_seconds", -1.0, "retry_backoff_seconds must be 0 or more"),
        ("retry_max_backoff_seconds", float("nan"), "retry_max_backoff_seconds must be 0"),
        ("lock_retries", -1, "lock_retries must be 0 or more"),
    ],
)
def test_bad_retry_options_name_the_option(option: str, value: float, named: str) -> None:
    with pytest.raises(InvalidRequest, match=named):
        DeploymentOptions(**{option: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--retry-attempts", "0"], "--retry-attempts"),
        (["--retry-backoff", "-2"], "--retry-backoff"),
        (["--break-locks-older-than", "soon"], "--break-locks-older-than"),
    ],
)
def test_bad_fault_options_exit_2_naming_the_option(
    fake: Path, tmp_path: Path, argv: list[str], named: str
) -> None:
    done = orgctl_with_fake("up", fake, tmp_path, *argv)
    assert done.returncode == 2, done.stderr
    assert named in done.stderr and "Traceback" not in done.stderr


# --- the report as the run goes ----------------------------------------------------------------


class ReadingReportRunner(AutomationRunner):
    """Reads the report as each stack's operation begins: what a run killed then leaves."""

    def __init__(self, report: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.report = report
        self.seen: list[dict[str, Any]] = []

    def run(self, spec: Any, verb: Any, **kwargs: Any) -> Any:
        self.seen.append(json.loads(self.report.read_text(encoding="utf-8")))
        return super().run(spec, verb, **kwargs)


def test_the_report_is_on_disk_from_the_start_and_as_every_stack_starts_and_ends(
    fake: Path, tmp_path: Path
) -> None:
    """What a run killed at each moment leaves: the plan, every stack running or ended."""
    report = tmp_path / "report.json"
    request = DeploymentRequest(
        org_with_members(2), "up", DeploymentOptions(parallel=1, report_path=report)
    )
    runner = ReadingReportRunner(report, state_dir=tmp_path / "state", pulumi_cli=fake)
    result = run_deployment(request, runner=runner)
    assert result.ok
    first, second = "member-900000000000", "member-900000000001"
    seen = [{s["name"]: s["status"] for s in doc["stacks"]} for doc in runner.seen]
    assert all(doc["finished_at"] is None for doc in runner.seen)
    assert seen == [
        {"org": "running", "hub": "queued", first: "queued", second: "queued"},
        {"org": "succeeded", "hub": "running", first: "queued", second: "queued"},
        {"org": "succeeded", "hub": "succeeded", first: "running", second: "queued"},
        {"org": "succeeded", "hub": "succeeded", first: "succeeded", second: "running"},
    ]
    final = json.loads(report.read_text(encoding="utf-8"))
    assert final["finished_at"] is not None and final["ok"] is True
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_resume_from_a_report_cut_short_reruns_what_had_not_succeeded(
    fake: Path, tmp_path: Path
) -> None:
    """A report left by a killed run: org succeeded, hub running, members queued."""
    report = tmp_path / "killed.json"
    stacks = [
        {"name": "org", "status": "succeeded"},
        {"name": "hub", "status": "running"},
        {"name": MEMBER, "status": "queued"},
    ]
    report.write_text(json.dumps({"finished_at": None, "stacks": stacks}), encoding="utf-8")
    result = deploy(fake, tmp_path, resume_from=load_report(report))
    assert result.ok
    assert [c["stack"] for c in operations(fake)] == ["hub", MEMBER]
    assert {s.name: s.status for s in result.stacks}["org"] == "skipped"
    # and a resume of that resumed run reruns nothing the first one had done
    again = deploy(fake, tmp_path, resume_from={s.name: s.status for s in result.stacks})
    assert again.stacks and all(s.status == "skipped" for s in again.stacks)


# --- locks of updates that are gone ---------------------------------------------------------------


def test_a_dead_updates_lock_and_pending_create_are_cleared_by_the_next_run(
    fake: Path, tmp_path: Path
) -> None:
    set_behaviour(fake, crash=[MEMBER])
    crashed = deploy(fake, tmp_path, **FAST)
    (failed,) = crashed.failed
    assert "the next run removes it" in (failed.error or "")
    (stale,) = lock_dir(tmp_path, MEMBER).glob("*.json")
    set_behaviour(fake)
    events: list[DeploymentEvent] = []
    again = deploy(fake, tmp_path, events=events, **FAST)
    assert again.ok, [s.error for s in again.stacks]
    member = again.stacks[-1]
    assert any(
        f"removed the stale lock {stale}" in w and "no longer runs" in w for w in member.warnings
    ), member.warnings
    assert any(
        "1 pending operation(s) (creating member-900000000000-role)" in w for w in member.warnings
    ), member.warnings
    succeeded = [e for e in events if e.stack == MEMBER and e.status == "succeeded"]
    assert succeeded[0].warnings == tuple(member.warnings)
    refreshes = [c for c in operations(fake) if c["argv"][0] == "refresh"]
    assert [c["stack"] for c in refreshes] == [MEMBER]
    assert "--clear-pending-creates" in refreshes[0]["argv"]
    assert not stale.exists()


def test_a_lock_of_a_live_process_on_this_host_is_kept(fake: Path, tmp_path: Path) -> None:
    folder = lock_dir(tmp_path, MEMBER)
    folder.mkdir(parents=True)
    lock = folder / "live.json"
    content = {
        "pid": os.getpid(),
        "username": "me",
        "hostname": socket.gethostname(),
        "timestamp": datetime.now(UTC).isoformat(),
    }
    lock.write_text(json.dumps(content))
    result = deploy(fake, tmp_path, lock_retries=1, **FAST)
    (failed,) = result.failed
    assert "still locked after 2 attempts" in (failed.error or "")
    assert "its process still runs on this host" in (failed.error or "")
    assert lock.exists()


def test_another_hosts_lock_is_kept_without_the_option(fake: Path, tmp_path: Path) -> None:
    lock = foreign_lock(tmp_path, MEMBER, timedelta(hours=5))
    result = deploy(fake, tmp_path, lock_retries=0, **FAST)
    (failed,) = result.failed
    assert "pass --break-locks-older-than" in (failed.error or "") and lock.exists()


def test_another_hosts_old_lock_goes_with_the_option_when_no_other_run_lives(
    fake: Path, tmp_path: Path
) -> None:
    old = foreign_lock(tmp_path, MEMBER, timedelta(hours=5))
    runner = AutomationRunner(
        state_dir=tmp_path / "state", pulumi_cli=fake, break_locks_older_than=3600
    )
    result = deploy(fake, tmp_path, runner=runner, **FAST)
    assert result.ok, [s.error for s in result.stacks]
    assert not old.exists()
    assert any("written on another host" in w for w in result.stacks[-1].warnings)


def test_another_hosts_young_lock_is_kept_even_with_the_option(fake: Path, tmp_path: Path) -> None:
    young = foreign_lock(tmp_path, MEMBER, timedelta(minutes=5))
    runner = AutomationRunner(
        state_dir=tmp_path / "state", pulumi_cli=fake, break_locks_older_than=3600
    )
    result = deploy(fake, tmp_path, runner=runner, lock_retries=0, **FAST)
    assert "younger than 3600s" in (result.failed[0].error or "") and young.exists()


def test_another_hosts_old_lock_is_kept_while_another_run_is_alive(
    fake: Path, tmp_path: Path
) -> None:
    """The org run's own lock (a lease another orgctl keeps fresh) forbids breaking locks."""
    old = foreign_lock(tmp_path, MEMBER, timedelta(hours=5))
    backend = f"file://{tmp_path / 'state' / 'state'}"
    other = RunLease(backend)
    other.start()  # this process's pid: alive, and on this host
    try:
        runner = AutomationRunner(
            state_dir=tmp_path / "state", pulumi_cli=fake, break_locks_older_than=3600
        )
        result = deploy(fake, tmp_path, runner=runner, lock_retries=0, **FAST)
    finally:
        other.stop()
    assert "another orgctl run is alive" in (result.failed[0].error or "") and old.exists()
    assert [p.name for p in (tmp_path / "state/state/.orgctl/runs").glob("*")] == []


def test_a_lease_from_another_host_counts_until_its_heartbeat_is_old(tmp_path: Path) -> None:
    backend = f"file://{tmp_path}"
    mine = RunLease(backend)
    assert mine.folder is not None
    mine.folder.mkdir(parents=True)
    lease = {"run_id": "x", "hostname": "elsewhere", "pid": 1, "started_at": "t"}
    (mine.folder / "x.json").write_text(json.dumps({**lease, "heartbeat": 1000.0}))
    assert mine.others_alive(now=1030.0) == ["elsewhere pid 1 since t"]
    assert mine.others_alive(now=1100.0) == []


def test_a_lock_whose_pid_was_reused_is_stale(tmp_path: Path) -> None:
    """pid alive here, but that process started after the lock was written: not its writer."""
    folder = tmp_path / ".pulumi" / "locks" / "o" / "p" / "s"
    folder.mkdir(parents=True)
    content = {
        "pid": os.getpid(),
        "username": "me",
        "hostname": socket.gethostname(),
        "timestamp": "2001-01-01T00:00:00.123456789Z",
    }
    (folder / "l.json").write_text(json.dumps(content))
    (lock,) = stack_locks(f"file://{tmp_path}", "o/p/s")
    assert "later process" in (lock.dead_here() or "")
