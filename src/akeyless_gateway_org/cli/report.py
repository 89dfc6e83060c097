"""``orgctl report merge REPORT...``: the shard reports of one run joined into one.

Writes the merged report (``--out``), prints the run's summary and, with ``--pr-comment``,
writes the one PR comment of the whole run. Exit status 0 when the merged run is ok, 1 when a
stack failed or a shard is missing, 2 when the reports are not one run's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from akeyless_gateway_org.cli.base import EXIT_FAILED, EXIT_OK, write_comment
from akeyless_gateway_org.records import StackRecord
from akeyless_gateway_org.run.orchestrator import write_report
from akeyless_gateway_org.run.report_merge import merge_reports, read_shard_report


class ReportCommand:
    """``report merge``: the one action on run reports so far."""

    name = "report"
    help = "work with run reports: merge the shard reports of one run"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        merge = actions.add_parser("merge", help="join the shard reports of one run into one")
        merge.add_argument("reports", nargs="+", type=Path, metavar="REPORT")
        merge.add_argument(
            "--out", type=Path, required=True, help="where to write the merged report"
        )
        merge.add_argument(
            "--pr-comment", type=Path, metavar="FILE", help="write the run as one PR comment"
        )

    def run(self, args: argparse.Namespace) -> int:
        merged = merge_reports([read_shard_report(path) for path in args.reports])
        write_report(args.out, merged)
        stacks = [StackRecord.from_json(stack) for stack in merged["stacks"]]
        if args.pr_comment is not None:
            write_comment(stacks, args.pr_comment, f"Akeyless Gateway: org-wide {merged['verb']}")
        counts = merged["counts"]
        print(
            f"{merged['verb']}: {counts.get('succeeded', 0)} succeeded, "
            f"{counts.get('failed', 0)} failed, {counts.get('not_run', 0)} not run, from "
            f"{len(args.reports)} report(s); report: {args.out}",
            file=sys.stderr,
        )
        for stack in stacks:
            if stack.status == "failed":
                print(f"  failed: {stack.name}: {stack.error}", file=sys.stderr)
        for shard in merged["missing_shards"]:
            print(f"  missing: no report of shard {shard}", file=sys.stderr)
        return EXIT_OK if merged["ok"] else EXIT_FAILED
