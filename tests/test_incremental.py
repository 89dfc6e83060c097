"""Incremental runs: the fingerprint and the decision (pure), and the orchestrator skipping
stacks through the Automation API wiring against the fake ``pulumi`` (which records the
fingerprint the program exports on ``up``, as components/program.py does)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from akeyless_gateway_org.components.stacks import FINGERPRINT_OUTPUT
from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.stacks import StackSpec, plan_stacks
from akeyless_gateway_org.config.validation import parse_org
from akeyless_gateway_org.project import PROGRAM_SOURCES, PROJECT_DIR
from akeyless_gateway_org.records import StackRecord
from akeyless_gateway_org.review.pr_comment import render_comment
from akeyless_gateway_org.run.incremental import decide, fingerprint
from akeyless_gateway_org.run.orchestrator import (
    DeploymentEvent,
    DeploymentResult,
)
from akeyless_gateway_org.run.progress import LiveProgress
from tests.conftest import CENTRALIZED_EXAMPLE, FAKE_PASSPHRASE, example_document
from tests.fake_pulumi import calls, install_fake_pulumi, operations, set_behaviour
from tests.test_orchestrator import run
from tests.test_runtime import live_console

BUILD = {"program": "p1", "dependencies": "d1", "pulumi": "v3.274.1", "policy": "k1"}
HUB_OUTPUTS = {"gatewayUrl": "https://gw.example.com/api/v2", "gatewayHealthUrl": "https://h"}
FIRST, SECOND = "member-900000000000", "member-900000000001"


def org(tags_of_first: dict[str, str] | None = None) -> OrgDeployment:
    data: dict[str, Any] = example_document(CENTRALIZED_EXAMPLE)
    data["accounts"] = [{"id": "900000000000"}, {"id": "900000000001"}]
    if tags_of_first:
        data["accounts"][0]["tags"] = tags_of_first
    return parse_org(data)


def specs(deployment: OrgDeployment) -> dict[str, StackSpec]:
    return {spec.name: spec for spec in plan_stacks(deployment)}


def prints(
    deployment: OrgDeployment, earlier: dict[str, dict[str, Any]] | None = None
) -> dict[str, dict[str, str]]:
    outputs = earlier if earlier is not None else {"hub": HUB_OUTPUTS}
    return {name: fingerprint(spec, BUILD, outputs) for name, spec in specs(deployment).items()}


# --- the fingerprint and the decision ----------------------------------------------------------


def test_the_same_inputs_give_the_same_fingerprint_and_no_run() -> None:
    first, again = prints(org()), prints(org())
    assert first == again
    decision = decide(again["hub"], first["hub"])
    assert not decision.run and "nothing it is built from changed" in decision.reason


def test_one_accounts_tags_change_only_that_accounts_fingerprint() -> None:
    before, after = prints(org()), prints(org({"cost-center": "42"}))
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {FIRST}
    decision = decide(after[FIRST], before[FIRST])
    assert decision.run and decision.reason == "changed since its last up: its settings"


def test_a_new_hub_url_changes_exactly_the_member_fingerprints() -> None:
    before = prints(org())
    after = prints(org(), {"hub": {**HUB_OUTPUTS, "gatewayUrl": "https://gw2.example.com"}})
    assert {name for name in before if before[name] != after[name]} == {FIRST, SECOND}
    assert "the earlier phases' outputs it reads" in decide(after[FIRST], before[FIRST]).reason


def test_a_gateway_stack_reads_only_its_own_access_id_from_the_org_stack() -> None:
    """A new account's access ID in the org stack's map reruns no other Gateway stack."""
    hub = specs(org())["hub"]
    ids = {"222222222222": "p-hub0000001"}
    before = fingerprint(hub, BUILD, {"org": {"gatewayAccessIds": ids}})
    more = {**ids, "999999999999": "p-other00001"}
    assert fingerprint(hub, BUILD, {"org": {"gatewayAccessIds": more}}) == before
    moved = {"222222222222": "p-hub0000002"}
    assert fingerprint(hub, BUILD, {"org": {"gatewayAccessIds": moved}}) != before


@pytest.mark.parametrize("part", sorted(BUILD))
def test_each_build_input_is_in_every_fingerprint(part: str) -> None:
    before = fingerprint(specs(org())["org"], BUILD, {})
    after = fingerprint(specs(org())["org"], {**BUILD, part: "changed"}, {})
    assert decide(after, before).run


def test_a_stack_without_a_recorded_fingerprint_runs() -> None:
    expected = prints(org())["org"]
    assert decide(expected, None, exists=False).reason == "a new stack"
    assert "no fingerprint recorded" in decide(expected, None).reason
    assert decide(expected, "not a mapping").run


def test_the_program_imports_nothing_outside_its_fingerprinted_sources() -> None:
    """Every module the program (and its policy pack's rules) loads is in PROGRAM_SOURCES."""
    code = (
        "import sys, json, akeyless_gateway_org.components.program, "
        "akeyless_gateway_org.policy.rules; print(json.dumps(sorted(m.__file__ for n, m in "
        "list(sys.modules.items()) if n.startswith('akeyless_gateway_org') and "
        "getattr(m, '__file__', None))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_DIR
    )
    roots = [(PROJECT_DIR / source).resolve() for source in PROGRAM_SOURCES]
    loaded = [Path(path).resolve() for path in json.loads(done.stdout)]
    outside = [p for p in loaded if not any(p == r or r in p.parents for r in roots)]
    assert loaded and not outside, outside


# --- the orchestrator --------------------------------------------------------------------------


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", FAKE_PASSPHRASE)
    root = install_fake_pulumi(tmp_path / "cli")
    set_behaviour(root, outputs={"hub": HUB_OUTPUTS})
    return root


def statuses(result: DeploymentResult) -> dict[str, str]:
    return {stack.name: stack.status for stack in result.stacks}


def ran(fake: Path, verb: str) -> list[str]:
    return sorted(call["stack"] for call in operations(fake) if call["argv"][0] == verb)


def test_an_up_that_changes_nothing_runs_no_stack_and_says_why(fake: Path, tmp_path: Path) -> None:
    assert run(fake, tmp_path, org()).ok
    (fake / "calls.jsonl").unlink()
    events: list[DeploymentEvent] = []
    again = run(fake, tmp_path, org(), events=events)
    assert again.ok and set(statuses(again).values()) == {"unchanged"}
    assert ran(fake, "up") == []
    unchanged = [e for e in events if e.status == "unchanged"]
    assert len(unchanged) == 4 and all(
        "nothing it is built from" in str(e.reason) for e in unchanged
    )
    report = again.as_report()
    assert report["counts"] == {"unchanged": 4} and report["ok"] is True
    hub = next(s for s in report["stacks"] if s["name"] == "hub")
    assert hub["outputs"] == HUB_OUTPUTS and hub["reason"]  # what later phases read, kept
    # One CLI start per stack, to read its fingerprint back.
    assert sorted(c["argv"][:2] for c in calls(fake) if c["stack"] == "hub") == [
        ["stack", "output"]
    ]


def test_one_accounts_change_runs_exactly_its_stack_and_all_runs_every_one(
    fake: Path, tmp_path: Path
) -> None:
    assert run(fake, tmp_path, org()).ok
    (fake / "calls.jsonl").unlink()
    result = run(fake, tmp_path, org({"cost-center": "42"}))
    assert statuses(result) == {
        "org": "unchanged",
        "hub": "unchanged",
        FIRST: "succeeded",
        SECOND: "unchanged",
    }
    assert ran(fake, "up") == [FIRST]
    first = next(s for s in result.stacks if s.name == FIRST)
    assert first.reason == "changed since its last up: its settings"
    (fake / "calls.jsonl").unlink()
    assert set(statuses(run(fake, tmp_path, org(), run_all=True)).values()) == {"succeeded"}
    assert ran(fake, "up") == sorted(["org", "hub", FIRST, SECOND])


def test_a_changed_hub_output_reruns_the_members_that_read_it(fake: Path, tmp_path: Path) -> None:
    assert run(fake, tmp_path, org()).ok
    set_behaviour(fake, outputs={"hub": {**HUB_OUTPUTS, "gatewayUrl": "https://gw2.example.com"}})
    assert run(fake, tmp_path, org(), only=("222222222222",), run_all=True).ok
    (fake / "calls.jsonl").unlink()
    result = run(fake, tmp_path, org())
    assert ran(fake, "up") == [FIRST, SECOND]
    assert statuses(result) == {
        "org": "unchanged",
        "hub": "unchanged",
        FIRST: "succeeded",
        SECOND: "succeeded",
    }


def test_a_preview_leaves_out_unchanged_stacks_and_previews_what_follows_a_previewed_one(
    fake: Path, tmp_path: Path
) -> None:
    assert run(fake, tmp_path, org()).ok
    (fake / "calls.jsonl").unlink()
    assert set(statuses(run(fake, tmp_path, org(), "preview")).values()) == {"unchanged"}
    assert ran(fake, "preview") == []
    changed = parse_org({**example_document(), "accounts": org().model_dump()["accounts"]})
    hub_tags = changed.model_copy(update={"tags": {**changed.tags, "owner": "someone-else"}})
    result = run(fake, tmp_path, hub_tags, "preview")
    # Every stack's tags changed; the members also read the previewed hub's outputs.
    assert set(statuses(result).values()) == {"succeeded"}
    assert "hub, previewed too" in str(next(s for s in result.stacks if s.name == FIRST).reason)


def test_the_pr_comment_and_the_live_view_say_which_stacks_were_left_unchanged() -> None:
    console, out = live_console()
    with LiveProgress(console) as live:
        live(DeploymentEvent("phase_started", phase=0, kind="org", total=1))
        live(DeploymentEvent("unchanged", stack="org", phase=0, reason="nothing changed"))
    assert "unchanged org" in " ".join(out.getvalue().split())
    assert "nothing changed" in out.getvalue() and "1/1" in out.getvalue()
    stacks = [
        StackRecord("org", "org", "1", 0, status="unchanged", reason="nothing changed"),
        StackRecord("hub", "hub", "2", 1, status="succeeded", changes={"update": 1}),
    ]
    comment = render_comment(stacks)
    assert "| `org` | 1 | 0 | 0 | 0 | 0 | unchanged |" in comment
    assert "1 not previewed (unchanged)" in comment
    assert "Not previewed, unchanged: `org` (nothing changed)." in comment
    assert "No changes: `org`" not in comment


def test_the_fingerprint_is_not_among_the_reported_outputs(fake: Path, tmp_path: Path) -> None:
    result = run(fake, tmp_path, org())
    assert all(FINGERPRINT_OUTPUT not in stack.outputs for stack in result.stacks)


def test_a_preview_through_the_read_only_role_compares_with_what_up_deployed(
    fake: Path, tmp_path: Path
) -> None:
    """The preview role is how a preview reaches the accounts, not what an up deploys."""
    deployment = org().model_copy(update={"preview_role_name": "akeyless-gateway-preview"})
    assert run(fake, tmp_path, deployment).ok
    result = run(fake, tmp_path, deployment, "preview", use_preview_role=True)
    assert set(statuses(result).values()) == {"unchanged"}
