"""``orgctl`` (the project's console script; also ``python -m scripts.orgctl``): the org-wide CLI.

Verbs:
  accounts --config FILE [--json]    the accounts the deployment reaches (file or Organizations)
  render --config FILE [--out DIR] [--discover]
                                     evaluate every stack offline, write render.json/.md
  preview | up | refresh | destroy --config FILE [options]
                                     run the verb over every stack with the Automation API

Exit status: 0 success, 1 a stack failed (or the run could not start), 2 invalid input.
``render``: 0 every policy rule holds; 1 a policy violation (render.json and render.md
are still written, the violations listed in render.md) or a stack's program failed;
2 invalid input (the org file, or an output folder that cannot be written).
"""

from __future__ import annotations

import argparse
import gc
import json
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from akeyless_gateway_org.components.akeyless_sdk import MissingProviderSdk
from akeyless_gateway_org.config.validation import ConfigError, load_org_file
from akeyless_gateway_org.discovery import (
    DiscoveryError,
    OrganizationsUnavailable,
    resolve_accounts,
)
from akeyless_gateway_org.review.pr_comment import (
    StackPreview,
    render_comment,
    stacks_from_render,
    stacks_from_results,
)
from akeyless_gateway_org.run.orchestrator import (
    ConfirmationRequired,
    DeploymentAborted,
    DeploymentOptions,
    DeploymentRequest,
    DeploymentResult,
    InvalidRequest,
    load_report,
    run_deployment,
)
from akeyless_gateway_org.run.protocol import VERBS

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orgctl",
        description="Deploy the Akeyless Gateway across an AWS Organization.",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    render = verbs.add_parser(
        "render", help="evaluate every stack under Pulumi's mocks; no CLI, cloud or network"
    )
    render.add_argument("--config", required=True, type=Path, help="the org deployment YAML")
    render.add_argument(
        "--out", type=Path, default=Path("build/render"), help="output folder (build/render)"
    )
    render.add_argument(
        "--pr-comment", type=Path, metavar="FILE", help="also write a desired-state PR comment"
    )
    render.add_argument(
        "--discover",
        action="store_true",
        help="resolve the accounts as `accounts` does (AWS Organizations if the file says so)",
    )
    accounts = verbs.add_parser(
        "accounts", help="list the accounts the selection reaches (AWS_ENDPOINT_URL honoured)"
    )
    accounts.add_argument("--config", required=True, type=Path, help="the org deployment YAML")
    accounts.add_argument("--json", action="store_true", help="print JSON instead of a table")
    for verb in VERBS:
        _add_run_verb(verbs, verb)
    return parser


def _count(minimum: int) -> Callable[[str], int]:
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


def _add_run_verb(verbs: Any, verb: str) -> None:
    run = verbs.add_parser(verb, help=f"pulumi {verb} every stack, phase by phase")
    run.add_argument("--config", required=True, type=Path, help="the org deployment YAML")
    run.add_argument("--parallel", type=_count(1), default=8, help="stacks at once per phase (8)")
    run.add_argument(
        "--max-failures",
        type=_count(0),
        default=0,
        help="stop scheduling once more stacks failed (0)",
    )
    run.add_argument("--only", nargs="+", default=[], metavar="ACCOUNT", help="only these accounts")
    run.add_argument("--resume", type=Path, metavar="REPORT", help="rerun what failed or never ran")
    run.add_argument("--report", type=Path, help="where to write the run report (.orgctl/reports/)")
    run.add_argument("--json", action="store_true", help="NDJSON events on stdout, no live view")
    run.add_argument("--backend-url", help="s3://... or https://api.pulumi.com (default: local)")
    run.add_argument("--pulumi-cli", type=Path, help="the pulumi executable or its install folder")
    run.add_argument(
        "--state-dir", type=Path, help="work dirs, local backend and reports (./.orgctl)"
    )
    if verb == "preview":
        run.add_argument(
            "--pr-comment", type=Path, metavar="FILE", help="write the preview as a PR comment"
        )
        run.add_argument(
            "--preview-role",
            action="store_true",
            help="reach every account through the org file's read-only preview_role_name",
        )
    if verb in ("preview", "up"):
        packs = run.add_mutually_exclusive_group()
        packs.add_argument(
            "--policy-pack",
            type=Path,
            action="append",
            help="policy pack(s) to enforce (default: this project's policy/)",
        )
        packs.add_argument(
            "--no-policy-pack", action="store_true", help="run without any policy pack"
        )
    run.add_argument(
        "--stack-owner",
        default="organization",
        help="owner part of org/project/stack: your Pulumi Cloud org ('organization' locally)",
    )
    run.add_argument(
        "--cancel-on-interrupt",
        action="store_true",
        help="on the first Ctrl-C already interrupt in-flight updates (default: let them finish)",
    )
    if verb in ("up", "destroy"):
        run.add_argument(
            "--prune",
            action="store_true",
            help="destroy stacks of accounts that left the selection",
        )
    if verb == "destroy":
        run.add_argument("--yes", action="store_true", help="really destroy")


