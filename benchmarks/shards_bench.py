"""Wall time of one org-wide ``up`` against three concurrent shards per phase, on the real
engine (the Pulumi CLI built by tests/engine/build-pulumi.sh, stand-in providers, the local
Akeyless of the tests); prints figures, asserts only that every stack succeeded.

    .venv/bin/python -m benchmarks.shards_bench [--members 24] [--shards 3] [--parallel 8]

A centralized org with ``--members`` plain members, deployed twice into fresh file backends:
once by one ``orgctl up --parallel P``; once as org-deploy.yml runs it, each phase by
``--shards`` processes started together (``--phase X --shard K/N --parallel P``), the next
phase when all of them ended. On one machine the shards share its CPUs, so this measures
the cost of sharding (process starts, a barrier per phase); the gain comes from N machines.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from akeyless_gateway_org.run.shards import PHASES
from tests.conftest import CENTRALIZED_EXAMPLE
from tests.engine.harness import DEPLOY_ACCESS_ID, new_engine, org_file, orgctl, start_orgctl
from tests.fake_akeyless import running_fake_akeyless


def _org(fake: Any, into: Path, members: int) -> Path:
    """The centralized example with ``members`` plain member accounts (no capability that
    needs a secret set by hand)."""
    accounts = [{"id": f"{600000000000 + n}", "name": f"member-{n}"} for n in range(members)]
    return org_file(CENTRALIZED_EXAMPLE, fake, into, accounts=accounts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--members", type=int, default=24)
    parser.add_argument("--shards", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=8)
    args = parser.parse_args(argv)
    parallel = ("--parallel", str(args.parallel))
    with tempfile.TemporaryDirectory() as tmp, running_fake_akeyless() as fake:
        fake.aws_iam_access_ids.add(DEPLOY_ACCESS_ID)
        root = Path(tmp)
        engine = new_engine(root / "engine")
        whole_dir, sharded_dir = root / "whole", root / "sharded"
        whole_dir.mkdir()
        sharded_dir.mkdir()
        started = time.perf_counter()
        whole = orgctl(
            engine, "up", _org(fake, whole_dir, args.members), whole_dir / "state", *parallel
        )
        one_run = time.perf_counter() - started
        assert whole.returncode == 0, whole.explain()

        org = _org(fake, sharded_dir, args.members)
        phase_times = []
        started = time.perf_counter()
        for phase in PHASES:
            phase_started = time.perf_counter()
            processes = [
                start_orgctl(
                    engine,
                    "up",
                    org,
                    sharded_dir / "state",
                    *("--phase", phase, "--shard", f"{index}/{args.shards}", *parallel),
                    report=sharded_dir / f"{phase}-{index}.json",
                )
                for index in range(1, args.shards + 1)
            ]
            for process in processes:
                _, stderr = process.communicate(timeout=3600)
                assert process.returncode == 0, stderr[-3000:]
            phase_times.append(time.perf_counter() - phase_started)
        sharded = time.perf_counter() - started
    stacks = len(whole.report["stacks"])
    print(f"CPUs (os.cpu_count): {os.cpu_count()}; org: {stacks} stacks ({args.members} members)")
    print(f"one run, --parallel {args.parallel}:          {one_run:7.1f} s")
    print(
        f"{args.shards} shards per phase, --parallel {args.parallel}: {sharded:7.1f} s "
        f"(org {phase_times[0]:.1f} s, hub {phase_times[1]:.1f} s, members {phase_times[2]:.1f} s)"
    )
    print(f"sharded / one run: {sharded / one_run:.2f}")


SMOKE_ARGS = ["--members", "1", "--shards", "2", "--parallel", "2"]
"""The smallest sharded run (7 orgctl processes on the real engine): 5 min on this 2-core
machine at a load average of 16 (117 s one run, 171 s sharded), less when it is idle. CI runs
it after building the CLI, so a broken benchmark fails there."""

if __name__ == "__main__":
    main()
