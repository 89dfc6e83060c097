"""Reading the running Pulumi stack's config into a :class:`StackConfig`."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from config.stack_config import StackConfig, parse_stack_config


def project_config() -> dict[str, Any]:
    """Every config value of this project's namespace, keyed without the namespace."""
    prefix = f"{pulumi.get_project()}:"
    # The engine hands config over through the environment; mocks and the
    # Automation API's inline programs set it in the runtime.
    values = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return {
        key.removeprefix(prefix): value for key, value in values.items() if key.startswith(prefix)
    }


def read_stack_config() -> StackConfig:
    """The current stack's config, validated; raises ConfigError naming each bad key."""
    return parse_stack_config(project_config(), source=f"config of stack {pulumi.get_stack()!r}")
