"""Sharded runs: the share of each shard (a pure function), the options, and merging reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from akeyless_gateway_org.config.stacks import plan_stacks
from akeyless_gateway_org.config.validation import load_org_file
from akeyless_gateway_org.run.orchestrator import (
    DeploymentOptions,
    DeploymentRequest,
    DeploymentResult,
    InvalidRequest,
    run_deployment,
)
from akeyless_gateway_org.run.pulumi_runner import AutomationRunner
from akeyless_gateway_org.run.report_merge import (
    ReportsDisagree,
    merge_reports,
    read_shard_report,
)
from akeyless_gateway_org.run.shards import PHASES, InvalidShard, Shard, phase_of, shard_of
from tests.conftest import DISTRIBUTED_EXAMPLE, FAKE_PASSPHRASE, orgctl_with_fake, run_orgctl
from tests.fake_pulumi import install_fake_pulumi, operations, set_behaviour
from tests.test_orchestrator import org_with_members

NAMES = [f"member-{900000000000 + n}" for n in range(300)]


# --- the share: a pure function ----------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 3, 7, 16])
def test_the_shards_of_a_phase_never_overlap_and_cover_it(count: int) -> None:
    shares = [
        {name for name in NAMES if Shard(index, count).holds(name)} for index in range(1, 1 + count)
    ]
    assert sum(len(share) for share in shares) == len(NAMES)  # no stack in two shards
    assert set().union(*shares) == set(NAMES)  # every stack in one
    if count > 1:
        assert all(share for share in shares)  # 300 names leave no shard empty


def test_a_stack_keeps_its_shard_when_accounts_come_and_go() -> None:
    before = {name: shard_of(name, 3) for name in NAMES[:100]}
    after = {name: shard_of(name, 3) for name in NAMES[50:300]}  # 50 left, 200 joined
    assert all(after[name] == before[name] for name in NAMES[50:100])


def test_the_share_is_the_same_in_every_process() -> None:
    # SHA-256 of the name, not Python's per-process salted hash(): fixed values.
    assert [shard_of(name, 3) for name in ("org", "hub", "member-333333333333")] == [
        shard_of("org", 3),
        shard_of("hub", 3),
        shard_of("member-333333333333", 3),
    ]
    assert shard_of("org", 1) == 1
    assert {shard_of(name, 3) for name in NAMES} == {1, 2, 3}
    import hashlib

    digest = hashlib.sha256(b"member-900000000000").digest()
    assert shard_of("member-900000000000", 5) == int.from_bytes(digest[:8], "big") % 5 + 1


@pytest.mark.parametrize(
    "text",
    ["0/3", "4/3", "1/0", "1/257", "a/b", "1/3;id", "1/3\n2/3", "٢/3", "1 /3", "-1/3", "", "1"],
)
def test_a_bad_shard_is_refused_naming_the_option(text: str) -> None:
    with pytest.raises(InvalidShard, match="--shard must be K/N"):
        Shard.parse(text)


def test_a_shard_parses_and_prints_as_k_of_n() -> None:
    assert Shard.parse("2/3") == Shard(2, 3)
    assert str(Shard(2, 3)) == "2/3"
    assert phase_of("account") == phase_of("member") == "members"
    assert PHASES == ("org", "hub", "members")


def test_a_shard_without_a_phase_or_with_prune_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="--shard needs --phase"):
        DeploymentOptions(shard=Shard(1, 2))
    with pytest.raises(InvalidRequest, match="--prune cannot be sharded"):
        DeploymentOptions(phase="members", shard=Shard(1, 2), prune=True)
    with pytest.raises(InvalidRequest, match="--prune goes with the members phase"):
        DeploymentOptions(phase="org", prune=True)


@pytest.mark.parametrize("value", ["0/3", "x", "1/3\nrm -rf /"])
def test_orgctl_exits_2_naming_the_option(value: str, tmp_path: Path) -> None:
    fake = install_fake_pulumi(tmp_path / "cli")
    result = orgctl_with_fake("up", fake, tmp_path, "--phase", "members", "--shard", value)
    assert result.returncode == 2
    assert "argument --shard: must be K/N" in result.stderr
    assert "Traceback" not in result.stderr
    without_phase = orgctl_with_fake("up", fake, tmp_path, "--shard", "1/2")
    assert without_phase.returncode == 2
    assert "--shard needs --phase" in without_phase.stderr


# --- sharded runs and their merged report, on the fake CLI --------------------------


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", FAKE_PASSPHRASE)
    return install_fake_pulumi(tmp_path / "cli")


def _sharded_run(fake: Path, tmp_path: Path, count: int, members: int) -> list[DeploymentResult]:
    org = org_with_members(members)
    runner = AutomationRunner(state_dir=tmp_path / "state", pulumi_cli=fake)
    results = []
    for phase in PHASES:
        for index in range(1, count + 1):
            options = DeploymentOptions(
                phase=phase,
                shard=Shard(index, count),
                run_id="run-7",
                report_path=tmp_path / "reports" / f"{phase}-{index}.json",
            )
            results.append(run_deployment(DeploymentRequest(org, "up", options), runner=runner))
    return results


def test_each_stack_runs_once_in_its_own_shard_and_the_merge_is_the_whole_run(
    fake: Path, tmp_path: Path
) -> None:
    results = _sharded_run(fake, tmp_path, 3, members=9)
    ups = [call["stack"] for call in operations(fake) if call["argv"][0] == "up"]
    plan = [spec.name for spec in plan_stacks(org_with_members(9))]
    assert sorted(ups) == sorted(plan)  # every stack, none twice
    for result in results:
        assert all(shard_of(s.name, 3) == int(result.shard.split("/")[0]) for s in result.stacks)  # type: ignore[union-attr]
    merged = merge_reports(
        [read_shard_report(path) for path in sorted((tmp_path / "reports").iterdir())]
    )
    assert merged["ok"] is True
    assert merged["missing_shards"] == []
    assert [stack["name"] for stack in merged["stacks"]] == sorted(
        plan, key=lambda n: (n not in ("org",), n not in ("org", "hub"), n)
    )
    assert merged["counts"] == {"succeeded": len(plan)}
    assert merged["organization"] == "111111111111"
    assert merged["run_id"] == "run-7"


def _report(path: Path, **fields: Any) -> Path:
    document: dict[str, Any] = {
        "verb": "up",
        "organization": "111111111111",
        "run_id": "run-7",
        "phase": "members",
        "shard": "1/2",
        "ok": True,
        "interrupted": False,
        "error": None,
        "started_at": "2026-12-03T10:00:00.000Z",
        "finished_at": "2026-12-03T10:01:00.000Z",
        "counts": {"succeeded": 1},
        "removed_from_selection": [],
        "stacks": [
            {
                "name": "member-333333333333",
                "kind": "member",
                "account": "333333333333",
                "phase": 2,
                "status": "succeeded",
            }
        ],
    }
    document.update(fields)
    path.write_text(json.dumps(document))
    return path


def _other_stack(name: str = "member-444444444444") -> list[dict[str, Any]]:
    return [
        {"name": name, "kind": "member", "account": name[7:], "phase": 2, "status": "succeeded"}
    ]


@pytest.mark.parametrize(
    ("second", "message"),
    [
        ({"organization": "999999999999"}, "different organizations"),
        ({"run_id": "run-8"}, "different run IDs"),
        ({"verb": "destroy"}, "different verbs"),
        ({"shard": "2/2"}, "stack member-333333333333 is in both"),
        ({"shard": "1/2", "stacks": _other_stack()}, "are the same shard"),
        ({"shard": "2/3", "stacks": _other_stack()}, "different shard counts"),
    ],
)
def test_reports_of_other_runs_or_overlapping_shards_are_refused(
    tmp_path: Path, second: dict[str, Any], message: str
) -> None:
    first = _report(tmp_path / "a.json")
    other = _report(tmp_path / "b.json", **second)
    with pytest.raises(ReportsDisagree, match=message):
        merge_reports([read_shard_report(first), read_shard_report(other)])


def test_a_missing_shard_makes_the_merged_run_not_ok(tmp_path: Path) -> None:
    merged = merge_reports([read_shard_report(_report(tmp_path / "a.json", shard="1/3"))])
    assert merged["missing_shards"] == ["members 2/3", "members 3/3"]
    assert merged["ok"] is False


def test_orgctl_report_merge_writes_one_report_summary_and_comment(
    fake: Path, tmp_path: Path
) -> None:
    set_behaviour(fake, fail=["member-900000000001"])
    _sharded_run(fake, tmp_path, 2, members=4)
    reports = sorted(str(path) for path in (tmp_path / "reports").iterdir())
    out, comment = tmp_path / "merged.json", tmp_path / "comment.md"
    result = run_orgctl(
        "report", "merge", *reports, "--out", str(out), "--pr-comment", str(comment), home=tmp_path
    )
    assert result.returncode == 1, result.stderr  # one stack failed
    assert "failed: member-900000000001" in result.stderr
    merged = json.loads(out.read_text())
    assert merged["counts"]["failed"] == 1
    text = comment.read_text()
    # Every member of every shard is in the one comment (grouped by template, each
    # account named in its group's table).
    members = {stack["name"] for stack in merged["stacks"] if stack["name"].startswith("member-")}
    assert len(members) == 4
    assert all(f"`{name}`" in text or name.removeprefix("member-") in text for name in members)
    assert "❌ failed" in text
    bad = run_orgctl("report", "merge", reports[0], reports[0], "--out", str(out), home=tmp_path)
    assert bad.returncode == 2
    assert "are the same shard" in bad.stderr or "is in both" in bad.stderr
    not_a_report = tmp_path / "x.json"
    not_a_report.write_text("[1, 2]")
    bad = run_orgctl("report", "merge", str(not_a_report), "--out", str(out), home=tmp_path)
    assert bad.returncode == 2
    assert "is not an orgctl run report" in bad.stderr


def test_a_phase_the_pattern_does_not_have_is_an_empty_successful_run(
    fake: Path, tmp_path: Path
) -> None:
    # The workflow runs a hub job for every org; a distributed one has no hub stack.
    org = load_org_file(DISTRIBUTED_EXAMPLE)
    runner = AutomationRunner(state_dir=tmp_path / "state", pulumi_cli=fake)
    options = DeploymentOptions(phase="hub", shard=Shard(2, 3))
    result = run_deployment(DeploymentRequest(org, "up", options), runner=runner)
    assert result.ok and result.stacks == []
    assert not [call for call in operations(fake) if call["argv"][0] == "up"]
