"""How org-wide runs behave on the real CLI's terms: backend, Ctrl-C, diagnostics, records.

Against ``tests/fake_pulumi.sh``, which models the CLI where the product depends
on it (each model cites its Pulumi source there).
"""

from __future__ import annotations

import ast
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

import akeyless_gateway_org as api
from akeyless_gateway_org import cli as orgctl
from akeyless_gateway_org.components.stacks import FINGERPRINT_OUTPUT
from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.stacks import plan_stacks
from akeyless_gateway_org.discovery import DiscoveryError
from akeyless_gateway_org.project import PROJECT_DIR
from akeyless_gateway_org.run.incremental import PARTS
from akeyless_gateway_org.run.orchestrator import (
    DeploymentAborted,
    DeploymentEvent,
    DeploymentOptions,
    DeploymentRequest,
    DeploymentResult,
    run_deployment,
)
from akeyless_gateway_org.run.progress import LiveProgress
from akeyless_gateway_org.run.protocol import StackFailed
from akeyless_gateway_org.run.pulumi_runner import (
    AutomationRunner,
    ProjectNotFound,
    diagnostic_lines,
)
from tests.conftest import CENTRALIZED_EXAMPLE, FAKE_PASSPHRASE
from tests.fake_pulumi import calls, install_fake_pulumi, operations, set_behaviour
from tests.test_orchestrator import org_with_members

PROJECT = "akeyless-gateway-org"
RUN_DIR = PROJECT_DIR / "src" / "akeyless_gateway_org" / "run"
MEMBER = "member-900000000000"


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", FAKE_PASSPHRASE)
    return install_fake_pulumi(tmp_path / "cli")


@pytest.fixture
def sigint_restored() -> Iterator[None]:
    """orgctl's main() installs a SIGINT handler; give pytest its own back."""
    previous = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, previous)


def runner_for(fake: Path, state_dir: Path, **extra: Any) -> AutomationRunner:
    return AutomationRunner(state_dir=state_dir, pulumi_cli=fake, **extra)


def deploy(
    fake: Path,
    tmp_path: Path,
    org: OrgDeployment,
    verb: str = "up",
    on_event: Any = None,
    **options: Any,
) -> DeploymentResult:
    request = DeploymentRequest(org, verb, DeploymentOptions(**options))  # type: ignore[arg-type]
    return run_deployment(request, on_event, runner=runner_for(fake, tmp_path / "state"))


def lock_files(state_dir: Path, stack: str) -> list[Path]:
    folder = state_dir / "state" / ".pulumi" / "locks" / "organization" / PROJECT / stack
    return sorted(folder.glob("*.json"))


