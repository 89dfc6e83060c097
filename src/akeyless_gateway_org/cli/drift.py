"""``orgctl drift``: which deployed resources differ from their stack's state, per account.

Read-only: a refresh preview of every stack (``run.drift``), never a write to the state.
Exit status 0 when nothing drifted, 3 when something did, 1 when a stack could not be
checked (not deployed, or its refresh preview failed; the report still holds the drift the
other stacks showed), 2 on invalid input. The report (JSON) is written at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from akeyless_gateway_org.cli.base import (
    EXIT_DRIFTED,
    EXIT_FAILED,
    EXIT_OK,
    add_backend_arguments,
    add_config_argument,
    backend_runner,
    count,
    default_report,
)
from akeyless_gateway_org.config.validation import load_org_file
from akeyless_gateway_org.run.drift import DriftEvent, DriftRequest, DriftResult, check_drift
from akeyless_gateway_org.run.orchestrator import write_report


def _short(value: Any, width: int = 100) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_event(event: DriftEvent) -> None:
    """One line per verdict, and one per resource that differs and per property."""
    if event.status in ("checking", "finished"):
        return
    account = " ".join(part for part in (event.account, event.account_name) if part)
    detail = f": {event.error}" if event.error else ""
    print(f"{event.status:<9} {event.stack} ({account}){detail}", file=sys.stderr)
    for resource in event.resources:
        mark = "-" if resource.op == "delete" else "~"
        print(f"  {mark} {resource.type} {resource.name}", file=sys.stderr)
        for prop in resource.properties:
            change = f"{_short(prop.state)} → {_short(prop.cloud)}"
            print(f"      {prop.name}: {change}", file=sys.stderr)


class DriftCommand:
    name = "drift"
    help = "read-only: which resources differ from their stack's state, per account"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_config_argument(parser)
        parser.add_argument(
            "--only", nargs="+", default=[], metavar="ACCOUNT", help="only these accounts"
        )
        parser.add_argument(
            "--parallel", type=count(1), default=8, help="stacks checked at once (8)"
        )
        parser.add_argument(
            "--report", type=Path, help="where to write the JSON report (.orgctl/reports/)"
        )
        parser.add_argument(
            "--json", action="store_true", help="NDJSON events on stdout instead of lines"
        )
        add_backend_arguments(parser)

    def run(self, args: argparse.Namespace) -> int:
        runner = backend_runner(args)
        request = DriftRequest(
            org=load_org_file(args.config), only=tuple(args.only), parallel=args.parallel
        )

        def ndjson(event: DriftEvent) -> None:
            print(json.dumps(event.as_json(), sort_keys=True), flush=True)

        result = check_drift(request, ndjson if args.json else _print_event, runner=runner)
        report = args.report or default_report("drift", runner.state_dir)
        write_report(report, result.as_report())
        _print_summary(result, report)
        if result.unchecked:
            return EXIT_FAILED
        return EXIT_DRIFTED if result.drifted else EXIT_OK


def _print_summary(result: DriftResult, report: Path) -> None:
    counts = result.counts()
    print(
        f"drift: {counts.get('clean', 0)} clean, {counts.get('drifted', 0)} drifted, "
        f"{counts.get('unchecked', 0)} could not be checked; report: {report}",
        file=sys.stderr,
    )
