"""Helpers of the end-to-end tests on the real engine: where the CLI is, running orgctl, the state.

See tests/engine/conftest.py for the fixtures and what is real and what is stood in.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from akeyless_gateway_org.components.akeyless_api import CA_BUNDLE_VARIABLE
from akeyless_gateway_org.components.akeyless_names import target_name
from akeyless_gateway_org.config.stack_config import CapabilityStackConfig
from akeyless_gateway_org.config.stacks import plan_stacks
from akeyless_gateway_org.config.validation import load_org_file
from akeyless_gateway_org.project import PROJECT_DIR
from tests.conftest import CENTRALIZED_EXAMPLE, DISTRIBUTED_EXAMPLE, GATEWAY_HOSTS
from tests.engine.plugins import install_plugins
from tests.fake_akeyless import FakeAkeyless, test_certificate

ENGINE_DIR = Path(__file__).resolve().parent
SHIM_DIR = ENGINE_DIR / "shim"
PASSPHRASE = "engine tests passphrase"
FAKE_AWS_SECRET = "e2eFakeSecretAccessKey0000000000000000000"
"""The deployment's AWS secret key in the environment; must never reach a state file."""
ROTATED_SECRET = "e2eRotatedSecretAccessKeyValue0000000000"
"""The current secret key of each rotated IAM user (a stack secret); must never be in clear."""
GITHUB_TOKEN = "github_pat_E2E0NotARealToken0000000000000000"
"""The enroll stack's GitHub token in the stand-in Secrets Manager; must never be in clear."""
GITHUB_TOKEN_SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:github-enroll-AbCdEf"
"""Where it is: the examples' management account, us-east-1 (config/model.py)."""
DEPLOY_ACCESS_ID = "p-deploy0exmpl"
"""``akeyless.login_access_id`` of both examples: the fake accepts its AWS IAM login."""


def pinned_version() -> str:
    """The Pulumi version the workflows install and build-pulumi.sh builds (``v3.x.y``)."""
    return "v" + (PROJECT_DIR / ".pulumi-version").read_text(encoding="utf-8").strip()


def go_mod_version() -> str:
    """The pkg/v3 version tests/engine/pulumi/go.mod requires."""
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
    "(about 8 min the first time) or set PULUMI_ENGINE_BIN"
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


def api_environment() -> dict[str, str]:
    """Akeyless's API as the engine tests have it: the fake's TLS listener (``org_file``),
    on a host the deployer lists, with a certificate the deployment trusts."""
    return {
        "AKEYLESS_GATEWAY_ORG_API_HOSTS": "127.0.0.1",
        CA_BUNDLE_VARIABLE: test_certificate()[0],
    }


