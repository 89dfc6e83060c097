"""Runs stacks with ``pulumi.automation``: the edge between the orchestrator and the CLI.

Each stack gets its own workspace and work dir (``.orgctl/work/<stack>/``) so
parallel stacks never race on workspace files. The work dir holds a copy of
``Pulumi.yaml`` whose ``main:`` points back at this project, so every stack runs
the very ``__main__.py`` that ``pulumi up`` runs, and the stack's settings file,
written in-process from the typed config: no config value, and so no secret,
ever appears on a command line. Secrets come from the environment
(``PULUMI_CONFIG_PASSPHRASE``, ``AKEYLESS_ACCESS_KEY``, AWS credentials).

The default backend is the self-managed file backend in ``.orgctl/state/``
with the passphrase secrets provider; ``backend_url`` selects ``s3://...`` or
Pulumi Cloud (``https://api.pulumi.com``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from components.earlier_phase import NOT_DEPLOYED_NOTE
from config.stack_config import stack_config_entries
from config.stacks import StackSpec
from scripts.orchestrator import StackFailed, StackLocked, StackOutcome, Verb
from scripts.render import PROJECT_DIR, project_name

# libyaml's loader when present (much faster), else the pure-Python one.
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
STATE_DIR = ".orgctl"
DEFAULT_POLICY_PACKS = (PROJECT_DIR / "policy",)
"""The security invariants, enforced on every preview and up unless told otherwise."""
PASSPHRASE_VARIABLE = "PULUMI_CONFIG_PASSPHRASE"
INSTALL_HINT = (
    "the Pulumi CLI was not found{where}: install it (https://www.pulumi.com/docs/install/, "
    "e.g. `curl -fsSL https://get.pulumi.com | sh`) or pass --pulumi-cli PATH"
)


class PulumiCliMissing(Exception):
    """No usable ``pulumi`` executable."""


class BackendNotReady(Exception):
    """The backend cannot be used as configured (e.g. no passphrase for a file backend)."""


def cli_root(pulumi_cli: Path | None) -> str | None:
    """``PulumiCommand(root=...)`` from a path to the executable or its installation folder."""
    if pulumi_cli is None:
        return None
    path = pulumi_cli.expanduser().resolve()
    if path.is_file():  # .../bin/pulumi -> the folder holding bin/
        return str(path.parent.parent)
    return str(path)


def _changes(changes: Mapping[Any, int] | None) -> dict[str, int]:
    """Change counts keyed by the operation's name (``create``, ``update``, ...)."""
    return {str(getattr(op, "value", op)): count for op, count in (changes or {}).items()}


def _collect_steps(
    into: list[dict[str, Any]], notes: list[str]
) -> Callable[[auto.events.EngineEvent], None]:
    """An engine-event callback keeping each resource's planned step as plain data,
    and the program's notes that earlier phases' values are unknown in this preview."""

    def collect(event: auto.events.EngineEvent) -> None:
        diagnostic = event.diagnostic_event
        if diagnostic is not None and NOT_DEPLOYED_NOTE in diagnostic.message:
            note = diagnostic.message.strip()
            if note not in notes:
                notes.append(note)
        pre = event.resource_pre_event
        if pre is None:
            return
        meta = pre.metadata
        into.append(
            {
                "op": str(getattr(meta.op, "value", meta.op)),
                "urn": meta.urn,
                "type": meta.type,
                "diffs": list(meta.diffs or []),
                "old": {"inputs": meta.old.inputs} if meta.old else None,
                "new": {"inputs": meta.new.inputs} if meta.new else None,
            }
        )

    return collect


def _failure_text(error: auto.errors.CommandError) -> str:
    """The CLI's error lines, without the command line or the full output."""
    # The error carries only its command result as text: " code: ...\n stdout: ...\n stderr: ...".
    text = str(error)
    stderr = text.split(" stderr:", 1)[1] if " stderr:" in text else text
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    return " | ".join(errors or lines[-3:]) or type(error).__name__


