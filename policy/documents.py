"""The one reader of "is this an IAM policy document".

Providers take a policy document as JSON text (``aws.iam.Role.assume_role_policy``,
``aws.iam.RolePolicy.policy``); the engine and the render may hand it over parsed.
Both are read here, for the policy rules and for every review output.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def policy_document(value: Any) -> dict[str, Any] | None:
    """The IAM policy document ``value`` is (JSON text or a mapping with a ``Statement``),
    parsed; None when it is not one."""
    if isinstance(value, str):
        if not value.startswith("{"):
            return None
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    if isinstance(value, Mapping) and "Statement" in value:
        return dict(value)
    return None