def _accounts(config: Path, as_json: bool) -> int:
    org = resolve_accounts(load_org_file(config))
    if as_json:
        rows = [{"id": a.id, "name": a.name} for a in org.accounts]
        print(json.dumps({"source": org.discovery.source, "accounts": rows}, indent=2))
    else:
        for account in org.accounts:
            print(f"{account.id}  {account.name or ''}".rstrip())
        print(f"{len(org.accounts)} account(s) from {org.discovery.source}", file=sys.stderr)
    return EXIT_OK


def _render(config: Path, out: Path, pr_comment: Path | None, discover: bool) -> int:
    from akeyless_gateway_org.components.akeyless_sdk import load_sdk
    from akeyless_gateway_org.review.render import (
        RenderError,
        RenderSummary,
        policy_violations,
        render,
        write_render,
    )
    from akeyless_gateway_org.review.review_document import summary_facts

    org = load_org_file(config)
    # The file's own list is filtered offline; AWS Organizations is read only when asked.
    discovered = discover or org.discovery.source == "file"
    if discovered:
        org = resolve_accounts(org)
    sdk = load_sdk(schema_fallback=True)
    summary = RenderSummary(
        akeyless_sdk=sdk.kind,
        accounts_source=org.discovery.source,
        accounts_discovered=discovered,
    )
    print(f"akeyless resources through: {sdk.describe()}")
    if summary.listed_accounts_only:
        print(
            f"NOTE: the accounts come from AWS Organizations, but only the {len(org.accounts)} "
            f"account(s) listed in {config} were rendered (pass --discover to read the selection)"
        )
    try:
        stacks = render(org, sdk)
    except RenderError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    facts = summary_facts(
        config,
        org,
        sdk_source=sdk.describe(),
        listed_accounts_only=summary.listed_accounts_only,
    )
    try:
        json_path, md_path = write_render(stacks, summary, out, facts)
    except OSError as error:
        print(f"error: cannot write the render into {out}: {error.strerror}", file=sys.stderr)
        return EXIT_INVALID
    resources = sum(len(stack.resources) for stack in stacks)
    print(f"rendered {len(stacks)} stacks, {resources} resources: {json_path}, {md_path}")
    if pr_comment is not None:
        document = json.loads(json_path.read_text(encoding="utf-8"))
        _write_comment(
            stacks_from_render(document),
            pr_comment,
            "Akeyless Gateway: desired state (offline render, no credentials)",
        )
    violations = policy_violations(stacks)
    for violation in violations:
        print(f"policy violation: {violation}", file=sys.stderr)
    if violations:
        print(f"error: {len(violations)} policy violation(s), listed in {md_path}", file=sys.stderr)
        return EXIT_FAILED
    print("policy: every rule of policy/rules.py holds for every resource")
    return EXIT_OK


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


def _write_comment(stacks: list[StackPreview], path: Path, title: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_comment(stacks, title=title), encoding="utf-8")
    print(f"PR comment: {path}", file=sys.stderr)


def _write_report(result: DeploymentResult, path: Path | None, state_dir: Path) -> Path:
    if path is None:
        stamp = result.started_at.replace("-", "").replace(":", "").split(".")[0] + "Z"
        path = state_dir / "reports" / f"{result.verb}-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.as_report(), indent=2) + "\n", encoding="utf-8")
    return path


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


