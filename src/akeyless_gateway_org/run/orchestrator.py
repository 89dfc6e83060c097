"""The org-wide deployment as a library: one typed request in, typed events and result out.

For portals and scripts, through the package's public API::

    from akeyless_gateway_org import (
        AutomationRunner, DeploymentOptions, DeploymentRequest, load_org_file, run_deployment,
    )

    result = run_deployment(
        DeploymentRequest(org=load_org_file(path), verb="preview",
                          options=DeploymentOptions(parallel=8),
                          environment={"AWS_PROFILE": "org-a"}),
        on_event=lambda event: queue.put(event.as_json()),
        runner=AutomationRunner(project_dir=checkout, state_dir=Path("/var/lib/portal/org-a")),
    )
    for stack in result.failed: ...

It never prints and never exits; it may be called from several threads (each
call keeps its own state; ``on_event`` is called one event at a time). Stacks
run in phase order (``org`` -> ``hub`` -> members, reversed for ``destroy``), up
to ``parallel`` at once within a phase; a phase starts only when every stack of
the phases before it succeeded. Once more than ``max_failures`` stacks failed,
nothing new is scheduled and in-flight stacks finish (like CloudFormation
StackSets' failure tolerance). A locked stack is retried with backoff, and so is one that
failed transiently (``faults.classify``: throttling, a 5xx, a timeout or reset), by the
options' retry policy; a permanent failure is never retried. With ``report_path`` the run's
report is written atomically at the start (the plan), after every stack's end and at the end,
so a run killed at any moment leaves one that ``resume_from`` can pick up. ``up`` and ``preview``
leave a stack ``unchanged`` when nothing it is built from changed since its last successful
``up`` (its fingerprint, ``run.incremental``), unless ``run_all``.

How a stack is run is a :class:`akeyless_gateway_org.run.protocol.StackRunner`;
``run.pulumi_runner`` runs them with ``pulumi.automation``. Each stack's progress is a
:class:`akeyless_gateway_org.records.StackRecord`, the record the review side reads too.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from akeyless_gateway_org.components.stacks import FINGERPRINT_OUTPUT
from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.stacks import StackSpec, plan_stacks
from akeyless_gateway_org.discovery import resolve_accounts
from akeyless_gateway_org.errors import InvalidInput, RunFailure
from akeyless_gateway_org.faults import RetryPolicy
from akeyless_gateway_org.records import DONE_STATUSES, Attempt, StackRecord, Status
from akeyless_gateway_org.run.incremental import (
    Decision,
    decide,
    earlier_reads,
    fingerprint,
)
from akeyless_gateway_org.run.protocol import (
    StackFailed,
    StackLocked,
    StackRunner,
    StackTransient,
    Verb,
)
from akeyless_gateway_org.run.shards import PhaseName, Shard, phase_of

MEMBER_KINDS = ("member", "account")
RunStatus = Literal["phase_started", "phase_finished", "stopping", "interrupting", "finished"]


class ConfirmationRequired(InvalidInput):
    """``destroy`` without ``yes``: the message lists what would be destroyed."""


class InvalidRequest(InvalidInput, ValueError):
    """The request names something the deployment does not have (e.g. an unknown account)."""


class DeploymentAborted(RunFailure):
    """The run stopped on an unexpected error; ``result`` says what each stack reached."""

    def __init__(self, result: DeploymentResult, cause: BaseException) -> None:
        super().__init__(f"the run stopped: {cause!s}" if str(cause) else type(cause).__name__)
        self.result = result
        self.cause = cause


class _ObserverFailed(Exception):
    """``on_event`` raised: the caller's error, not a stack's; it ends the run."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


