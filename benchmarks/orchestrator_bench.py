"""Benchmarks of the org-wide run and of account discovery; prints figures, asserts nothing.

    .venv/bin/python -m benchmarks.orchestrator_bench [--accounts 200] [--parallel 16]
    .venv/bin/python -m benchmarks            # every benchmark at its smoke size (CI)

1. ``up`` of a centralized org with N members through the real pulumi.automation
   wiring, against the fake ``pulumi`` of the tests taking ``--delay`` seconds per
   stack operation. Ideal schedule: the phases one after the other, each phase's
   stacks packed on ``parallel`` slots. It is computed twice: from the nominal
   delay, and from each stack's measured CLI time (its first to last ``pulumi``
   call), which also counts the CLI calls around the operation itself (stack
   select/init, outputs, history) that any orchestrator must make. Orchestrator
   CPU time and peak RSS are of this process only (the CLI runs in children).
2. Discovery of ``--discover`` accounts from a moto server on 127.0.0.1 (account
   creation not timed); every created account must be found (the pagination case
   moved here from the tests, where 1,000 accounts took 20 s).
"""

from __future__ import annotations

import argparse
import heapq
import logging
import math
import os
import resource
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import boto3
import yaml
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from akeyless_gateway_org.config.validation import parse_org
from akeyless_gateway_org.discovery import resolve_accounts
from akeyless_gateway_org.run.orchestrator import (
    DeploymentOptions,
    DeploymentRequest,
    run_deployment,
)
from akeyless_gateway_org.run.pulumi_runner import AutomationRunner
from tests.conftest import CENTRALIZED_EXAMPLE
from tests.fake_pulumi import calls, install_fake_pulumi, max_concurrency


def makespan(durations: list[float], slots: int) -> float:
    """Longest-processing-time-first packing of ``durations`` on ``slots`` (near optimal)."""
    finish = [0.0] * slots
    for duration in sorted(durations, reverse=True):
        heapq.heapreplace(finish, finish[0] + duration)
    return max(finish)


def bench_up(accounts: int, parallel: int, delay: float) -> None:
    data: dict[str, Any] = yaml.safe_load(CENTRALIZED_EXAMPLE.read_text())
    data["accounts"] = [{"id": f"{900000000000 + n}"} for n in range(accounts)]
    org = parse_org(data)
    with tempfile.TemporaryDirectory() as tmp:
        root = install_fake_pulumi(
            # The real CLI checks config in-process; the fake's Python start would be
            # what the benchmark measures.
            Path(tmp) / "cli",
            delay=delay,
            check_config=False,
        )
        os.environ.setdefault("PULUMI_CONFIG_PASSPHRASE", "benchmark")
        runner = AutomationRunner(state_dir=Path(tmp) / "state", pulumi_cli=root)
        # The run's AWS identity, for the preflight's GetCallerIdentity (run/preflight.py).
        sts = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        sts.start()
        host, port = sts.get_host_and_port()
        identity = {
            "AWS_ACCESS_KEY_ID": "benchmark",
            "AWS_SECRET_ACCESS_KEY": "benchmark",
            "AWS_ENDPOINT_URL_STS": f"http://{host}:{port}",
        }
        request = DeploymentRequest(
            org, "up", DeploymentOptions(parallel=parallel), environment=identity
        )
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        result = run_deployment(request, runner=runner)
        wall = time.perf_counter() - started
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        sts.stop()
        recorded = calls(root)
        peak = max_concurrency(root)
    assert result.ok, [s.error for s in result.failed]
    spans: dict[str, list[float]] = defaultdict(list)
    setup = []
    for call in recorded:
        # `stack init NAME` names its stack positionally; the rest pass --stack.
        stack = call["stack"] or (
            call["argv"][2].split("/")[-1] if call["argv"][:2] == ["stack", "init"] else ""
        )
        if stack:
            spans[stack] += [call["start"], call["end"]]
        else:
            setup.append(call)  # version, install, stack ls: once per run
    measured = {stack: max(times) - min(times) for stack, times in spans.items()}
    by_phase: dict[int, list[str]] = defaultdict(list)
    for stack in result.stacks:
        by_phase[stack.phase].append(stack.name)
    ideal_nominal = sum(math.ceil(len(names) / parallel) * delay for names in by_phase.values())
    ideal_measured = sum(
        makespan([measured[name] for name in names], parallel) for names in by_phase.values()
    )
    setup_time = sum(c["end"] - c["start"] for c in setup)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    print(
        f"up: {len(result.stacks)} stacks ({accounts} members), --parallel {parallel}, "
        f"fake CLI {delay}s per stack operation"
    )
    print(f"  wall time                         {wall:8.2f} s")
    print(
        f"  ideal, nominal ({delay}s/stack)      {ideal_nominal:8.2f} s   ratio "
        f"{wall / ideal_nominal:.3f}"
    )
    print(
        f"  ideal, measured CLI time per stack {ideal_measured:7.2f} s   ratio "
        f"{wall / (ideal_measured + setup_time):.3f}  (setup calls {setup_time:.2f} s included)"
    )
    print(f"  mean CLI time per stack           {sum(measured.values()) / len(measured):8.3f} s")
    print(f"  peak concurrent stack operations  {peak:8d}")
    print(f"  orchestrator CPU (this process)   {cpu:8.2f} s")
    print(f"  orchestrator peak RSS             {cpu_after.ru_maxrss / 1024:8.1f} MB")


def bench_discovery(count: int) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log lines
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(
        AWS_ENDPOINT_URL=f"http://{host}:{port}",
        AWS_ACCESS_KEY_ID="benchmark",
        AWS_SECRET_ACCESS_KEY="benchmark",
        AWS_DEFAULT_REGION="us-east-1",
    )
    try:
        client = boto3.client("organizations")
        client.create_organization(FeatureSet="ALL")
        organization = client.describe_organization()["Organization"]
        created = {
            client.create_account(AccountName=f"a{n}", Email=f"a{n}@example.com")[
                "CreateAccountStatus"
            ]["AccountId"]
            for n in range(count)
        }
        data: dict[str, Any] = yaml.safe_load(CENTRALIZED_EXAMPLE.read_text())
        # The file names the organization the credentials reach: discovery checks both
        # (resolve_accounts refuses an organization_id or management account that differ).
        data.update(
            accounts=[],
            management_account_id=organization["MasterAccountId"],
            organization_id=organization["Id"],
            discovery={"source": "organizations"},
        )
        org = parse_org(data)
        started = time.perf_counter()
        found = resolve_accounts(org).accounts
        elapsed = time.perf_counter() - started
    finally:
        server.stop()
    # Every page read (100 accounts a page by default: moto/organizations/utils.py).
    assert {a.id for a in found} == created, "discovery missed accounts"
    print(f"discovery: {len(found)} accounts from the emulator in {elapsed:.2f} s")


SMOKE_ARGS = ["--accounts", "4", "--parallel", "4", "--delay", "0.05", "--discover", "20"]
"""A few seconds: ``python -m benchmarks`` runs this in CI, so a broken benchmark fails there."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument("--delay", type=float, default=0.5)
    parser.add_argument("--discover", type=int, default=1000)
    args = parser.parse_args(argv)
    bench_up(args.accounts, args.parallel, args.delay)
    bench_discovery(args.discover)


if __name__ == "__main__":
    main()
