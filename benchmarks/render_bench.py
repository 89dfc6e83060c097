"""Benchmark of the offline render at organization size; prints figures, asserts nothing.

    .venv/bin/python -m benchmarks.render_bench [--accounts 1000]
    .venv/bin/python -m benchmarks             # every benchmark at its smoke size (CI)

The centralized example with N member accounts, each with its own name, and every
tenth in another environment (its own tag) and region, as an organization's
accounts differ. It runs what ``orgctl render --pr-comment`` runs (every stack
under the mocks, the policy pack, render.json, render.md, the PR comment) and
prints: lines and bytes of render.md, bytes of render.json, characters of the PR
comment, wall time and this process's peak RSS (the render runs in-process).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from akeyless_gateway_org.components.akeyless_sdk import load_sdk
from akeyless_gateway_org.config.validation import parse_org
from akeyless_gateway_org.review.pr_comment import render_comment
from akeyless_gateway_org.review.render import RenderSummary, render, write_render
from akeyless_gateway_org.review.review_document import SummaryFacts
from tests.conftest import CENTRALIZED_EXAMPLE


def member(n: int) -> dict[str, Any]:
    """Member ``n``: its own ID and name; every tenth in staging, in eu-west-1 only."""
    account: dict[str, Any] = {"id": f"{900000000000 + n}", "name": f"workload-{n:04d}"}
    if n % 10 == 9:
        account |= {"tags": {"environment": "staging"}, "regions": ["eu-west-1"]}
    return account


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000, help="member accounts (1000)")
    args = parser.parse_args(argv)
    data: dict[str, Any] = yaml.safe_load(CENTRALIZED_EXAMPLE.read_text())
    data["accounts"] = [member(n) for n in range(args.accounts)]
    org = parse_org(data)
    sdk = load_sdk(schema_fallback=True)
    facts = SummaryFacts(
        pattern=org.pattern, accounts={account.id: account.name for account in org.accounts}
    )
    started = time.perf_counter()
    stacks = render(org, sdk)
    rendered = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        summary = RenderSummary(sdk.kind, org.discovery.source, accounts_discovered=True)
        json_path, md_path = write_render(stacks, summary, Path(out), facts)
        comment = render_comment([stack.record() for stack in stacks])
        finished = time.perf_counter()
        markdown = md_path.read_bytes()
        lines = markdown.count(b"\n")
        json_bytes = json_path.stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"render of {len(stacks)} stacks ({args.accounts} members)")
    print(f"  render.md                 {lines:10,d} lines {len(markdown):12,d} bytes")
    print(f"  render.json               {json_bytes:29,d} bytes")
    print(f"  PR comment                {len(comment):23,d} characters")
    print(f"  stacks under the mocks    {rendered - started:10.1f} s")
    print(f"  documents (md, json, PR)  {finished - rendered:10.1f} s")
    print(f"  wall time in all          {finished - started:10.1f} s")
    print(f"  peak RSS                  {peak:10.1f} MB")


SMOKE_ARGS = ["--accounts", "12"]
"""A few seconds: ``python -m benchmarks`` runs this in CI, so a broken benchmark fails there."""


if __name__ == "__main__":
    main()
