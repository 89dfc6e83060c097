"""The org-wide run's operations on the real engine, on the centralized example's org and hub.

A by-hand ``pulumi preview`` of each stack kind, a mandatory policy rule failing a preview, a stack
locked by another update, Ctrl-C during ``up``, and the PR comment from the engine's own
preview events. Slow: run separately, ``pytest tests/engine``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from akeyless_gateway_org.project import PROJECT_DIR
from tests.conftest import CENTRALIZED_EXAMPLE
from tests.engine.harness import (
    Engine,
    backend_dir,
    lock_files,
    org_file,
    orgctl,
    pulumi_cli,
    start_orgctl,
)
from tests.fake_akeyless import FakeAkeyless

ORG, HUB = "111111111111", "222222222222"
PROJECT = "akeyless-gateway-org"


@pytest.fixture(scope="module")
def deployed(
    engine: Engine, fake_gateway: FakeAkeyless, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Path]]:
    """(org file, state dir) with the org and hub stacks up."""
    folder = tmp_path_factory.mktemp("operations")
    org = org_file(CENTRALIZED_EXAMPLE, fake_gateway, folder)
    state = folder / "state"
    run = orgctl(engine, "up", org, state, "--only", ORG, HUB)
    assert run.statuses() == {"org": "succeeded", "hub": "succeeded"}, run.explain()
    yield org, state


def _readme_stack_files() -> dict[str, str]:
    """The ``Pulumi.<stack>.yaml`` examples of the README's "One stack by hand"."""
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    return dict(re.findall(r"```yaml\n# Pulumi\.([\w-]+)\.yaml\n(.*?)```", readme, re.DOTALL))


def _project_copy(into: Path) -> Path:
    """The project as a user has it (sources, Pulumi.yaml, .venv), outside the repository."""
    keep = ("Pulumi.yaml", "__main__.py", "components", "config", "policy", "scripts")
    into.mkdir(parents=True)
    for name in keep:
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, into / name)
    (into / ".venv").symlink_to(Path(sys.executable).parent.parent)
    return into


def test_by_hand_preview_of_each_stack_kind_from_the_readme(engine: Engine, tmp_path: Path) -> None:
    """The README's commands on its own settings files: ``stack init``, ``preview``."""
    files = _readme_stack_files()
    kinds = {name.split("-")[0] for name in files}
    assert kinds == {"org", "hub", "member", "account"}, sorted(files)
    project = _project_copy(tmp_path / "project")
    backend = {"PULUMI_BACKEND_URL": f"file://{tmp_path / 'backend'}"}
    (tmp_path / "backend").mkdir()
    for stack, settings in files.items():
        (project / f"Pulumi.{stack}.yaml").write_text(settings, encoding="utf-8")
        init = pulumi_cli(engine, "stack", "init", stack, cwd=project, env=backend)
        assert init.returncode == 0, (stack, init.stderr[-2000:])
        preview = pulumi_cli(
            engine, "preview", "--stack", stack, "--policy-pack", "policy", cwd=project, env=backend
        )
        assert preview.returncode == 0, (stack, preview.stdout[-4000:], preview.stderr[-2000:])
        assert " to create" in preview.stdout, (stack, preview.stdout[-2000:])


def test_mandatory_rule_violation_fails_the_preview_naming_the_rule(
    engine: Engine, deployed: tuple[Path, Path], fake_gateway: FakeAkeyless, tmp_path: Path
) -> None:
    """Without the required ``owner`` tag, the hub's preview fails on ``required-tags``."""
    _org, state = deployed
    untagged = org_file(CENTRALIZED_EXAMPLE, fake_gateway, tmp_path, tags={"managed-by": "pulumi"})
    run = orgctl(engine, "preview", untagged, state, "--only", HUB)
    assert run.returncode == 1, run.explain()
    assert run.statuses() == {"hub": "failed"}, run.explain()
    assert "required-tags" in run.errors()["hub"], run.explain()


