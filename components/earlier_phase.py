"""Reading what an earlier phase's stack exported, tolerating its absence in a preview."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi

from akeyless_gateway_org.config.stack_config import StackConfigBase
from akeyless_gateway_org.errors import RunFailure

READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
"""The engine's builtin read of another stack's outputs (pkg/resource/deploy/builtins.go)."""
NOT_DEPLOYED_NOTE = "values from an earlier phase are unknown in this preview"
"""Starts the warning a preview logs when an earlier phase has not produced an output yet."""


class NotYetDeployed(RunFailure):
    """An earlier phase's stack, or one of its outputs, does not exist yet."""


def earlier_stack_outputs(config: StackConfigBase, stack: str) -> Mapping[str, Any] | None:
    """The outputs of an earlier phase's stack (``<owner>/<project>/<stack>``), or None
    when the backend has no such stack.

    The engine answers a ``pulumi.StackReference`` to a stack that does not exist
    with ``unknown stack "<name>"`` (``GetStackOutputs`` in pulumi/pulumi
    pkg/backend/backend.go, called by ``readStackReference`` in
    pkg/resource/deploy/builtins.go), in a preview too, and that failed read ends
    the program. The same builtin read as an invoke hands the error back to the
    program instead (``resmon.Invoke`` in pkg/resource/deploy/source_eval.go), so a
    preview can go on without the stack. A stack created but never updated has no
    outputs (an empty map).
    """
    name = f"{config.pulumi_organization}/{pulumi.get_project()}/{stack}"
    try:
        result = pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": name})
    except Exception as error:  # the SDK raises a plain Exception for a failed invoke
        if "unknown stack" not in str(error):
            raise
        return None
    value = result.value or {}
    return dict(value.get("outputs") or {})


class EarlierPhase:
    """What one earlier phase's stack exported, for the stacks after it.

    A value it has not produced yet (the stack never updated, or an account it
    does not bind yet) is unknown in a preview, with a warning naming what is
    missing, so the org-wide plan still shows; outside a preview it is an error
    (:class:`NotYetDeployed`).
    """

    def __init__(self, config: StackConfigBase, stack: str) -> None:
        self.stack = stack
        self.outputs = earlier_stack_outputs(config, stack)
        self._warned: set[str] = set()

    def plain(self, key: str, select: Callable[[Any], Any] = lambda value: value) -> Any:
        """Output ``key`` of the stack through ``select``, now; NotYetDeployed when missing."""
        if self.outputs is None:
            raise NotYetDeployed(
                f"the {self.stack} stack does not exist yet: run `up` on {self.stack} first"
            )
        if key not in self.outputs:
            raise NotYetDeployed(
                f"the {self.stack} stack has no output {key} yet: run `up` on {self.stack} first"
            )
        return select(self.outputs[key])

    def value(
        self, key: str, select: Callable[[Any], Any] = lambda value: value
    ) -> pulumi.Output[Any]:
        """:meth:`plain` as an output; in a preview, unknown (with a warning) when missing."""
        try:
            return pulumi.Output.from_input(self.plain(key, select))
        except NotYetDeployed as missing:
            if not pulumi.runtime.is_dry_run():
                raise
            if str(missing) not in self._warned:
                self._warned.add(str(missing))
                pulumi.log.warn(f"{NOT_DEPLOYED_NOTE}: {missing}")
            return unknown_output()


def unknown_output() -> pulumi.Output[Any]:
    """An output whose value is not known in this preview, like a resource's computed one."""

    async def value() -> None:
        return None

    async def known() -> bool:
        return False

    return pulumi.Output(set(), value(), known())
