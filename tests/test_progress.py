"""What people see during a run: a line per account, a bar per phase."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from akeyless_gateway_org.run.orchestrator import DeploymentEvent
from akeyless_gateway_org.run.progress import LiveProgress, change_text


def test_change_counts_read_as_marks() -> None:
    assert change_text({"create": 2, "update": 1, "same": 5}) == "+2 ~1"
    assert change_text({"same": 5}) == "no changes"


def test_a_line_per_account_state_and_a_bar_per_phase() -> None:
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False, color_system=None)

    def member(status: str, **extra: Any) -> DeploymentEvent:
        return DeploymentEvent(
            status,  # type: ignore[arg-type]
            stack="member-333333333333",
            kind="member",
            account="333333333333",
            phase=2,
            **extra,
        )

    with LiveProgress(console) as live:
        live(DeploymentEvent("phase_started", phase=2, kind="member", total=2))
        live(member("running"))
        live(member("succeeded", changes={"create": 3}, duration_seconds=1.25))
        live(member("failed", error="error: AccessDenied"))
        live(DeploymentEvent("stopping"))
    text = out.getvalue()
    assert "running   member-333333333333    333333333333" in text
    assert "succeeded member-333333333333    333333333333  +3  (1.2s)" in text
    assert "failed    member-333333333333    333333333333  error: AccessDenied" in text
    assert "member stacks" in text and "2/2" in text
    assert "stopped: nothing new was scheduled" in text
