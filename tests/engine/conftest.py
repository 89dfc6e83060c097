"""The end-to-end tests on the real Pulumi engine: where the CLI is, and the world around it.

Everything here is the real thing except the cloud: the Pulumi CLI (built by
``tests/engine/build-pulumi.sh``), its engine, the self-managed file backend, stack
references, passphrase secrets, the dynamic-provider plugin and the policy analyzer. The
providers are stand-ins (``standin_provider.py``), the Akeyless API is the local fake
(``tests/fake_akeyless.py``, over TLS where the program requires ``https://``).

Without a built CLI every test here is skipped, with one line saying how to build it.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.akeyless_names import target_name
from tests.conftest import CENTRALIZED_EXAMPLE, DISTRIBUTED_EXAMPLE, PROJECT_DIR
from tests.engine.plugins import install_plugins
from tests.fake_akeyless import FakeAkeyless, running_fake_akeyless

ENGINE_DIR = Path(__file__).resolve().parent
SHIM_DIR = ENGINE_DIR / "shim"
PASSPHRASE = "engine tests passphrase"
FAKE_AWS_SECRET = "e2eFakeSecretAccessKey0000000000000000000"
"""The deployment's AWS secret key in the environment; must never reach a state file."""
DEPLOY_ACCESS_ID = "p-deploy0exmpl"
"""``akeyless.login_access_id`` of both examples: the fake accepts its AWS IAM login."""


def pinned_version() -> str:
    """The Pulumi version tests/engine/pulumi/go.mod pins (what build-pulumi.sh builds)."""
    go_mod = (ENGINE_DIR / "pulumi" / "go.mod").read_text(encoding="utf-8")
    match = re.search(r"github\.com/pulumi/pulumi/pkg/v3 (v\S+)", go_mod)
    assert match, "tests/engine/pulumi/go.mod does not require pkg/v3"
    return match.group(1)


def engine_bin() -> Path:
    """``PULUMI_ENGINE_BIN``, else the build script's cache folder."""
    if configured := os.environ.get("PULUMI_ENGINE_BIN"):
        return Path(configured)
    cache = Path(
        os.environ.get("AKEYLESS_GATEWAY_ORG_CACHE", Path.home() / ".cache/akeyless-gateway-org")
    )
    return cache / f"pulumi-{pinned_version()}" / "bin"


