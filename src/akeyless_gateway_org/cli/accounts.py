"""``orgctl accounts``: the accounts the deployment reaches (the file or AWS Organizations)."""

from __future__ import annotations

import argparse
import json
import sys

from akeyless_gateway_org.cli.base import EXIT_OK, add_config_argument
from akeyless_gateway_org.config.validation import load_org_file
from akeyless_gateway_org.discovery import resolve_accounts
from akeyless_gateway_org.terminal import printable


class AccountsCommand:
    name = "accounts"
    help = "list the accounts the selection reaches (AWS_ENDPOINT_URL honoured)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_config_argument(parser)
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def run(self, args: argparse.Namespace) -> int:
        org = resolve_accounts(load_org_file(args.config))
        if args.json:
            rows = [{"id": a.id, "name": a.name} for a in org.accounts]
            print(json.dumps({"source": org.discovery.source, "accounts": rows}, indent=2))
        else:
            for account in org.accounts:
                print(
                    printable(f"{account.id}  {account.name or ''}".rstrip(), keep_newlines=False)
                )
            print(f"{len(org.accounts)} account(s) from {org.discovery.source}", file=sys.stderr)
        return EXIT_OK
