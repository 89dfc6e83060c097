"""``orgctl secrets set`` and its library function: the rotated keys handed over on stdin."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import pytest

from akeyless_gateway_org import SecretsInvalid, set_rotated_access_key_secrets
from akeyless_gateway_org.cli import main
from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.stacks import StackSpec
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
