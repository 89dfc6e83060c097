"""Drift: which deployed resources differ from their stack's state, account by account.

For every stack of the selection, a refresh preview (``StackRunner.drift``: ``pulumi refresh
--preview-only``) reads each resource back from its provider, through the providers the state
records, and never writes the state. Read-only, so it runs at any time, also beside an
``up``; it is what an ``up`` that left stacks ``unchanged`` (their fingerprint matched) does
not do::

    result = check_drift(DriftRequest(org=load_org_file(path)), on_event=queue.put)
    for stack in result.drifted: ...

Like :func:`~akeyless_gateway_org.run.orchestrator.run_deployment` it never prints or exits
and is safe in threads; ``on_event`` gets one :class:`DriftEvent` at a time.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.stacks import StackSpec, plan_stacks
from akeyless_gateway_org.discovery import resolve_accounts
from akeyless_gateway_org.run.orchestrator import (
    InvalidRequest,
    event_json,
    organizations_client,
    utc_now,
)
from akeyless_gateway_org.run.protocol import ResourceDrift, StackFailed, StackRunner

DriftStatus = Literal["clean", "drifted", "unchecked"]
"""A stack's verdict: nothing differs; something does; it could not be checked (not
deployed, or the refresh preview failed)."""


@dataclass(frozen=True)
class DriftRequest:
    """Check these stacks (``only``: their account IDs; empty: all), ``parallel`` at once.
    ``environment`` as for a deployment (``DeploymentRequest``), left out of ``repr``."""

    org: OrgDeployment
    only: tuple[str, ...] = ()
    parallel: int = 8
    environment: Mapping[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.parallel < 1:
            raise InvalidRequest(f"parallel must be at least 1, not {self.parallel}")


@dataclass
class StackDrift:
    """One stack's verdict and, when it drifted, each resource that differs and how."""

    name: str
    kind: str
    account: str
    account_name: str | None = None
    status: DriftStatus = "unchecked"
    resources: list[ResourceDrift] = field(default_factory=list)
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DriftEvent:
    """``checking`` a stack, its verdict (``clean``, ``drifted``, ``unchecked``), or
    ``finished`` (``stack`` None, ``counts`` of the verdicts)."""

    status: Literal["checking", "clean", "drifted", "unchecked", "finished"]
    stack: str | None = None
    account: str | None = None
    account_name: str | None = None
    resources: Sequence[ResourceDrift] = ()
    error: str | None = None
    counts: Mapping[str, int] = field(default_factory=dict)
    at: str = field(default_factory=utc_now)

    def as_json(self) -> dict[str, Any]:
        return event_json(self)


@dataclass
class DriftResult:
    stacks: list[StackDrift]

    @property
    def drifted(self) -> list[StackDrift]:
        return [stack for stack in self.stacks if stack.status == "drifted"]

    @property
    def unchecked(self) -> list[StackDrift]:
        return [stack for stack in self.stacks if stack.status == "unchecked"]

    def counts(self) -> dict[str, int]:
        """How many stacks have each status, in the order the statuses first come."""
        return dict(Counter(stack.status for stack in self.stacks))

    def as_report(self) -> dict[str, Any]:
        return {"counts": self.counts(), "stacks": [stack.as_json() for stack in self.stacks]}


def _check(runner: StackRunner, spec: StackSpec, verdict: StackDrift, exists: bool) -> None:
    if not exists:
        verdict.error = "not deployed: no such stack in the backend"
        return
    try:
        verdict.resources = list(runner.drift(spec.name))
    except StackFailed as error:
        verdict.error = str(error)
        return
    verdict.status = "drifted" if verdict.resources else "clean"


def check_drift(
    request: DriftRequest,
    on_event: Callable[[DriftEvent], None] | None = None,
    *,
    runner: StackRunner | None = None,
) -> DriftResult:
    """Check every selected stack for drift; raise InvalidRequest for an unknown ``only``."""
    if runner is None:
        from akeyless_gateway_org.run.pulumi_runner import AutomationRunner  # the edge

        runner = AutomationRunner()
    org = resolve_accounts(request.org, organizations_client(request.org, request.environment))
    plan = plan_stacks(org)
    unknown = sorted(set(request.only) - {spec.account_id for spec in plan})
    if unknown:
        raise InvalidRequest(f"--only names account(s) without a stack: {', '.join(unknown)}")
    chosen = [spec for spec in plan if not request.only or spec.account_id in request.only]
    names = {account.id: account.name for account in org.accounts if account.name}
    verdicts = [
        StackDrift(spec.name, spec.kind, spec.account_id, names.get(spec.account_id))
        for spec in chosen
    ]
    lock = threading.Lock()

    def emit(event: DriftEvent) -> None:
        if on_event is not None:
            with lock:
                on_event(event)

    runner.prepare(chosen, request.environment)
    try:
        existing = set(runner.existing_stacks())

        def check(spec: StackSpec, verdict: StackDrift) -> None:
            emit(DriftEvent("checking", spec.name, spec.account_id, verdict.account_name))
            _check(runner, spec, verdict, spec.name in existing)
            emit(
                DriftEvent(
                    verdict.status,
                    spec.name,
                    spec.account_id,
                    verdict.account_name,
                    resources=tuple(verdict.resources),
                    error=verdict.error,
                )
            )

        with ThreadPoolExecutor(max_workers=request.parallel) as pool:
            for future in [
                pool.submit(check, *pair) for pair in zip(chosen, verdicts, strict=True)
            ]:
                future.result()
    finally:
        runner.finish()
    result = DriftResult(verdicts)
    emit(DriftEvent("finished", counts=result.counts()))
    return result
