"""The offline render at the org file's account limit: wall time and peak memory.

``python -m benchmarks.accounts_limit_bench --accounts N`` writes a centralized org file of N
members (the example's hub and capabilities, each member with its own assume-role
grant), then runs ``orgctl render`` on it in a child process, the way a pull request's
workflow does, and prints the child's wall time and peak resident memory (``ru_maxrss``
of the waited-for child). The README's figure for ``MAX_ACCOUNTS`` (config/model.py)
comes from here.
"""

from __future__ import annotations

import argparse
import copy
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from akeyless_gateway_org.project import PROJECT_DIR

EXAMPLE = PROJECT_DIR / "config" / "org.example.yaml"

SMOKE_ARGS = ["--accounts", "3"]


def org_document(accounts: int) -> dict[str, object]:
    """The centralized example with ``accounts`` members instead of its three."""
    document: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    template = document["accounts"][0]
    members = []
    for index in range(accounts):
        account_id = f"{900000000000 + index:012d}"
        member = copy.deepcopy(template)
        member["id"] = account_id
        member["name"] = f"member-{index}"
        member["capabilities"]["dynamic_assume_role"]["role_arns"] = [
            f"arn:aws:iam::{account_id}:role/app-readonly"
        ]
        member["capabilities"]["usc_secrets_manager"].pop("kms_key_arn", None)
        members.append(member)
    document["accounts"] = members
    return document


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, default=500)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "org.yaml"
        path.write_text(yaml.safe_dump(org_document(args.accounts)), encoding="utf-8")
        started = time.perf_counter()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "akeyless_gateway_org",
                "render",
                "--config",
                str(path),
                "--out",
                str(Path(folder) / "render"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"render failed ({result.returncode}): {result.stderr[-2000:]}")
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"accounts: {args.accounts}")
    print(f"render wall time: {wall:.1f} s")
    print(f"render peak RSS: {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
