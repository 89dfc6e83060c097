"""``orgctl`` (the project's console script; also ``python -m akeyless_gateway_org``).

Verbs (``cli/commands.py`` lists them; each is a module of this package):
  accounts --config FILE [--json]    the accounts the deployment reaches (file or Organizations)
  render --config FILE [--out DIR] [--discover]
                                     evaluate every stack offline, write render.json/.md
  preview | up | refresh | destroy --config FILE [options]
                                     run the verb over every stack with the Automation API
  verify --config FILE [--json]      check, read-only, that AWS, Akeyless and the state agree
                                     (exit 0 they agree, 3 findings, 1 something not checked)
  report merge REPORT... --out FILE [--pr-comment FILE]
                                     join the shard reports of one run into one
  drift --config FILE [--only ACCOUNT...] [--json]
                                     read-only: resources that differ from their state

Exit status: 0 success, 1 a run failure (a stack failed, a policy violation, the run could
not start), 2 invalid input, 3 drift found (``drift``). :func:`main` is the one place that
maps errors to them.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence

from akeyless_gateway_org.cli.base import EXIT_FAILED, EXIT_INVALID
from akeyless_gateway_org.cli.commands import COMMANDS
from akeyless_gateway_org.errors import OrgError
from akeyless_gateway_org.terminal import printable


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orgctl",
        description="Deploy the Akeyless Gateway across an AWS Organization.",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for name, command in COMMANDS.items():
        command.add_arguments(verbs.add_parser(name, help=command.help))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one verb; its exit status. Every error ends here as one ``error:`` line."""
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.verb].run(args)
    except OrgError as error:
        # Messages quote input (names, paths, CLI output): shown, never obeyed, by the terminal.
        print(printable(f"error: {error}"), file=sys.stderr)
        return error.exit_status
    except (FileExistsError, NotADirectoryError, IsADirectoryError, FileNotFoundError) as error:
        # A path given on the command line of the wrong kind (e.g. --out naming a file).
        print(printable(f"error: {error.filename}: {error.strerror}"), file=sys.stderr)
        return EXIT_INVALID
    except OSError as error:
        print(printable(f"error: {error}"), file=sys.stderr)
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