def utc_now() -> str:
    """ISO 8601, UTC, to the millisecond: ``2026-12-01T18:20:00.123Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_json(event: Any) -> dict[str, Any]:
    """An event dataclass as JSON (portal, ``--json``): its fields, the empty ones left out."""
    return {key: value for key, value in asdict(event).items() if value not in (None, {}, [], ())}


@dataclass(frozen=True)
class DeploymentOptions:
    """How the deployment runs. Defaults suit an interactive run."""

    parallel: int = 8
    """Stacks run at once within a phase."""
    max_failures: int = 0
    """Stop scheduling once more than this many stacks failed."""
    only: tuple[str, ...] = ()
    """Run only the stacks of these account IDs (empty: all); each must be in the selection."""
    resume_from: Mapping[str, Status] | None = None
    """A previous report's statuses: rerun only what failed or never ran."""
    yes: bool = False
    """Required for ``destroy``."""
    prune: bool = False
    """With ``up``/``destroy``: destroy stacks whose account left the selection."""
    lock_retries: int = 4
    """Retries of a stack locked by a live update (a dead one's lock is removed, not waited on)."""
    lock_backoff_seconds: float = 2.0
    """The first wait for a locked stack; it doubles per retry."""
    retry_attempts: int = 3
    """Attempts in all of a stack that fails transiently (throttling, 5xx, timeouts, resets, a
    Gateway not healthy yet); 1 never retries. A permanent failure is never retried."""
    retry_backoff_seconds: float = 5.0
    """The ceiling of the first wait before a transient retry; it doubles per attempt, and the
    wait is drawn uniformly below it (full jitter)."""
    retry_max_backoff_seconds: float = 60.0
    """No wait before a transient retry is longer."""
    report_path: Path | None = None
    """Where the run report is written, atomically: at the start with the plan, after each
    stack's end and at the end (None: not written; ``orgctl`` always gives one)."""
    use_preview_role: bool = False
    """preview only: every account is reached through the org file's read-only
    ``preview_role_name`` instead of the bootstrap (admin) role."""
    phase: PhaseName | None = None
    """Run only this phase (``org``, ``hub`` or ``members``); None: every phase, in order."""
    shard: Shard | None = None
    """Run only this shard's share of the phase (``run.shards``: a hash of each stack's
    name). Needs ``phase``: a shard sees only its own stacks, so it cannot know that the
    earlier phases' stacks in other shards succeeded; the workflow orders the phases."""
    run_id: str | None = None
    """Names the run in its report (e.g. the CI run), so ``orgctl report merge`` joins only
    the reports of one run's shards."""
    run_all: bool = False
    """up/preview: run every selected stack, also one whose fingerprint says nothing it is
    built from changed since its last successful ``up`` (``run.incremental``)."""

    def __post_init__(self) -> None:
        if self.parallel < 1:
            raise InvalidRequest(f"parallel must be at least 1, not {self.parallel}")
        if self.max_failures < 0:
            raise InvalidRequest(f"max_failures must be 0 or more, not {self.max_failures}")
        if self.lock_retries < 0:
            raise InvalidRequest(f"lock_retries must be 0 or more, not {self.lock_retries}")
        if self.retry_attempts < 1:
            raise InvalidRequest(
                f"retry_attempts must be at least 1 (no retry), not {self.retry_attempts}"
            )
        for name in ("lock_backoff_seconds", "retry_backoff_seconds", "retry_max_backoff_seconds"):
            value = getattr(self, name)
            if not value >= 0:  # NaN too
                raise InvalidRequest(f"{name} must be 0 or more seconds, not {value}")
        if self.shard is not None and self.phase is None:
            raise InvalidRequest(
                "--shard needs --phase: a shard cannot see that the earlier phases' stacks of "
                "the other shards succeeded, so each phase is run (and awaited) on its own"
            )
        if self.prune and self.phase not in (None, "members"):
            raise InvalidRequest("--prune goes with the members phase, not --phase " + self.phase)
        if self.shard is not None and self.prune:
            raise InvalidRequest(
                "--prune cannot be sharded: every shard would destroy the same removed stacks; "
                "prune in one unsharded run"
            )

    def holds(self, spec: StackSpec) -> bool:
        """Whether this run's phase and shard take ``spec`` (every stack without them)."""
        return (self.phase is None or phase_of(spec.kind) == self.phase) and (
            self.shard is None or self.shard.holds(spec.name)
        )

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(
            self.retry_attempts, self.retry_backoff_seconds, self.retry_max_backoff_seconds
        )


