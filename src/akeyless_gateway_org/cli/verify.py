"""``orgctl verify``: do AWS, Akeyless and the Pulumi state agree for every account? Read-only.

Exit status 0 when they all agree, 3 when something differs (each finding printed), 1 when
something could not be checked (the findings so far still printed), 2 on invalid input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from typing import Any

from akeyless_gateway_org.cli.base import (
    EXIT_FAILED,
    EXIT_OK,
    add_backend_arguments,
    add_config_argument,
    backend_runner,
)
from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.stacks import plan_stacks
from akeyless_gateway_org.config.validation import load_org_file
from akeyless_gateway_org.discovery import resolve_accounts
from akeyless_gateway_org.errors import RunFailure
from akeyless_gateway_org.verify.check import akeyless_reader_for, aws_reader_for, verify_org
from akeyless_gateway_org.verify.model import ReadFailed, StateReader, VerifyResult

EXIT_FINDINGS = 3
EXIT_OF = {"agree": EXIT_OK, "disagree": EXIT_FINDINGS, "incomplete": EXIT_FAILED}


class VerifyCommand:
    name = "verify"
    help = "check, read-only, that AWS, Akeyless and the Pulumi state agree for every account"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_config_argument(parser)
        parser.add_argument("--json", action="store_true", help="print JSON for tools")
        add_backend_arguments(parser)

    def run(self, args: argparse.Namespace) -> int:
        org = resolve_accounts(load_org_file(args.config))
        aws = aws_reader_for(org)
        akeyless = akeyless_reader_for(org, os.environ.get("AKEYLESS_ACCESS_KEY"))
        try:
            state: StateReader = state_reader(args, org)
        except RunFailure as error:  # no CLI, no passphrase, a backend that does not answer
            state = UnreadableState(f"the Pulumi state cannot be read: {error}")
        try:
            result = verify_org(org, aws=aws, akeyless=akeyless, state=state)
        finally:
            finish = getattr(state, "finish", None)
            if finish is not None:
                finish()
        if args.json:
            print(json.dumps(result.as_json(), indent=2))
        else:
            print_result(result)
        return EXIT_OF[result.verdict]


def state_reader(args: argparse.Namespace, org: OrgDeployment) -> StateReader:
    """The Pulumi state through the Automation API runner: ``stack ls`` once, then each
    stack's ``stack output`` (no ``pulumi install``, no stack is changed)."""
    runner = backend_runner(args, install=False)
    runner.prepare(plan_stacks(org), {})
    return runner


class UnreadableState:
    """The state when the runner could not even start: every stack is "not checked", and AWS
    and Akeyless are still compared."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def existing_stacks(self) -> list[str]:
        raise ReadFailed(self.reason)

    def outputs(self, stack: str) -> Mapping[str, Any]:
        raise ReadFailed(self.reason)


def print_result(result: VerifyResult) -> None:
    """One line per finding and per object not checked, then the verdict."""
    for finding in result.findings:
        print(
            f"{finding.account_id}  {finding.system:<8}  {finding.object}: {finding.property}\n"
            f"    expected: {finding.expected}\n"
            f"    found:    {finding.found}"
        )
    for item in result.unchecked:
        print(f"{item.account_id}  {item.system:<8}  {item.object}: NOT CHECKED: {item.reason}")
    print(
        f"verify: {result.verdict}: {len(result.accounts)} account(s), {result.checked} "
        f"object(s) checked, {len(result.findings)} finding(s), "
        f"{len(result.unchecked)} not checked",
        file=sys.stderr,
    )
