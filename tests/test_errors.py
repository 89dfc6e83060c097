"""One exception tree, mapped to exit statuses only by the CLI."""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import subprocess
import sys

import pytest

import akeyless_gateway_org
from akeyless_gateway_org import cli
from akeyless_gateway_org.cli.commands import COMMANDS
from akeyless_gateway_org.errors import InvalidInput, OrgError, RunFailure

GROUPS = {"OrgError", "DiscoveryError"}
"""Bases that group a family pair and are never raised themselves."""


def _package_exceptions() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for module_info in pkgutil.walk_packages(
        akeyless_gateway_org.__path__, prefix="akeyless_gateway_org."
    ):
        if module_info.name.endswith("__main__"):  # running it is what it does
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found[f"{module.__name__}.{name}"] = value
    return found


def test_every_error_of_the_package_is_in_one_family() -> None:
    errors = _package_exceptions()
    assert len(errors) >= 20, sorted(errors)  # the walk reached every module
    outside = [name for name, error in errors.items() if not issubclass(error, OrgError)]
    assert outside == []
    for name, error in errors.items():
        if error.__name__ in GROUPS:
            continue
        families = [f for f in (InvalidInput, RunFailure) if issubclass(error, f)]
        assert len(families) == 1, (name, families)


def test_the_families_give_the_cli_exit_statuses() -> None:
    from akeyless_gateway_org.discovery import OrganizationsUnavailable, SelectionError

    assert InvalidInput.exit_status == 2 and RunFailure.exit_status == 1
    assert SelectionError.exit_status == 2 and OrganizationsUnavailable.exit_status == 1


class _Failing:
    name = "failing"
    help = "raises what it is given"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        pass

    def run(self, args: argparse.Namespace) -> int:
        raise self.error


@pytest.mark.parametrize(
    ("error", "status"),
    [(InvalidInput("the org file says X"), 2), (RunFailure("the backend said no"), 1)],
)
def test_the_cli_maps_each_family_to_its_exit_status(
    error: Exception,
    status: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(COMMANDS, "failing", _Failing(error))
    assert cli.main(["failing"]) == status
    assert capsys.readouterr().err == f"error: {error}\n"


def test_every_verb_is_a_registered_command() -> None:
    assert list(COMMANDS) == [
        "render",
        "accounts",
        "preview",
        "up",
        "refresh",
        "destroy",
        "verify",
        "report",
        "secrets",
        "pr-comment",
        "drift",
    ]
    for name, command in COMMANDS.items():
        assert command.name == name and command.help


def test_the_public_api_resolves_lazily_and_the_program_does_not_load_the_run_side() -> None:
    assert set(akeyless_gateway_org.__all__) == set(akeyless_gateway_org._MODULE_OF)
    for name in akeyless_gateway_org.__all__:
        assert getattr(akeyless_gateway_org, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = akeyless_gateway_org.nothing
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, akeyless_gateway_org.components.program, akeyless_gateway_org.policy"
            ".rules; print(sorted(m for m in sys.modules if m.startswith(("
            "'akeyless_gateway_org.run', 'akeyless_gateway_org.review', "
            "'akeyless_gateway_org.cli', 'akeyless_gateway_org.verify'))))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