@dataclass(frozen=True)
class DeploymentRequest:
    """One org-wide operation.

    ``environment`` is given to every ``pulumi`` child of this request on top of the
    process's environment, so two requests in one process can target different
    organizations: ``AWS_PROFILE`` or ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/
    ``AWS_SESSION_TOKEN``, ``PULUMI_BACKEND_URL``, ``PULUMI_CONFIG_PASSPHRASE`` (or
    ``_FILE``), ``PULUMI_ACCESS_TOKEN``, ``AKEYLESS_ACCESS_ID``/``AKEYLESS_ACCESS_KEY``.
    It is never printed (``repr`` leaves it out) and its values are masked in errors.
    """

    org: OrgDeployment
    verb: Verb
    options: DeploymentOptions = DeploymentOptions()
    environment: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class DeploymentEvent:
    """A change of state of one stack (or of the run, when ``stack`` is None)."""

    status: Status | RunStatus
    stack: str | None = None
    kind: str | None = None
    account: str | None = None
    account_name: str | None = None
    phase: int | None = None
    changes: Mapping[str, int] = field(default_factory=dict)
    error: str | None = None
    warnings: Sequence[str] = ()
    duration_seconds: float | None = None
    attempt: int | None = None
    reason: str | None = None
    """up/preview, ``running`` and ``unchanged``: why the stack runs or is left as it is."""
    total: int | None = None
    """phase events: how many stacks the phase holds."""
    ok: bool | None = None
    """finished: whether every stack succeeded (or was skipped) and nothing was interrupted."""
    counts: Mapping[str, int] = field(default_factory=dict)
    """finished: how many stacks ended in each status."""
    at: str = field(default_factory=utc_now)
    """When it happened (ISO 8601, UTC)."""

    def as_json(self) -> dict[str, Any]:
        return event_json(self)


@dataclass
class DeploymentResult:
    verb: Verb
    stacks: list[StackRecord]
    organization: str | None = None
    """The management account ID of the org file, naming the organization in the report."""
    run_id: str | None = None
    phase: PhaseName | None = None
    shard: str | None = None
    """``K/N`` for a shard's run."""
    removed: list[str] = field(default_factory=list)
    """Stacks whose account left the selection (destroyed only with ``prune``)."""
    interrupted: bool = False
    error: str | None = None
    """Why the run stopped early on an unexpected error (see DeploymentAborted)."""
    started_at: str = field(default_factory=utc_now)
    finished_at: str | None = None

    @property
    def ok(self) -> bool:
        return (
            not self.interrupted
            and self.error is None
            and all(stack.status in DONE_STATUSES for stack in self.stacks)
        )

    @property
    def failed(self) -> list[StackRecord]:
        return [stack for stack in self.stacks if stack.status == "failed"]

    def counts(self) -> dict[str, int]:
        """How many stacks have each status, in the order the statuses first come."""
        return dict(Counter(stack.status for stack in self.stacks))

    def as_report(self) -> dict[str, Any]:
        """The run report; ``finished_at`` is null in one written while the run goes on (or
        left by a run that was killed): its stacks ``queued`` never started, ``running`` or
        ``retrying`` ones were under way."""
        return {
            "verb": self.verb,
            "organization": self.organization,
            "run_id": self.run_id,
            "phase": self.phase,
            "shard": self.shard,
            "ok": self.ok,
            "interrupted": self.interrupted,
            "error": self.error,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "counts": self.counts(),
            "removed_from_selection": self.removed,
            "stacks": [stack.as_json() for stack in self.stacks],
        }


