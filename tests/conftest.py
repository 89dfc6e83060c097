"""Shared fixtures. Every test runs with the network closed except loopback."""

from __future__ import annotations

import contextlib
import copy
import functools
import gc
import importlib.util
import io
import os
import signal
import socket
import subprocess
import threading
import urllib.request
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from akeyless_gateway_org.components.akeyless_sdk import load_sdk, selected
from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.validation import load_org_file
from akeyless_gateway_org.project import PROJECT_DIR
from akeyless_gateway_org.run import preflight

CENTRALIZED_EXAMPLE = PROJECT_DIR / "config" / "org.example.yaml"
DISTRIBUTED_EXAMPLE = PROJECT_DIR / "config" / "org.distributed.example.yaml"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
ENGINE_TESTS = Path(__file__).resolve().parent / "engine"

# The deployer's list of Gateway hosts it may log in at (config/fields.py): the distributed
# example's EKS Gateway, as a deployer of that organization would list it, and the hosts the
# tests' own sites name (127.0.0.1: the fake Akeyless the engine tests use as the Gateway).
# Set before any example is loaded; tests of the list itself set and
# clear it with monkeypatch.
GATEWAY_HOSTS = {
    "AKEYLESS_GATEWAY_ORG_GATEWAY_HOSTS": (
        "gateway.staging.example.internal,gateway.prod.example.com,gw.example,gw,127.0.0.1"
    )
}
os.environ.update(GATEWAY_HOSTS)


