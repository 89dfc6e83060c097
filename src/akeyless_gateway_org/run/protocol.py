"""What the orchestrator and a stack runner share: the runner protocol and its data.

``run.orchestrator`` schedules stacks and ``run.pulumi_runner`` runs
them with ``pulumi.automation``; both import this module and neither imports
the other, so the orchestrator is usable with any runner (tests use fakes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from akeyless_gateway_org.config.stacks import StackSpec
from akeyless_gateway_org.errors import RunFailure
from akeyless_gateway_org.records import ResourceStep

Verb = Literal["preview", "up", "refresh", "destroy"]
VERBS: tuple[Verb, ...] = ("preview", "up", "refresh", "destroy")


class StackLocked(RunFailure):
    """Another update holds the stack's lock (``ConcurrentUpdateError``)."""


class StackFailed(RunFailure):
    """The stack's operation failed; the message says why (never a secret)."""


class StackTransient(StackFailed):
    """Failed for a reason that passes (throttling, a 5xx, a timeout or reset, a Gateway not
    healthy yet: ``faults.classify``); the orchestrator retries it by its retry policy."""


@dataclass(frozen=True)
class StackOutcome:
    """What a runner reports for one successful stack operation."""

    changes: Mapping[str, int] = field(default_factory=dict)
    """Resource changes by operation (``create``, ``update``, ``delete``, ``same``, ...)."""
    steps: Sequence[ResourceStep] = ()
    """preview: each resource's planned step (from the engine's events, secrets masked)."""
    outputs: Mapping[str, Any] = field(default_factory=dict)
    """up: the stack's outputs, each secret one as ``[secret]``."""
    warnings: Sequence[str] = ()
    """Something the operator must know although the stack succeeded (a stale lock removed)."""


@dataclass(frozen=True)
class PropertyDrift:
    """One property of a resource that differs between the state and the cloud."""

    name: str
    state: Any
    """As the stack's state holds it (secrets as ``[secret]``)."""
    cloud: Any
    """As the provider reads it now (secrets as ``[secret]``)."""


@dataclass(frozen=True)
class ResourceDrift:
    """A resource whose cloud side differs from the stack's state."""

    type: str
    name: str
    op: str
    """What a refresh would do to the state: ``update`` (changed) or ``delete`` (gone)."""
    properties: Sequence[PropertyDrift] = ()


class StackRunner(Protocol):
    """Runs one stack operation; thread-safe. See ``scripts.pulumi_runner``."""

    def prepare(self, stacks: Sequence[StackSpec], environment: Mapping[str, str]) -> None:
        """Once, before anything runs in parallel (CLI check, plugin install).

        ``environment``: variables every CLI child of this run gets on top of the
        process's own (AWS profile or keys, backend URL, passphrase, Akeyless login).
        """

    def existing_stacks(self) -> list[str]:
        """The short names of the project's stacks in the backend, as of ``prepare``."""

    def build_inputs(self) -> Mapping[str, str]:
        """After ``prepare``: what every stack of the run is built with, for the stacks'
        fingerprints (``run.incremental.BUILD_PARTS``: digests of the program's source, the
        locked dependencies and the policy packs; the Pulumi CLI's version)."""

    def run(
        self, spec: StackSpec, verb: Verb, *, fingerprint: Mapping[str, str] | None = None
    ) -> StackOutcome:
        """Write the stack's config and run ``verb``; raise StackLocked, StackTransient or
        StackFailed. Locks and pending operations left by an update that provably no longer
        runs are cleared first, and said so in the outcome's warnings (or the error).

        ``fingerprint`` (``up`` only): recorded with the update, as the stack output
        ``run.incremental.FINGERPRINT_OUTPUT``, which ``outputs`` then returns."""

    def outputs(self, stack: str) -> Mapping[str, Any]:
        """The stack's current outputs in the backend, each secret one as ``[secret]``.

        Reads, never changes, the stack; raise StackFailed when it does not exist. One
        cheap read: the orchestrator makes it for every stack an ``up`` or ``preview``
        might leave unchanged.
        """

    def drift(self, stack: str) -> Sequence[ResourceDrift]:
        """Each resource of the stack whose cloud side differs from its state: a refresh
        preview, which reads every resource from its provider and never writes the state.
        Raise StackFailed when it cannot be checked."""

    def destroy_removed(self, stack: str) -> StackOutcome:
        """Destroy a stack whose account left the selection, then remove it."""

    def interrupt(self, stack: str) -> None:
        """Ask the stack's running operation to stop gracefully (the CLI's own Ctrl-C)."""

    def finish(self) -> None:
        """Once, after the run (also one that failed): release what ``prepare`` took."""
