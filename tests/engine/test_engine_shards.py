"""A sharded run on the real engine equals one unsharded run (README, "Beyond one machine").

The centralized example (org, hub, 3 members, one per shard) deployed twice, each into its own
file backend: once by one ``orgctl up``; once as the workflow runs it, each phase by three
shard processes started together (``--phase P --shard K/3``) against one backend, then
``orgctl report merge``. Same stacks, same resources (URNs, IDs), same merged report; no stack
ran twice. 282 s on this 2-core machine at a load average of 16 to 19 (other sessions' tests
running); not measured idle.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from akeyless_gateway_org.project import PROJECT_DIR
from akeyless_gateway_org.run.shards import PHASES
from tests.conftest import CENTRALIZED_EXAMPLE
from tests.engine.harness import Engine, org_file, orgctl, resources_in, start_orgctl
from tests.fake_akeyless import FakeAkeyless

SHARDS = 3
MEMBERS = ["333333333333", "666666666666", "888888888888"]
"""One member stack in each of the three shards (shards 2, 1 and 3: ``shard_of``)."""
STACKS = ["org", "hub", *(f"member-{account}" for account in MEMBERS)]


def _org(fake: FakeAkeyless, into: Path) -> Path:
    """The example's first member and two plain ones (the example's third has rotated keys,
    which need a secret set by hand first: ``set_rotated_key_secrets``)."""
    example = yaml.safe_load(CENTRALIZED_EXAMPLE.read_text(encoding="utf-8"))
    kept = [account for account in example["accounts"] if account["id"] == MEMBERS[0]]
    plain = [{"id": account, "name": f"plain-{account[:3]}"} for account in MEMBERS[1:]]
    return org_file(CENTRALIZED_EXAMPLE, fake, into, accounts=[*kept, *plain])


def _state(state: Path, stack: str) -> list[tuple[str, str]]:
    """A stack's resources as the backend holds them: URN and type. Not the IDs: the
    stand-ins autoname as the bridge does, from the engine's random seed of each deployment
    (standin_rules.autoname), and derive an ID from the inputs, so two independent
    deployments of the same program differ there, as two real ones do."""
    return sorted((r["urn"], r["type"]) for r in resources_in(state, stack))


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    """What a run's report says about each stack, without times and paths."""
    return {
        stack["name"]: (stack["status"], stack["changes"], stack["outputs"], len(stack["attempts"]))
        for stack in report["stacks"]
    }


def test_three_shards_per_phase_deploy_what_one_run_deploys(
    engine: Engine, fake_gateway: FakeAkeyless, tmp_path: Path
) -> None:
    whole_dir, sharded_dir = tmp_path / "whole", tmp_path / "sharded"
    whole_dir.mkdir()
    sharded_dir.mkdir()
    whole = orgctl(engine, "up", _org(fake_gateway, whole_dir), whole_dir / "state")
    assert whole.returncode == 0, whole.explain()

    org = _org(fake_gateway, sharded_dir)
    state, reports = sharded_dir / "state", sharded_dir / "reports"
    started: dict[str, int] = {}
    for phase in PHASES:  # the workflow's jobs, in order; a phase's shards all at once
        processes = [
            start_orgctl(
                engine,
                "up",
                org,
                state,
                "--phase",
                phase,
                "--shard",
                f"{index}/{SHARDS}",
                "--run-id",
                "engine-1",
                report=reports / f"{phase}-{index}.json",
            )
            for index in range(1, SHARDS + 1)
        ]
        for process in processes:
            stdout, stderr = process.communicate(timeout=600)
            assert process.returncode == 0, stderr[-3000:]
            for line in stdout.splitlines():
                event = json.loads(line)
                if event["status"] == "running":
                    started[event["stack"]] = started.get(event["stack"], 0) + 1
    assert started == dict.fromkeys(STACKS, 1)  # every stack ran, and only once

    merged_path = sharded_dir / "merged.json"
    merged = subprocess.run(
        [
            sys.executable,
            "-m",
            "akeyless_gateway_org",
            "report",
            "merge",
            *sorted(str(p) for p in reports.glob("*.json")),
            "--out",
            str(merged_path),
        ],
        cwd=PROJECT_DIR,
        env=engine.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert merged.returncode == 0, merged.stderr
    report = json.loads(merged_path.read_text(encoding="utf-8"))
    assert report["missing_shards"] == [] and report["ok"] is True
    assert [s["name"] for s in report["stacks"]] == STACKS
    assert _comparable(report) == _comparable(whole.report)
    for stack in STACKS:
        assert _state(state, stack) == _state(whole_dir / "state", stack), stack
        assert _state(state, stack), f"{stack} holds no resource"
