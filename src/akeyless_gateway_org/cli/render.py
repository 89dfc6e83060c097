"""``orgctl render``: every stack evaluated offline under Pulumi's mocks; no CLI, cloud or network.

Exit status 0 when every policy rule holds; 1 on a policy violation (render.json and
render.md are still written, the violations listed in render.md) or a stack's program
failing; 2 on invalid input (the org file, or an output folder that cannot be written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from akeyless_gateway_org.cli.base import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    add_config_argument,
    write_comment,
)
from akeyless_gateway_org.config.validation import load_org_file
from akeyless_gateway_org.discovery import resolve_accounts
from akeyless_gateway_org.terminal import printable


class RenderCommand:
    name = "render"
    help = "evaluate every stack under Pulumi's mocks; no CLI, cloud or network"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_config_argument(parser)
        parser.add_argument(
            "--out", type=Path, default=Path("build/render"), help="output folder (build/render)"
        )
        parser.add_argument(
            "--pr-comment", type=Path, metavar="FILE", help="also write a desired-state PR comment"
        )
        parser.add_argument(
            "--discover",
            action="store_true",
            help="resolve the accounts as `accounts` does (AWS Organizations if the file says so)",
        )

    def run(self, args: argparse.Namespace) -> int:
        # The offline side is imported only for this verb: it loads Pulumi's mock runtime.
        from akeyless_gateway_org.components.akeyless_sdk import load_sdk
        from akeyless_gateway_org.review.render import (
            RenderSummary,
            policy_violations,
            render,
            write_render,
        )
        from akeyless_gateway_org.review.review_document import summary_facts

        config: Path = args.config
        out: Path = args.out
        org = load_org_file(config)
        # The file's own list is filtered offline; AWS Organizations is read only when asked.
        discovered = args.discover or org.discovery.source == "file"
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
                f"NOTE: the accounts come from AWS Organizations, but only the "
                f"{len(org.accounts)} account(s) listed in {config} were rendered "
                "(pass --discover to read the selection)"
            )
        stacks = render(org, sdk)
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
        if args.pr_comment is not None:
            write_comment(
                [stack.record() for stack in stacks],
                args.pr_comment,
                "Akeyless Gateway: desired state (offline render, no credentials)",
            )
        violations = policy_violations(stacks)
        for violation in violations:
            print(printable(f"policy violation: {violation}"), file=sys.stderr)
        if violations:
            print(
                f"error: {len(violations)} policy violation(s), listed in {md_path}",
                file=sys.stderr,
            )
            return EXIT_FAILED
        print("policy: every rule of policy/rules.py holds for every resource")
        return EXIT_OK
