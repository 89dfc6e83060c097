"""The sharded org-wide workflow (org-deploy.yml and its phase, org-deploy-phase.yml).

Its shape (phases in order, a matrix of shards each, a protected environment, OIDC, one
concurrency group per organization, timeouts), actionlint over every workflow, and the input
validation step run as it is written, with bash, against hostile values.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.test_workflows import WORKFLOWS, workflow

ROOT = WORKFLOWS.parent.parent
DEPLOY, PHASE = "org-deploy.yml", "org-deploy-phase.yml"


def _actionlint() -> str:
    """actionlint, built once from its Go module (tests/build-actionlint.sh), then cached."""
    built = subprocess.run(
        ["bash", str(ROOT / "tests" / "build-actionlint.sh")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if built.returncode != 0:
        pytest.fail(f"cannot build actionlint (needs Go): {built.stderr[-2000:]}")
    return built.stdout.strip()


def test_every_workflow_passes_actionlint() -> None:
    # actionlint (https://github.com/rhysd/actionlint): workflow syntax, expressions and their
    # types, job needs, reusable workflow inputs, and shellcheck-free script checks.
    result = subprocess.run(
        [_actionlint(), "-shellcheck=", "-pyflakes="],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_phases_are_jobs_in_order_each_a_matrix_of_shards() -> None:
    jobs = workflow(DEPLOY)["jobs"]
    assert jobs["org"]["needs"] == "plan"
    assert jobs["hub"]["needs"] == ["plan", "org"]
    assert jobs["members"]["needs"] == ["plan", "hub"]
    assert jobs["destroy-hub"]["needs"] == ["plan", "destroy-members"]
    assert jobs["destroy-org"]["needs"] == ["plan", "destroy-hub"]
    for name in ("org", "hub", "members", "destroy-members", "destroy-hub", "destroy-org"):
        assert jobs[name]["uses"] == f"./.github/workflows/{PHASE}"
        assert jobs[name]["with"]["phase"] == name.removeprefix("destroy-")
    shard = workflow(PHASE)["jobs"]["shard"]
    assert shard["strategy"]["matrix"]["shard"] == "${{ fromJSON(inputs.shards) }}"
    assert shard["strategy"]["fail-fast"] is False
    run = next(step["run"] for step in shard["steps"] if "orgctl" in step.get("run", ""))
    assert '--phase "$PHASE" --shard "$SHARD"' in run and '--run-id "$RUN_ID"' in run


def test_up_and_destroy_run_in_the_protected_environment_with_oidc_and_bounds() -> None:
    deploy, phase = workflow(DEPLOY), workflow(PHASE)
    shard = phase["jobs"]["shard"]
    assert shard["environment"] == (
        "${{ inputs.verb == 'preview' && 'org-preview' || 'org-deploy' }}"
    )
    assert deploy["jobs"]["enroll"]["environment"] == "org-deploy"
    assert deploy["permissions"] == {} and phase["permissions"] == {"contents": "read"}
    for job in (shard, deploy["jobs"]["enroll"]):
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        aws = next(s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", ""))
        assert "aws-access-key-id" not in aws["with"]
    assert deploy["concurrency"]["group"].startswith("org-deploy-${{ inputs.org-config")
    assert deploy["concurrency"]["cancel-in-progress"] is False
    for document in (deploy, phase):
        for name, job in document["jobs"].items():
            assert "runs-on" not in job or job.get("timeout-minutes"), f"{name}: no timeout"
    on = deploy[True]  # type: ignore[index]  # PyYAML reads the key `on` as True
    assert set(on) == {"workflow_call", "workflow_dispatch", "repository_dispatch"}
    assert on["repository_dispatch"]["types"] == ["enroll-account"]


def test_no_expression_is_interpolated_into_a_script() -> None:
    for name in (DEPLOY, PHASE):
        for job in workflow(name)["jobs"].values():
            for step in job.get("steps", []):
                assert "${{" not in step.get("run", ""), f"{name}: {step.get('name')}"


# --- the input validation, run as written --------------------------------------------


def _validation() -> dict[str, Any]:
    plan = workflow(DEPLOY)["jobs"]["plan"]
    (step,) = [s for s in plan["steps"] if s.get("id") == "inputs"]
    return dict(step)


def _validate(tmp_path: Path, **inputs: str) -> tuple[int, dict[str, str], str]:
    """Run the validation step's script with bash; its exit status, outputs and stdout."""
    output = tmp_path / "github_output"
    output.write_text("")
    env = {"PATH": "/usr/bin:/bin", "GITHUB_OUTPUT": str(output), "LANG": "C.UTF-8"}
    env |= {
        "EVENT": "workflow_dispatch",
        "VERB_INPUT": "up",
        "SHARDS_INPUT": "3",
        "CONFIG_INPUT": "config/org.example.yaml",
        "ACCOUNT_INPUT": "",
    }
    env |= inputs
    marker = tmp_path / "pwned"
    result = subprocess.run(
        ["bash", "-e", "-c", _validation()["run"]],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert not marker.exists(), "an input was executed"
    lines = output.read_text().splitlines()
    outputs = dict(line.split("=", 1) for line in lines)
    assert len(outputs) == len(lines), f"an output line without '=': {lines}"
    return result.returncode, outputs, result.stdout


def test_the_step_reads_every_input_from_the_environment() -> None:
    step = _validation()
    assert step["env"]["ACCOUNT_INPUT"] == "${{ github.event.client_payload.account_id }}"
    assert "${{" not in step["run"]


def test_a_twelve_digit_account_from_the_enrolment_event_passes(tmp_path: Path) -> None:
    status, outputs, _ = _validate(
        tmp_path, EVENT="repository_dispatch", ACCOUNT_INPUT="123456789012"
    )
    assert status == 0
    assert outputs == {
        "verb": "up",
        "shards": "[1]",
        "shard-count": "1",
        "account": "123456789012",
        "org-config": "config/org.example.yaml",
    }


HOSTILE_ACCOUNTS = [
    "12345678901",  # 11 digits
    "1234567890123",  # 13 digits
    "",
    " 123456789012",
    "123456789012 ",
    "123456789012\n",
    "123456789012\naccount=999999999999",  # an extra output line
    "123456789012\nverb=destroy",
    "１２３４５６７８９０１２",  # fullwidth digits  # noqa: RUF001
    "١٢٣٤٥٦٧٨٩٠١٢",  # Arabic-Indic digits
    "۱۲۳۴۵۶۷۸۹۰۱۲",  # Extended Arabic-Indic digits
    "12345678901²",  # a superscript digit
    "123456789012; touch pwned",
    "$(touch pwned)",
    "`touch pwned`",
    "123456789012$(touch pwned)",
    "12345678901*",
    "-123456789012",
    "0x1234567890",
    "1234567890.0",
]


@pytest.mark.parametrize("account", HOSTILE_ACCOUNTS)
def test_a_hostile_account_id_is_refused_and_goes_nowhere(tmp_path: Path, account: str) -> None:
    status, outputs, stdout = _validate(
        tmp_path, EVENT="repository_dispatch", ACCOUNT_INPUT=account
    )
    assert status != 0
    assert outputs == {}
    assert stdout == "::error::client_payload.account_id must be exactly 12 digits\n"


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"VERB_INPUT": "up; touch pwned"}, "verb must be"),
        ({"VERB_INPUT": "up\ndestroy"}, "verb must be"),
        ({"VERB_INPUT": "refresh"}, "verb must be"),
        ({"SHARDS_INPUT": "0"}, "shards must be"),
        ({"SHARDS_INPUT": "65"}, "shards must be"),
        ({"SHARDS_INPUT": "3$(touch pwned)"}, "shards must be"),
        ({"SHARDS_INPUT": "٣"}, "shards must be"),
        ({"SHARDS_INPUT": "3\n"}, "shards must be"),
        ({"CONFIG_INPUT": "../secrets.yaml"}, "the org file must be"),
        ({"CONFIG_INPUT": "/etc/passwd.yaml"}, "the org file must be"),
        ({"CONFIG_INPUT": "config/$(touch pwned).yaml"}, "the org file must be"),
        ({"CONFIG_INPUT": "config/org.yaml\nverb=destroy"}, "the org file must be"),
        ({"CONFIG_INPUT": "-rf.yaml"}, "the org file must be"),
    ],
)
def test_hostile_dispatch_inputs_are_refused(
    tmp_path: Path, inputs: dict[str, str], message: str
) -> None:
    status, outputs, stdout = _validate(tmp_path, **inputs)
    assert status != 0 and outputs == {}
    assert stdout.startswith(f"::error::{message}")


def test_a_dispatch_gives_the_shard_list(tmp_path: Path) -> None:
    status, outputs, _ = _validate(tmp_path, VERB_INPUT="destroy", SHARDS_INPUT="12")
    assert status == 0
    assert outputs["verb"] == "destroy" and outputs["account"] == ""
    assert outputs["shards"] == "[" + ",".join(str(n) for n in range(1, 13)) + "]"
    assert re.fullmatch(r"\d+", outputs["shard-count"])
