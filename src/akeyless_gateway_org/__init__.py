"""The Akeyless Gateway across an AWS Organization: the public API for portals and scripts.

::

    from akeyless_gateway_org import (
        AutomationRunner, DeploymentOptions, DeploymentRequest, load_org_file, run_deployment,
    )

    result = run_deployment(
        DeploymentRequest(
            org=load_org_file(path),
            verb="preview",
            options=DeploymentOptions(parallel=8),
            environment={"AWS_PROFILE": "org-a", "PULUMI_CONFIG_PASSPHRASE_FILE": "/run/pp"},
        ),
        on_event=lambda event: queue.put(event.as_json()),
        runner=AutomationRunner(project_dir=checkout, state_dir=Path("/var/lib/portal/org-a")),
    )

Every error is an :class:`OrgError`: :class:`InvalidInput` (fix the input) or
:class:`RunFailure` (the run could not start or finish); the classes below refine them.

The names in ``__all__`` are the supported surface; the modules behind them may change.
Each is imported on first use (PEP 562 ``__getattr__``), so importing a sub-package (the
Pulumi program imports ``akeyless_gateway_org.components``) does not load the run side.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from akeyless_gateway_org.config.validation import ConfigError, load_org_file, parse_org
    from akeyless_gateway_org.discovery import (
        DiscoveryError,
        OrganizationsUnavailable,
        SelectionError,
    )
    from akeyless_gateway_org.errors import InvalidInput, OrgError, RunFailure
    from akeyless_gateway_org.records import ResourceStep, StackRecord, Status
    from akeyless_gateway_org.run.drift import (
        DriftEvent,
        DriftRequest,
        DriftResult,
        StackDrift,
        check_drift,
    )
    from akeyless_gateway_org.run.orchestrator import (
        ConfirmationRequired,
        DeploymentAborted,
        DeploymentEvent,
        DeploymentOptions,
        DeploymentRequest,
        DeploymentResult,
        InvalidRequest,
        load_report,
        run_deployment,
        write_report,
    )
    from akeyless_gateway_org.run.preflight import AwsIdentityMissing
    from akeyless_gateway_org.run.protocol import (
        VERBS,
        PropertyDrift,
        ResourceDrift,
        StackFailed,
        StackLocked,
        StackOutcome,
        StackRunner,
        StackTransient,
        Verb,
    )
    from akeyless_gateway_org.run.pulumi_runner import (
        AutomationRunner,
        BackendNotReady,
        ProjectNotFound,
        PulumiCliMissing,
        SetupFailed,
    )
    from akeyless_gateway_org.run.report_merge import ReportsDisagree, merge_reports
    from akeyless_gateway_org.run.shards import InvalidShard, Shard
    from akeyless_gateway_org.run.stack_secrets import (
        SecretsInvalid,
        set_rotated_access_key_secrets,
    )
    from akeyless_gateway_org.verify.akeyless_reader import AkeylessSdkReader
    from akeyless_gateway_org.verify.aws_reader import Boto3IamReader
    from akeyless_gateway_org.verify.check import (
        PreviewRoleMissing,
        akeyless_reader_for,
        aws_reader_for,
        verify_org,
    )
    from akeyless_gateway_org.verify.model import Finding, ReadFailed, Unchecked, VerifyResult

_HOME: dict[str, tuple[str, ...]] = {
    "akeyless_gateway_org.errors": ("InvalidInput", "OrgError", "RunFailure"),
    "akeyless_gateway_org.config.validation": ("ConfigError", "load_org_file", "parse_org"),
    "akeyless_gateway_org.discovery": (
        "DiscoveryError",
        "OrganizationsUnavailable",
        "SelectionError",
    ),
    "akeyless_gateway_org.run.orchestrator": (
        "ConfirmationRequired",
        "DeploymentAborted",
        "DeploymentEvent",
        "DeploymentOptions",
        "DeploymentRequest",
        "DeploymentResult",
        "InvalidRequest",
        "load_report",
        "run_deployment",
        "write_report",
    ),
    "akeyless_gateway_org.records": ("ResourceStep", "StackRecord", "Status"),
    "akeyless_gateway_org.run.drift": (
        "DriftEvent",
        "DriftRequest",
        "DriftResult",
        "StackDrift",
        "check_drift",
    ),
    "akeyless_gateway_org.run.protocol": (
        "VERBS",
        "PropertyDrift",
        "ResourceDrift",
        "StackFailed",
        "StackLocked",
        "StackOutcome",
        "StackRunner",
        "StackTransient",
        "Verb",
    ),
    "akeyless_gateway_org.run.report_merge": ("ReportsDisagree", "merge_reports"),
    "akeyless_gateway_org.run.shards": ("InvalidShard", "Shard"),
    "akeyless_gateway_org.run.pulumi_runner": (
        "AutomationRunner",
        "BackendNotReady",
        "ProjectNotFound",
        "PulumiCliMissing",
        "ResourceStep",
        "SetupFailed",
    ),
    "akeyless_gateway_org.verify.akeyless_reader": ("AkeylessSdkReader",),
    "akeyless_gateway_org.verify.aws_reader": ("Boto3IamReader",),
    "akeyless_gateway_org.verify.check": (
        "PreviewRoleMissing",
        "akeyless_reader_for",
        "aws_reader_for",
        "verify_org",
    ),
    "akeyless_gateway_org.verify.model": ("Finding", "ReadFailed", "Unchecked", "VerifyResult"),
    "akeyless_gateway_org.run.preflight": ("AwsIdentityMissing",),
    "akeyless_gateway_org.run.stack_secrets": ("SecretsInvalid", "set_rotated_access_key_secrets"),
}
_MODULE_OF = {name: module for module, names in _HOME.items() for name in names}

# The same names as _HOME, listed for readers and linters (a test holds them equal).
__all__ = [
    "VERBS",
    "AkeylessSdkReader",
    "AutomationRunner",
    "AwsIdentityMissing",
    "BackendNotReady",
    "Boto3IamReader",
    "ConfigError",
    "ConfirmationRequired",
    "DeploymentAborted",
    "DeploymentEvent",
    "DeploymentOptions",
    "DeploymentRequest",
    "DeploymentResult",
    "DiscoveryError",
    "DriftEvent",
    "DriftRequest",
    "DriftResult",
    "Finding",
    "InvalidInput",
    "InvalidRequest",
    "InvalidShard",
    "OrgError",
    "OrganizationsUnavailable",
    "PreviewRoleMissing",
    "ProjectNotFound",
    "PropertyDrift",
    "PulumiCliMissing",
    "ReadFailed",
    "ReportsDisagree",
    "ResourceDrift",
    "ResourceStep",
    "RunFailure",
    "SecretsInvalid",
    "SelectionError",
    "SetupFailed",
    "Shard",
    "StackDrift",
    "StackFailed",
    "StackLocked",
    "StackOutcome",
    "StackRecord",
    "StackRunner",
    "StackTransient",
    "Status",
    "Unchecked",
    "Verb",
    "VerifyResult",
    "akeyless_reader_for",
    "aws_reader_for",
    "check_drift",
    "load_org_file",
    "load_report",
    "merge_reports",
    "parse_org",
    "run_deployment",
    "set_rotated_access_key_secrets",
    "verify_org",
    "write_report",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return [*globals(), *__all__]
