"""Runs stacks with ``pulumi.automation``: the edge between the orchestrator and the CLI.

Each stack gets its own workspace and work dir (``.orgctl/work/<stack>/``) so
parallel stacks never race on workspace files. The work dir holds a copy of
``Pulumi.yaml`` whose ``main:`` points back at this project, so every stack runs
the very ``__main__.py`` that ``pulumi up`` runs, and the stack's settings file,
written in-process from the typed config: no config value, and so no secret,
ever appears on a command line. Secrets come from the environment, the
process's or the request's own (``PULUMI_CONFIG_PASSPHRASE`` or
``PULUMI_CONFIG_PASSPHRASE_FILE``, ``AKEYLESS_ACCESS_KEY``, AWS credentials).
Each CLI child runs in a session of its own (:class:`SessionCommand`).

The default backend is the self-managed file backend in ``.orgctl/state/``
with the passphrase secrets provider; ``backend_url`` selects ``s3://...`` or
Pulumi Cloud (``https://api.pulumi.com``).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto
from pulumi.automation.errors import create_command_error

from akeyless_gateway_org.components.akeyless_login import LOGIN_IN_PREVIEW_VARIABLE
from akeyless_gateway_org.components.earlier_phase import NOT_DEPLOYED_NOTE
from akeyless_gateway_org.components.stacks import FINGERPRINT_OUTPUT, FINGERPRINT_VARIABLE
from akeyless_gateway_org.config.stack_config import SECRET_KEYS, stack_config_entries
from akeyless_gateway_org.config.stacks import StackSpec, logs_in_per_run
from akeyless_gateway_org.errors import InvalidInput, RunFailure
from akeyless_gateway_org.faults import classify
from akeyless_gateway_org.project import (
    LOCKED_DEPENDENCIES,
    PROGRAM_SOURCES,
    PROJECT_DIR,
    files_digest,
    project_name,
)
from akeyless_gateway_org.records import SECRET_MASK, ResourceStep
from akeyless_gateway_org.run import preflight
from akeyless_gateway_org.run.backend_locks import RunLease, StackLock, stack_locks, this_host
from akeyless_gateway_org.run.protocol import (
    PropertyDrift,
    ResourceDrift,
    StackFailed,
    StackLocked,
    StackOutcome,
    StackTransient,
    Verb,
)

# libyaml's loader when present (much faster), else the pure-Python one.
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
STATE_DIR = ".orgctl"
PASSPHRASE_VARIABLE = "PULUMI_CONFIG_PASSPHRASE"
PASSPHRASE_FILE_VARIABLE = "PULUMI_CONFIG_PASSPHRASE_FILE"
INSTALL_HINT = (
    "the Pulumi CLI was not found{where}: install it (https://www.pulumi.com/docs/install/, "
    "e.g. `curl -fsSL https://get.pulumi.com | sh`) or pass --pulumi-cli PATH"
)
SECRET_VARIABLE = re.compile(r"SECRET|PASSPHRASE|TOKEN|PASSWORD|ACCESS_KEY", re.IGNORECASE)
"""Environment variables whose values are masked wherever the CLI's text is kept."""
MAX_DIAGNOSTIC_LINES = 40


class PulumiCliMissing(RunFailure):
    """No usable ``pulumi`` executable."""


class BackendNotReady(RunFailure):
    """The backend cannot be used as configured (e.g. no passphrase for a file backend)."""


class ProjectNotFound(RunFailure):
    """No ``Pulumi.yaml`` where the runner looks for this project."""


class SetupFailed(RunFailure):
    """``pulumi install`` or the backend's stack listing failed; nothing ran."""


class BackendOptionInvalid(InvalidInput):
    """A runner option that cannot work (e.g. a negative lock age)."""


def cli_root(pulumi_cli: Path | None) -> str | None:
    """``PulumiCommand(root=...)`` from a path to the executable or its installation folder."""
    if pulumi_cli is None:
        return None
    path = pulumi_cli.expanduser().resolve()
    if path.is_file():  # .../bin/pulumi -> the folder holding bin/
        return str(path.parent.parent)
    return str(path)


def absolute_backend_url(url: str) -> str:
    """``file://relative`` made absolute, once, in this process.

    The CLI resolves a relative ``file://`` path against its own working directory
    (``massageBlobPath`` in pkg/backend/diy/backend.go: ``filepath.Abs``), and each
    stack's CLI runs in its own work dir: a relative URL would give every stack a
    backend of its own, and stack references would find nothing.
    """
    if not url.startswith("file://"):
        return url
    path, query = url.removeprefix("file://"), ""
    if "?" in path:
        path, query = path.split("?", 1)
        query = "?" + query
    return f"file://{Path(path).expanduser().resolve()}{query}"


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value replaced by ``[secret]`` (longest first)."""
    for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, SECRET_MASK)
    return text


def _changes(changes: Mapping[Any, int] | None) -> dict[str, int]:
    """Change counts keyed by the operation's name (``create``, ``update``, ...)."""
    return {str(getattr(op, "value", op)): count for op, count in (changes or {}).items()}


