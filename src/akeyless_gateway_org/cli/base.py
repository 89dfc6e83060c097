"""What every verb of ``orgctl`` shares: the command shape and a few argument types.

A verb is a :class:`Command`: it adds its own arguments and runs over an operation
of the library. Only ``cli.main`` turns errors into exit statuses.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from akeyless_gateway_org.records import StackRecord
from akeyless_gateway_org.review.pr_comment import render_comment

if TYPE_CHECKING:
    from akeyless_gateway_org.run.pulumi_runner import AutomationRunner

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_DRIFTED = 0, 1, 2, 3


class Command(Protocol):
    """One verb of ``orgctl``."""

    name: str
    help: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Declare the verb's own options."""

    def run(self, args: argparse.Namespace) -> int:
        """Do the verb; return its exit status, or raise an ``OrgError``."""


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, type=Path, help="the org deployment YAML")


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the stacks' state is, whose stacks they are and which CLI reads them: every
    verb that reaches Pulumi."""
    parser.add_argument("--backend-url", help="s3://... or https://api.pulumi.com (default: local)")
    parser.add_argument(
        "--pulumi-cli", type=Path, help="the pulumi executable or its install folder"
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        help="orgctl's folder: work dirs, local backend, reports (./.orgctl)",
    )
    parser.add_argument(
        "--stack-owner",
        default="organization",
        help="owner part of org/project/stack: your Pulumi Cloud org ('organization' locally)",
    )


def backend_runner(args: argparse.Namespace, **options: Any) -> AutomationRunner:
    """The runner over what :func:`add_backend_arguments` named, with the verb's ``options``
    (``AutomationRunner``'s other keywords)."""
    from akeyless_gateway_org.run.pulumi_runner import AutomationRunner  # the edge

    return AutomationRunner(
        state_dir=args.state_dir,
        backend_url=args.backend_url,
        pulumi_cli=args.pulumi_cli,
        stack_owner=args.stack_owner,
        **options,
    )


def default_report(verb: str, state_dir: Path) -> Path:
    """``<state dir>/reports/<verb>-<UTC time>.json``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return state_dir / "reports" / f"{verb}-{stamp}.json"


def count(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum`` (argparse names the option)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value

    return parse


def seconds(text: str) -> float:
    """An argparse type: a duration in seconds, 0 or more (argparse names the option)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, not {text}")
    return value


def write_comment(stacks: Sequence[StackRecord], path: Path, title: str) -> None:
    """Write a PR comment of ``stacks`` to ``path`` and say where."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_comment(stacks, title=title), encoding="utf-8")
    print(f"PR comment: {path}", file=sys.stderr)
