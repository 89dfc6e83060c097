"""``orgctl`` (the project's console script; also ``python -m scripts.orgctl``): the org-wide CLI.

Verbs:
  accounts --config FILE [--json]    the accounts the deployment reaches (file or Organizations)
  render --config FILE [--out DIR] [--discover]
                                     evaluate every stack offline, write render.json/.md
  preview | up | refresh | destroy --config FILE [options]
                                     run the verb over every stack with the Automation API

Exit status: 0 success, 1 a stack failed (or the run could not start), 2 invalid input.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from components.akeyless_sdk import MissingProviderSdk
from config.validation import ConfigError, load_org_file
from scripts.discovery import DiscoveryError, OrganizationsUnavailable, resolve_accounts
from scripts.orchestrator import (
    VERBS,
    ConfirmationRequired,
    DeploymentOptions,
    DeploymentRequest,
    DeploymentResult,
    load_report,
    run_deployment,
)
from scripts.pr_comment import (
    StackPreview,
    render_comment,
    stacks_from_render,
    stacks_from_results,
)

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


def _add_run_verb(verbs: Any, verb: str) -> None:
    run = verbs.add_parser(verb, help=f"pulumi {verb} every stack, phase by phase")
    run.add_argument("--config", required=True, type=Path, help="the org deployment YAML")
    run.add_argument("--parallel", type=int, default=8, help="stacks at once per phase (8)")
    run.add_argument(
        "--max-failures", type=int, default=0, help="stop scheduling once more stacks failed (0)"
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
        help="on Ctrl-C also cancel in-flight updates (default: let them finish)",
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
    from components.akeyless_sdk import load_sdk
    from scripts.render import (
        RenderError,
        RenderSummary,
        policy_violations,
        render,
        write_render,
    )

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
    json_path, md_path = write_render(stacks, summary, out)
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
        print(f"error: {len(violations)} policy violation(s)", file=sys.stderr)
        return EXIT_FAILED
    print("policy: every rule of policy/rules.py holds for every resource")
    return EXIT_OK


def _interrupts(stop: threading.Event, cancel: threading.Event, cancel_first: bool) -> None:
    """First Ctrl-C: schedule nothing new. Second (or the first, if asked): cancel in-flight."""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        if stop.is_set() or cancel_first:
            cancel.set()
            print("\ncancelling the in-flight updates...", file=sys.stderr)
        stop.set()
        print("\nstopping: nothing new is scheduled (Ctrl-C again to cancel)", file=sys.stderr)

    signal.signal(signal.SIGINT, handler)


def _write_comment(stacks: list[StackPreview], path: Path, title: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_comment(stacks, title=title), encoding="utf-8")
    print(f"PR comment: {path}", file=sys.stderr)


def _write_report(result: DeploymentResult, path: Path | None, state_dir: Path) -> Path:
    if path is None:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(result.started_at))
        path = state_dir / "reports" / f"{result.verb}-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.as_report(), indent=2) + "\n", encoding="utf-8")
    return path


def _run(args: argparse.Namespace) -> int:
    from scripts.progress import LiveProgress, NdjsonEvents
    from scripts.pulumi_runner import (
        AutomationRunner,
        BackendNotReady,
        PulumiCliMissing,
    )

    options = DeploymentOptions(
        parallel=args.parallel,
        max_failures=args.max_failures,
        only=tuple(args.only),
        resume_from=load_report(args.resume) if args.resume else None,
        yes=getattr(args, "yes", False),
        prune=getattr(args, "prune", False),
    )
    request = DeploymentRequest(org=load_org_file(args.config), verb=args.verb, options=options)
    packs = [] if getattr(args, "no_policy_pack", False) else getattr(args, "policy_pack", None)
    runner = AutomationRunner(
        state_dir=args.state_dir,
        backend_url=args.backend_url,
        pulumi_cli=args.pulumi_cli,
        stack_owner=args.stack_owner,
        policy_packs=packs,
    )
    stop, cancel = threading.Event(), threading.Event()
    _interrupts(stop, cancel, args.cancel_on_interrupt)
    try:
        if args.json:
            result = run_deployment(
                request, NdjsonEvents(), runner=runner, stop=stop, cancel=cancel
            )
        else:
            with LiveProgress() as live:
                result = run_deployment(request, live, runner=runner, stop=stop, cancel=cancel)
    except (PulumiCliMissing, BackendNotReady) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    report = _write_report(result, args.report, runner.state_dir)
    if getattr(args, "pr_comment", None) is not None:
        _write_comment(
            stacks_from_results(result.stacks),
            args.pr_comment,
            "Akeyless Gateway: org-wide preview",
        )
    failed = result.failed
    summary = (
        f"{args.verb}: {sum(s.status == 'succeeded' for s in result.stacks)} succeeded, "
        f"{len(failed)} failed, {sum(s.status == 'not_run' for s in result.stacks)} not run; "
        f"report: {report}"
    )
    print(summary, file=sys.stderr)
    for stack in failed:
        print(f"  failed: {stack.name}: {stack.error}", file=sys.stderr)
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
    except ConfirmationRequired as error:
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
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
