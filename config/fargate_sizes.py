"""The CPU and memory combinations a Fargate task may have, as a pure table.

ECS rejects a task definition whose task-level ``cpu``/``memory`` pair is not
one of these (AWS, "Task CPU and memory", Amazon ECS Developer Guide:
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
and the ``RegisterTaskDefinition`` ``memory`` parameter). pulumi-awsx keeps the
same table (``awsx/ecs/fargateMemoryAndCpu.ts``); 8 and 16 vCPU need Linux
platform version 1.4.0 or later, which is the default.
"""

from __future__ import annotations

MIB_PER_GIB = 1024


def _steps(first_gib: int, last_gib: int, step_gib: int) -> tuple[int, ...]:
    return tuple(gib * MIB_PER_GIB for gib in range(first_gib, last_gib + 1, step_gib))


FARGATE_MEMORY_MIB: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: _steps(1, 4, 1),
    1024: _steps(2, 8, 1),
    2048: _steps(4, 16, 1),
    4096: _steps(8, 30, 1),
    8192: _steps(16, 60, 4),
    16384: _steps(32, 120, 8),
}
"""Task CPU units -> the memory sizes (MiB) Fargate accepts with it."""


def fargate_size_problem(cpu: int, memory_mib: int) -> str | None:
    """Why Fargate would reject ``cpu`` with ``memory_mib``, naming the valid values; or None."""
    if cpu not in FARGATE_MEMORY_MIB:
        valid_cpu = ", ".join(map(str, FARGATE_MEMORY_MIB))
        return f"Fargate task CPU must be one of {valid_cpu} units, got {cpu}"
    valid = FARGATE_MEMORY_MIB[cpu]
    if memory_mib not in valid:
        return (
            f"Fargate runs {cpu} CPU units with one of {', '.join(map(str, valid))} MiB "
            f"of memory, got {memory_mib}"
        )
    return None
