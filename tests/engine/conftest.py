"""The end-to-end tests on the real Pulumi engine: where the CLI is, and the world around it.

Everything here is the real thing except the cloud: the Pulumi CLI (built by
``tests/engine/build-pulumi.sh``), its engine, the self-managed file backend, stack
references, passphrase secrets, the dynamic-provider plugin and the policy analyzer. The
providers are stand-ins (``standin_provider.py``), the Akeyless API is the local fake
(``tests/fake_akeyless.py``).

Without a built CLI every test here is skipped, with one line saying how to build it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine.harness import (
    DEPLOY_ACCESS_ID,
    ENGINE_DIR,
    NOT_BUILT,
    Engine,
    api_environment,
    engine_bin,
    new_engine,
)
from tests.fake_akeyless import FakeAkeyless, running_fake_akeyless


def pytest_configure(config: pytest.Config) -> None:
    # The tests of a module share one deployment and run in file order: one process.
    if getattr(config.option, "numprocesses", None):
        raise pytest.UsageError(
            "tests/engine runs in one process (its tests share deployments, in order): add -n 0"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if (engine_bin() / "pulumi").is_file():
        return
    skip = pytest.mark.skip(reason=NOT_BUILT.format(bin=engine_bin()))
    for item in items:
        if ENGINE_DIR in Path(str(item.fspath)).parents:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not (engine_bin() / "pulumi").is_file():
        terminalreporter.write_line(
            "engine tests skipped: " + NOT_BUILT.format(bin=engine_bin()), yellow=True
        )


# The tests' own process reads the org files too (api_url: the fake's TLS listener).
os.environ.update(api_environment())


@pytest.fixture(scope="session")
def fake_gateway() -> Iterator[FakeAkeyless]:
    """The Akeyless API as the hub Gateway serves it and its /health, for every stack."""
    with running_fake_akeyless() as fake:
        fake.aws_iam_access_ids.add(DEPLOY_ACCESS_ID)
        fake.session_signed_access_ids = True  # the accounts' own deployer logins
        yield fake


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return new_engine(tmp_path_factory.mktemp("engine"))
