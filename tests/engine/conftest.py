"""The end-to-end tests on the real Pulumi engine: where the CLI is, and the world around it.

Everything here is the real thing except the cloud: the Pulumi CLI (built by
``tests/engine/build-pulumi.sh``), its engine, the self-managed file backend, stack
references, passphrase secrets, the dynamic-provider plugin and the policy analyzer. The
providers are stand-ins (``standin_provider.py``), the Akeyless API is the local fake
(``tests/fake_akeyless.py``).

Without a built CLI every test here is skipped, with one line saying how to build it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from akeyless_gateway_org.project import PROJECT_DIR
from tests.engine.harness import (
    DEPLOY_ACCESS_ID,
    ENGINE_DIR,
    FAKE_AWS_SECRET,
    NOT_BUILT,
    PASSPHRASE,
    SHIM_DIR,
    Engine,
    engine_bin,
)
from tests.engine.plugins import install_plugins
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


@pytest.fixture(scope="session")
def fake_gateway() -> Iterator[FakeAkeyless]:
    """The Akeyless API as the hub Gateway serves it and its /health, for every stack."""
    with running_fake_akeyless() as fake:
        fake.aws_iam_access_ids.add(DEPLOY_ACCESS_ID)
        yield fake


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    bin_dir = engine_bin()
    root = tmp_path_factory.mktemp("engine")
    home = root / "pulumi-home"
    install_plugins(bin_dir / "pulumi", home, root / "plugins")
    venv_bin = Path(sys.executable).parent
    env = {
        "PATH": f"{bin_dir}:{venv_bin}:/usr/bin:/bin",
        "HOME": str(root),
        "PULUMI_HOME": str(home),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        # The worktree's code first (not an editable install elsewhere), and the test shims.
        "PYTHONPATH": f"{PROJECT_DIR}:{SHIM_DIR}",
        # The deployment's own AWS identity: signs the Akeyless AWS IAM login, nothing else.
        "AWS_ACCESS_KEY_ID": "AKIAE2EFAKEKEY000000",
        "AWS_SECRET_ACCESS_KEY": FAKE_AWS_SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return Engine(bin_dir, home, env)
