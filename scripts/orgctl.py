"""``python -m scripts.orgctl``: the organization-wide command line.

Verbs:
  accounts --config FILE [--json]    the accounts the deployment reaches (file or Organizations)
  render --config FILE [--out DIR]   evaluate every stack offline, write render.json/.md

Exit status: 0 success, 1 failure while running, 2 invalid input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from components.program import MissingProviderSdk
from config.validation import ConfigError, load_org_file
from scripts.discovery import DiscoveryError, OrganizationsUnavailable, resolve_accounts

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.orgctl",
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
    accounts = verbs.add_parser(
        "accounts", help="list the accounts the selection reaches (AWS_ENDPOINT_URL honoured)"
    )
    accounts.add_argument("--config", required=True, type=Path, help="the org deployment YAML")
    accounts.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


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


def _render(config: Path, out: Path) -> int:
    from scripts.render import RenderError, render, write_render

    org = load_org_file(config)
    if org.discovery.source == "file":
        org = resolve_accounts(org)
    else:  # the render never calls AWS: it shows the accounts the file lists
        print(
            "note: discovery from organizations is not run offline; rendering the listed accounts",
            file=sys.stderr,
        )
    try:
        stacks = render(org)
    except RenderError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    json_path, md_path = write_render(stacks, out)
    resources = sum(len(stack.resources) for stack in stacks)
    print(f"rendered {len(stacks)} stacks, {resources} resources: {json_path}, {md_path}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.verb == "render":
            return _render(args.config, args.out)
        if args.verb == "accounts":
            return _accounts(args.config, args.json)
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
