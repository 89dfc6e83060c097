"""The org-wide deployment as a library: one typed request in, typed events and result out.

For portals and scripts::

    from config.validation import load_org_file
    from scripts.orchestrator import DeploymentOptions, DeploymentRequest, run_deployment
    from scripts.pulumi_runner import AutomationRunner

    result = run_deployment(
        DeploymentRequest(org=load_org_file(path), verb="preview",
                          options=DeploymentOptions(parallel=8)),
        on_event=lambda event: queue.put(event.as_json()),
        runner=AutomationRunner(state_dir=Path("/var/lib/portal/orgctl")),
    )
    for stack in result.failed: ...

It never prints and never exits; it may be called from several threads (each
call keeps its own state; ``on_event`` is called one event at a time). Stacks
run in phase order (``org`` -> ``hub`` -> members, reversed for ``destroy``), up
to ``parallel`` at once within a phase; a phase starts only when every stack of
the phases before it succeeded. Once more than ``max_failures`` stacks failed,
nothing new is scheduled and in-flight stacks finish (like CloudFormation
StackSets' failure tolerance). A locked stack is retried with backoff.

How a stack is run is a :class:`StackRunner`; ``scripts.pulumi_runner`` runs
them with ``pulumi.automation``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from config.model import OrgDeployment
from config.stacks import StackSpec, plan_stacks
from scripts.discovery import resolve_accounts

Verb = Literal["preview", "up", "refresh", "destroy"]
VERBS: tuple[Verb, ...] = ("preview", "up", "refresh", "destroy")
Status = Literal["queued", "running", "retrying", "succeeded", "failed", "not_run", "skipped"]
MEMBER_KINDS = ("member", "account")


class StackLocked(Exception):
    """Another update holds the stack's lock (``ConcurrentUpdateError``)."""


class StackFailed(Exception):
    """The stack's operation failed; the message says why (never a secret)."""


class ConfirmationRequired(Exception):
    """``destroy`` without ``yes``: the message lists what would be destroyed."""


@dataclass(frozen=True)
class StackOutcome:
    """What a runner reports for one successful stack operation."""

    changes: Mapping[str, int] = field(default_factory=dict)
    """Resource changes by operation (``create``, ``update``, ``delete``, ``same``, ...)."""
    steps: Sequence[Mapping[str, Any]] = ()
    """preview: each resource's planned step (engine event metadata, secrets masked)."""
    notes: Sequence[str] = ()
    """preview: what the plan could not know yet (an earlier phase not deployed)."""


class StackRunner(Protocol):
    """Runs one stack operation; thread-safe. See ``scripts.pulumi_runner``."""

    def prepare(self, stacks: Sequence[StackSpec]) -> None:
        """Once, before anything runs in parallel (CLI check, plugin install)."""

    def existing_stacks(self) -> list[str]:
        """The short names of the project's stacks in the backend, as of ``prepare``."""

    def run(self, spec: StackSpec, verb: Verb) -> StackOutcome:
        """Write the stack's config and run ``verb``; raise StackLocked or StackFailed."""

    def destroy_removed(self, stack: str) -> StackOutcome:
        """Destroy a stack whose account left the selection, then remove it."""

    def cancel(self, stack: str) -> None:
        """Ask the backend to cancel the stack's running update."""


@dataclass(frozen=True)
class DeploymentOptions:
    """How the deployment runs. Defaults suit an interactive run."""

    parallel: int = 8
    """Stacks run at once within a phase."""
    max_failures: int = 0
    """Stop scheduling once more than this many stacks failed."""
    only: tuple[str, ...] = ()
    """Run only the stacks of these account IDs (empty: all)."""
    resume_from: Mapping[str, Status] | None = None
    """A previous report's statuses: rerun only what failed or never ran."""
    yes: bool = False
    """Required for ``destroy``."""
    prune: bool = False
    """With ``up``/``destroy``: destroy stacks whose account left the selection."""
    lock_retries: int = 4
    lock_backoff_seconds: float = 2.0

    def __post_init__(self) -> None:
        if self.parallel < 1:
            raise ValueError("parallel must be at least 1")
        if self.max_failures < 0:
            raise ValueError("max_failures must be 0 or more")


@dataclass(frozen=True)
class DeploymentRequest:
    """One org-wide operation."""

    org: OrgDeployment
    verb: Verb
    options: DeploymentOptions = DeploymentOptions()


@dataclass(frozen=True)
class DeploymentEvent:
    """A change of state of one stack (or of the run, when ``stack`` is None)."""

    status: Status | Literal["phase_started", "phase_finished", "stopping"]
    stack: str | None = None
    kind: str | None = None
    account: str | None = None
    phase: int | None = None
    changes: Mapping[str, int] = field(default_factory=dict)
    error: str | None = None
    duration_seconds: float | None = None
    attempt: int | None = None
    total: int | None = None
    """phase events: how many stacks the phase holds."""
    notes: tuple[str, ...] = ()
    """succeeded: the stack's notes (see StackOutcome.notes)."""

    def as_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value not in (None, {}, ())}


