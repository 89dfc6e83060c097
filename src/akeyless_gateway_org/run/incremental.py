"""Incremental runs: whether a stack must run, decided before it runs, from plain data.

A stack's **fingerprint** is a digest per thing that decides what it deploys:

- ``config``: its settings as orgctl writes them (``stack_config_entries``);
- ``program``, ``dependencies``, ``pulumi``, ``policy``: what every stack of the run is built
  with (the runner's :meth:`~akeyless_gateway_org.run.protocol.StackRunner.build_inputs`:
  the program's source, the locked dependency set, the Pulumi CLI's version, the policy packs);
- ``earlier_outputs``: the values of the earlier phases' outputs its program reads
  (:func:`earlier_reads`), so a new hub Gateway URL reruns exactly the member stacks.

Every successful ``up`` records it in the stack's own state, as a stack output
(``FINGERPRINT_OUTPUT`` in components/stacks.py: the program exports what the runner hands it
for that ``up`` only), so it lives wherever the state lives (file, S3, Pulumi Cloud) and any
machine reads it back with the one ``pulumi stack output`` that also gives the outputs later
phases read. ``up`` and ``preview`` skip a stack whose recorded fingerprint equals the one
computed now (status ``unchanged``); ``DeploymentOptions(run_all=True)`` (``--all``) runs
every stack.

A secret the operator set by hand on a stack (``pulumi config set --secret``) is not part of
it (its value must not be digested into the state): after changing one, run that stack with
``--all --only ACCOUNT``. Skipping never hides drift, since nothing here reads the cloud:
``orgctl drift`` does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from akeyless_gateway_org.components.stacks import (
    GATEWAY_ACCESS_IDS,
    GATEWAY_HEALTH_URL,
    GATEWAY_URL,
)
from akeyless_gateway_org.config.stack_config import stack_config_entries
from akeyless_gateway_org.config.stacks import HUB_STACK, ORG_STACK, StackSpec

BUILD_PARTS = ("program", "dependencies", "pulumi", "policy")
"""The parts every stack of a run shares (the runner's ``build_inputs``)."""
PARTS = ("config", *BUILD_PARTS, "earlier_outputs")
"""Every part of a fingerprint, in the order a reason names them."""
_PART_NAMES = {
    "config": "its settings",
    "program": "the program's source",
    "dependencies": "the locked dependencies",
    "pulumi": "the Pulumi CLI version",
    "policy": "the policy packs",
    "earlier_outputs": "the earlier phases' outputs it reads",
}


def digest(value: Any) -> str:
    """SHA-256 of ``value`` as canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class EarlierRead:
    """One value a stack's program reads from an earlier phase's stack outputs."""

    stack: str
    output: str
    key: str | None = None
    """Only this entry of a map output (the stack's own account's access ID)."""

    def value(self, outputs: Mapping[str, Mapping[str, Any]]) -> Any:
        """The value as it is now in ``outputs`` (stack -> outputs); None when absent."""
        value = (outputs.get(self.stack) or {}).get(self.output)
        if self.key is not None:
            value = value.get(self.key) if isinstance(value, Mapping) else None
        return value


def earlier_reads(spec: StackSpec) -> tuple[EarlierRead, ...]:
    """What the stack's program reads from earlier phases (``EarlierPhase(...).value`` in
    components/stacks.py): a Gateway stack its own access ID from the org stack, a member
    stack the hub's Gateway and health URLs."""
    if spec.kind in ("hub", "account"):
        return (EarlierRead(ORG_STACK, GATEWAY_ACCESS_IDS, spec.account_id),)
    if spec.kind == "member":
        return (EarlierRead(HUB_STACK, GATEWAY_URL), EarlierRead(HUB_STACK, GATEWAY_HEALTH_URL))
    return ()


def fingerprint(
    spec: StackSpec,
    build_inputs: Mapping[str, str],
    earlier_outputs: Mapping[str, Mapping[str, Any]],
) -> dict[str, str]:
    """The stack's fingerprint: part name -> digest (or the CLI's version).

    ``build_inputs``: the runner's digests of :data:`BUILD_PARTS`; ``earlier_outputs``:
    stack name -> its current outputs, for the stacks :func:`earlier_reads` names.
    """
    entries = [
        (entry.key, entry.secret, None if entry.secret else entry.value)
        for entry in stack_config_entries(spec.config)
    ]
    reads = {
        f"{read.stack}.{read.output}" + (f".{read.key}" if read.key else ""): read.value(
            earlier_outputs
        )
        for read in earlier_reads(spec)
    }
    return {
        "config": digest(entries),
        **{part: str(build_inputs.get(part, "")) for part in BUILD_PARTS},
        "earlier_outputs": digest(reads),
    }


@dataclass(frozen=True)
class Decision:
    """Whether the stack runs, and why (a sentence for the events, report and views)."""

    run: bool
    reason: str


def decide(expected: Mapping[str, str], recorded: Any, *, exists: bool = True) -> Decision:
    """Run unless ``recorded`` (the stack's :data:`FINGERPRINT_OUTPUT`) equals ``expected``."""
    if not exists:
        return Decision(True, "a new stack")
    if not isinstance(recorded, Mapping):
        return Decision(True, "no fingerprint recorded (never updated by orgctl, or by hand since)")
    changed = [_PART_NAMES[part] for part in PARTS if recorded.get(part) != expected.get(part)]
    if changed:
        return Decision(True, "changed since its last up: " + ", ".join(changed))
    return Decision(False, "nothing it is built from changed since its last successful up")
