"""``orgctl preview | up | refresh | destroy``: one Pulumi verb over every stack, phase by phase.

Exit status 0 when every stack succeeded; 1 when a stack failed or the run could not
start; 2 on invalid input. The run report is written at the start, after every stack's end
and on every ending, a stop included, atomically: a run killed at any moment leaves one.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from akeyless_gateway_org.cli.base import (
    EXIT_FAILED,
    EXIT_OK,
    add_backend_arguments,
    add_config_argument,
    backend_runner,
    count,
    default_report,
    seconds,
    write_comment,
)
from akeyless_gateway_org.cli.secrets import secrets_command
from akeyless_gateway_org.config.stack_config import SECRETS_COMMAND_VARIABLE
from akeyless_gateway_org.config.validation import load_org_file
from akeyless_gateway_org.run.orchestrator import (
    DeploymentAborted,
    DeploymentOptions,
    DeploymentRequest,
    DeploymentResult,
    InvalidRequest,
    load_report,
    run_deployment,
)
from akeyless_gateway_org.run.protocol import Verb
from akeyless_gateway_org.run.shards import PHASES, InvalidShard, Shard
from akeyless_gateway_org.terminal import printable


class DeployCommand:
    """One of the run verbs; each adds exactly the options that mean something for it."""

    def __init__(self, verb: Verb) -> None:
        self.verb: Verb = verb
        self.name: str = verb
        self.help = f"pulumi {verb} every stack, phase by phase"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        verb = self.verb
        add_config_argument(parser)
        parser.add_argument(
            "--parallel", type=count(1), default=8, help="stacks at once per phase (8)"
        )
        parser.add_argument(
            "--max-failures",
            type=count(0),
            default=0,
            help="stop scheduling once more stacks failed (0)",
        )
        parser.add_argument(
            "--only", nargs="+", default=[], metavar="ACCOUNT", help="only these accounts"
        )
        parser.add_argument(
            "--resume", type=Path, metavar="REPORT", help="rerun what failed or never ran"
        )
        parser.add_argument(
            "--report", type=Path, help="where to write the run report (.orgctl/reports/)"
        )
        parser.add_argument(
            "--phase", choices=PHASES, help="run only this phase (default: every phase, in order)"
        )
        parser.add_argument(
            "--shard",
            type=_shard,
            metavar="K/N",
            help="run only shard K of N of the phase (a hash of each stack's name; needs --phase)",
        )
        parser.add_argument(
            "--run-id", help="name the run in its report, for `orgctl report merge` (a CI run ID)"
        )
        parser.add_argument(
            "--json", action="store_true", help="NDJSON events on stdout, no live view"
        )
        add_backend_arguments(parser)
        if verb == "preview":
            parser.add_argument(
                "--pr-comment", type=Path, metavar="FILE", help="write the preview as a PR comment"
            )
            parser.add_argument(
                "--preview-role",
                action="store_true",
                help="reach every account through the org file's read-only preview_role_name",
            )
        if verb in ("preview", "up"):
            parser.add_argument(
                "--all",
                dest="run_all",
                action="store_true",
                help="run every stack, also one unchanged since its last up (its fingerprint)",
            )
            packs = parser.add_mutually_exclusive_group()
            packs.add_argument(
                "--policy-pack",
                type=Path,
                action="append",
                help="policy pack(s) to enforce (default: this project's policy/)",
            )
            packs.add_argument(
                "--no-policy-pack", action="store_true", help="run without any policy pack"
            )
        parser.add_argument(
            "--retry-attempts",
            type=count(1),
            default=3,
            help="attempts of a stack that fails transiently: throttling, 5xx, timeouts (3)",
        )
        parser.add_argument(
            "--retry-backoff",
            type=seconds,
            default=5.0,
            metavar="SECONDS",
            help="first wait before such a retry, doubling, with jitter (5)",
        )
        if verb != "preview":
            parser.add_argument(
                "--break-locks-older-than",
                type=seconds,
                metavar="SECONDS",
                help="remove another host's stack lock this old when no other orgctl run on "
                "the backend is alive (default: never; a dead process's lock on this host is "
                "always removed)",
            )
        parser.add_argument(
            "--cancel-on-interrupt",
            action="store_true",
            help="on the first Ctrl-C already interrupt in-flight updates (default: let them "
            "finish)",
        )
        if verb in ("up", "destroy"):
            parser.add_argument(
                "--prune",
                action="store_true",
                help="destroy stacks of accounts that left the selection",
            )
        if verb == "destroy":
            parser.add_argument("--yes", action="store_true", help="really destroy")

    def run(self, args: argparse.Namespace) -> int:
        # The live side's edges (rich, pulumi.automation) are imported only for these verbs.
        from akeyless_gateway_org.run.progress import LiveProgress, NdjsonEvents

        _check_paths(args)
        packs = [] if getattr(args, "no_policy_pack", False) else getattr(args, "policy_pack", None)
        runner = backend_runner(
            args,
            policy_packs=packs,
            break_locks_older_than=getattr(args, "break_locks_older_than", None),
        )
        report_path = args.report or default_report(self.verb, runner.state_dir)
        options = DeploymentOptions(
            parallel=args.parallel,
            max_failures=args.max_failures,
            only=tuple(args.only),
            resume_from=load_report(args.resume) if args.resume else None,
            yes=getattr(args, "yes", False),
            prune=getattr(args, "prune", False),
            use_preview_role=getattr(args, "preview_role", False),
            run_all=getattr(args, "run_all", False),
            retry_attempts=args.retry_attempts,
            retry_backoff_seconds=args.retry_backoff,
            report_path=report_path,
            phase=args.phase,
            shard=args.shard,
            run_id=args.run_id,
        )
        request = DeploymentRequest(
            org=load_org_file(args.config),
            verb=self.verb,
            options=options,
            environment={SECRETS_COMMAND_VARIABLE: secrets_command(args)},
        )
        stop, cancel = threading.Event(), threading.Event()
        _interrupts(stop, cancel, args.cancel_on_interrupt)
        aborted: DeploymentAborted | None = None
        try:
            if args.json:
                result = run_deployment(
                    request, NdjsonEvents(), runner=runner, stop=stop, cancel=cancel
                )
            else:
                with LiveProgress() as live:
                    result = run_deployment(request, live, runner=runner, stop=stop, cancel=cancel)
        except DeploymentAborted as error:  # the run wrote its report on every ending
            aborted, result = error, error.result
        if aborted is not None:
            print(printable(f"error: {aborted}; report: {report_path}"), file=sys.stderr)
            return EXIT_FAILED
        if getattr(args, "pr_comment", None) is not None:
            write_comment(
                result.stacks,
                args.pr_comment,
                "Akeyless Gateway: org-wide preview",
            )
        _print_summary(result, report_path, prune=options.prune)
        return EXIT_OK if result.ok else EXIT_FAILED


def _print_summary(result: DeploymentResult, report: Path, *, prune: bool) -> None:
    failed = result.failed
    counts = result.counts()
    print(
        f"{result.verb}: {counts.get('succeeded', 0)} succeeded, "
        f"{counts.get('unchanged', 0)} unchanged, {len(failed)} failed, "
        f"{counts.get('not_run', 0)} not run"
        f"{' (interrupted)' if result.interrupted else ''}; report: {report}",
        file=sys.stderr,
    )
    for stack in failed:
        print(printable(f"  failed: {stack.name}: {stack.error}"), file=sys.stderr)
    for stack in result.stacks:
        for warning in stack.warnings:
            print(printable(f"  warning: {stack.name}: {warning}"), file=sys.stderr)
    if result.removed and not prune:
        print(
            f"  left the selection (not destroyed; pass --prune): {', '.join(result.removed)}",
            file=sys.stderr,
        )


def _interrupts(stop: threading.Event, cancel: threading.Event, cancel_first: bool) -> None:
    """First Ctrl-C: schedule nothing new. Second (or the first, if asked): interrupt in-flight.

    The CLI children run in sessions of their own (``SessionCommand``), so the
    terminal's SIGINT reaches only orgctl; orgctl decides what each child gets.
    """

    def handler(_signum: int, _frame: FrameType | None) -> None:
        if cancel.is_set():
            print("\nstill waiting for the interrupted updates to end...", file=sys.stderr)
        elif stop.is_set() or cancel_first:
            cancel.set()
            stop.set()
            print(
                "\ninterrupting the in-flight updates (SIGINT, Pulumi's graceful cancel); "
                "waiting for them to end...",
                file=sys.stderr,
            )
        else:
            stop.set()
            print(
                "\nstopping: nothing new is scheduled, in-flight stacks finish "
                "(Ctrl-C again to interrupt them)",
                file=sys.stderr,
            )

    signal.signal(signal.SIGINT, handler)


def _shard(text: str) -> Shard:
    """An argparse type: ``K/N`` (argparse names the option and exits 2)."""
    try:
        return Shard.parse(text)
    except InvalidShard as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("--shard ")) from None


def _check_paths(args: argparse.Namespace) -> None:
    """Output paths that cannot work, before anything runs."""
    for option, path, want_dir in (
        ("--state-dir", args.state_dir, True),
        ("--report", args.report, False),
        ("--pr-comment", getattr(args, "pr_comment", None), False),
    ):
        if path is None:
            continue
        if want_dir and path.exists() and not path.is_dir():
            raise InvalidRequest(f"{option} {path} is a file, not a folder")
        if not want_dir and path.is_dir():
            raise InvalidRequest(f"{option} {path} is a folder, not a file")
    if args.resume is not None and not args.resume.is_file():
        raise InvalidRequest(f"--resume {args.resume}: no such report file")
    if args.backend_url is not None and not args.backend_url.strip():
        # An unset CI variable expands to "": that must not silently become a fresh local state.
        raise InvalidRequest("--backend-url is empty (an unset variable?); omit it for local state")