class AutomationRunner:
    """A :class:`scripts.orchestrator.StackRunner` on ``pulumi.automation``."""

    def __init__(
        self,
        *,
        project_dir: Path = PROJECT_DIR,
        state_dir: Path | None = None,
        backend_url: str | None = None,
        pulumi_cli: Path | None = None,
        stack_owner: str = "organization",
        install: bool = True,
        policy_packs: Sequence[Path] | None = None,
    ) -> None:
        self.project_dir = project_dir
        self.project = project_name(project_dir)
        self.state_dir = state_dir or project_dir / STATE_DIR
        self.backend_url = backend_url or f"file://{self.state_dir / 'state'}"
        self.pulumi_cli = pulumi_cli
        self.stack_owner = stack_owner
        self.install = install
        self.policy_packs = [
            str(path) for path in (DEFAULT_POLICY_PACKS if policy_packs is None else policy_packs)
        ]
        self._command: auto.PulumiCommand | None = None
        self._stacks: dict[str, auto.Stack] = {}
        self._existing: set[str] = set()
        self._lock = threading.Lock()

    # --- setup -----------------------------------------------------------------

    @property
    def _self_managed(self) -> bool:
        return not self.backend_url.startswith(("https://", "http://"))

    def _env(self) -> dict[str, str]:
        return {"PULUMI_BACKEND_URL": self.backend_url, "PULUMI_SKIP_UPDATE_CHECK": "true"}

    def prepare(self, stacks: Sequence[StackSpec]) -> None:
        """Check the CLI and backend, then ``pulumi install`` once, before any parallel run."""
        root = cli_root(self.pulumi_cli)
        executable = str(Path(root, "bin", "pulumi")) if root else shutil.which("pulumi")
        if executable is None or not Path(executable).is_file():
            where = f" at {executable or self.pulumi_cli}" if self.pulumi_cli else " on PATH"
            raise PulumiCliMissing(INSTALL_HINT.format(where=where))
        if self._self_managed and not os.environ.get(PASSPHRASE_VARIABLE):
            raise BackendNotReady(
                f"the {self.backend_url} backend keeps secrets with a passphrase: "
                f"set {PASSPHRASE_VARIABLE} in the environment"
            )
        if self.backend_url.startswith("file://"):
            Path(self.backend_url.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
        try:
            self._command = auto.PulumiCommand(root=root)
        except (OSError, auto.errors.InvalidVersionError) as error:
            raise PulumiCliMissing(f"{INSTALL_HINT.format(where='')} ({error})") from None
        if self.install:
            # Plugins and the generated SDK once, so parallel stacks never race on PULUMI_HOME.
            self._workspace(self.project_dir).install()
        # One listing, for --prune and instead of a failing `stack select` per new stack.
        workspace = self._workspace(self._work_dir("_project"))
        self._existing = {summary.name.split("/")[-1] for summary in workspace.list_stacks()}

    def _workspace(self, work_dir: Path) -> auto.LocalWorkspace:
        return auto.LocalWorkspace(
            work_dir=str(work_dir),
            pulumi_command=self._command,
            env_vars=self._env(),
            secrets_provider="passphrase" if self._self_managed else None,
        )

    @functools.cached_property
    def _project_file(self) -> str:
        """This project's Pulumi.yaml, pointed back at the project: ``main`` and the venv."""
        document = yaml.safe_load((self.project_dir / "Pulumi.yaml").read_text(encoding="utf-8"))
        document["main"] = str(self.project_dir)
        options = document.setdefault("runtime", {}).setdefault("options", {})
        if "virtualenv" in options:
            options["virtualenv"] = str(self.project_dir / options["virtualenv"])
        return yaml.safe_dump(document, sort_keys=False)

    def _work_dir(self, stack: str) -> Path:
        """The stack's own work dir, with a Pulumi.yaml that runs this project's program."""
        work_dir = self.state_dir / "work" / stack
        work_dir.mkdir(parents=True, exist_ok=True)
        (work_dir / "Pulumi.yaml").write_text(self._project_file, encoding="utf-8")
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
        goes through the CLI, which encrypts it with the stack's secrets provider.
        """
        config = spec.config.model_copy(update={"pulumi_organization": self.stack_owner})
        work_dir = self.state_dir / "work" / spec.name
        path = work_dir / f"Pulumi.{spec.name}.yaml"
        settings: dict[str, Any] = {}
        if path.exists():
            settings = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader) or {}
        entries = stack_config_entries(config)
        settings["config"] = {
            f"{self.project}:{entry.key}": entry.value for entry in entries if not entry.secret
        }
        # JSON is YAML, and the json module is fast: hundreds of stacks write this at once.
        path.write_text(json.dumps(settings, indent=2, sort_keys=True), encoding="utf-8")
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
            message = (done.stderr.strip() or done.stdout.strip()).replace(value, "[secret]")
            raise StackFailed(f"setting the secret {key}: {message}")

    # --- running -----------------------------------------------------------------

    def existing_stacks(self) -> list[str]:
        return sorted(self._existing)

    def run(self, spec: StackSpec, verb: Verb) -> StackOutcome:
        try:
            stack = self._select(spec.name)
            self._write_config(spec)
            packs = self.policy_packs or None
            if verb == "preview":
                steps: list[dict[str, Any]] = []
                notes: list[str] = []
                preview = stack.preview(policy_packs=packs, on_event=_collect_steps(steps, notes))
                return StackOutcome(_changes(preview.change_summary), steps, notes)
            if verb == "up":
                summary = stack.up(policy_packs=packs).summary
            elif verb == "refresh":
                summary = stack.refresh().summary
            else:
                summary = stack.destroy().summary
            return StackOutcome(_changes(summary.resource_changes))
        except auto.errors.ConcurrentUpdateError as error:
            raise StackLocked(_failure_text(error)) from None
        except auto.errors.CommandError as error:
            raise StackFailed(_failure_text(error)) from None

    def destroy_removed(self, stack: str) -> StackOutcome:
        try:
            selected = self._select(stack)
            summary = selected.destroy().summary
            selected.workspace.remove_stack(self.qualified(stack))
        except auto.errors.CommandError as error:
            raise StackFailed(_failure_text(error)) from None
        return StackOutcome(_changes(summary.resource_changes))

    def cancel(self, stack: str) -> None:
        selected = self._stacks.get(stack)
        if selected is None:
            return
        with contextlib.suppress(auto.errors.CommandError):  # it may have ended meanwhile
            selected.cancel()