def _run(args: argparse.Namespace) -> int:
    from akeyless_gateway_org.run.progress import LiveProgress, NdjsonEvents
    from akeyless_gateway_org.run.pulumi_runner import (
        AutomationRunner,
        BackendNotReady,
        ProjectNotFound,
        PulumiCliMissing,
        SetupFailed,
    )

    _check_paths(args)
    options = DeploymentOptions(
        parallel=args.parallel,
        max_failures=args.max_failures,
        only=tuple(args.only),
        resume_from=load_report(args.resume) if args.resume else None,
        yes=getattr(args, "yes", False),
        prune=getattr(args, "prune", False),
        use_preview_role=getattr(args, "preview_role", False),
    )
    request = DeploymentRequest(org=load_org_file(args.config), verb=args.verb, options=options)
    packs = [] if getattr(args, "no_policy_pack", False) else getattr(args, "policy_pack", None)
    stop, cancel = threading.Event(), threading.Event()
    _interrupts(stop, cancel, args.cancel_on_interrupt)
    aborted: DeploymentAborted | None = None
    try:
        runner = AutomationRunner(
            state_dir=args.state_dir,
            backend_url=args.backend_url,
            pulumi_cli=args.pulumi_cli,
            stack_owner=args.stack_owner,
            policy_packs=packs,
        )
        if args.json:
            result = run_deployment(
                request, NdjsonEvents(), runner=runner, stop=stop, cancel=cancel
            )
        else:
            with LiveProgress() as live:
                result = run_deployment(request, live, runner=runner, stop=stop, cancel=cancel)
    except (PulumiCliMissing, BackendNotReady, ProjectNotFound, SetupFailed) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except DeploymentAborted as error:  # the report is written on every ending
        aborted, result = error, error.result
    report = _write_report(result, args.report, runner.state_dir)
    if aborted is not None:
        print(f"error: {aborted}; report: {report}", file=sys.stderr)
        return EXIT_FAILED
    if getattr(args, "pr_comment", None) is not None:
        _write_comment(
            stacks_from_results(result.stacks),
            args.pr_comment,
            "Akeyless Gateway: org-wide preview",
        )
    failed = result.failed
    summary = (
        f"{args.verb}: {sum(s.status == 'succeeded' for s in result.stacks)} succeeded, "
        f"{len(failed)} failed, {sum(s.status == 'not_run' for s in result.stacks)} not run"
        f"{' (interrupted)' if result.interrupted else ''}; report: {report}"
    )
    print(summary, file=sys.stderr)
    for stack in failed:
        print(f"  failed: {stack.name}: {stack.error}", file=sys.stderr)
    for stack in result.stacks:
        for warning in stack.warnings:
            print(f"  warning: {stack.name}: {warning}", file=sys.stderr)
    if result.removed and not options.prune:
        print(
            f"  left the selection (not destroyed; pass --prune): {', '.join(result.removed)}",
            file=sys.stderr,
        )
    return EXIT_OK if result.ok else EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.verb == "render":
            return _render(args.config, args.out, args.pr_comment, args.discover)
        if args.verb == "accounts":
            return _accounts(args.config, args.json)
        if args.verb in VERBS:
            return _run(args)
    except (ConfirmationRequired, InvalidRequest) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    except OrganizationsUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (ConfigError, DiscoveryError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    except MissingProviderSdk as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (FileExistsError, NotADirectoryError, IsADirectoryError, FileNotFoundError) as error:
        # A path given on the command line of the wrong kind (e.g. --out naming a file).
        print(f"error: {error.filename}: {error.strerror}", file=sys.stderr)
        return EXIT_INVALID
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_FAILED


def run_command() -> None:
    """The ``orgctl`` command: ``main`` on the process's arguments, then exit with its code.

    Before exiting it freezes the heap (gc.freeze,
    https://docs.python.org/3/library/gc.html#gc.freeze): Python's shutdown otherwise
    walks every object of Pulumi's SDKs several times as it tears the modules down,
    about a second after a render, for nothing, since the process is ending.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run_command()
