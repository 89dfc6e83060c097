"""The org-wide run through pulumi.automation, against a fake ``pulumi`` executable."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from akeyless_gateway_org.components.earlier_phase import NOT_DEPLOYED_NOTE
from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.stacks import plan_stacks
from akeyless_gateway_org.config.validation import parse_org
from akeyless_gateway_org.run.orchestrator import (
    ConfirmationRequired,
    DeploymentEvent,
    DeploymentOptions,
    DeploymentRequest,
    DeploymentResult,
    InvalidRequest,
    run_deployment,
)
from akeyless_gateway_org.run.pulumi_runner import AutomationRunner, PulumiCliMissing
from tests.conftest import CENTRALIZED_EXAMPLE, FAKE_PASSPHRASE, example_document, orgctl_with_fake
from tests.fake_pulumi import calls, install_fake_pulumi, max_concurrency, operations, set_behaviour
from tests.pulumi_config_rules import fake_decrypt

PASSPHRASE = FAKE_PASSPHRASE
PROJECT = "akeyless-gateway-org"


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
    return install_fake_pulumi(tmp_path / "cli")


def org_with_members(count: int) -> OrgDeployment:
    data: dict[str, Any] = example_document(CENTRALIZED_EXAMPLE)
    data["accounts"] = [{"id": f"{900000000000 + n}"} for n in range(count)]
    return parse_org(data)


def run(
    fake: Path,
    tmp_path: Path,
    org: OrgDeployment,
    verb: str = "up",
    events: list[DeploymentEvent] | None = None,
    **options: Any,
) -> DeploymentResult:
    runner = AutomationRunner(state_dir=tmp_path / "state", pulumi_cli=fake)
    request = DeploymentRequest(org, verb, DeploymentOptions(**options))  # type: ignore[arg-type]
    return run_deployment(request, events.append if events is not None else None, runner=runner)


def test_stacks_run_in_phase_order_with_their_config_written(
    fake: Path, tmp_path: Path, centralized_org: OrgDeployment
) -> None:
    result = run(fake, tmp_path, centralized_org)
    assert result.ok
    assert [s.name for s in result.stacks] == [
        "org",
        "hub",
        "member-333333333333",
        "member-444444444444",
        "member-555555555555",
    ]
    assert all(s.changes == {"create": 3} for s in result.stacks)
    ups = [c for c in operations(fake) if c["argv"][0] == "up"]
    assert [c["stack"] for c in ups[:2]] == ["org", "hub"]
    assert max(c["end"] for c in ups[:2]) <= min(c["start"] for c in ups[2:])
    for call in ups:
        assert f"organization/{PROJECT}/{call['stack']}" in call["argv"]
        assert call["cwd"].endswith(f"/state/work/{call['stack']}")  # a work dir per stack
        assert call["has_passphrase"]
        assert call["backend"].startswith("file://")
    settings = yaml.safe_load(
        (tmp_path / "state/work/hub/Pulumi.hub.yaml").read_text(encoding="utf-8")
    )
    assert list(settings["config"]) == [f"{PROJECT}:settings"]
    hub_settings = settings["config"][f"{PROJECT}:settings"]
    assert (hub_settings["stack_kind"], hub_settings["account_id"]) == ("hub", "222222222222")
    assert "pulumi_organization" not in hub_settings  # the default owner, 'organization'
    project = yaml.safe_load((tmp_path / "state/work/hub/Pulumi.yaml").read_text())
    assert project["main"] == str(Path(__file__).resolve().parent.parent)


def test_preview_and_up_enforce_the_policy_pack(
    fake: Path, tmp_path: Path, centralized_org: OrgDeployment
) -> None:
    run(fake, tmp_path, org_with_members(1), verb="preview")
    run(fake, tmp_path, org_with_members(1), verb="up")
    run(fake, tmp_path, org_with_members(1), verb="refresh")
    pack = str(Path(__file__).resolve().parent.parent / "policy")
    for call in operations(fake):
        argv = call["argv"]
        if argv[0] in ("preview", "up"):
            assert argv[argv.index("--policy-pack") + 1] == pack
        else:
            assert "--policy-pack" not in argv


def test_the_policy_pack_can_be_turned_off(fake: Path, tmp_path: Path) -> None:
    runner = AutomationRunner(state_dir=tmp_path / "state", pulumi_cli=fake, policy_packs=[])
    run_deployment(DeploymentRequest(org_with_members(1), "up"), runner=runner)
    assert all("--policy-pack" not in call["argv"] for call in operations(fake))


def test_the_cli_is_checked_and_plugins_installed_once_before_any_stack(
    fake: Path, tmp_path: Path, centralized_org: OrgDeployment
) -> None:
    run(fake, tmp_path, centralized_org)
    commands = [c["argv"][0] for c in calls(fake)]
    assert commands.count("version") == 1 and commands.count("install") == 1
    assert commands.index("install") < commands.index("up")


def test_no_secret_and_no_config_value_on_any_command_line(
    fake: Path, tmp_path: Path, centralized_org: OrgDeployment
) -> None:
    run(fake, tmp_path, centralized_org)
    for call in calls(fake):
        argv = " ".join(call["argv"])
        assert "config" not in call["argv"]
        assert PASSPHRASE not in argv
        assert "p-deploy0exmpl" not in argv and "AKIA" not in argv


def test_the_fake_refuses_a_stack_without_its_settings_like_the_cli(
    fake: Path, tmp_path: Path
) -> None:
    """Each verb's CLI call, replayed on the org stack with its settings taken out.

    Replayed on the fake directly: through pulumi.automation a refused preview costs 5 s,
    because the CLI refuses before its engine writes any event and the Automation API
    waits that long for its event-log watcher (``_cleanup``, thread.join(5), in
    sdk/python/lib/pulumi/automation/_stack.py).
    """
    for verb in ("preview", "refresh", "destroy"):
        assert run(fake, tmp_path, org_with_members(1), verb=verb, yes=True).ok
    stack_file = tmp_path / "state/work/org/Pulumi.org.yaml"
    document = json.loads(stack_file.read_text())
    del document["config"][f"{PROJECT}:settings"]
    stack_file.write_text(json.dumps(document))
    replayed: dict[str, subprocess.CompletedProcess[str]] = {}
    for call in operations(fake):
        if call["stack"] != "org":
            continue
        argv = list(call["argv"])
        if "--event-log" in argv:  # its folder is gone
            del argv[argv.index("--event-log") : argv.index("--event-log") + 2]
        replayed[argv[0]] = subprocess.run(
            [str(fake / "bin" / "pulumi"), *argv],
            cwd=call["cwd"],
            env={**os.environ, "PULUMI_BACKEND_URL": call["backend"]},
            capture_output=True,
            text=True,
            check=False,
        )
    assert replayed["preview"].returncode == 255
    assert "Stack 'org' is missing configuration value 'settings'" in replayed["preview"].stderr
    # refresh and destroy run no program, so the CLI does not validate their config
    assert replayed["refresh"].returncode == 0, replayed["refresh"].stderr
    assert replayed["destroy"].returncode == 0, replayed["destroy"].stderr


def test_a_secret_goes_to_the_cli_on_stdin_and_is_stored_encrypted(
    fake: Path, tmp_path: Path, centralized_org: OrgDeployment
) -> None:
    spec = plan_stacks(centralized_org)[0]
    spec = replace(spec, config=spec.config.model_copy(update={"akeyless_access_key": "k3y-v4lue"}))
    runner = AutomationRunner(state_dir=tmp_path / "state", pulumi_cli=fake)
    runner.prepare([spec], {})
    runner.run(spec, "preview")  # the fake checks the stack file, as the CLI does
    (set_call,) = [c for c in calls(fake) if c["argv"][0] == "config"]
    assert set_call["argv"][-1] == f"{PROJECT}:akeylessAccessKey"
    assert all("k3y-v4lue" not in " ".join(c["argv"]) for c in calls(fake))
    stored = (tmp_path / "state/work/org/Pulumi.org.yaml").read_text()
    assert "k3y-v4lue" not in stored
    secure = json.loads(stored)["config"][f"{PROJECT}:akeylessAccessKey"]
    assert fake_decrypt(secure["secure"]) == "k3y-v4lue"


def test_rotated_key_secrets_are_stored_encrypted_and_kept_on_the_next_run(
    fake: Path, tmp_path: Path, centralized_org: OrgDeployment
) -> None:
    """The secret halves of rotated keys go to the CLI on stdin; a later run keeps them.

    The org file holds no secret, so orgctl's next write of the stack file (from
    the org file alone) must keep the secure value the operator or an earlier run set.
    """
    (spec,) = [s for s in plan_stacks(centralized_org) if s.name == "member-555555555555"]
    secrets = {"svc-etl": "wJalrXUtnFEMI-current"}
    with_secret = replace(
        spec, config=spec.config.model_copy(update={"rotated_access_key_secrets": secrets})
    )
    runner = AutomationRunner(state_dir=tmp_path / "state", pulumi_cli=fake)
    runner.prepare([with_secret], {})
    runner.run(with_secret, "preview")
    (set_call,) = [c for c in calls(fake) if c["argv"][0] == "config"]
    assert set_call["argv"][-1] == f"{PROJECT}:rotatedAccessKeySecrets"
    assert all("wJalrXUtnFEMI-current" not in " ".join(c["argv"]) for c in calls(fake))
    path = tmp_path / f"state/work/{spec.name}/Pulumi.{spec.name}.yaml"
    stored = path.read_text()
    assert "wJalrXUtnFEMI-current" not in stored
    secure = json.loads(stored)["config"][f"{PROJECT}:rotatedAccessKeySecrets"]
    assert json.loads(fake_decrypt(secure["secure"])) == secrets
    runner.run(spec, "preview")  # as orgctl runs it again: from the org file, no secret
    assert json.loads(path.read_text())["config"][f"{PROJECT}:rotatedAccessKeySecrets"] == secure


def test_a_previews_note_on_unknown_earlier_values_reaches_the_result_and_events(
    fake: Path, tmp_path: Path
) -> None:
    note = f"{NOT_DEPLOYED_NOTE}: the org stack does not exist yet: run `up` on org first"
    set_behaviour(fake, warn={"hub": note, "org": "an unrelated warning"})
    events: list[DeploymentEvent] = []
    result = run(fake, tmp_path, org_with_members(1), verb="preview", events=events)
    assert result.ok
    by_name = {stack.name: stack for stack in result.stacks}
    assert by_name["hub"].warnings == [note] and by_name["org"].warnings == []
    (succeeded,) = [e for e in events if e.stack == "hub" and e.status == "succeeded"]
    assert json.loads(json.dumps(succeeded.as_json()))["warnings"] == [note]


def test_parallelism_is_bounded(fake: Path, tmp_path: Path) -> None:
    members = [f"member-{900000000000 + n}" for n in range(4)]
    set_behaviour(fake, delay=dict.fromkeys(members, 0.2))
    result = run(fake, tmp_path, org_with_members(4), parallel=2)
    assert result.ok
    assert max_concurrency(fake) == 2


def test_one_failing_account_never_hides_the_others(fake: Path, tmp_path: Path) -> None:
    set_behaviour(fake, fail=["member-900000000001"])
    result = run(fake, tmp_path, org_with_members(4), parallel=4, max_failures=3)
    statuses = {s.name: s.status for s in result.stacks}
    assert statuses["member-900000000001"] == "failed"
    assert [status for status in statuses.values()].count("succeeded") == 5
    assert "AccessDenied" in (result.failed[0].error or "")
    assert not result.ok


def test_max_failures_stops_scheduling_and_lets_in_flight_finish(
    fake: Path, tmp_path: Path
) -> None:
    failing = ["member-900000000000", "member-900000000001"]
    set_behaviour(fake, fail=failing, delay=dict.fromkeys(failing, 0.2))
    result = run(fake, tmp_path, org_with_members(6), parallel=2, max_failures=0)
    statuses = [s.status for s in result.stacks if s.kind == "member"]
    assert statuses[:2] == ["failed", "failed"]  # both were in flight; both finished
    assert set(statuses[2:]) == {"not_run"}
    assert {c["stack"] for c in operations(fake)} == {
        "org",
        "hub",
        "member-900000000000",
        "member-900000000001",
    }


def test_a_failed_phase_blocks_the_later_ones(fake: Path, tmp_path: Path) -> None:
    set_behaviour(fake, fail=["hub"])
    result = run(fake, tmp_path, org_with_members(2))
    assert [s.status for s in result.stacks] == ["succeeded", "failed", "not_run", "not_run"]


def test_a_locked_stack_is_retried(fake: Path, tmp_path: Path) -> None:
    set_behaviour(fake, lock={"member-900000000000": 2})
    events: list[DeploymentEvent] = []
    result = run(fake, tmp_path, org_with_members(1), events=events, lock_backoff_seconds=0.01)
    assert result.ok
    retries = [e for e in events if e.status == "retrying"]
    assert [e.attempt for e in retries] == [1, 2]
    assert "locked" in (retries[0].error or "")


def test_a_stack_locked_for_good_fails_clearly(fake: Path, tmp_path: Path) -> None:
    set_behaviour(fake, lock={"member-900000000000": 99})
    result = run(fake, tmp_path, org_with_members(1), lock_retries=1, lock_backoff_seconds=0.01)
    assert result.failed[0].error is not None
    assert result.failed[0].error.startswith("still locked after 2 attempts")


def test_resume_reruns_only_what_failed_or_never_ran(fake: Path, tmp_path: Path) -> None:
    set_behaviour(fake, fail=["member-900000000001"])
    first = run(fake, tmp_path, org_with_members(3))
    report = {s.name: s.status for s in first.stacks}
    set_behaviour(fake)
    before = len(operations(fake))
    second = run(fake, tmp_path, org_with_members(3), resume_from=report)
    rerun = [c["stack"] for c in operations(fake)[before:]]
    assert rerun == ["member-900000000001"]
    assert second.ok
    assert {s.name: s.status for s in second.stacks}["org"] == "skipped"


def test_only_runs_the_named_accounts(fake: Path, tmp_path: Path) -> None:
    result = run(fake, tmp_path, org_with_members(3), only=("900000000002",))
    assert [s.name for s in result.stacks] == ["member-900000000002"]


def test_destroy_needs_yes_and_runs_the_phases_in_reverse(
    fake: Path, tmp_path: Path, centralized_org: OrgDeployment
) -> None:
    with pytest.raises(ConfirmationRequired, match=r"member-555555555555, .*hub, org$"):
        run(fake, tmp_path, centralized_org, verb="destroy")
    assert not operations(fake)
    result = run(fake, tmp_path, centralized_org, verb="destroy", yes=True)
    assert result.ok
    order = [c["stack"] for c in operations(fake)]
    assert order[-2:] == ["hub", "org"] and set(order[:3]) == {
        "member-333333333333",
        "member-444444444444",
        "member-555555555555",
    }
    assert all(s.changes == {"delete": 3} for s in result.stacks)


def test_an_account_that_left_is_destroyed_only_with_prune(fake: Path, tmp_path: Path) -> None:
    run(fake, tmp_path, org_with_members(3))
    smaller = org_with_members(2)
    kept = run(fake, tmp_path, smaller)
    assert kept.removed == ["member-900000000002"]
    assert "destroy" not in [c["argv"][0] for c in calls(fake)]
    pruned = run(fake, tmp_path, smaller, prune=True)
    destroyed = [c for c in operations(fake) if c["argv"][0] == "destroy"]
    assert [c["stack"] for c in destroyed] == ["member-900000000002"]
    assert any(c["argv"][:2] == ["stack", "rm"] for c in calls(fake))
    assert pruned.ok


def test_stop_lets_in_flight_finish_and_reports_the_rest(fake: Path, tmp_path: Path) -> None:
    set_behaviour(fake, delay=0.05)
    stop = threading.Event()

    def on_event(event: DeploymentEvent) -> None:
        if event.status == "succeeded" and event.stack == "member-900000000000":
            stop.set()

    runner = AutomationRunner(state_dir=tmp_path / "state", pulumi_cli=fake)
    request = DeploymentRequest(org_with_members(4), "up", DeploymentOptions(parallel=1))
    result = run_deployment(request, on_event, runner=runner, stop=stop)
    assert result.interrupted and not result.ok
    statuses = [s.status for s in result.stacks]
    assert statuses == ["succeeded", "succeeded", "succeeded", "not_run", "not_run", "not_run"]


def test_the_library_runs_from_several_threads_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two portal requests in parallel, each with its own state; nothing printed."""
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
    fakes = [install_fake_pulumi(tmp_path / f"cli-{n}", delay=0.1) for n in range(2)]
    results: dict[int, DeploymentResult] = {}

    def deploy(n: int) -> None:
        runner = AutomationRunner(state_dir=tmp_path / f"state-{n}", pulumi_cli=fakes[n])
        request = DeploymentRequest(org_with_members(2 + n), "up")
        results[n] = run_deployment(request, runner=runner)

    threads = [threading.Thread(target=deploy, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results[0].ok and results[1].ok
    assert [len(results[n].stacks) for n in range(2)] == [4, 5]
    assert capsys.readouterr() == ("", "")
    assert {c["stack"] for c in operations(fakes[0])} == {
        "org",
        "hub",
        "member-900000000000",
        "member-900000000001",
    }


def test_preview_reports_change_counts_from_the_event_log(fake: Path, tmp_path: Path) -> None:
    result = run(fake, tmp_path, org_with_members(1), verb="preview")
    assert result.ok and result.stacks[-1].changes == {"create": 3}
    assert all("--event-log" in c["argv"] for c in operations(fake))


def test_a_missing_cli_says_how_to_install_it(
    tmp_path: Path, centralized_org: OrgDeployment
) -> None:
    runner = AutomationRunner(state_dir=tmp_path / "state", pulumi_cli=tmp_path / "nowhere")
    with pytest.raises(PulumiCliMissing, match="install it"):
        run_deployment(DeploymentRequest(centralized_org, "preview"), runner=runner)


def test_cli_writes_a_report_and_exits_non_zero_when_a_stack_failed(
    fake: Path, tmp_path: Path
) -> None:
    set_behaviour(fake, fail=["member-444444444444"])
    report = tmp_path / "report.json"
    result = orgctl_with_fake("up", fake, tmp_path, "--json", "--report", str(report))
    assert result.returncode == 1, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    failed = [e for e in events if e["status"] == "failed"]
    assert [e["stack"] for e in failed] == ["member-444444444444"]
    assert events[0] == {"kind": "org", "phase": 0, "total": 1, "status": "phase_started"} or (
        events[0]["status"] == "queued"
    )
    document = json.loads(report.read_text())
    by_name = {s["name"]: s for s in document["stacks"]}
    assert by_name["member-444444444444"]["status"] == "failed"
    assert by_name["member-333333333333"]["changes"] == {"create": 3}
    assert document["ok"] is False
    assert "failed: member-444444444444" in result.stderr


def test_cli_destroy_without_yes_lists_and_exits_2(fake: Path, tmp_path: Path) -> None:
    result = orgctl_with_fake("destroy", fake, tmp_path)
    assert result.returncode == 2
    assert "member-333333333333" in result.stderr and "--yes" in result.stderr


def test_cli_without_a_passphrase_for_the_local_backend_is_clear(
    fake: Path, tmp_path: Path
) -> None:
    result = orgctl_with_fake("preview", fake, tmp_path, passphrase=False)
    assert result.returncode == 1
    assert "PULUMI_CONFIG_PASSPHRASE" in result.stderr and "Traceback" not in result.stderr


def test_a_live_preview_reaches_every_account_through_the_read_only_role(
    fake: Path, tmp_path: Path
) -> None:
    org = org_with_members(1).model_copy(update={"preview_role_name": "akeyless-preview"})
    assert run(fake, tmp_path, org, verb="preview", use_preview_role=True).ok
    for stack in ("org", "hub", "member-900000000000"):
        written = yaml.safe_load(
            (tmp_path / f"state/work/{stack}/Pulumi.{stack}.yaml").read_text(encoding="utf-8")
        )
        assert written["config"][f"{PROJECT}:settings"]["bootstrap_role_name"] == (
            "akeyless-preview"
        )


@pytest.mark.parametrize(
    "verb,role", [("up", "akeyless-preview"), ("destroy", "akeyless-preview"), ("preview", None)]
)
def test_the_preview_role_is_for_a_configured_preview_only(
    fake: Path, tmp_path: Path, verb: str, role: str | None
) -> None:
    org = org_with_members(1).model_copy(update={"preview_role_name": role})
    with pytest.raises(InvalidRequest):
        run(fake, tmp_path, org, verb=verb, use_preview_role=True, yes=True)
    assert not any(call["argv"][0] in ("up", "destroy", "preview") for call in calls(fake))


def test_an_empty_backend_url_is_an_error_not_a_fresh_local_state(
    fake: Path, tmp_path: Path
) -> None:
    result = orgctl_with_fake("preview", fake, tmp_path, "--backend-url", "")
    assert result.returncode == 2
    assert "--backend-url is empty" in result.stderr and "Traceback" not in result.stderr


def test_the_state_dir_is_private_to_its_owner(fake: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    assert run(fake, tmp_path, org_with_members(1)).ok
    assert state.stat().st_mode & 0o777 == 0o700
