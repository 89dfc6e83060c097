"""Incremental runs on the real engine: an org-wide ``up``, the same ``up`` again, then one
account's tags changed; prints its figures, asserts only what makes them meaningful.

    .venv/bin/python -m benchmarks.incremental_bench [--members 24] [--parallel 8]

Needs the Pulumi CLI that ``tests/engine/build-pulumi.sh`` builds (as the engine tests do:
the real CLI, engine, file backend and policy pack; stand-in providers; the local Akeyless
fake). Each ``up`` is one ``orgctl`` process; its CPU is the children's rusage (orgctl, every
``pulumi`` it starts and everything below them: language hosts, programs, providers, the
policy analyzer), its stacks run are the ``pulumi up`` invocations (a wrapper logs them).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import CENTRALIZED_EXAMPLE
from tests.engine.harness import (
    DEPLOY_ACCESS_ID,
    NOT_BUILT,
    Counting,
    engine_bin,
    new_engine,
    org_file,
    orgctl,
)
from tests.fake_akeyless import running_fake_akeyless

SMOKE_ARGS = ["--members", "1"]


def timed_up(counting: Counting, org: Path, state: Path, parallel: int) -> dict[str, Any]:
    """One ``orgctl up``: wall and CPU seconds, statuses, and the stacks whose program ran."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run = orgctl(counting.engine, "up", org, state, "--parallel", str(parallel))
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert run.returncode == 0, run.explain()
    calls = counting.per_stack()
    return {
        "wall": wall,
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "statuses": run.statuses(),
        "ran": sorted(stack for stack, commands in calls.items() if "up" in commands),
        "cli_starts": sum(len(commands) for commands in calls.values()),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=24)
    parser.add_argument("--parallel", type=int, default=8)
    args = parser.parse_args(argv)
    if not (engine_bin() / "pulumi").is_file():
        raise SystemExit(NOT_BUILT.format(bin=engine_bin()))
    members = [f"{900000000000 + n}" for n in range(args.members)]
    with tempfile.TemporaryDirectory() as tmp, running_fake_akeyless() as fake:
        root = Path(tmp)
        fake.aws_iam_access_ids.add(DEPLOY_ACCESS_ID)
        counting = Counting(new_engine(root), root)
        accounts = [{"id": account} for account in members]
        org = org_file(CENTRALIZED_EXAMPLE, fake, root, accounts=accounts)
        state = root / "state"
        first = timed_up(counting, org, state, args.parallel)
        second = timed_up(counting, org, state, args.parallel)
        document = yaml.safe_load(org.read_text(encoding="utf-8"))
        document["accounts"][0]["tags"] = {"cost-center": "cc-42"}
        changed = root / "changed.yaml"
        changed.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        third = timed_up(counting, changed, state, args.parallel)
    stacks = len(first["statuses"])
    assert set(second["statuses"].values()) == {"unchanged"} and not second["ran"], second
    assert third["ran"] == [f"member-{members[0]}"], third
    print(f"centralized org, {args.members} members: {stacks} stacks, --parallel {args.parallel}")
    print(f"{'up':<34} {'wall s':>7} {'CPU s':>7} {'stacks run':>10} {'CLI starts':>10}")
    for label, figures in (
        ("first up", first),
        ("same up again", second),
        ("one account's tags changed", third),
    ):
        print(
            f"{label:<34} {figures['wall']:>7.1f} {figures['cpu']:>7.1f} "
            f"{len(figures['ran']):>10} {figures['cli_starts']:>10}"
        )
    print(f"second up's CPU / first's: {second['cpu'] / first['cpu']:.1%}")
    print(f"first up's CPU per stack: {first['cpu'] / stacks:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
