"""One run's report from the reports of its shards (``orgctl report merge``).

A sharded run (``--phase P --shard K/N``, one process per phase and shard) leaves one report
per process, in the format of :meth:`DeploymentResult.as_report`. Merged, they are the report
one unsharded run would have written: every stack once, in phase order, the counts, ``ok``
only when every shard of every phase is there and ok. Reports that cannot be one run's are
refused, naming the files: another organization, verb or run ID, a stack in two reports
(the shards overlap), the same shard twice, or a phase split into different shard counts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from akeyless_gateway_org.errors import InvalidInput
from akeyless_gateway_org.records import StackRecord
from akeyless_gateway_org.run.protocol import VERBS
from akeyless_gateway_org.run.shards import PHASES

MAX_REPORT_BYTES = 64 * 1024 * 1024
"""A report of 1,000 stacks is under 1 MB; a bigger file is not one of ours."""


class ReportsDisagree(InvalidInput):
    """The reports given to merge are not the shards of one run."""


@dataclass(frozen=True)
class ShardReport:
    """One shard's report as read from its file."""

    path: Path
    document: Mapping[str, Any]
    stacks: Sequence[StackRecord]


def read_shard_report(path: Path) -> ShardReport:
    """Read one report; raises ReportsDisagree naming the file when it is not a run report."""
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            raise ReportsDisagree(f"{path} is larger than {MAX_REPORT_BYTES:,} bytes")
        document = json.loads(path.read_text(encoding="utf-8"))
        stacks = [StackRecord.from_json(stack) for stack in document["stacks"]]
        if document.get("verb") not in VERBS:
            raise ValueError(f"no run verb, {document.get('verb')!r}")
    except OSError as error:
        raise ReportsDisagree(f"cannot read the report {path}: {error.strerror}") from None
    except (ValueError, KeyError, TypeError) as error:
        raise ReportsDisagree(f"{path} is not an orgctl run report ({error!s:.200})") from None
    return ShardReport(path, document, stacks)


def _same(reports: Sequence[ShardReport], key: str, what: str) -> Any:
    values = {json.dumps(report.document.get(key)) for report in reports}
    if len(values) > 1:
        listed = "; ".join(f"{r.path}: {r.document.get(key)!r}" for r in reports)
        raise ReportsDisagree(f"these reports are of different {what}s ({listed})")
    return reports[0].document.get(key)


def _shard_of(report: ShardReport) -> tuple[int, int]:
    shard = report.document.get("shard")
    if shard is None:
        return (1, 1)
    index, count = str(shard).split("/")
    return int(index), int(count)


def _missing_shards(reports: Sequence[ShardReport]) -> list[str]:
    """``members 2/3``, ... for each shard of a phase that no report covers; ``phase`` None
    (an unsharded run of every phase) covers all."""
    if any(report.document.get("phase") is None for report in reports):
        return []
    missing = []
    for phase in PHASES:
        ran = [_shard_of(r) for r in reports if r.document.get("phase") == phase]
        if not ran:
            continue
        counts = {count for _, count in ran}
        if len(counts) > 1:
            raise ReportsDisagree(
                f"the {phase} phase is split into different shard counts: {sorted(counts)}"
            )
        (count,) = counts
        seen = {index for index, _ in ran}
        missing += [
            f"{phase} {index}/{count}" for index in range(1, count + 1) if index not in seen
        ]
    return missing


def merge_reports(reports: Sequence[ShardReport]) -> dict[str, Any]:
    """The run report of one run made of ``reports``; raises ReportsDisagree (see module)."""
    if not reports:
        raise ReportsDisagree("no report to merge")
    verb = _same(reports, "verb", "verb")
    organization = _same(reports, "organization", "organization")
    run_id = _same(reports, "run_id", "run ID")
    shards = [(report.document.get("phase"), _shard_of(report)) for report in reports]
    for position, shard in enumerate(shards):
        if shard in shards[:position]:
            first = reports[shards.index(shard)].path
            raise ReportsDisagree(
                f"{first} and {reports[position].path} are the same shard "
                f"({shard[0] or 'every phase'} {shard[1][0]}/{shard[1][1]})"
            )
    owner: dict[str, Path] = {}
    stacks: list[StackRecord] = []
    for report in reports:
        for stack in report.stacks:
            if stack.name in owner:
                raise ReportsDisagree(
                    f"stack {stack.name} is in both {owner[stack.name]} and {report.path}: "
                    "the shards overlap, so these are not one run's reports"
                )
            owner[stack.name] = report.path
            stacks.append(stack)
    missing = _missing_shards(reports)
    stacks.sort(key=lambda stack: (stack.phase, stack.name))
    counts: dict[str, int] = {}
    for stack in stacks:
        counts[stack.status] = counts.get(stack.status, 0) + 1
    finished = [report.document.get("finished_at") for report in reports]
    errors = [str(r.document["error"]) for r in reports if r.document.get("error")]
    return {
        "verb": verb,
        "organization": organization,
        "run_id": run_id,
        "phase": None,
        "shard": None,
        "ok": all(report.document.get("ok") for report in reports) and not missing,
        "interrupted": any(report.document.get("interrupted") for report in reports),
        "error": "; ".join(errors) or None,
        "started_at": min(str(report.document.get("started_at")) for report in reports),
        "finished_at": None if None in finished else max(str(at) for at in finished),
        "counts": counts,
        "removed_from_selection": sorted(
            {name for r in reports for name in r.document.get("removed_from_selection", [])}
        ),
        "merged_from": [str(report.path) for report in reports],
        "missing_shards": missing,
        "stacks": [stack.as_json() for stack in stacks],
    }
