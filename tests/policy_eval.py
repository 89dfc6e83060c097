"""A tiny IAM evaluator for tests: which (action, resource) pairs a policy allows.

Conditions are ignored (they only narrow a grant), which is what the coverage
and breadth checks need: a statement's actions and resources as patterns.
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def grants(policy: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every (action pattern, resource pattern) an Allow statement names."""
    for statement in policy["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        for action in _as_list(statement["Action"]):
            for resource in _as_list(statement["Resource"]):
                yield action, resource


def allows_action(policy: dict[str, Any], action: str) -> bool:
    return any(fnmatchcase(action.lower(), a.lower()) for a, _ in grants(policy))


def resources_for(policy: dict[str, Any], action: str) -> list[str]:
    return [r for a, r in grants(policy) if fnmatchcase(action.lower(), a.lower())]


def within(resource: str, patterns: list[str]) -> bool:
    """True if the resource pattern is no broader than one of ``patterns``."""
    return any(fnmatchcase(resource, pattern) for pattern in patterns)
