"""The registry of ``orgctl``'s verbs, in the order ``orgctl --help`` lists them.

A new verb is a module of this package with a :class:`~akeyless_gateway_org.cli.base.Command`
and one line here.
"""

from __future__ import annotations

from akeyless_gateway_org.cli.accounts import AccountsCommand
from akeyless_gateway_org.cli.base import Command
from akeyless_gateway_org.cli.comment import PrCommentCommand
from akeyless_gateway_org.cli.deploy import DeployCommand
from akeyless_gateway_org.cli.drift import DriftCommand
from akeyless_gateway_org.cli.render import RenderCommand
from akeyless_gateway_org.cli.report import ReportCommand
from akeyless_gateway_org.cli.secrets import SecretsCommand
from akeyless_gateway_org.cli.verify import VerifyCommand
from akeyless_gateway_org.run.protocol import VERBS

_IN_HELP_ORDER: tuple[Command, ...] = (
    RenderCommand(),
    AccountsCommand(),
    *(DeployCommand(verb) for verb in VERBS),
    VerifyCommand(),
    ReportCommand(),
    SecretsCommand(),
    PrCommentCommand(),
    DriftCommand(),
)
COMMANDS: dict[str, Command] = {command.name: command for command in _IN_HELP_ORDER}