def wait_for(condition: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# --- item 3: one backend, however --state-dir is spelled ---------------------------


def test_a_relative_state_dir_is_one_absolute_backend_for_every_stack(
    fake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first = run_deployment(
        DeploymentRequest(org_with_members(2), "up"),
        runner=runner_for(fake, Path("relative-state")),
    )
    assert first.ok
    backends = {call["backend"] for call in calls(fake) if call["argv"][0] != "version"}
    assert backends == {f"file://{tmp_path / 'relative-state' / 'state'}"}
    # The next run's one listing finds every stack: they share that backend.
    again = runner_for(fake, Path("relative-state"))
    again.prepare([], {})
    assert again.existing_stacks() == ["hub", MEMBER, "member-900000000001", "org"]


def test_a_relative_file_backend_url_is_made_absolute(
    fake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = runner_for(fake, tmp_path / "state", backend_url="file://shared?no_tmp_dir=true")
    run_deployment(DeploymentRequest(org_with_members(1), "up"), runner=runner)
    backends = {call["backend"] for call in operations(fake)}
    assert backends == {f"file://{tmp_path / 'shared'}?no_tmp_dir=true"}


# --- item 4: Ctrl-C ----------------------------------------------------------------


def test_every_cli_child_runs_in_a_session_of_its_own(fake: Path, tmp_path: Path) -> None:
    deploy(fake, tmp_path, org_with_members(1))
    children = [call for call in calls(fake) if call["argv"][0] != "version"]
    assert children and all(call["sid"] == str(call["pid"]) for call in children)


def test_interrupting_sends_sigint_and_the_update_ends_gracefully(
    fake: Path, tmp_path: Path
) -> None:
    set_behaviour(fake, hang=[MEMBER], hang_seconds=4)
    stop, cancel = threading.Event(), threading.Event()

    def on_event(event: DeploymentEvent) -> None:
        if event.status == "running" and event.stack == MEMBER:

            def interrupt_when_locked() -> None:
                wait_for(lambda: lock_files(tmp_path / "state", MEMBER))
                stop.set()
                cancel.set()

            threading.Thread(target=interrupt_when_locked).start()

    request = DeploymentRequest(org_with_members(1), "up")
    result = run_deployment(
        request, on_event, runner=runner_for(fake, tmp_path / "state"), stop=stop, cancel=cancel
    )
    member = result.stacks[-1]
    assert (member.status, result.interrupted) == ("failed", True)
    assert "update canceled" in (member.error or "")  # not the hang running its course
    assert "cancel" not in [call["argv"][0] for call in calls(fake)]  # only unlocks on DIY
    assert lock_files(tmp_path / "state", MEMBER) == []  # the CLI released its lock


def test_the_fake_cancel_only_deletes_the_lock_like_the_diy_backend(
    fake: Path, tmp_path: Path
) -> None:
    """``pulumi cancel`` on a file backend: the lock goes, the update keeps running."""
    set_behaviour(fake, hang=[MEMBER], hang_seconds=10, check_config=False)  # cancel only
    state = tmp_path / "state"
    env = {
        **os.environ,
        "PULUMI_BACKEND_URL": f"file://{state / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": FAKE_PASSPHRASE,
    }
    stack = f"organization/{PROJECT}/{MEMBER}"
    pulumi = str(fake / "bin" / "pulumi")
    update = subprocess.Popen(
        [pulumi, "up", "--stack", stack], env=env, stdout=subprocess.PIPE, text=True
    )
    wait_for(lambda: lock_files(state, MEMBER))
    subprocess.run([pulumi, "cancel", "--yes", stack], env=env, check=True)
    assert lock_files(state, MEMBER) == []
    time.sleep(0.2)
    assert update.poll() is None  # still running
    update.send_signal(signal.SIGINT)
    stdout, _ = update.communicate(timeout=5)
    assert update.returncode == 255 and "update canceled" in stdout


def _start_orgctl(
    fake: Path, tmp_path: Path, sts_endpoint: str, *extra: str
) -> subprocess.Popen[str]:
    """orgctl in a process group of its own, like a shell's foreground job; its AWS
    identity (the preflight's) from the moto STS."""
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "akeyless_gateway_org", "up"),
            *("--config", str(CENTRALIZED_EXAMPLE), "--pulumi-cli", str(fake)),
            *("--state-dir", str(tmp_path / "state"), *extra),
        ],
        cwd=PROJECT_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "PULUMI_CONFIG_PASSPHRASE": "x",
            "AWS_ACCESS_KEY_ID": "AKIARUNTIMETEST00000",
            "AWS_SECRET_ACCESS_KEY": "x" * 40,
            "AWS_ENDPOINT_URL_STS": sts_endpoint,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_ctrl_c_at_the_terminal_once_lets_in_flight_finish_twice_interrupts(
    fake: Path, tmp_path: Path, sts_endpoint: str
) -> None:
    """SIGINT to orgctl's process group, as the terminal sends it."""
    set_behaviour(fake, hang=["hub"], hang_seconds=6)
    report = tmp_path / "report.json"
    orgctl_process = _start_orgctl(fake, tmp_path, sts_endpoint, "--json", "--report", str(report))
    wait_for(lambda: lock_files(tmp_path / "state", "hub"), seconds=20)
    os.killpg(orgctl_process.pid, signal.SIGINT)
    time.sleep(0.5)
    assert lock_files(tmp_path / "state", "hub"), "the first Ctrl-C reached the hub's update"
    os.killpg(orgctl_process.pid, signal.SIGINT)
    _, stderr = orgctl_process.communicate(timeout=10)
    assert orgctl_process.returncode == 1, stderr
    assert "Traceback" not in stderr
    document = json.loads(report.read_text())
    statuses = {stack["name"]: stack["status"] for stack in document["stacks"]}
    assert statuses["org"] == "succeeded" and statuses["hub"] == "failed"
    assert {statuses[name] for name in statuses if name.startswith("member-")} == {"not_run"}
    assert document["interrupted"] is True
    assert "update canceled" in next(s["error"] for s in document["stacks"] if s["name"] == "hub")
    assert lock_files(tmp_path / "state", "hub") == []


# --- item 5: the CLI's diagnostics, secrets masked ----------------------------------


def test_a_failure_keeps_the_cli_diagnostics_with_secrets_masked(
    fake: Path, tmp_path: Path
) -> None:
    secret = "akl-secret-0123456789"
    message = (
        f"creating Role: AccessDenied with key {secret} [urn=urn:pulumi:x::y::aws:iam/role:Role::r]"
    )
    set_behaviour(fake, fail={MEMBER: message})
    events: list[DeploymentEvent] = []
    request = DeploymentRequest(
        org_with_members(1), "up", environment={"AKEYLESS_ACCESS_KEY": secret}
    )
    result = run_deployment(request, events.append, runner=runner_for(fake, tmp_path / "state"))
    (failed,) = result.failed
    error = failed.error or ""
    assert f"aws:iam:Role ({MEMBER}-role):" in error
    assert "error: creating Role: AccessDenied with key [secret]" in error
    assert "[urn=urn:pulumi:x::y::aws:iam/role:Role::r]" in error
    assert secret not in error and "a warning, not kept" not in error
    failed_event = next(e for e in events if e.status == "failed")
    assert failed_event.error == error
    assert result.as_report()["stacks"][-1]["error"] == error


# --- item 8: concurrent runs, the passphrase file ------------------------------------


def test_two_runs_never_install_the_project_at_once(fake: Path, tmp_path: Path) -> None:
    set_behaviour(fake, install_delay=0.1)
    runners = [runner_for(fake, tmp_path / f"state-{n}") for n in range(2)]
    threads = [threading.Thread(target=r.prepare, args=([], {})) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first, second = sorted(
        (call["start"], call["end"]) for call in calls(fake) if call["argv"][0] == "install"
    )
    assert first[1] <= second[0]


def test_a_passphrase_file_is_accepted_as_the_cli_accepts_it(
    fake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    monkeypatch.chdir(tmp_path)
    Path("passphrase.txt").write_text(FAKE_PASSPHRASE + "\n")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", "passphrase.txt")  # relative, as users do
    result = deploy(fake, tmp_path, org_with_members(1))
    assert result.ok, [s.error for s in result.failed]
    assert all(call["has_passphrase"] for call in operations(fake))


# --- item 9: the live view -------------------------------------------------------------


def live_console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=200, force_terminal=False, color_system=None), out


def test_the_live_view_shows_not_run_and_skipped_and_brackets_verbatim() -> None:
    console, out = live_console()
    with LiveProgress(console) as live:
        live(DeploymentEvent("phase_started", phase=2, kind="member", total=2))
        live(DeploymentEvent("failed", stack=MEMBER, phase=2, error="boom [urn=urn:a] [secret]"))
        live(DeploymentEvent("not_run", stack="member-1", phase=2))
        live(DeploymentEvent("skipped", stack="org", phase=0))
    text = out.getvalue()
    assert "boom [urn=urn:a] [secret]" in text
    assert "not_run   member-1" in text and "skipped   org" in text


@pytest.mark.parametrize(
    ("behaviour", "options", "expected"),
    [
        ({"fail": ["hub"]}, {}, {"hub": "failed", MEMBER: "not_run"}),
        (
            {"fail": [MEMBER, "member-900000000001"], "delay": 0.05},
            {"parallel": 1, "max_failures": 0},
            {MEMBER: "failed", "member-900000000002": "not_run"},
        ),
    ],
    ids=["failed-hub", "max-failures-exceeded"],
)
def test_the_live_view_survives_a_run_that_leaves_stacks_not_run(
    fake: Path,
    tmp_path: Path,
    behaviour: dict[str, Any],
    options: dict[str, Any],
    expected: dict[str, str],
) -> None:
    set_behaviour(fake, **behaviour)
    console, out = live_console()
    with LiveProgress(console) as live:
        result = deploy(fake, tmp_path, org_with_members(3), on_event=live, **options)
    statuses = {stack.name: stack.status for stack in result.stacks}
    assert {name: statuses[name] for name in expected} == expected
    for name, status in expected.items():
        assert f"{status:<9} {name}" in out.getvalue()


def test_the_live_view_survives_a_stop(fake: Path, tmp_path: Path) -> None:
    stop = threading.Event()
    console, out = live_console()
    with LiveProgress(console) as live:

        def on_event(event: DeploymentEvent) -> None:
            live(event)
            if event.status == "succeeded" and event.stack == "hub":
                stop.set()

        request = DeploymentRequest(org_with_members(2), "up")
        result = run_deployment(
            request, on_event, runner=runner_for(fake, tmp_path / "state"), stop=stop
        )
    assert result.interrupted
    assert f"not_run   {MEMBER}" in out.getvalue()
    assert "stopped: nothing new was scheduled" in out.getvalue()


def test_a_crash_during_the_run_still_writes_the_report(
    fake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sigint_restored: None
) -> None:
    def broken_view(self: LiveProgress, event: DeploymentEvent) -> None:
        if event.stack == "hub" and event.status == "succeeded":
            raise RuntimeError("the display broke")

    monkeypatch.setattr(LiveProgress, "__call__", broken_view)
    report = tmp_path / "report.json"
    code = orgctl.main(
        [
            *("up", "--config", str(CENTRALIZED_EXAMPLE), "--pulumi-cli", str(fake)),
            *("--state-dir", str(tmp_path / "state"), "--report", str(report)),
        ]
    )
    assert code == 1
    document = json.loads(report.read_text())
    assert document["error"] == "the display broke" and document["ok"] is False
    statuses = {stack["name"]: stack["status"] for stack in document["stacks"]}
    assert statuses["org"] == "succeeded" and statuses["member-333333333333"] == "not_run"


def test_a_library_caller_gets_the_result_with_the_error(fake: Path, tmp_path: Path) -> None:
    def broken(event: DeploymentEvent) -> None:
        if event.status == "succeeded":
            raise RuntimeError("observer failed")

    with pytest.raises(DeploymentAborted, match="observer failed") as raised:
        deploy(fake, tmp_path, org_with_members(1), on_event=broken)
    assert raised.value.result.stacks[0].status == "succeeded"
    assert raised.value.result.finished_at is not None


# --- item 10: run records, bad input ----------------------------------------------------


def test_events_and_report_carry_utc_times_account_names_outputs_and_a_final_event(
    fake: Path, tmp_path: Path, centralized_org: OrgDeployment
) -> None:
    set_behaviour(
        fake,
        outputs={
            "member-333333333333": {
                "roleArn": "arn:aws:iam::3:role/g",
                "token": "correct-secret-value",
            }
        },
    )
    events: list[DeploymentEvent] = []
    result = deploy(fake, tmp_path, centralized_org, on_event=events.append)
    for event in events:
        assert datetime.fromisoformat(event.at).utcoffset() is not None
        assert event.at.endswith("Z")
    member = next(e for e in events if e.stack == "member-333333333333" and e.status == "running")
    assert member.account_name == "workloads-prod"
    assert events[-1].status == "finished" and events[-1].ok is True
    assert events[-1].counts == {"succeeded": 5}
    report = result.as_report()
    assert report["started_at"].endswith("Z") and report["finished_at"].endswith("Z")
    by_name = {stack["name"]: stack for stack in report["stacks"]}
    assert by_name["member-333333333333"]["outputs"] == {
        "roleArn": "arn:aws:iam::3:role/g",
        "token": "[secret]",
    }
    assert by_name["member-333333333333"]["account_name"] == "workloads-prod"
    assert "correct-secret-value" not in json.dumps(report)


def test_the_runner_reads_a_stacks_outputs_masked_and_never_creates_one(
    fake: Path, tmp_path: Path, centralized_org: OrgDeployment
) -> None:
    member = "member-333333333333"
    set_behaviour(
        fake,
        outputs={member: {"roleArn": "arn:aws:iam::3:role/g", "token": "correct-secret-value"}},
    )
    deploy(fake, tmp_path, centralized_org)
    runner = runner_for(fake, tmp_path / "state")
    runner.prepare(plan_stacks(centralized_org), {"PULUMI_CONFIG_PASSPHRASE": FAKE_PASSPHRASE})
    outputs = dict(runner.outputs(member))
    # The fingerprint orgctl's up recorded (run/incremental.py) is an output too.
    assert set(outputs.pop(FINGERPRINT_OUTPUT)) == set(PARTS)
    assert outputs == {"roleArn": "arn:aws:iam::3:role/g", "token": "[secret]"}
    with pytest.raises(StackFailed, match="no stack organization/akeyless-gateway-org/member-9"):
        runner.outputs("member-999999999999")
    assert "member-999999999999" not in runner.existing_stacks()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--only", "999999999999"], "999999999999"),
        (["--parallel", "0"], "--parallel"),
        (["--max-failures", "-1"], "--max-failures"),
        (["--resume", "missing-report.json"], "missing-report.json"),
        (["--report", "."], "--report"),
        (["--state-dir", "pyproject.toml"], "--state-dir"),
    ],
    ids=[
        "unknown-only",
        "parallel-0",
        "negative-max-failures",
        "no-resume",
        "report-dir",
        "state-file",
    ],
)
def test_bad_run_options_exit_2_naming_what_is_wrong(
    fake: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sigint_restored: None,
    extra: list[str],
    expected: str,
) -> None:
    monkeypatch.chdir(PROJECT_DIR)
    argv = ["up", "--config", str(CENTRALIZED_EXAMPLE), "--pulumi-cli", str(fake)]
    if "--state-dir" not in extra:
        argv += ["--state-dir", str(tmp_path / "state")]
    try:
        code = orgctl.main([*argv, *extra])
    except SystemExit as exit_:  # argparse's own exit for a bad option value
        code = int(exit_.code or 0)
    stderr = capsys.readouterr().err
    assert code == 2, stderr
    assert expected in stderr and "Traceback" not in stderr
    assert not operations(fake)