def load_script(name: str) -> Any:
    """A runnable script of ``scripts/`` as a module, for its tests (scripts are no package)."""
    spec = importlib.util.spec_from_file_location(name, PROJECT_DIR / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _asked_for_engine_tests(config: pytest.Config) -> bool:
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if path == ENGINE_TESTS or ENGINE_TESTS in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The end-to-end tests on the real engine take minutes: only ``pytest tests/engine``."""
    if collection_path == ENGINE_TESTS and not _asked_for_engine_tests(config):
        return True
    return None


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if not _asked_for_engine_tests(config):
        terminalreporter.write_line(
            "not run here: the end-to-end tests on the real engine (`pytest tests/engine -n 0`)"
        )


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any test that tries to reach a host other than loopback."""
    real_connect = socket.socket.connect

    def guarded(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if sock.family in (socket.AF_INET, socket.AF_INET6) and host not in LOOPBACK:
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


TEST_CALLER = "arn:aws:iam::123456789012:user/test-deployer"


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """A moto server on loopback, one for the session (an xdist worker's): AWS as the tests
    reach it. Started once because its first request to a service loads that service, and
    stopping it costs half a second (``shutdown`` waits for werkzeug's 0.5 s poll)."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def sts_endpoint(moto_url: str) -> str:
    """The moto server answering STS as AWS does: any signed request has an identity. For
    the preflight's checks (run/preflight.py) in a child process."""
    return moto_url


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Credentials and endpoint for boto3 in this process: the moto server, every one of
    its backends reset after the test (moto's ``/moto-api/reset``)."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": moto_url,
    }.items():
        monkeypatch.setenv(key, value)
    yield moto_url
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"))


@pytest.fixture(autouse=True)
def aws_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs in this process have an AWS identity: the fake CLI needs none, and the
    preflight's own tests (tests/test_preflight.py) call the real check on a moto STS."""
    monkeypatch.setattr(preflight, "caller_identity", lambda environment: TEST_CALLER)


@pytest.fixture(autouse=True, scope="session")
def akeyless_sdk() -> Iterator[None]:
    """Components built under mocks use the generated SDK, else the schema-driven classes."""
    with selected(load_sdk(schema_fallback=True)):
        yield


class _PollingQuickly:
    """The stop event of Pulumi's event-log watcher, waited on 5 ms at a time, not 100 ms."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop

    def wait(self, timeout: float | None = None) -> bool:
        return self._stop.wait(min(timeout or 0, EVENT_LOG_POLL_SECONDS))


EVENT_LOG_POLL_SECONDS = 0.005


@pytest.fixture(autouse=True, scope="session")
def event_log_polled_quickly() -> Iterator[None]:
    """The fake CLI's events reach the Automation API 5 ms after it writes them, not 100 ms.

    The fake says it is v3.200.0, so the Automation API hands it a file as ``--event-log``
    and a thread polls that file, waiting up to 100 ms on its stop event whenever it finds
    no new line (``_setup_event_log`` and ``_watch_logs`` in
    sdk/python/lib/pulumi/automation/_stack.py; a CLI newer than 3.205 streams the events
    over gRPC instead). A preview (always), and an up, refresh or destroy with ``on_event``,
    waits for that thread: about 100 ms per stack and phase, where the fake itself takes
    a few. Only the wait is shortened; the watcher reads, parses and stops as before.
    """
    from pulumi.automation import _stack

    watch_logs = _stack._watch_logs

    def polling_quickly(filename: str, callback: Any, stop: threading.Event | None = None) -> None:
        watch_logs(filename, callback, _PollingQuickly(stop) if stop is not None else None)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_stack, "_watch_logs", polling_quickly)
        yield


@functools.cache
def _parsed_example(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


def example_document(path: Path = CENTRALIZED_EXAMPLE) -> dict[str, Any]:
    """A fresh copy, free to change, of an example org file's YAML (parsed once per process)."""
    return copy.deepcopy(_parsed_example(path))


@pytest.fixture(scope="session")
def centralized_org() -> OrgDeployment:
    return load_org_file(CENTRALIZED_EXAMPLE)


@pytest.fixture(scope="session")
def distributed_org() -> OrgDeployment:
    return load_org_file(DISTRIBUTED_EXAMPLE)


def run_orgctl(
    *args: str, home: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``orgctl ARGS`` (this checkout's) in a bare environment: no credentials, no proxy.

    In-process (a Python start with Pulumi's SDKs costs over a second of CPU per call):
    the environment, working directory and SIGINT handler are swapped for the call and
    restored after, and stdout/stderr are captured as a child's.
    """
    bare = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "AWS_EC2_METADATA_DISABLED": "true",
        **GATEWAY_HOSTS,
        **(env or {}),
    }
    from akeyless_gateway_org import cli as orgctl

    saved_environment, saved_cwd = dict(os.environ), os.getcwd()
    saved_handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        os.environ.clear()
        os.environ.update(bare)
        os.chdir(PROJECT_DIR)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                code: int | str | None = orgctl.main(list(args))
            except SystemExit as exit_:  # argparse's usage errors
                code = exit_.code
    finally:
        os.environ.clear()
        os.environ.update(saved_environment)
        os.chdir(saved_cwd)
        for sig, handler in saved_handlers.items():
            signal.signal(sig, handler)
    returncode = code if isinstance(code, int) else (0 if code is None else 1)
    return subprocess.CompletedProcess(list(args), returncode, stdout.getvalue(), stderr.getvalue())


FAKE_PASSPHRASE = "correct horse battery staple"


def orgctl_with_fake(
    verb: str, fake: Path, tmp_path: Path, *extra: str, passphrase: bool = True
) -> subprocess.CompletedProcess[str]:
    """``orgctl VERB`` on the centralized example with the fake CLI and a private state dir."""
    return run_orgctl(
        verb,
        "--config",
        str(CENTRALIZED_EXAMPLE),
        "--pulumi-cli",
        str(fake),
        "--state-dir",
        str(tmp_path / "state"),
        *extra,
        home=tmp_path,
        env={"PULUMI_CONFIG_PASSPHRASE": FAKE_PASSPHRASE} if passphrase else {},
    )


# Python's cyclic garbage collector, tuned for a test process (measured with gc.callbacks,
# on this suite, in each xdist worker):
# - collecting the tests imports Pulumi's SDKs, pulumi_aws' types, botocore and more
#   (about 640,000 objects, almost none garbage), and each full collection on the way
#   walks all of them again: collection runs with the collector off;
# - then those objects are frozen (moved to the permanent generation, gc.freeze,
#   https://docs.python.org/3/library/gc.html#gc.freeze), so the full collections the
#   tests trigger walk only what the tests made;
# - the tests then keep much of what they make (each example's render, cached per org;
#   the Pulumi, pulumi_aws, moto and botocore modules and models loaded on first use), and
#   with the default thresholds (700, 10, 10) a full collection walked all of it again
#   about 15 times per worker, about 0.2 s each: full collections are made 10 times rarer
#   (the third threshold, https://docs.python.org/3/library/gc.html#gc.set_threshold);
#   the young generations are collected as before, and the peak RSS stays about the same;
# - at the end they are frozen again: Python's shutdown otherwise collects the whole heap
#   several times while it tears the modules down, about 2 s per worker.
FULL_COLLECTION_THRESHOLD = 100


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Generator[None, object, object]:
    gc.disable()
    try:
        return (yield)
    finally:
        gc.freeze()
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, FULL_COLLECTION_THRESHOLD)
        gc.enable()


def pytest_unconfigure(config: pytest.Config) -> None:
    gc.freeze()