def normalize_op(op: str) -> str:
    """Engine step ops as a reviewer counts them."""
    if op in ("create-replacement", "delete-replaced", "replace"):
        return "replace"
    if op in ("import", "import-replacement"):
        return "create"
    return op


def step_of(meta: auto.events.StepEventMetadata) -> ResourceStep:
    """A resource's planned step from a ``resourcePreEvent``'s metadata."""
    return ResourceStep(
        op=normalize_op(str(getattr(meta.op, "value", meta.op))),
        type=meta.type,
        name=meta.urn.split("::")[-1] if meta.urn else "",
        diffs=tuple(meta.diffs or ()),
        old=meta.old.inputs if meta.old else None,
        new=meta.new.inputs if meta.new else None,
    )


def _collect_steps(
    into: list[ResourceStep], notes: list[str]
) -> Callable[[auto.events.EngineEvent], None]:
    """An engine-event callback keeping each resource's planned step,
    and the program's notes that earlier phases' values are unknown in this preview."""

    def collect(event: auto.events.EngineEvent) -> None:
        diagnostic = event.diagnostic_event
        if diagnostic is not None and NOT_DEPLOYED_NOTE in diagnostic.message:
            note = diagnostic.message.strip()
            if note not in notes:
                notes.append(note)
        pre = event.resource_pre_event
        if pre is not None:
            into.append(step_of(pre.metadata))

    return collect


def _command_streams(error: auto.errors.CommandError) -> tuple[str, str]:
    """(stdout, stderr) of a failed command.

    The error keeps only ``str(CommandResult)``: "\n code: N\n stdout: ...\n stderr: ..."
    (``CommandResult.__str__`` in pulumi/automation/_cmd.py).
    """
    text = str(error)
    before, _, stderr = text.rpartition("\n stderr: ")
    _, _, stdout = before.partition("\n stdout: ")
    return (stdout, stderr) if before else ("", text)


def diagnostic_lines(stdout: str) -> list[str]:
    """The errors of the ``Diagnostics:`` section and the ``Policies:`` violations, as printed.

    The CLI prints resource errors, program exceptions (with their traceback) and
    policy violations on stdout, in sections whose header starts the line: under
    ``Diagnostics:`` a header per resource indented by 2 and its messages by 4,
    each starting ``error:``/``warning:``/``info:``; under ``Policies:`` each pack,
    ✅ when it passed (``printDiagnostics``/``printPolicies`` in
    pkg/backend/display/progress.go). Resources with only warnings are left out.
    """
    kept: list[str] = []
    section = ""
    group: list[str] = []

    def close_group() -> None:
        if any(line.strip().startswith("error:") for line in group[1:]):
            kept.extend(group)
        group.clear()

    for line in stdout.splitlines():
        if line.strip() and not line[0].isspace():
            close_group()
            section = line.strip()
        elif not line.strip():
            continue
        elif section == "Diagnostics:":
            if not line.startswith("   "):  # a resource's header
                close_group()
            group.append(line.rstrip())
        elif section == "Policies:" and not line.strip().startswith("✅"):
            kept.append(line.rstrip())
    close_group()
    return kept


def _failure_text(error: auto.errors.CommandError, secrets: Iterable[str] = ()) -> str:
    """The CLI's diagnostics and error lines, without the command line, secrets masked."""
    stdout, stderr = _command_streams(error)
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")] or lines[-3:]
    diagnostics = diagnostic_lines(stdout)
    if len(diagnostics) > MAX_DIAGNOSTIC_LINES:
        hidden = len(diagnostics) - MAX_DIAGNOSTIC_LINES
        diagnostics = [*diagnostics[:MAX_DIAGNOSTIC_LINES], f"    ... ({hidden} more lines)"]
    text = "\n".join([" | ".join(errors), *diagnostics]).strip()
    return mask(text or type(error).__name__, secrets)


