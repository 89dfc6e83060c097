"""``orgctl secrets set --config FILE --account ID``: an account stack's secrets, from stdin.

The current secret access keys of the account's rotated IAM users, as the JSON object
``{"<user>": "<secret access key>", ...}`` on stdin (never an argument: argv is visible
to every user of the host in ``ps``). On a terminal, each key is asked for without echo.
"""

from __future__ import annotations

import argparse
import getpass
import json
import shlex
import sys
from pathlib import Path

from akeyless_gateway_org.cli.base import (
    EXIT_OK,
    add_backend_arguments,
    add_config_argument,
    backend_runner,
)
from akeyless_gateway_org.config.validation import load_org_file
from akeyless_gateway_org.errors import InvalidInput


def orgctl_invocation() -> list[str]:
    """How this process was started, so a printed command runs the same orgctl."""
    script = Path(sys.argv[0])
    if script.name == "__main__.py":  # python -m akeyless_gateway_org
        return [sys.executable, "-m", "akeyless_gateway_org"]
    return [str(script.resolve())] if script.is_file() else ["orgctl"]


def secrets_command(args: argparse.Namespace) -> str:
    """``orgctl secrets set`` for the org file, backend and state of a deploy verb's run,
    without ``--account``: a shell command that works as printed, in the same shell."""
    argv = [*orgctl_invocation(), "secrets", "set", "--config", str(Path(args.config).resolve())]
    for option in ("backend_url", "pulumi_cli", "state_dir"):
        value = getattr(args, option, None)
        if value is not None:
            argv += [f"--{option.replace('_', '-')}", str(value)]
    if getattr(args, "stack_owner", "organization") != "organization":
        argv += ["--stack-owner", args.stack_owner]
    return shlex.join(argv)


class SecretsCommand:
    name = "secrets"
    help = "set an account stack's secrets (rotated access keys) from stdin"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("action", choices=["set"], help="set: write the stack's secrets")
        add_config_argument(parser)
        parser.add_argument("--account", required=True, metavar="ID", help="the account ID")
        add_backend_arguments(parser)

    def run(self, args: argparse.Namespace) -> int:
        from akeyless_gateway_org.run.stack_secrets import (
            rotating_stack,
            set_rotated_access_key_secrets,
        )

        org = load_org_file(args.config)
        _, config = rotating_stack(org, args.account)
        users = config.rotated_access_keys.user_names
        if sys.stdin.isatty():
            secrets = {user: getpass.getpass(f"secret access key of {user}: ") for user in users}
        else:
            try:
                secrets = json.loads(sys.stdin.read())
            except json.JSONDecodeError as error:
                raise InvalidInput(
                    f'stdin: not a JSON object {{"<user>": "<secret access key>"}} ({error.msg})'
                ) from None
            if not isinstance(secrets, dict):
                raise InvalidInput('stdin: give a JSON object {"<user>": "<secret access key>"}')
        runner = backend_runner(args)
        stack = set_rotated_access_key_secrets(org, args.account, secrets, runner=runner)
        print(f"stack {stack}: rotatedAccessKeySecrets set for {', '.join(sorted(secrets))}")
        return EXIT_OK