def write_report(path: Path, report: Mapping[str, Any]) -> None:
    """``report`` as JSON at ``path``, atomically: a reader (or a run killed meanwhile) sees
    the previous file whole or this one whole, never a part (write, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(report, indent=2) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a crash of the machine
    finally:
        os.close(folder)


def load_report(path: Path) -> dict[str, Status]:
    """Stack name -> status, from a report written by an earlier run (for resume).

    Raises InvalidRequest when the file is missing or is not such a report.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return {stack["name"]: stack["status"] for stack in document["stacks"]}
    except OSError as error:
        raise InvalidRequest(f"cannot read the report {path}: {error.strerror}") from None
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidRequest(f"{path} is not an orgctl run report ({error})") from None


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
        self.result: DeploymentResult | None = None
        self._report_dirty = False
        self._report_state = threading.Lock()
        self._report_writer = threading.Lock()
        self.build_inputs: Mapping[str, str] = {}
        """What every stack is built with (the runner's ``build_inputs``), after prepare."""
        self.existing: set[str] = set()
        self._outputs: dict[str, Mapping[str, Any]] = {}
        self._outputs_lock = threading.Lock()
        self._previewed: set[str] = set()

    def checkpoint(self, *, wait: bool = False) -> None:
        """Write the report now (``wait``), or see that it is written soon after this call.

        Concurrent calls coalesce: while one thread writes, others only mark the report
        dirty and the writer writes again, so a burst of stack ends costs one or two writes.
        """
        if self.options.report_path is None or self.result is None:
            return
        with self._report_state:
            self._report_dirty = True
        while True:
            if not self._report_writer.acquire(blocking=wait):
                return  # the thread writing now writes again (it sees the dirty flag)
            try:
                while True:
                    with self._report_state:
                        if not self._report_dirty:
                            break
                        self._report_dirty = False
                    write_report(self.options.report_path, self.result.as_report())
            finally:
                self._report_writer.release()
            with self._report_state:
                if not self._report_dirty:
                    return

    def emit(self, event: DeploymentEvent) -> None:
        if self._on_event is not None:
            with self._event_lock:
                try:
                    self._on_event(event)
                except Exception as error:
                    raise _ObserverFailed(error) from error

    def stack_event(self, result: StackRecord, status: Status, **extra: Any) -> None:
        result.status = status
        self.emit(
            DeploymentEvent(
                status=status,
                stack=result.name,
                kind=result.kind,
                account=result.account,
                account_name=result.account_name,
                phase=result.phase,
                **extra,
            )
        )

    @property
    def scheduling_stopped(self) -> bool:
        return (
            self.stop.is_set() or self.cancel.is_set() or self.failures > self.options.max_failures
        )

    def _attempt(
        self, result: StackRecord, began: str, outcome: Any, error: str | None = None
    ) -> None:
        number = len(result.attempts) + 1
        result.attempts.append(Attempt(number, began, utc_now(), outcome, error))

    # --- incremental runs: whether a stack runs at all ---------------------------------

    def outputs_of(self, stack: str) -> Mapping[str, Any]:
        """The stack's outputs as this run knows them: those its ``up`` in this run gave,
        else those the backend holds (read once), else none (no such stack)."""
        with self._outputs_lock:
            known = self._outputs.get(stack)
        if known is None:
            known = self.runner.outputs(stack) if stack in self.existing else {}
            with self._outputs_lock:
                known = self._outputs.setdefault(stack, known)
        return known

    def decide(self, spec: StackSpec) -> tuple[Decision, dict[str, str]]:
        """Whether an ``up``/``preview`` runs the stack, and its fingerprint now."""
        reads = earlier_reads(spec)
        if self.options.use_preview_role:  # compared with what an up deploys: the bootstrap role
            update = {"bootstrap_role_name": self.request.org.bootstrap_role_name}
            spec = replace(spec, config=spec.config.model_copy(update=update))
        expected = fingerprint(
            spec, self.build_inputs, {read.stack: self.outputs_of(read.stack) for read in reads}
        )
        if self.options.run_all:
            return Decision(True, "every stack runs (--all)"), expected
        previewed = sorted({read.stack for read in reads} & self._previewed)
        if previewed:
            # Their outputs may change with the up this preview previews.
            return Decision(True, f"reads outputs of {', '.join(previewed)}, previewed too"), (
                expected
            )
        exists = spec.name in self.existing
        recorded = self.outputs_of(spec.name).get(FINGERPRINT_OUTPUT) if exists else None
        return decide(expected, recorded, exists=exists), expected

    def left_unchanged(self, spec: StackSpec, result: StackRecord, reason: str) -> None:
        result.outputs = _exported(self.outputs_of(spec.name))
        result.reason = reason
        result.finished_at = utc_now()
        self.stack_event(result, "unchanged", reason=reason)
        self.checkpoint()

    def run_stack(self, spec: StackSpec, result: StackRecord) -> None:
        started = time.monotonic()
        result.started_at = utc_now()
        expected: dict[str, str] | None = None
        if self.request.verb in ("up", "preview"):
            try:
                decision, expected = self.decide(spec)
            except StackFailed as error:  # the stack's own operation says more, if it fails
                decision = Decision(True, f"its fingerprint could not be computed: {error}")
            result.reason = decision.reason
            if not decision.run:
                self.left_unchanged(spec, result, decision.reason)
                return
        with self._running_lock:
            self._running.add(spec.name)
        policy = self.options.retry
        locked = transient = 0
        record = expected if self.request.verb == "up" else None
        try:
            while True:
                attempt = len(result.attempts) + 1
                began = utc_now()
                self.stack_event(result, "running", attempt=attempt, reason=result.reason)
                self.checkpoint()  # a run killed from now on leaves this stack "running"
                try:
                    outcome = self.runner.run(spec, self.request.verb, fingerprint=record)
                except StackLocked as error:
                    locked += 1
                    self._attempt(result, began, "locked", str(error))
                    if locked > self.options.lock_retries:
                        raise StackFailed(
                            f"still locked after {locked} attempts: {error}"
                        ) from None
                    backoff = self.options.lock_backoff_seconds * 2 ** (locked - 1)
                    retried: Exception = error
                except StackTransient as error:
                    transient += 1
                    self._attempt(result, began, "transient", str(error))
                    if transient >= policy.attempts:
                        raise StackFailed(
                            f"{error}\n(a transient failure, {transient} attempts: giving up)"
                        ) from None
                    backoff = policy.backoff(transient)
                    retried = error
                except _ObserverFailed:
                    raise
                except Exception as error:
                    self._attempt(result, began, "failed", str(error) or type(error).__name__)
                    raise
                else:
                    self._attempt(result, began, "succeeded")
                    break
                self.stack_event(
                    result,
                    "retrying",
                    attempt=attempt,
                    error=str(retried),
                    duration_seconds=round(backoff, 3),
                )
                if self.stop.wait(backoff) or self.cancel.is_set():  # Ctrl-C ends the wait
                    raise StackFailed(f"not retried after the stop: {retried}") from None
            result.changes = dict(outcome.changes)
            result.steps = list(outcome.steps)
            result.outputs = _exported(outcome.outputs)
            result.warnings = list(outcome.warnings)
            if self.request.verb == "up":
                with self._outputs_lock:
                    self._outputs[spec.name] = outcome.outputs
            elif self.request.verb == "preview":
                with self._outputs_lock:
                    self._previewed.add(spec.name)
            result.duration_seconds = round(time.monotonic() - started, 3)
            result.finished_at = utc_now()
            self.stack_event(
                result,
                "succeeded",
                changes=result.changes,
                warnings=tuple(result.warnings),
                duration_seconds=result.duration_seconds,
                attempt=attempt,
            )
        except _ObserverFailed:
            raise
        except Exception as error:  # one failing stack never hides the others
            result.error = str(error) or type(error).__name__
            result.duration_seconds = round(time.monotonic() - started, 3)
            result.finished_at = utc_now()
            with self._running_lock:
                self.failures += 1
            self.stack_event(
                result,
                "failed",
                error=result.error,
                duration_seconds=result.duration_seconds,
                attempt=len(result.attempts) or None,
            )
        finally:
            with self._running_lock:
                self._running.discard(spec.name)
            self.checkpoint()

    def interrupt_running(self) -> None:
        """Send each in-flight stack the CLI's own graceful cancel (SIGINT)."""
        with self._running_lock:
            running = sorted(self._running)
        if running:
            self.emit(DeploymentEvent(status="interrupting", total=len(running)))
        for name in running:
            self.runner.interrupt(name)

    def run_phase(self, phase: int, stacks: list[tuple[StackSpec, StackRecord]]) -> None:
        kind = stacks[0][0].kind if stacks else None
        self.emit(
            DeploymentEvent(status="phase_started", phase=phase, kind=kind, total=len(stacks))
        )
        pending = list(stacks)
        in_flight: set[Future[None]] = set()
        interrupted = False
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
                done, in_flight = wait(in_flight, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()  # an error outside a stack's own (e.g. in on_event) aborts
                if self.cancel.is_set() and not interrupted:
                    interrupted = True
                    self.interrupt_running()
        self.emit(DeploymentEvent(status="phase_finished", phase=phase, total=len(stacks)))


def _exported(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """A stack's outputs as its record shows them: what the program exports for people and
    later phases, without orgctl's own fingerprint."""
    return {key: value for key, value in outputs.items() if key != FINGERPRINT_OUTPUT}


def _selected(plan: Iterable[StackSpec], options: DeploymentOptions) -> list[StackSpec]:
    chosen = [s for s in plan if not options.only or s.account_id in options.only]
    if options.resume_from is not None:
        # skipped: done in the run before the resumed one (a resume of a resume).
        done = {name for name, status in options.resume_from.items() if status in DONE_STATUSES}
        chosen = [s for s in chosen if s.name not in done]
    return chosen


def _check_only(plan: Sequence[StackSpec], options: DeploymentOptions) -> None:
    known = {spec.account_id for spec in plan}
    unknown = [account for account in options.only if account not in known]
    if unknown:
        raise InvalidRequest(
            f"--only names account(s) without a stack in this deployment: {', '.join(unknown)} "
            f"(the selection has {', '.join(sorted(known))})"
        )


def _account_names(org: OrgDeployment) -> dict[str, str]:
    return {account.id: account.name for account in org.accounts if account.name}


def _with_deploy_role(request: DeploymentRequest) -> OrgDeployment:
    """The org as the run reaches it: through the read-only preview role when asked."""
    if not request.options.use_preview_role:
        return request.org
    if request.verb != "preview":
        raise InvalidRequest(f"the preview role is for preview only, not {request.verb}")
    if request.org.preview_role_name is None:
        raise InvalidRequest("use_preview_role needs preview_role_name in the org file")
    # The preview role becomes the one every stack assumes; it is no longer a second role.
    return request.org.model_copy(
        update={"bootstrap_role_name": request.org.preview_role_name, "preview_role_name": None}
    )


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
    a signal handler or another thread) stops scheduling and lets in-flight stacks
    finish; ``cancel`` also interrupts the in-flight stacks the way Ctrl-C
    interrupts ``pulumi up`` (they stop gracefully and release their locks).
    Raises, before anything runs: ConfirmationRequired for ``destroy`` without
    ``yes``, InvalidRequest for an unknown ``only`` account, DiscoveryError /
    ConfigError for a bad selection. An unexpected error during the run (also in
    ``on_event``) raises DeploymentAborted carrying the result so far; in-flight
    stacks finish first.
    """
    if runner is None:
        from akeyless_gateway_org.run.pulumi_runner import (
            AutomationRunner,  # the edge, imported on demand
        )

        runner = AutomationRunner()
    options = request.options
    org = resolve_accounts(
        _with_deploy_role(request), organizations_client(request.org, request.environment)
    )
    whole_plan = plan_stacks(org)
    _check_only(whole_plan, options)
    plan = [spec for spec in whole_plan if options.holds(spec)]
    if request.verb == "destroy" and not options.yes:
        raise ConfirmationRequired(
            "destroy needs yes=True (--yes); it would destroy: "
            + ", ".join(s.name for s in sorted(_selected(plan, options), key=lambda s: -s.phase))
        )
    run = _Run(request, runner, on_event, stop or threading.Event(), cancel or threading.Event())
    result = DeploymentResult(
        verb=request.verb,
        stacks=[],
        organization=org.management_account_id,
        run_id=options.run_id,
        phase=options.phase,
        shard=None if options.shard is None else str(options.shard),
    )
    chosen = _selected(plan, options)
    runner.prepare(chosen, request.environment)
    run.build_inputs = runner.build_inputs()
    run.existing = set(runner.existing_stacks())
    names = _account_names(org)
    known = {spec.name for spec in whole_plan}
    if request.verb in ("up", "destroy"):
        result.removed = sorted(
            name
            for name in runner.existing_stacks()
            if name.split("-")[0] in MEMBER_KINDS and name not in known
        )
    results = {
        spec.name: StackRecord(
            spec.name, spec.kind, spec.account_id, spec.phase, names.get(spec.account_id)
        )
        for spec in chosen
    }
    # A resumed run keeps what already succeeded in its report, marked skipped.
    resumed = [
        StackRecord(
            s.name, s.kind, s.account_id, s.phase, names.get(s.account_id), status="skipped"
        )
        for s in plan
        if s.name not in results and (options.resume_from or {}).get(s.name) in DONE_STATUSES
    ]
    result.stacks = [*resumed, *results.values()]
    run.result = result
    try:
        _run_phases(run, result, chosen, results)
    except BaseException as error:  # KeyboardInterrupt too: the caller still gets the result
        cause = error.cause if isinstance(error, _ObserverFailed) else error
        result.error = str(cause) or type(cause).__name__
        _finish(run, result, announce=False)
        raise DeploymentAborted(result, cause) from cause
    finally:
        runner.finish()
    _finish(run, result, announce=True)
    return result


def _run_phases(
    run: _Run, result: DeploymentResult, chosen: list[StackSpec], results: dict[str, StackRecord]
) -> None:
    for spec in chosen:
        run.stack_event(results[spec.name], "queued")
    run.checkpoint(wait=True)  # the plan: what a run killed from now on never started
    phases = sorted({spec.phase for spec in chosen}, reverse=run.request.verb == "destroy")
    for phase in phases:
        if run.scheduling_stopped:
            break  # what is left stays not_run
        if run.options.prune and result.removed and phase == max(phases):
            _prune(run, result)  # removed accounts' stacks go with the member phase
        stacks = [(spec, results[spec.name]) for spec in chosen if spec.phase == phase]
        run.run_phase(phase, stacks)
        if any(r.status not in DONE_STATUSES for _, r in stacks):
            break  # a later phase needs every stack of the earlier ones


def _finish(run: _Run, result: DeploymentResult, *, announce: bool) -> None:
    """Mark what never ran, and (unless the display itself broke) say so and end the run."""
    result.interrupted = run.stop.is_set() or run.cancel.is_set()
    result.finished_at = utc_now()
    never_ran = [s for s in result.stacks if s.status in ("queued", "running", "retrying")]
    for stack_result in never_ran:
        if announce:
            run.stack_event(stack_result, "not_run")
        else:
            stack_result.status = "not_run"
    run.checkpoint(wait=True)
    if not announce:
        return
    if result.interrupted:
        run.emit(DeploymentEvent(status="stopping"))
    run.emit(
        DeploymentEvent(
            status="finished",
            ok=result.ok,
            counts=result.counts(),
            total=len(result.stacks),
        )
    )


def organizations_client(org: OrgDeployment, env: Mapping[str, str]) -> Any | None:
    """An Organizations client on a request's own AWS identity (``env``), when it carries one."""
    if org.discovery.source == "file" or not (
        env.get("AWS_PROFILE") or env.get("AWS_ACCESS_KEY_ID")
    ):
        return None  # the process's default credentials, as boto3 finds them
    import boto3  # the edge, imported on demand

    session = boto3.Session(
        profile_name=env.get("AWS_PROFILE"),
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=env.get("AWS_SESSION_TOKEN"),
        region_name=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
    )
    return session.client("organizations", endpoint_url=env.get("AWS_ENDPOINT_URL"))


def _prune(run: _Run, result: DeploymentResult) -> None:
    for name in result.removed:
        removed = StackRecord(name, name.split("-")[0], name.split("-", 1)[1], -1)
        result.stacks.append(removed)
        started = time.monotonic()
        removed.started_at = utc_now()
        run.stack_event(removed, "running")
        try:
            outcome = run.runner.destroy_removed(name)
        except Exception as error:
            removed.error = str(error)
            removed.finished_at = utc_now()
            run.failures += 1
            run.stack_event(removed, "failed", error=removed.error)
            run.checkpoint()
            continue
        removed.changes = dict(outcome.changes)
        removed.duration_seconds = round(time.monotonic() - started, 3)
        removed.finished_at = utc_now()
        run.stack_event(removed, "succeeded", changes=removed.changes)
        run.checkpoint()