NOT_BUILT = (
    "the Pulumi CLI is not built at {bin}: run tests/engine/build-pulumi.sh "
    "(about 10 min the first time) or set PULUMI_ENGINE_BIN"
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


# --- the engine's environment ------------------------------------------------------------


@dataclass(frozen=True)
class Engine:
    bin: Path
    home: Path
    env: dict[str, str]

    @property
    def pulumi(self) -> Path:
        return self.bin / "pulumi"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "fake-akeyless.pem", folder / "fake-akeyless.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="session")
def fake_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeAkeyless]:
    """The Akeyless API as the hub Gateway serves it (https) and its /health, for every stack."""
    cert, key = _self_signed(tmp_path_factory.mktemp("tls"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with running_fake_akeyless(tls=context) as fake:
        fake.aws_iam_access_ids.add(DEPLOY_ACCESS_ID)
        fake.ca_bundle = str(cert)  # type: ignore[attr-defined]
        yield fake


def external_id(account: str) -> str:
    """The External ID the fake "generated" for an account's Target: searched for in state."""
    return f"e2e-external-id-{account}-0f3a9c"


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory, fake_gateway: FakeAkeyless) -> Engine:
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
        "AKEYLESS_E2E_CA_BUNDLE": fake_gateway.ca_bundle,  # type: ignore[attr-defined]
        # The deployment's own AWS identity: signs the Akeyless AWS IAM login, nothing else.
        "AWS_ACCESS_KEY_ID": "AKIAE2EFAKEKEY000000",
        "AWS_SECRET_ACCESS_KEY": FAKE_AWS_SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return Engine(bin_dir, home, env)


# --- the example organizations, pointed at the fake ---------------------------------------


def org_file(example: Path, fake: FakeAkeyless, into: Path, **changes: Any) -> Path:
    """A copy of an example org file whose Gateways are the fake; ``changes`` merged on top."""
    document: dict[str, Any] = yaml.safe_load(example.read_text(encoding="utf-8"))
    sites = [document["hub"]] if "hub" in document else document["accounts"]
    for site in sites:
        site["gateway_health_url"] = f"{fake.url}/health"
        if "hub" in document:
            site["gateway_url"] = f"{fake.url}/api/v2"
    document.setdefault("akeyless", {})["gateway_health_timeout_seconds"] = 20
    document.update(changes)
    path = into / example.name
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    if "hub" in document:
        for account in document["accounts"]:
            role = f"arn:aws:iam::{account['id']}:role/akeyless/akeyless-gateway-member"
            fake.add_aws_target(
                target_name(document["akeyless"]["path"], account["id"]),
                role,
                external_id(account["id"]),
            )
    return path


EXAMPLES = {"centralized": CENTRALIZED_EXAMPLE, "distributed": DISTRIBUTED_EXAMPLE}


@dataclass
class Run:
    """One ``orgctl`` run: its exit status, NDJSON events, report and stderr."""

    returncode: int
    events: list[dict[str, Any]]
    report: dict[str, Any]
    stderr: str

    def statuses(self) -> dict[str, str]:
        return {stack["name"]: stack["status"] for stack in self.report["stacks"]}

    def errors(self) -> dict[str, str]:
        return {s["name"]: s["error"] for s in self.report["stacks"] if s["error"]}

    def explain(self) -> str:
        return f"exit {self.returncode}; errors: {self.errors()}\n{self.stderr[-3000:]}"


def orgctl_command(
    engine: Engine, verb: str, org: Path, state: Path, *extra: str, report: Path | None = None
) -> list[str]:
    report = report or state / f"{verb}-report.json"
    return [
        sys.executable,
        "-m",
        "tests.engine.orgctl",
        verb,
        "--config",
        str(org),
        "--pulumi-cli",
        str(engine.pulumi),
        "--state-dir",
        str(state),
        "--report",
        str(report),
        "--json",
        *extra,
    ]


def orgctl(engine: Engine, verb: str, org: Path, state: Path, *extra: str) -> Run:
    """``orgctl VERB`` on the real engine, with the file backend under ``state``."""
    report = state / f"{verb}-report.json"
    report.unlink(missing_ok=True)
    result = subprocess.run(
        orgctl_command(engine, verb, org, state, *extra, report=report),
        cwd=PROJECT_DIR,
        env=engine.env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert report.exists(), f"orgctl {verb} wrote no report:\n{result.stderr[-3000:]}"
    document = json.loads(report.read_text(encoding="utf-8"))
    return Run(result.returncode, events, document, result.stderr)


def backend_dir(state: Path) -> Path:
    """Where orgctl's default file backend keeps its bookkeeping (``.pulumi/``)."""
    return state / "state" / ".pulumi"


def stack_file(state: Path, stack: str) -> Path:
    return backend_dir(state) / "stacks" / "akeyless-gateway-org" / f"{stack}.json"


def resources_in(state: Path, stack: str) -> list[dict[str, Any]]:
    path = stack_file(state, stack)
    if not path.exists():
        return []
    document = json.loads(path.read_text(encoding="utf-8"))
    return list((document.get("checkpoint", {}).get("latest") or {}).get("resources") or [])


def lock_files(state: Path) -> list[Path]:
    locks = backend_dir(state) / "locks"
    return sorted(path for path in locks.rglob("*.json")) if locks.exists() else []


def pulumi_cli(
    engine: Engine, *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(engine.pulumi), *args, "--non-interactive"],
        cwd=cwd,
        env={**engine.env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