def _lock(state: Path, stack: str) -> Path:
    """A lock as another ``pulumi up`` elsewhere leaves it (pkg/backend/diy/lock.go)."""
    folder = backend_dir(state) / "locks" / "organization" / PROJECT / stack
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4()}.json"
    content = {
        "pid": 4242,
        "username": "someone-else",
        "hostname": "another-runner",
        "timestamp": datetime.now(UTC).isoformat(),
    }
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def test_a_stack_locked_by_another_update_is_retried(
    engine: Engine, deployed: tuple[Path, Path]
) -> None:
    """The lock goes away once orgctl has said it is retrying: then the retry succeeds."""
    org, state = deployed
    lock = _lock(state, "hub")
    report = state / "locked-report.json"
    process = start_orgctl(engine, "up", org, state, "--only", HUB, "--all", report=report)
    assert process.stdout is not None
    events = []
    for line in process.stdout:
        events.append(json.loads(line))
        if events[-1].get("stack") == "hub" and events[-1]["status"] == "retrying":
            lock.unlink()
    _rest, stderr = process.communicate(timeout=600)
    lock.unlink(missing_ok=True)
    assert any(e.get("status") == "retrying" for e in events), (events, stderr[-2000:])
    statuses = {s["name"]: s["status"] for s in json.loads(report.read_text())["stacks"]}
    assert process.returncode == 0 and statuses == {"hub": "succeeded"}, stderr[-2000:]
    assert lock_files(state) == []


def test_pr_comment_from_the_real_preview_events(
    engine: Engine, deployed: tuple[Path, Path], fake_gateway: FakeAkeyless, tmp_path: Path
) -> None:
    """A changed tag: the comment shows the hub's in-place updates with the tag's new value."""
    _org, state = deployed
    changed = org_file(
        CENTRALIZED_EXAMPLE,
        fake_gateway,
        tmp_path,
        tags={"owner": "platform-security-2", "managed-by": "pulumi"},
    )
    comment = tmp_path / "comment.md"
    run = orgctl(
        engine, "preview", changed, state, "--only", ORG, HUB, "--pr-comment", str(comment)
    )
    assert run.statuses() == {"org": "succeeded", "hub": "succeeded"}, run.explain()
    text = comment.read_text(encoding="utf-8")
    assert text.startswith("<!-- akeyless-gateway-org:preview -->"), text[:200]
    hub_rows = [line for line in text.splitlines() if line.startswith("| `hub` |")]
    assert hub_rows and hub_rows[0].endswith("| succeeded |"), text[:2000]
    assert "`~ update`" in text and "platform-security-2" in text, text[:4000]
    assert "No changes: `org`" in text, text[-1000:]


def test_interrupt_during_up_lets_in_flight_stacks_finish(
    engine: Engine, deployed: tuple[Path, Path]
) -> None:
    """Ctrl-C while the org stack runs: it finishes, nothing else starts, a report, no lock."""
    org, state = deployed
    report = state / "interrupted-report.json"
    # Its own process group, as a terminal's foreground job.
    # --all: the org stack, deployed already, runs again (instead of being left unchanged).
    process = start_orgctl(engine, "up", org, state, "--all", report=report, new_session=True)
    assert process.stdout is not None
    for line in process.stdout:
        event = json.loads(line)
        if event.get("stack") == "org" and event["status"] == "running":
            # Ctrl-C: the terminal signals the whole foreground process group.
            os.killpg(process.pid, signal.SIGINT)
            break
    _rest, stderr = process.communicate(timeout=600)
    assert process.returncode != 0, stderr[-2000:]
    document = json.loads(report.read_text(encoding="utf-8"))
    statuses = {stack["name"]: stack["status"] for stack in document["stacks"]}
    assert document["interrupted"] is True, document
    assert statuses.pop("org") == "succeeded", (statuses, stderr[-2000:])
    assert set(statuses.values()) == {"not_run"}, statuses
    assert lock_files(state) == []
