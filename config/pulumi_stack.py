"""Reading the running Pulumi stack's config into a :class:`StackConfig`."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from akeyless_gateway_org.config.stack_config import (
    SECRET_KEYS,
    SETTINGS_HINT,
    SETTINGS_KEY,
    StackConfig,
    parse_stack_config,
)
from akeyless_gateway_org.config.validation import ConfigError, Problem

KNOWN_KEYS = (SETTINGS_KEY, *SECRET_KEYS)


def project_config() -> dict[str, Any]:
    """Every config value of this project's namespace, keyed without the namespace."""
    prefix = f"{pulumi.get_project()}:"
    # The engine hands config over through the environment; mocks and the
    # Automation API's inline programs set it in the runtime.
    values = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return {
        key.removeprefix(prefix): value for key, value in values.items() if key.startswith(prefix)
    }


def _is_secret(key: str) -> bool:
    # The language host lists the secure keys in PULUMI_CONFIG_SECRET_KEYS; mocks and
    # inline programs set them in the runtime (pulumi sdk/python/lib/pulumi/runtime/config.py).
    return (
        runtime_config.is_config_secret(key) or key in runtime_config.get_config_secret_keys_env()
    )


def read_stack_config() -> StackConfig:
    """The current stack's config, validated; raises ConfigError naming each bad key."""
    source = f"config of stack {pulumi.get_stack()!r}"
    project = pulumi.get_project()
    unknown = sorted(set(project_config()) - set(KNOWN_KEYS))
    problems = [
        Problem(key, f"unknown key: this project reads {SETTINGS_KEY} ({SETTINGS_HINT})")
        for key in unknown
    ]
    config = pulumi.Config()
    try:
        settings = config.get_object(SETTINGS_KEY)
    except pulumi.ConfigTypeError:
        settings = None
        problems.append(Problem(SETTINGS_KEY, "must be an object of settings (not valid JSON)"))
    if settings is None and not problems:
        problems.append(
            Problem(SETTINGS_KEY, f"missing: set {project}:{SETTINGS_KEY} in the stack file")
        )
    secrets: dict[str, str] = {}
    for key in SECRET_KEYS:
        value = config.get(key)
        if value is None:
            continue
        secrets[key] = value
        if not _is_secret(f"{project}:{key}"):
            # Pulumi cannot enforce this itself: a typed `secret: true` project key is
            # required on every stack (pkg/workspace/config.go), and these are optional.
            problems.append(
                Problem(
                    key,
                    f"is in plain text: run `pulumi config set --secret {key}` "
                    "(the CLI encrypts it)",
                )
            )
    if problems:
        raise ConfigError(source, problems)
    return parse_stack_config(settings, secrets, source=source)
