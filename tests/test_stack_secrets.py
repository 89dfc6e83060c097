"""``orgctl secrets set`` and its library function: the rotated keys handed over on stdin."""

from __future__ import annotations

import argparse
import io
import json
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
import pytest

from akeyless_gateway_org import SecretsInvalid, set_rotated_access_key_secrets
from akeyless_gateway_org.cli import main
from akeyless_gateway_org.cli.secrets import secrets_command
from akeyless_gateway_org.components.stacks import rotated_secret_keys
from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.stack_config import SECRETS_COMMAND_VARIABLE
from akeyless_gateway_org.config.stacks import StackSpec, plan_stacks
from akeyless_gateway_org.config.validation import ConfigError
from akeyless_gateway_org.run import pulumi_runner
from tests.conftest import CENTRALIZED_EXAMPLE


class RecordingRunner:
    """Stands in for AutomationRunner.set_stack_secret: records what it was asked to set."""

    def __init__(self, **_: Any) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def set_stack_secret(
        self, spec: StackSpec, key: str, value: str, environment: Mapping[str, str]
    ) -> None:
        self.calls.append((spec.name, key, value))


def test_the_library_sets_exactly_the_rotated_users(centralized_org: OrgDeployment) -> None:
    runner = RecordingRunner()
    stack = set_rotated_access_key_secrets(
        centralized_org,
        "555555555555",
        {"svc-etl": "k"},
        runner=runner,  # type: ignore[arg-type]
    )
    assert stack == "member-555555555555"
    assert runner.calls == [("member-555555555555", "rotatedAccessKeySecrets", '{"svc-etl": "k"}')]
    for account, secrets in (("555555555555", {"other": "k"}), ("333333333333", {"svc-etl": "k"})):
        with pytest.raises(SecretsInvalid):
            set_rotated_access_key_secrets(centralized_org, account, secrets, runner=runner)  # type: ignore[arg-type]


def test_the_cli_reads_the_keys_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[RecordingRunner] = []

    def runner(**options: Any) -> RecordingRunner:
        made.append(RecordingRunner(**options))
        return made[-1]

    monkeypatch.setattr(pulumi_runner, "AutomationRunner", runner)
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"svc-etl": "secret-key"})))
    argv = ["secrets", "set", "--config", str(CENTRALIZED_EXAMPLE), "--account", "555555555555"]
    assert main(argv) == 0
    assert made[0].calls[0][2] == '{"svc-etl": "secret-key"}'
    monkeypatch.setattr("sys.stdin", io.StringIO("svc-etl=k"))
    assert main(argv) == 2  # not JSON: invalid input, nothing set


def _member_config(centralized_org: OrgDeployment) -> Any:
    return next(s.config for s in plan_stacks(centralized_org) if s.name == "member-555555555555")


def test_a_missing_key_names_the_command_that_sets_it_and_it_works_as_printed(
    centralized_org: OrgDeployment, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pulumi, "get_stack", lambda: "member-555555555555")
    with pytest.raises(ConfigError) as by_hand:
        rotated_secret_keys(_member_config(centralized_org))
    assert (
        "`pulumi config set --secret rotatedAccessKeySecrets --stack member-555555555555`"
        in str(by_hand.value)
    )
    # Under orgctl: the run's own command (deploy.py sets the variable for its stacks).
    args = argparse.Namespace(
        config=CENTRALIZED_EXAMPLE, backend_url=None, pulumi_cli=None, state_dir=tmp_path
    )
    monkeypatch.setenv(SECRETS_COMMAND_VARIABLE, secrets_command(args))
    with pytest.raises(ConfigError) as under_orgctl:
        rotated_secret_keys(_member_config(centralized_org))
    printed = re.search(r"run `([^`]+)`", str(under_orgctl.value))
    assert printed is not None
    argv = shlex.split(printed.group(1))
    verb = argv.index("secrets")  # after the program: its path, or python -m under pytest
    assert argv[-2:] == ["--account", "555555555555"] and argv[verb + 1] == "set"
    made: list[RecordingRunner] = []

    def runner(**options: Any) -> RecordingRunner:
        assert options["state_dir"] == tmp_path  # the run's state, not the default
        made.append(RecordingRunner(**options))
        return made[-1]

    monkeypatch.setattr(pulumi_runner, "AutomationRunner", runner)
    monkeypatch.setattr("sys.stdin", io.StringIO('{"svc-etl": "k"}'))
    assert main(argv[verb:]) == 0  # what follows the program, as the shell would pass it
    assert made[0].calls == [("member-555555555555", "rotatedAccessKeySecrets", '{"svc-etl": "k"}')]