# --- item 11: library use ----------------------------------------------------------------


def test_the_runner_says_where_the_project_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ProjectNotFound, match="project_dir"):
        AutomationRunner(project_dir=tmp_path)


def test_orchestrator_and_runner_share_one_types_module_and_never_import_each_other() -> None:
    def imports(module: str) -> set[str]:
        tree = ast.parse((RUN_DIR / f"{module}.py").read_text())
        return {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.col_offset == 0
        }

    assert "akeyless_gateway_org.run.protocol" in imports("orchestrator") & imports("pulumi_runner")
    assert "akeyless_gateway_org.run.orchestrator" not in imports("pulumi_runner")
    assert "akeyless_gateway_org.run.pulumi_runner" not in imports("orchestrator")


def test_the_public_api_is_one_module() -> None:
    for name in api.__all__:
        assert getattr(api, name) is not None
    assert {"run_deployment", "DeploymentRequest", "AutomationRunner", "load_org_file"} <= set(
        api.__all__
    )


def test_two_requests_in_one_process_each_carry_their_own_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    fakes = [install_fake_pulumi(tmp_path / f"cli-{n}", delay=0.05) for n in range(2)]
    results: dict[int, DeploymentResult] = {}

    def deploy_for(n: int) -> None:
        request = DeploymentRequest(
            org_with_members(1),
            "up",
            environment={
                "AWS_PROFILE": f"org-{n}",
                "AKEYLESS_ACCESS_ID": f"p-access-{n}",
                "PULUMI_CONFIG_PASSPHRASE": f"passphrase-{n}",
                "PULUMI_BACKEND_URL": f"file://{tmp_path / f'backend-{n}'}",
            },
        )
        results[n] = run_deployment(request, runner=runner_for(fakes[n], tmp_path / f"s-{n}"))

    threads = [threading.Thread(target=deploy_for, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results[0].ok and results[1].ok
    for n in range(2):
        seen = operations(fakes[n])
        assert {call["aws_profile"] for call in seen} == {f"org-{n}"}
        assert {call["akeyless_access_id"] for call in seen} == {f"p-access-{n}"}
        assert {call["backend"] for call in seen} == {f"file://{tmp_path / f'backend-{n}'}"}
        assert all(call["has_passphrase"] for call in seen)
    assert "passphrase-0" not in repr(
        DeploymentRequest(
            org_with_members(1), "up", environment={"PULUMI_CONFIG_PASSPHRASE": "passphrase-0"}
        )
    )


def test_an_output_folder_that_is_a_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import akeyless_gateway_org.review.render

    # the writing is under test, not the render
    monkeypatch.setattr(akeyless_gateway_org.review.render, "render", lambda org, sdk=None: [])
    taken = tmp_path / "render-out"
    taken.write_text("a file, not a folder")
    code = orgctl.main(["render", "--config", str(CENTRALIZED_EXAMPLE), "--out", str(taken)])
    stderr = capsys.readouterr().err
    assert code == 2 and str(taken) in stderr and "Traceback" not in stderr


def test_a_failing_install_stops_the_run_with_the_cli_error(
    fake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], sigint_restored: None
) -> None:
    set_behaviour(fake, install_fails=True)
    code = orgctl.main(
        [
            *("up", "--config", str(CENTRALIZED_EXAMPLE), "--pulumi-cli", str(fake)),
            *("--state-dir", str(tmp_path / "state"), "--json"),
        ]
    )
    stderr = capsys.readouterr().err
    assert code == 1 and "installing packages: exit status 1" in stderr
    assert "Traceback" not in stderr and not operations(fake)


def test_the_diagnostics_kept_are_errors_exceptions_and_policy_violations() -> None:
    """The sections as the CLI prints them (pkg/backend/display/progress.go and diff.go)."""
    stdout = "\n".join(
        [
            "Previewing update (organization/akeyless-gateway-org/hub)",
            "",
            "Diagnostics:",
            "  pulumi:pulumi:Stack (akeyless-gateway-org-hub):",
            "    error: Program failed with an unhandled exception:",
            "    Traceback (most recent call last):",
            '      File "__main__.py", line 3, in <module>',
            "    KeyError: 'vpcId'",
            "",
            "  aws:ec2:Instance (gateway):",
            "    warning: only a warning",
            "",
            "Policies:",
            "    ✅ aws-basics@v1.0.0 (local: basics)",
            "    ❌ akeyless-gateway-security@v0.1.0 (local: policy)",
            "        - [mandatory]  required-tags  (aws:iam/role:Role: hub-role)",
            "          missing tags: Owner",
            "",
            "Resources:",
            "    + 3 to create",
        ]
    )
    assert diagnostic_lines(stdout) == [
        "  pulumi:pulumi:Stack (akeyless-gateway-org-hub):",
        "    error: Program failed with an unhandled exception:",
        "    Traceback (most recent call last):",
        '      File "__main__.py", line 3, in <module>',
        "    KeyError: 'vpcId'",
        "    ❌ akeyless-gateway-security@v0.1.0 (local: policy)",
        "        - [mandatory]  required-tags  (aws:iam/role:Role: hub-role)",
        "          missing tags: Owner",
    ]


def test_the_passphrase_from_a_file_is_masked_too(
    fake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    (tmp_path / "passphrase.txt").write_text("file-kept-passphrase\n")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", str(tmp_path / "passphrase.txt"))
    set_behaviour(fake, fail={MEMBER: "decrypting with file-kept-passphrase failed"})
    (failed,) = deploy(fake, tmp_path, org_with_members(1)).failed
    assert "decrypting with [secret] failed" in (failed.error or "")


def test_discovery_uses_the_requests_own_aws_identity(
    fake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import akeyless_gateway_org.run.orchestrator

    seen: list[Any] = []

    def resolve(org: OrgDeployment, client: Any = None) -> OrgDeployment:
        seen.append(client)
        raise DiscoveryError("stop here: the client is what is under test")

    monkeypatch.setattr(akeyless_gateway_org.run.orchestrator, "resolve_accounts", resolve)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    org = org_with_members(1).model_copy(
        update={
            "discovery": org_with_members(1).discovery.model_copy(
                update={"source": "organizations"}
            )
        }
    )
    environment = {
        "AWS_ACCESS_KEY_ID": "AKIAREQUESTONLY00000",
        "AWS_SECRET_ACCESS_KEY": "request-only-secret",
        "AWS_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
    }
    with pytest.raises(DiscoveryError):
        run_deployment(
            DeploymentRequest(org, "preview", environment=environment),
            runner=runner_for(fake, tmp_path / "state"),
        )
    (client,) = seen
    assert client.meta.endpoint_url == "http://127.0.0.1:1"
    assert client.meta.region_name == "eu-west-1"
    credentials = client._request_signer._credentials  # botocore keeps the signer's credentials
    assert credentials.access_key == "AKIAREQUESTONLY00000"
