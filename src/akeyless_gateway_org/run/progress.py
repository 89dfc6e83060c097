"""How a run shows itself: live progress for people, NDJSON for machines.

Both are ``on_event`` callbacks of :func:`scripts.orchestrator.run_deployment`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.text import Text

from akeyless_gateway_org.run.orchestrator import DeploymentEvent
from akeyless_gateway_org.terminal import printable

STYLES = {
    "queued": "dim",
    "running": "cyan",
    "retrying": "yellow",
    "succeeded": "green",
    "unchanged": "green",
    "failed": "bold red",
    "not_run": "dim",
    "skipped": "dim",
}
DONE = ("succeeded", "unchanged", "failed", "not_run")
"""The states that end a stack's part in its phase's bar."""


def change_text(changes: Mapping[str, int]) -> str:
    """``+2 ~1 -0 ±1``-style summary of change counts."""
    marks = {"create": "+", "update": "~", "delete": "-", "replace": "±"}
    parts = [f"{mark}{changes.get(op, 0)}" for op, mark in marks.items() if changes.get(op)]
    return " ".join(parts) or "no changes"


class NdjsonEvents:
    """One JSON object per line per event."""

    def __init__(self, stream: TextIO | None = None) -> None:
        # sys.stdout as it is now, not as it was when this module was imported.
        self.stream = stream if stream is not None else sys.stdout

    def __call__(self, event: DeploymentEvent) -> None:
        self.stream.write(json.dumps(event.as_json(), sort_keys=True) + "\n")
        self.stream.flush()


class LiveProgress:
    """A progress bar per phase and a line per account as its stack changes state."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=self.console,
            transient=False,
        )
        self.phases: dict[int, TaskID] = {}

    def __enter__(self) -> LiveProgress:
        self.progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.progress.stop()

    def __call__(self, event: DeploymentEvent) -> None:
        if event.status == "phase_started" and event.phase is not None:
            self.phases[event.phase] = self.progress.add_task(
                f"{event.kind} stacks", total=event.total
            )
            return
        if event.status == "stopping":
            self.console.print(Text("stopped: nothing new was scheduled", style="yellow"))
            return
        if event.status == "interrupting":
            self.console.print(
                Text(f"interrupting {event.total} in-flight stack(s) (SIGINT)", style="yellow")
            )
            return
        if event.stack is None or event.status in ("phase_finished", "queued"):
            return
        detail = ""
        if event.status == "succeeded":
            detail = f"  {change_text(event.changes)}  ({event.duration_seconds or 0:.1f}s)"
        elif event.status in ("failed", "retrying"):
            detail = f"  {event.error}"
        elif event.reason:  # why it runs, or why it was left unchanged (its fingerprint)
            detail = f"  {event.reason}"
        account = " ".join(part for part in (event.account, event.account_name) if part)
        # Text, never markup: CLI messages hold brackets ("[urn=...]", "[secret]"); and
        # printable: an account name or a CLI message must not drive the terminal.
        line = Text.assemble(
            (f"{event.status:<9}", STYLES.get(event.status, "")),
            printable(f" {event.stack:<22} {account}{detail}"),
        )
        for warning in event.warnings:
            line.append(printable(f"\n          warning: {warning}"), style="yellow")
        self.console.print(line, highlight=False)
        if event.status in DONE and event.phase in self.phases:
            self.progress.advance(self.phases[event.phase])