class SessionCommand(auto.PulumiCommand):
    """``PulumiCommand`` starting each CLI child in a session of its own.

    ``PulumiCommand.run`` (pulumi/automation/_cmd.py) starts ``pulumi`` with a
    plain ``subprocess.Popen``: the child shares our process group, so a Ctrl-C
    at the terminal reaches every running ``pulumi up`` at once, and there is no
    option to change that nor a handle on the process. This ``run`` does what
    that one does (``--non-interactive`` first, ``PULUMI_AUTOMATION_API``, the
    CLI's folder first on ``PATH``, stdout/stderr read line by line to the
    callbacks, ``create_command_error`` on a non-zero exit) with
    ``start_new_session=True``, and keeps each running child by its work dir, so
    :meth:`interrupt` can send it SIGINT: the CLI's own graceful cancel (the
    first SIGINT cancels the update and the engine finishes in-flight steps and
    unlocks; a second one terminates: pkg/backend/cancellation_scope.go).
    """

    def __init__(self, root: str | None) -> None:
        super().__init__(root=root)
        self._children: dict[str, subprocess.Popen[str]] = {}
        self._interrupted: set[str] = set()
        self._lock = threading.Lock()

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: auto.OnOutput | None = None,
        on_error: auto.OnOutput | None = None,
    ) -> auto.CommandResult:
        separator = args.index("--") if "--" in args else len(args)
        if "--non-interactive" not in args[:separator]:
            args.insert(0, "--non-interactive")
        env = {**os.environ, **additional_env, "PULUMI_AUTOMATION_API": "true"}
        if os.path.isabs(self.command):
            env["PATH"] = os.pathsep.join([os.path.dirname(self.command), env.get("PATH", "")])
        with self._lock:
            if cwd in self._interrupted:
                raise StackFailed("interrupted before this step started")
            process = subprocess.Popen(
                [self.command, *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=cwd,
                env=env,
                encoding="utf-8",
                start_new_session=True,
            )
            self._children[cwd] = process
        try:
            stdout, stderr = _read_streams(process, on_output, on_error)
            code = process.wait()
        finally:
            with self._lock:
                self._children.pop(cwd, None)
        result = auto.CommandResult(stdout=stdout, stderr=stderr, code=code)
        if code != 0:
            raise create_command_error(result)
        return result

    def interrupt(self, cwd: str) -> bool:
        """SIGINT to the child running in ``cwd``; no later step starts there. Was one running?"""
        with self._lock:
            self._interrupted.add(cwd)
            process = self._children.get(cwd)
        if process is None or process.poll() is not None:
            return False
        process.send_signal(signal.SIGINT)
        return True


def _read_streams(
    process: subprocess.Popen[str],
    on_output: auto.OnOutput | None,
    on_error: auto.OnOutput | None,
) -> tuple[str, str]:
    """Both streams, line by line to their callback, each read by its own thread."""
    chunks: dict[str, list[str]] = {"out": [], "err": []}

    def consume(stream: Any, callback: auto.OnOutput | None, into: list[str]) -> None:
        for line in iter(stream.readline, ""):
            stripped = line.rstrip()
            if callback is not None:
                callback(stripped)
            into.append(stripped)
        stream.close()

    readers = [
        threading.Thread(target=consume, args=(process.stdout, on_output, chunks["out"])),
        threading.Thread(target=consume, args=(process.stderr, on_error, chunks["err"])),
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    return "\n".join(chunks["out"]), "\n".join(chunks["err"])


@contextmanager
def project_lock(project_dir: Path) -> Iterator[None]:
    """Hold the project's install lock: one ``pulumi install`` per project at a time.

    ``pulumi install`` writes the project's ``.venv``, ``sdks/`` and
    ``requirements.txt``; two runs (or two portal threads) installing at once
    corrupt them. ``flock`` on ``Pulumi.yaml`` itself (read-only is enough) locks
    across processes and, each holder opening the file anew, across threads.
    """
    with (project_dir / "Pulumi.yaml").open("rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def private_directory(path: Path) -> None:
    """Create ``path`` (and parents) readable by its owner only, or make it so.

    It holds the local backend's state (encrypted secrets, but every resource's
    inputs in clear), work dirs with stack settings, and run reports.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


class StackFlagWorkspace(auto.LocalWorkspace):
    """A ``LocalWorkspace`` that never runs ``pulumi stack select``.

    Every command a ``Stack`` runs names its stack with ``--stack``
    (``Stack._run_pulumi_cmd_sync`` in pulumi/automation/_stack.py), so selecting it first
    (``LocalWorkspace.select_stack``: ``pulumi stack select --stack NAME``) is one CLI start
    per stack for nothing; the runner only selects stacks the backend listed in ``prepare``.
    """

    def select_stack(self, stack_name: str) -> None:
        del stack_name  # chosen on each command instead


def _summary_changes(event_log: Path) -> dict[str, int]:
    """The change counts of the summary event in an ``--event-log`` file the CLI wrote."""
    for line in reversed(event_log.read_text(encoding="utf-8").splitlines()):
        if '"summaryEvent"' in line:
            event = auto.events.EngineEvent.from_json(json.loads(line))
            if event.summary_event is not None:
                return _changes(event.summary_event.resource_changes)
    return {}


class AutomationRunner:
    """A :class:`scripts.stack_runner.StackRunner` on ``pulumi.automation``.

    ``project_dir`` is the folder holding this project's ``Pulumi.yaml``,
    ``__main__.py`` and ``policy/``: a checkout of the repository. It defaults to
    the folder this module was imported from, which is right for a checkout or an
    editable install; an installed (non-editable) package does not carry the
    Pulumi project, so pass it explicitly there (ProjectNotFound says so).
    One runner serves one request at a time: ``prepare`` takes that request's
    environment.
    """

    def __init__(
        self,
        *,
        project_dir: Path | None = None,
        state_dir: Path | None = None,
        backend_url: str | None = None,
        pulumi_cli: Path | None = None,
        stack_owner: str = "organization",
        install: bool = True,
        policy_packs: Sequence[Path] | None = None,
        break_locks_older_than: float | None = None,
    ) -> None:
        if break_locks_older_than is not None and break_locks_older_than < 0:
            raise BackendOptionInvalid(
                f"break_locks_older_than must be 0 or more seconds, not {break_locks_older_than}"
            )
        self.break_locks_older_than = break_locks_older_than
        """Remove another host's stack lock older than this many seconds when no other
        orgctl run on the backend is alive (None, the default: never; see backend_locks)."""
        self._lease: RunLease | None = None
        self.project_dir = (project_dir or PROJECT_DIR).expanduser().resolve()
        if not (self.project_dir / "Pulumi.yaml").is_file():
            raise ProjectNotFound(
                f"no Pulumi.yaml in {self.project_dir}: pass project_dir= (the library) or run "
                "from a checkout of this project; an installed package does not carry it"
            )
        self.project = project_name(self.project_dir)
        # Absolute once: every CLI child runs in its own work dir (see absolute_backend_url).
        self.state_dir = (state_dir or self.project_dir / STATE_DIR).expanduser().resolve()
        self._backend_url = absolute_backend_url(backend_url) if backend_url else None
        self.pulumi_cli = pulumi_cli
        self.stack_owner = stack_owner
        self.install = install
        # The security invariants, enforced on every preview and up unless told otherwise.
        packs = [self.project_dir / "policy"] if policy_packs is None else policy_packs
        self.policy_packs = [str(path.expanduser().resolve()) for path in packs]
        self._command: SessionCommand | None = None
        self._environment: dict[str, str] = {}
        self._stacks: dict[str, auto.Stack] = {}
        self._existing: set[str] = set()
        self._lock = threading.Lock()
        self._build_inputs: dict[str, str] = {}

    # --- setup -----------------------------------------------------------------

    @property
    def backend_url(self) -> str:
        """As given, else the request's ``PULUMI_BACKEND_URL``, else ``<state dir>/state``."""
        given = self._backend_url or self._environment.get("PULUMI_BACKEND_URL")
        return absolute_backend_url(given) if given else f"file://{self.state_dir / 'state'}"

    @property
    def _self_managed(self) -> bool:
        return not self.backend_url.startswith(("https://", "http://"))

    def _env(self) -> dict[str, str]:
        return {
            **self._environment,
            "PULUMI_BACKEND_URL": self.backend_url,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
        }

    def _secrets(self) -> list[str]:
        """Values that never appear in what this runner reports (the passphrase file's too)."""
        merged = {**os.environ, **self._environment}
        secrets = [value for name, value in merged.items() if SECRET_VARIABLE.search(name)]
        passphrase_file = merged.get(PASSPHRASE_FILE_VARIABLE)
        if passphrase_file and not merged.get(PASSPHRASE_VARIABLE):
            with contextlib.suppress(OSError):
                secrets.append(Path(passphrase_file).read_text(encoding="utf-8").strip())
        return secrets

    def _passphrase_environment(self, environment: Mapping[str, str]) -> dict[str, str]:
        """The request's environment, checked for a passphrase the way the CLI reads one.

        ``PULUMI_CONFIG_PASSPHRASE``, else ``PULUMI_CONFIG_PASSPHRASE_FILE``
        (``readPassphrase`` in pkg/secrets/passphrase/manager.go). The CLI resolves a
        relative file against its own working directory, so it is made absolute here.
        """
        merged = {**os.environ, **environment}
        resolved = dict(environment)
        if not self._self_managed or merged.get(PASSPHRASE_VARIABLE):
            return resolved
        passphrase_file = merged.get(PASSPHRASE_FILE_VARIABLE)
        if passphrase_file:
            path = Path(passphrase_file).expanduser().resolve()
            if not path.is_file() or not os.access(path, os.R_OK):
                raise BackendNotReady(f"{PASSPHRASE_FILE_VARIABLE}: cannot read {path}")
            resolved[PASSPHRASE_FILE_VARIABLE] = str(path)
            return resolved
        raise BackendNotReady(
            f"the {self.backend_url} backend keeps secrets with a passphrase: "
            f"set {PASSPHRASE_VARIABLE} or {PASSPHRASE_FILE_VARIABLE} in the environment"
        )

    def prepare(self, stacks: Sequence[StackSpec], environment: Mapping[str, str]) -> None:
        """Check the CLI and backend, then ``pulumi install`` once, before any parallel run."""
        self._environment = dict(environment)
        root = cli_root(self.pulumi_cli)
        executable = str(Path(root, "bin", "pulumi")) if root else shutil.which("pulumi")
        if executable is None or not Path(executable).is_file():
            where = f" at {executable or self.pulumi_cli}" if self.pulumi_cli else " on PATH"
            raise PulumiCliMissing(INSTALL_HINT.format(where=where))
        self._environment = self._passphrase_environment(environment)
        # Before any stack: a run without an AWS identity fails here, not halfway.
        preflight.caller_identity(self._env())
        private_directory(self.state_dir)
        if self.backend_url.startswith("file://"):
            Path(self.backend_url.removeprefix("file://").split("?")[0]).mkdir(
                parents=True, exist_ok=True
            )
        try:
            self._command = SessionCommand(root=root)
        except (OSError, auto.errors.InvalidVersionError) as error:
            raise PulumiCliMissing(f"{INSTALL_HINT.format(where='')} ({error})") from None
        try:
            if self.install:
                # Plugins and the generated SDK once, so parallel stacks never race on
                # PULUMI_HOME, and under the project's lock, so parallel runs never race on
                # .venv and sdks/.
                with project_lock(self.project_dir):
                    self._workspace(self.project_dir).install()
            # One listing, for --prune and instead of a failing `stack select` per new stack.
            workspace = self._workspace(self._work_dir("_project"))
            listed = workspace.list_stacks()
        except auto.errors.CommandError as error:
            raise SetupFailed(f"before any stack ran: {self._failure(error)}") from None
        self._existing = {summary.name.split("/")[-1] for summary in listed}
        self._build_inputs = {
            "program": files_digest(self.project_dir, PROGRAM_SOURCES),
            "dependencies": files_digest(self.project_dir, [LOCKED_DEPENDENCIES]),
            "pulumi": str(self._command.version),
            "policy": files_digest(Path("/"), sorted(self.policy_packs)),
        }
        self._lease = RunLease(self.backend_url)
        self._lease.start()

    def set_stack_secret(
        self, spec: StackSpec, key: str, value: str, environment: Mapping[str, str]
    ) -> None:
        """Set one secret config value of the stack (created if new), the value on stdin."""
        self.prepare([spec], environment)
        try:
            self._select(spec.name)
            self._set_secret(spec.name, self._work_dir(spec.name), key, value)
        finally:
            self.finish()

    def build_inputs(self) -> dict[str, str]:
        return dict(self._build_inputs)

    def finish(self) -> None:
        """The run is over: its lease of the backend goes (see backend_locks.RunLease)."""
        if self._lease is not None:
            self._lease.stop()
            self._lease = None

    def _workspace(self, work_dir: Path) -> auto.LocalWorkspace:
        return StackFlagWorkspace(
            work_dir=str(work_dir),
            pulumi_command=self._command,
            env_vars=self._env(),
            secrets_provider="passphrase" if self._self_managed else None,
        )

    @functools.cached_property
    def _project_file(self) -> str:
        """This project's Pulumi.yaml, pointed back at the project: ``main`` and the venv."""
        text = (self.project_dir / "Pulumi.yaml").read_text(encoding="utf-8")
        document = yaml.load(text, Loader=SafeLoader)
        document["main"] = str(self.project_dir)
        options = document.setdefault("runtime", {}).setdefault("options", {})
        if "virtualenv" in options:
            options["virtualenv"] = str(self.project_dir / options["virtualenv"])
        return yaml.safe_dump(document, sort_keys=False)

    def _work_dir(self, stack: str) -> Path:
        """The stack's own work dir, with a Pulumi.yaml that runs this project's program."""
        work_dir = self.state_dir / "work" / stack
        work_dir.mkdir(parents=True, exist_ok=True)
        # Replaced whole, never rewritten in place: shards of one run share the state dir,
        # and another process's CLI may be reading the `_project` work dir's file right now.
        _replace_file(work_dir / "Pulumi.yaml", self._project_file)
        return work_dir

    def qualified(self, stack: str) -> str:
        return f"{self.stack_owner}/{self.project}/{stack}"

    def _select(self, stack: str) -> auto.Stack:
        with self._lock:
            selected = self._stacks.get(stack)
        if selected is None:
            # Outside the lock: each stack has its own work dir, so stacks select in parallel.
            workspace = self._workspace(self._work_dir(stack))
            name = self.qualified(stack)
            if stack in self._existing:
                selected = auto.Stack.select(name, workspace)
            else:
                selected = auto.Stack.create(name, workspace)
            with self._lock:
                self._stacks[stack] = selected
        return selected

    def _write_config(self, spec: StackSpec) -> None:
        """The stack's settings file, from the typed config, keeping what the CLI put there.

        The plain ``settings`` object is written straight into the file; each secret
        goes through the CLI, which encrypts it with the stack's secrets provider. A
        secret the org file cannot hold (``rotatedAccessKeySecrets``), set by the
        operator with ``pulumi config set --secret`` on the stack, stays as the CLI
        stored it, encrypted.
        """
        config = spec.config.model_copy(update={"pulumi_organization": self.stack_owner})
        work_dir = self.state_dir / "work" / spec.name
        path = work_dir / f"Pulumi.{spec.name}.yaml"
        settings: dict[str, Any] = {}
        if path.exists():
            settings = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader) or {}
        entries = stack_config_entries(config)
        before = settings.get("config") or {}
        kept = {
            name: value
            for key in SECRET_KEYS
            if isinstance(value := before.get(name := f"{self.project}:{key}"), dict)
            and "secure" in value
        }
        settings["config"] = kept | {
            f"{self.project}:{entry.key}": entry.value for entry in entries if not entry.secret
        }
        # JSON is YAML, and the json module is fast: hundreds of stacks write this at once.
        # Atomically: a run killed mid-write must not leave a file the next run cannot read
        # (it keeps the CLI's encrypted secrets from it).
        _replace_file(path, json.dumps(settings, indent=2, sort_keys=True))
        for entry in entries:
            if entry.secret:
                self._set_secret(spec.name, work_dir, entry.key, str(entry.value))

    def _set_secret(self, stack: str, work_dir: Path, key: str, value: str) -> None:
        """``pulumi config set --secret KEY`` with the value on stdin, never on argv.

        The Automation API's ``set_config`` passes the value as an argument
        (sdk/python/lib/pulumi/automation/_local_workspace.py); the CLI reads it from
        stdin when no value is given and stdin is not a terminal
        (pkg/cmd/pulumi/config/config.go, ``configSetCmd.Run``).
        """
        assert self._command is not None  # prepare() ran
        argv = [self._command.command, "config", "set", "--secret", "--non-interactive"]
        argv += ["--stack", self.qualified(stack), f"{self.project}:{key}"]
        done = subprocess.run(
            argv,
            input=value,
            cwd=work_dir,
            env={**os.environ, **self._env()},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            message = (done.stderr.strip() or done.stdout.strip()).replace(value, SECRET_MASK)
            raise StackFailed(f"setting the secret {key}: {message}")

    # --- running -----------------------------------------------------------------

    def existing_stacks(self) -> list[str]:
        return sorted(self._existing)

    def _cli(
        self, stack: str, args: list[str], extra_env: Mapping[str, str] | None = None
    ) -> auto.CommandResult:
        """One ``pulumi`` command on ``stack``, in its work dir, with the run's environment."""
        assert self._command is not None  # prepare() ran
        return self._command.run(
            [*args, "--stack", self.qualified(stack)],
            str(self._work_dir(stack)),
            {**self._env(), **(extra_env or {})},
        )

    def _up(
        self, stack: str, packs: Sequence[str], fingerprint: Mapping[str, str] | None
    ) -> tuple[dict[str, int], dict[str, Any]]:
        """``pulumi up``, then one ``pulumi stack output``: the change counts and outputs.

        Not ``Stack.up``, which reads the outputs twice (``stack output`` with and without
        ``--show-secrets``: ``LocalWorkspace.stack_outputs``) and the history once (its
        summary; pulumi/automation/_stack.py): the changes are in the summary event of the
        update's own ``--event-log``, and the masked outputs are all a run keeps.
        """
        args = ["up", "--yes", "--skip-preview"]
        for pack in packs:
            args += ["--policy-pack", pack]
        # --event-log exists only with PULUMI_DEBUG_COMMANDS (pkg/cmd/pulumi/operations/up.go),
        # which the Automation API sets on every command (Stack._run_pulumi_cmd_sync).
        extra = {"PULUMI_DEBUG_COMMANDS": "true"}
        if fingerprint:
            extra[FINGERPRINT_VARIABLE] = json.dumps(dict(fingerprint))
        with tempfile.TemporaryDirectory(prefix="orgctl-up-") as folder:
            event_log = Path(folder) / "events.jsonl"
            self._cli(stack, [*args, "--event-log", str(event_log)], extra)
            changes = _summary_changes(event_log)
        return changes, self._read_outputs(stack)

    def _read_outputs(self, stack: str) -> dict[str, Any]:
        """``pulumi stack output --json``: each secret output as ``[secret]``, as the CLI
        prints it without ``--show-secrets`` (pkg/cmd/pulumi/stack/stack_output.go)."""
        outputs = json.loads(self._cli(stack, ["stack", "output", "--json"]).stdout or "{}")
        return dict(outputs) if isinstance(outputs, dict) else {}

    def run(
        self, spec: StackSpec, verb: Verb, *, fingerprint: Mapping[str, str] | None = None
    ) -> StackOutcome:
        notes: list[str] = []
        try:
            stack = self._select(spec.name)
            self._write_config(spec)
            notes = self._recover(spec.name, stack, verb)
            packs = self.policy_packs or None
            if verb == "preview":
                steps: list[ResourceStep] = []
                found: list[str] = []
                preview = stack.preview(policy_packs=packs, on_event=_collect_steps(steps, found))
                return self._outcome(
                    _changes(preview.change_summary), steps=steps, notes=[*notes, *found]
                )
            if verb == "up":
                changes, outputs = self._up(spec.name, self.policy_packs, fingerprint)
                return self._outcome(changes, notes=notes, outputs=outputs)
            fresh = logs_in_per_run(spec.name)
            summary = (
                stack.refresh(run_program=fresh)
                if verb == "refresh"
                else stack.destroy(run_program=fresh)
            ).summary
            return self._outcome(_changes(summary.resource_changes), notes=notes)
        except auto.errors.ConcurrentUpdateError as error:
            raise self._locked(spec.name, error, notes) from None
        except auto.errors.CommandError as error:
            left = [
                f"{lock.describe()} is left by an update that no longer runs: the next run "
                "removes it"
                for lock in stack_locks(self.backend_url, self.qualified(spec.name))
                if lock.dead_here()
            ]
            message = "\n".join([*notes, self._failure(error), *left])
            if classify(message) == "transient":
                raise StackTransient(message) from None
            raise StackFailed(message) from None

    def _failure(self, error: auto.errors.CommandError) -> str:
        return _failure_text(error, self._secrets())

    @staticmethod
    def _outcome(changes: dict[str, int], notes: Sequence[str] = (), **extra: Any) -> StackOutcome:
        """The outcome, with the program's notes and what was recovered as its warnings."""
        return StackOutcome(changes, warnings=list(notes), **extra)

    # --- recovering from a run that was killed --------------------------------------------

    def _removable(self, lock: StackLock, others_alive: Callable[[], list[str]]) -> str | None:
        """Why ``lock`` may go: its update is provably gone. None: keep it."""
        dead = lock.dead_here()
        if dead is not None or lock.hostname == this_host():
            return dead
        age = lock.age_seconds()
        limit = self.break_locks_older_than
        if limit is None or age is None or age < limit:
            return None
        if others_alive():
            return None
        return (
            f"written on another host {age:.0f}s ago (more than the {limit:g}s allowed) and "
            "no other orgctl run on this backend is alive"
        )

    def _kept_reason(self, lock: StackLock, others: list[str]) -> str:
        if lock.hostname == this_host():
            return f"kept {lock.describe()}: its process still runs on this host"
        if self.break_locks_older_than is None:
            return (
                f"kept {lock.describe()}: it is another host's (pass --break-locks-older-than "
                "SECONDS to remove such a lock once it is that old and no other run is alive)"
            )
        if others:
            return f"kept {lock.describe()}: another orgctl run is alive ({'; '.join(others)})"
        return f"kept {lock.describe()}: younger than {self.break_locks_older_than:g}s"

    def _others_alive(self) -> list[str]:
        return self._lease.others_alive() if self._lease is not None else []

    def _clear_dead_locks(self, stack: str) -> list[str]:
        """Remove the stack's locks whose update is provably gone; say which and why."""
        notes = []
        others: list[str] | None = None

        def others_alive() -> list[str]:
            nonlocal others
            if others is None:
                others = self._others_alive()
            return others

        for lock in stack_locks(self.backend_url, self.qualified(stack)):
            why = self._removable(lock, others_alive)
            if why is not None:
                lock.path.unlink(missing_ok=True)
                notes.append(f"removed the stale lock {lock.describe()}: {why}")
        return notes

    def _recover(self, name: str, stack: auto.Stack, verb: Verb) -> list[str]:
        """Before an operation: locks of updates that are gone, then what they left pending.

        A killed update leaves its lock and, in the state, the operations it had begun
        (``pending_operations``). ``up`` keeps pending creates for ever ("these must require
        user intervention": ``SnapshotManager.snap`` in pkg/backend/snapshot.go) and only
        warns about the rest (``printPendingOperationsWarning`` in
        pkg/resource/deploy/deployment_executor.go, which names ``pulumi refresh``). So once a
        dead update's lock is gone, a stack with pending operations is refreshed with
        ``--clear-pending-creates`` (pkg/cmd/pulumi/operations/refresh.go): the refresh reads
        every resource back from its provider, and the next operation creates what the
        killed one had only begun.
        """
        notes = self._clear_dead_locks(name)
        if not notes or verb == "preview":
            return notes
        deployment = stack.export_stack().deployment or {}
        pending = deployment.get("pending_operations") or []
        if pending:
            stack.refresh(clear_pending_creates=True)
            listed = ", ".join(
                f"{op.get('type')} {str(op.get('resource', {}).get('urn', '')).split('::')[-1]}"
                for op in pending
            )
            notes.append(
                f"the killed update had left {len(pending)} pending operation(s) ({listed}): "
                "refreshed with --clear-pending-creates; a create it had begun is made again, "
                "so check the account for a duplicate if that create had completed"
            )
        return notes

    def _locked(
        self, stack: str, error: auto.errors.CommandError, notes: Sequence[str]
    ) -> Exception:
        """Locked: by an update that is gone (remove it and retry) or a live one (retry)."""
        removed = self._clear_dead_locks(stack)
        locks = stack_locks(self.backend_url, self.qualified(stack))
        others = self._others_alive() if locks else []
        kept = [self._kept_reason(lock, others) for lock in locks]
        return StackLocked("\n".join([*notes, *removed, self._failure(error), *kept]))

    def outputs(self, stack: str) -> dict[str, Any]:
        with self._lock:
            known = stack in self._existing or stack in self._stacks
        if not known:  # selecting it would create an empty stack
            raise StackFailed(f"no stack {self.qualified(stack)} in {self.backend_url}")
        try:
            outputs = self._read_outputs(stack)
        except auto.errors.CommandError as error:
            raise StackFailed(self._failure(error)) from None
        if stack_locks(self.backend_url, self.qualified(stack)):
            # An update holds or left its lock: the fingerprint may have been saved before
            # the update ended, so the stack is not taken as unchanged (it runs, and a dead
            # lock and its pending operations are recovered first: _recover).
            outputs.pop(FINGERPRINT_OUTPUT, None)
        return outputs

    def drift(self, stack: str) -> list[ResourceDrift]:
        """``pulumi refresh --preview-only``: "Only show a preview of the refresh, but don't
        perform the refresh itself" (pkg/cmd/pulumi/operations/refresh.go; ``PreviewOnly`` in
        the update options, operations/io.go), through ``Stack.preview_refresh``. Each
        resource whose read differs from the state ends with a ``resOutputsEvent`` of op
        ``update`` (its ``diffs`` the differing properties) or ``delete`` (gone)."""
        found: list[ResourceDrift] = []

        def collect(event: auto.events.EngineEvent) -> None:
            done = event.res_outputs_event
            if done is None:
                return
            meta = done.metadata
            op = str(getattr(meta.op, "value", meta.op))
            # Only what is in the cloud can drift. An account stack's refresh runs its program
            # (logs_in_per_run), so its components are registered again and its Akeyless
            # provider gets a new token: neither is a cloud resource, neither is drift.
            state = meta.new or meta.old
            in_cloud = state is not None and state.custom
            if (
                op not in ("update", "delete")
                or not in_cloud
                or meta.type.startswith("pulumi:providers:")
            ):
                return
            old = (meta.old.outputs if meta.old else None) or {}
            new = (meta.new.outputs if meta.new else None) or {}
            found.append(
                ResourceDrift(
                    type=meta.type,
                    name=meta.urn.split("::")[-1],
                    op=op,
                    properties=tuple(
                        PropertyDrift(key, old.get(key), new.get(key)) for key in meta.diffs or ()
                    ),
                )
            )

        selected = self._select(stack)
        fresh = logs_in_per_run(stack)
        environment = selected.workspace.env_vars or {}
        if fresh:  # for this command of this stack's workspace only: a preview never logs in
            selected.workspace.env_vars = {**environment, LOGIN_IN_PREVIEW_VARIABLE: "1"}
        try:
            selected.preview_refresh(on_event=collect, run_program=fresh)
        except auto.errors.CommandError as error:
            raise StackFailed(self._failure(error)) from None
        finally:
            selected.workspace.env_vars = environment
        return found

    def destroy_removed(self, stack: str) -> StackOutcome:
        try:
            selected = self._select(stack)
            summary = selected.destroy(run_program=logs_in_per_run(stack)).summary
            selected.workspace.remove_stack(self.qualified(stack))
        except auto.errors.CommandError as error:
            raise StackFailed(self._failure(error)) from None
        return StackOutcome(_changes(summary.resource_changes))

    def interrupt(self, stack: str) -> None:
        """SIGINT to the stack's running CLI: it cancels gracefully and releases its lock.

        Not ``pulumi cancel``: on the DIY backend that only deletes the lock files and
        the update goes on (``CancelCurrentUpdate`` in pkg/backend/diy/backend.go).
        """
        if self._command is not None:
            self._command.interrupt(str(self.state_dir / "work" / stack))


def _replace_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a reader sees the old file or the new one whole.

    The temporary file is this process's and thread's own, so concurrent writers (the shard
    processes of one run) never write into each other's.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