@dataclass
class StackResult:
    name: str
    kind: str
    account: str
    phase: int
    status: Status = "not_run"
    changes: dict[str, int] = field(default_factory=dict)
    duration_seconds: float = 0.0
    error: str | None = None
    steps: list[Mapping[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DeploymentResult:
    verb: Verb
    stacks: list[StackResult]
    removed: list[str] = field(default_factory=list)
    """Stacks whose account left the selection (destroyed only with ``prune``)."""
    interrupted: bool = False
    started_at: float = 0.0
    finished_at: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(
            stack.status in ("succeeded", "skipped") for stack in self.stacks
        )

    @property
    def failed(self) -> list[StackResult]:
        return [stack for stack in self.stacks if stack.status == "failed"]

    def as_report(self) -> dict[str, Any]:
        return {
            "verb": self.verb,
            "ok": self.ok,
            "interrupted": self.interrupted,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "removed_from_selection": self.removed,
            "stacks": [stack.as_json() for stack in self.stacks],
        }


def load_report(path: Path) -> dict[str, Status]:
    """Stack name -> status, from a report written by an earlier run (for resume)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return {stack["name"]: stack["status"] for stack in document["stacks"]}


# --- running ----------------------------------------------------------------------


class _Run:
    """The state of one call of :func:`run_deployment`."""

    def __init__(
        self,
        request: DeploymentRequest,
        runner: StackRunner,
        on_event: Callable[[DeploymentEvent], None] | None,
        stop: threading.Event,
        cancel: threading.Event,
    ) -> None:
        self.request = request
        self.options = request.options
        self.runner = runner
        self.stop = stop
        self.cancel = cancel
        self._on_event = on_event
        self._event_lock = threading.Lock()
        self._running: set[str] = set()
        self._running_lock = threading.Lock()
        self.failures = 0

    def emit(self, event: DeploymentEvent) -> None:
        if self._on_event is not None:
            with self._event_lock:
                self._on_event(event)

    def stack_event(self, result: StackResult, status: Status, **extra: Any) -> None:
        result.status = status
        self.emit(
            DeploymentEvent(
                status=status,
                stack=result.name,
                kind=result.kind,
                account=result.account,
                phase=result.phase,
                **extra,
            )
        )

    @property
    def scheduling_stopped(self) -> bool:
        return self.stop.is_set() or self.failures > self.options.max_failures

    def run_stack(self, spec: StackSpec, result: StackResult) -> None:
        started = time.monotonic()
        with self._running_lock:
            self._running.add(spec.name)
        try:
            for attempt in range(1, self.options.lock_retries + 2):
                self.stack_event(result, "running", attempt=attempt)
                try:
                    outcome = self.runner.run(spec, self.request.verb)
                except StackLocked as error:
                    if attempt > self.options.lock_retries:
                        raise StackFailed(
                            f"still locked after {attempt} attempts: {error}"
                        ) from None
                    self.stack_event(result, "retrying", attempt=attempt, error=str(error))
                    time.sleep(self.options.lock_backoff_seconds * 2 ** (attempt - 1))
                    continue
                result.changes = dict(outcome.changes)
                result.steps = list(outcome.steps)
                result.notes = list(outcome.notes)
                result.duration_seconds = round(time.monotonic() - started, 3)
                self.stack_event(
                    result,
                    "succeeded",
                    changes=result.changes,
                    duration_seconds=result.duration_seconds,
                    notes=tuple(result.notes),
                )
                return
        except Exception as error:  # one failing stack never hides the others
            result.error = str(error) or type(error).__name__
            result.duration_seconds = round(time.monotonic() - started, 3)
            with self._running_lock:
                self.failures += 1
            self.stack_event(
                result, "failed", error=result.error, duration_seconds=result.duration_seconds
            )
        finally:
            with self._running_lock:
                self._running.discard(spec.name)

    def run_phase(self, phase: int, stacks: list[tuple[StackSpec, StackResult]]) -> None:
        kind = stacks[0][0].kind if stacks else None
        self.emit(
            DeploymentEvent(status="phase_started", phase=phase, kind=kind, total=len(stacks))
        )
        pending = list(stacks)
        in_flight: set[Future[None]] = set()
        cancelled = False
        with ThreadPoolExecutor(max_workers=self.options.parallel) as pool:
            while pending or in_flight:
                while pending and len(in_flight) < self.options.parallel:
                    if self.scheduling_stopped:
                        break
                    spec, result = pending.pop(0)
                    in_flight.add(pool.submit(self.run_stack, spec, result))
                if self.scheduling_stopped:
                    pending.clear()
                if not in_flight:
                    break
                _, in_flight = wait(in_flight, timeout=0.2, return_when=FIRST_COMPLETED)
                if self.cancel.is_set() and not cancelled:
                    cancelled = True
                    with self._running_lock:
                        running = sorted(self._running)
                    for name in running:
                        self.runner.cancel(name)
        self.emit(DeploymentEvent(status="phase_finished", phase=phase, total=len(stacks)))


def _selected(plan: Iterable[StackSpec], options: DeploymentOptions) -> list[StackSpec]:
    chosen = [s for s in plan if not options.only or s.account_id in options.only]
    if options.resume_from is not None:
        done = {name for name, status in options.resume_from.items() if status == "succeeded"}
        chosen = [s for s in chosen if s.name not in done]
    return chosen


def run_deployment(
    request: DeploymentRequest,
    on_event: Callable[[DeploymentEvent], None] | None = None,
    *,
    runner: StackRunner | None = None,
    stop: threading.Event | None = None,
    cancel: threading.Event | None = None,
) -> DeploymentResult:
    """Run ``request.verb`` over every selected stack and return what happened to each.

    ``runner`` defaults to ``scripts.pulumi_runner.AutomationRunner()`` (the
    ``pulumi`` on PATH, the local backend in ``.orgctl/``). ``stop`` (set it from
    a signal handler or another thread) stops scheduling; ``cancel`` also asks
    the backend to cancel the in-flight updates. Raises
    ConfirmationRequired for ``destroy`` without ``yes``, DiscoveryError /
    ConfigError for a bad selection, before anything runs.
    """
    if runner is None:
        from scripts.pulumi_runner import AutomationRunner  # the edge, imported on demand

        runner = AutomationRunner()
    options = request.options
    org = resolve_accounts(request.org)
    plan = plan_stacks(org)
    if request.verb == "destroy" and not options.yes:
        raise ConfirmationRequired(
            "destroy needs yes=True (--yes); it would destroy: "
            + ", ".join(s.name for s in sorted(_selected(plan, options), key=lambda s: -s.phase))
        )
    run = _Run(request, runner, on_event, stop or threading.Event(), cancel or threading.Event())
    result = DeploymentResult(verb=request.verb, stacks=[], started_at=time.time())
    chosen = _selected(plan, options)
    runner.prepare(chosen)
    known = {spec.name for spec in plan}
    if request.verb in ("up", "destroy"):
        result.removed = sorted(
            name
            for name in runner.existing_stacks()
            if name.split("-")[0] in MEMBER_KINDS and name not in known
        )
    results = {
        spec.name: StackResult(spec.name, spec.kind, spec.account_id, spec.phase) for spec in chosen
    }
    # A resumed run keeps what already succeeded in its report, marked skipped.
    resumed = [
        StackResult(s.name, s.kind, s.account_id, s.phase, status="skipped")
        for s in plan
        if s.name not in results and (options.resume_from or {}).get(s.name) == "succeeded"
    ]
    result.stacks = [*resumed, *results.values()]
    for spec in chosen:
        run.stack_event(results[spec.name], "queued")
    phases = sorted({spec.phase for spec in chosen}, reverse=request.verb == "destroy")
    for phase in phases:
        if run.scheduling_stopped:
            break  # what is left stays not_run
        if options.prune and result.removed and phase == max(phases):
            _prune(run, result)  # removed accounts' stacks go with the member phase
        stacks = [(spec, results[spec.name]) for spec in chosen if spec.phase == phase]
        run.run_phase(phase, stacks)
        if any(r.status != "succeeded" for _, r in stacks):
            break  # a later phase needs every stack of the earlier ones
    for stack_result in result.stacks:
        if stack_result.status == "queued":
            run.stack_event(stack_result, "not_run")
    result.interrupted = run.stop.is_set()
    if run.stop.is_set():
        run.emit(DeploymentEvent(status="stopping"))
    result.finished_at = time.time()
    return result


def _prune(run: _Run, result: DeploymentResult) -> None:
    for name in result.removed:
        removed = StackResult(name, name.split("-")[0], name.split("-", 1)[1], -1)
        result.stacks.append(removed)
        started = time.monotonic()
        run.stack_event(removed, "running")
        try:
            outcome = run.runner.destroy_removed(name)
        except Exception as error:
            removed.error = str(error)
            run.failures += 1
            run.stack_event(removed, "failed", error=removed.error)
            continue
        removed.changes = dict(outcome.changes)
        removed.duration_seconds = round(time.monotonic() - started, 3)
        run.stack_event(removed, "succeeded", changes=removed.changes)