@functools.cache
def sts_endpoint() -> str:
    """A moto server on loopback answering STS as AWS does, for orgctl's preflight
    (run/preflight.py); started once per test process, stopped with it."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False).start()
    return f"http://127.0.0.1:{port}"


def new_engine(root: Path, code_dir: Path = PROJECT_DIR) -> Engine:
    """The built CLI with the stand-in plugins in a ``PULUMI_HOME`` under ``root``.

    ``code_dir``: the checkout whose program and ``akeyless_gateway_org`` the runs use (the
    worktree's own by default; tests/engine/upgrade_fixture.py passes an older checkout).
    """
    bin_dir = engine_bin()
    home = root / "pulumi-home"
    install_plugins(bin_dir / "pulumi", home, root / "plugins")
    venv_bin = Path(sys.executable).parent
    code = f"{code_dir / 'src'}:{code_dir}" if code_dir != PROJECT_DIR else str(PROJECT_DIR)
    env = {
        "PATH": f"{bin_dir}:{venv_bin}:/usr/bin:/bin",
        "HOME": str(root),
        "PULUMI_HOME": str(home),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        # The worktree's code first (not an editable install elsewhere), and the test shims.
        "PYTHONPATH": f"{code}:{SHIM_DIR}",
        # The deployment's own AWS identity: signs the Akeyless AWS IAM login, nothing else.
        "AWS_ACCESS_KEY_ID": "AKIAE2EFAKEKEY000000",
        "AWS_SECRET_ACCESS_KEY": FAKE_AWS_SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        # Only the preflight's GetCallerIdentity goes there: the Akeyless login signs for
        # the global endpoint itself (components/akeyless_api.py).
        "AWS_ENDPOINT_URL_STS": sts_endpoint(),
        # The deployer's list of Gateways it may log in at (config/fields.py), as the tests'
        # own process has it: the fake, and the distributed example's EKS Gateway.
        **GATEWAY_HOSTS,
        **api_environment(),
        # The stand-in Secrets Manager (standin_provider.py, SECRETS_VARIABLE).
        "STANDIN_SECRETS": str(root / "standin-secrets.json"),
    }
    return Engine(bin_dir, home, env)


def put_secret(engine: Engine, arn: str, value: str) -> None:
    """A secret the operator made in Secrets Manager, outside this program."""
    path = Path(engine.env["STANDIN_SECRETS"])
    secrets = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    path.write_text(json.dumps({**secrets, arn: value}), encoding="utf-8")


class Counting:
    """The engine behind a ``pulumi`` that logs its argv, one line per invocation."""

    def __init__(self, engine: Engine, root: Path) -> None:
        self.log = root / "invocations.log"
        wrapper = root / "counting" / "bin" / "pulumi"
        wrapper.parent.mkdir(parents=True)
        wrapper.write_text(f'#!/bin/bash\necho "$*" >> {self.log}\nexec {engine.pulumi} "$@"\n')
        wrapper.chmod(0o755)
        self.engine = Engine(wrapper.parent, engine.home, engine.env)

    def per_stack(self) -> dict[str, list[str]]:
        """Each stack's invocations (the command words before the flags), then forgets them."""
        found: dict[str, list[str]] = {}
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        self.log.unlink(missing_ok=True)
        for line in lines:
            words = line.replace("--non-interactive ", "").split()
            command = " ".join(w for w in words[:2] if not w.startswith("-"))
            if "--stack" in words:
                named = words[words.index("--stack") + 1]
            elif command == "stack init":  # the stack is its argument
                named = words[2]
            else:
                continue
            found.setdefault(named.split("/")[-1], []).append(command)
        return found


def external_id(account: str) -> str:
    """The External ID the fake "generated" for an account's Target: searched for in state."""
    return f"e2e-external-id-{account}-0f3a9c"


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
    document["akeyless"]["api_url"] = fake.api_url
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


def all_succeeded(run: Run) -> None:
    assert run.returncode == 0 and set(run.statuses().values()) == {"succeeded"}, run.explain()


def succeeded_running(run: Run, *stacks: str) -> None:
    """``stacks`` ran and succeeded; every other stack succeeded or was left unchanged
    (its fingerprint matched: run/incremental.py)."""
    statuses = run.statuses()
    assert run.returncode == 0, run.explain()
    assert all(statuses.get(stack) == "succeeded" for stack in stacks), run.explain()
    assert set(statuses.values()) <= {"succeeded", "unchanged"}, run.explain()


def all_succeeded_changing_nothing(run: Run) -> None:
    """Every stack succeeded, and its only operation was ``same``."""
    all_succeeded(run)
    for stack in run.report["stacks"]:
        changed = {op: n for op, n in stack["changes"].items() if op != "same" and n}
        assert not changed, (stack["name"], changed)


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


def start_orgctl(
    engine: Engine,
    verb: str,
    org: Path,
    state: Path,
    *extra: str,
    report: Path,
    env: dict[str, str] | None = None,
    new_session: bool = False,
) -> subprocess.Popen[str]:
    """``orgctl VERB`` started, not awaited: its NDJSON events stream on ``stdout``, so a test
    can act at a given event (kill it, interrupt it, free a lock). ``new_session``: in a
    process group of its own, as a terminal's foreground job."""
    return subprocess.Popen(
        orgctl_command(engine, verb, org, state, *extra, report=report),
        cwd=PROJECT_DIR,
        env={**engine.env, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=new_session,
    )


def orgctl(
    engine: Engine,
    verb: str,
    org: Path,
    state: Path,
    *extra: str,
    env: dict[str, str] | None = None,
) -> Run:
    """``orgctl VERB`` on the real engine, with the file backend under ``state``; ``env`` on
    top of the engine's environment."""
    report = state / f"{verb}-report.json"
    report.unlink(missing_ok=True)
    result = subprocess.run(
        orgctl_command(engine, verb, org, state, *extra, report=report),
        cwd=PROJECT_DIR,
        env={**engine.env, **(env or {})},
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


def gateway_accounts(org: Path) -> list[str]:
    """The accounts of the stacks that run a Gateway, and of the org stack they read."""
    kinds = ("org", "hub", "account")
    return [spec.account_id for spec in plan_stacks(load_org_file(org)) if spec.kind in kinds]


def set_rotated_key_secrets(
    engine: Engine, org: Path, state: Path, only: Collection[str] | None = None
) -> None:
    """The operator's step for stacks with rotated access keys (README, "Rotated access keys").

    The current secret key of each user, as JSON on stdin to ``pulumi config set --secret
    rotatedAccessKeySecrets`` in orgctl's work dir of the stack. A first ``orgctl preview`` of
    those accounts creates the stacks and work dirs (or reads them, if they exist), and fails
    naming the missing secret. ``only``: just the stacks of these accounts.
    """
    specs = [
        (spec, spec.config.rotated_access_keys.access_keys)
        for spec in plan_stacks(load_org_file(org))
        if isinstance(spec.config, CapabilityStackConfig)
        and spec.config.rotated_access_keys.enabled
        and spec.config.rotated_access_keys.access_keys
        and (only is None or spec.account_id in only)
    ]
    if not specs:
        return
    first = orgctl(engine, "preview", org, state, "--only", *{spec.account_id for spec, _ in specs})
    for spec, users in specs:
        assert "rotatedAccessKeySecrets" in first.errors().get(spec.name, ""), first.explain()
        result = subprocess.run(
            [
                *(str(engine.pulumi), "config", "set", "--secret", "rotatedAccessKeySecrets"),
                *("--stack", f"organization/akeyless-gateway-org/{spec.name}", "--non-interactive"),
            ],
            input=json.dumps({user: ROTATED_SECRET for user in users}),
            cwd=state / "work" / spec.name,
            env={**engine.env, "PULUMI_BACKEND_URL": f"file://{state / 'state'}"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (by parent pid in /proc), however deep."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(pid: int) -> int:
    """SIGKILL ``pid`` and everything below it at once, as a CI runner that dies would.

    The tree is frozen first (SIGSTOP, until no new process appears), so no process can
    react, unlock or spawn between the kills; orgctl's pulumi children run in sessions of
    their own, so a process-group kill would miss them. Returns how many were killed.
    """
    frozen: set[int] = set()
    while True:
        tree = {pid, *descendants(pid)} - frozen
        if not tree:
            break
        for member in tree:
            with contextlib.suppress(ProcessLookupError):
                os.kill(member, signal.SIGSTOP)
        frozen |= tree
    for member in frozen:
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, signal.SIGKILL)
    return len(frozen)


def pending_operations(engine: Engine, state: Path, stack: str) -> list[Any]:
    """``pulumi stack export``'s ``pending_operations`` of a stack on orgctl's file backend."""
    exported = pulumi_cli(
        engine,
        "stack",
        "export",
        "--stack",
        f"organization/akeyless-gateway-org/{stack}",
        cwd=state / "work" / stack,
        env={"PULUMI_BACKEND_URL": f"file://{state / 'state'}"},
    )
    assert exported.returncode == 0, exported.stderr
    return list(json.loads(exported.stdout)["deployment"].get("pending_operations") or [])
