"""The CI workflows keep untrusted pull-request code away from every credential."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from akeyless_gateway_org.review.pr_comment import MARKER

WORKFLOWS = Path(__file__).resolve().parent.parent / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}$")


def workflow(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    return document


def steps_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


def test_every_third_party_action_is_pinned_to_a_commit() -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for step in steps_of(workflow(path.name)):
            if "uses" in step:
                assert PINNED.match(step["uses"]), f"{path.name}: {step['uses']} is not pinned"


def test_the_pull_request_workflow_has_no_credentials_at_all() -> None:
    preview = workflow("pr-preview.yml")
    assert preview["permissions"] == {"contents": "read"}
    text = (WORKFLOWS / "pr-preview.yml").read_text(encoding="utf-8")
    assert "secrets." not in text and "id-token" not in text
    assert not any("environment" in job for job in preview["jobs"].values())
    runs = " ".join(str(step.get("run", "")) for step in steps_of(preview))
    assert "orgctl render" in runs and "--require-hashes" in runs
    assert "orgctl preview" not in runs and "GITHUB_STEP_SUMMARY" in runs


def test_the_comment_is_posted_without_running_pull_request_code() -> None:
    comment = workflow("pr-comment.yml")
    assert comment["permissions"] == {}
    steps = steps_of(comment)
    # The only checkout is the base repository's default branch: its code builds the comment.
    checkouts = [step for step in steps if "checkout" in str(step.get("uses", ""))]
    assert [step["with"]["ref"] for step in checkouts] == [
        "${{ github.event.repository.default_branch }}"
    ]
    assert "head_sha" not in str(checkouts) and "head.sha" not in str(checkouts)
    runs = " ".join(str(step.get("run", "")) for step in steps)
    assert "orgctl pr-comment" in runs and "--require-hashes" in runs
    assert "orgctl render" not in runs and "orgctl preview" not in runs
    script = next(s for s in steps if "github-script" in str(s.get("uses", "")))["with"]["script"]
    # Only the bot's own marker comment is edited; the PR number is validated.
    assert MARKER in script and "github-actions[bot]" in script and "/^[0-9]{1,10}$/" in script


def test_the_live_preview_runs_only_in_the_protected_environment_with_the_preview_role() -> None:
    live = workflow("live-preview.yml")
    job = live["jobs"]["preview"]
    assert job["environment"] == "live-preview"
    assert job["permissions"]["id-token"] == "write"
    assert live["permissions"] == {"contents": "read"}
    text = (WORKFLOWS / "live-preview.yml").read_text(encoding="utf-8")
    assert "PULUMI_CONFIG_PASSPHRASE" not in text and "aws-access-key-id" not in text
    runs = " ".join(str(step.get("run", "")) for step in job["steps"])
    assert "--preview-role" in runs and "--stack-owner" in runs
    pulumi = next(s for s in steps_of(live) if "pulumi/actions" in str(s.get("uses", "")))
    assert pulumi["with"]["pulumi-version-file"] == ".pulumi-version"


def zizmor() -> str:
    found = shutil.which("zizmor", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("zizmor is not installed: `pip install -e '.[test]'` installs it")
    return found


def test_the_workflows_pass_the_workflow_linter() -> None:
    # zizmor's offline audits (https://docs.zizmor.sh/audits/): template injection,
    # unpinned actions, excessive permissions, dangerous triggers, credential persistence.
    result = subprocess.run(
        [zizmor(), "--offline", "--no-progress", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
