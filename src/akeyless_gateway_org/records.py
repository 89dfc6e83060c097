"""The one per-stack record, shared by the live run, the render, the review document and
the PR comment.

A live run fills a :class:`StackRecord` as each stack goes (status, changes, outputs,
the engine's planned steps); the offline render makes one per stack with what the
stack would deploy (its resources, each as a ``create`` step). The review document
and the PR comment read records only, so they never care which side made them, and
the two sides never import each other (the layers in ``pyproject.toml``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

SECRET_MASK = "[secret]"
"""What stands in for a secret wherever a record shows a value (the CLI prints the same)."""

Status = Literal[
    "queued",
    "running",
    "retrying",
    "succeeded",
    "unchanged",
    "failed",
    "not_run",
    "skipped",
    "rendered",
]
"""Where a stack is: the live run's statuses, or ``rendered`` (the offline render's).
``unchanged``: not run, since nothing it is built from changed since its last successful
``up`` (``run.incremental``); ``skipped``: done by the run a resumed run continues."""

DONE_STATUSES: tuple[Status, ...] = ("succeeded", "unchanged", "skipped")
"""The statuses of a stack that needs nothing more in this run."""

COUNTED_OPS = ("create", "update", "delete", "replace")
"""The operations a reviewer counts as changes."""


@dataclass(frozen=True)
class ResourceStep:
    """One resource's planned change."""

    op: str
    """create, update, delete, replace (create-replacement/delete-replaced fold into it), same."""
    type: str
    name: str
    diffs: Sequence[str] = ()
    """The properties that change (updates and replacements)."""
    old: Mapping[str, Any] | None = None
    """The inputs before (wire names, secrets masked)."""
    new: Mapping[str, Any] | None = None
    """The inputs after (wire names, secrets masked)."""


@dataclass(frozen=True)
class Attempt:
    """One try of a stack's operation in a live run."""

    number: int
    started_at: str
    finished_at: str
    outcome: Literal["succeeded", "failed", "transient", "locked"]
    """``transient`` and ``locked`` were retried (unless the attempts ran out)."""
    error: str | None = None


@dataclass
class StackRecord:
    """One stack: who it is, what happened to it, and what it deploys."""

    name: str
    kind: str
    """org, hub, member or account."""
    account: str
    phase: int
    account_name: str | None = None
    status: Status = "not_run"
    changes: dict[str, int] = field(default_factory=dict)
    """Resource changes by operation (``create``, ``update``, ``same``, ...)."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """up: the stack's outputs, secrets as ``[secret]``."""
    duration_seconds: float = 0.0
    started_at: str | None = None
    finished_at: str | None = None
    error: str | None = None
    reason: str | None = None
    """up/preview: why the stack ran, or was left ``unchanged`` (its fingerprint)."""
    warnings: list[str] = field(default_factory=list)
    steps: list[ResourceStep] = field(default_factory=list)
    """preview: each resource's planned step; render: each resource as a ``create``."""
    attempts: list[Attempt] = field(default_factory=list)
    """A live run: each try of the operation, retries included."""
    resources: list[dict[str, Any]] = field(default_factory=list)
    """render: what the stack registers, as ``render.json`` records it (``type``, ``name``,
    ``parent``, ``provider_account``, ``inputs`` with wire names, secrets masked)."""
    regions: tuple[str, ...] = ()
    compute: str | None = None
    """ec2, ecs or eks for a stack that runs a Gateway (render)."""
    tags: dict[str, str] = field(default_factory=dict)
    """The tags the stack puts on its resources (render)."""
    capabilities: tuple[str, ...] = ()
    """The account's enabled capabilities, each with its settings (render)."""

    @property
    def changed(self) -> bool:
        return any(self.changes.get(op) for op in COUNTED_OPS)

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> StackRecord:
        """The record a run report holds (:meth:`as_json`), read back (``orgctl report merge``).

        Raises KeyError or TypeError when ``document`` is not one.
        """
        fields = dict(document)
        fields["steps"] = [ResourceStep(**step) for step in fields.get("steps", [])]
        fields["attempts"] = [Attempt(**attempt) for attempt in fields.get("attempts", [])]
        return cls(**fields)

    def as_json(self) -> dict[str, Any]:
        """The record in a run report: the run's fields (the render writes its own)."""
        document = asdict(self)
        for render_only in ("resources", "regions", "compute", "tags", "capabilities"):
            del document[render_only]
        return document
