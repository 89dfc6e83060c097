"""Fargate's CPU/memory table and the Gateway settings validated against it."""

from __future__ import annotations

import pytest

from akeyless_gateway_org.config.fargate_sizes import FARGATE_MEMORY_MIB, fargate_size_problem
from akeyless_gateway_org.config.validation import parse_org
from tests.conftest import example_document
from tests.test_config_validation import problems_of

# AWS, "Task CPU and memory" (Amazon ECS Developer Guide): per CPU value, the
# memory range in GiB and its step, as the page states them.
DOCUMENTED = {
    256: None,  # 512 MiB, 1 GB, 2 GB
    512: (1, 4, 1),
    1024: (2, 8, 1),
    2048: (4, 16, 1),
    4096: (8, 30, 1),
    8192: (16, 60, 4),
    16384: (32, 120, 8),
}


@pytest.mark.parametrize("cpu", DOCUMENTED)
def test_the_table_is_the_documented_ranges(cpu: int) -> None:
    documented = DOCUMENTED[cpu]
    if documented is None:
        expected = [512, 1024, 2048]
    else:
        low, high, step = documented
        expected = [gib * 1024 for gib in range(low, high + 1, step)]
    assert list(FARGATE_MEMORY_MIB[cpu]) == expected
    for memory in expected:
        assert fargate_size_problem(cpu, memory) is None


def test_a_size_between_the_steps_is_refused_naming_the_valid_ones() -> None:
    problem = fargate_size_problem(1024, 30720)  # passed validation before this table
    assert problem is not None
    assert "2048, 3072, 4096, 5120, 6144, 7168, 8192 MiB" in problem and "30720" in problem
    assert fargate_size_problem(8192, 17408) is not None  # 8 vCPU: 4 GiB steps
    unknown = fargate_size_problem(3000, 4096)
    assert unknown is not None and "256, 512, 1024, 2048, 4096, 8192, 16384" in unknown


def test_gateway_memory_must_fit_its_cpu() -> None:
    data = example_document()
    data["gateway"].update(cpu=1024, memory_mib=30720)
    problems = problems_of(data)
    assert "8192" in problems["gateway.memory_mib"]
    data["gateway"].update(cpu=4096, memory_mib=30720)
    assert parse_org(data).gateway.memory_mib == 30720
