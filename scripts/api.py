"""The public API for portals and scripts: everything a caller needs, from one module.

::

    from scripts.api import (
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

The names below are the supported surface; the modules behind them may change.
"""

from __future__ import annotations

from config.validation import ConfigError, load_org_file, parse_org
from scripts.discovery import DiscoveryError, OrganizationsUnavailable
from scripts.orchestrator import (
    ConfirmationRequired,
    DeploymentAborted,
    DeploymentEvent,
    DeploymentOptions,
    DeploymentRequest,
    DeploymentResult,
    InvalidRequest,
    StackResult,
    load_report,
    run_deployment,
)
from scripts.pulumi_runner import (
    AutomationRunner,
    BackendNotReady,
    ProjectNotFound,
    PulumiCliMissing,
    SetupFailed,
)
from scripts.stack_runner import (
    VERBS,
    StackFailed,
    StackLocked,
    StackOutcome,
    StackRunner,
    Status,
    Verb,
)

__all__ = [
    "VERBS",
    "AutomationRunner",
    "BackendNotReady",
    "ConfigError",
    "ConfirmationRequired",
    "DeploymentAborted",
    "DeploymentEvent",
    "DeploymentOptions",
    "DeploymentRequest",
    "DeploymentResult",
    "DiscoveryError",
    "InvalidRequest",
    "OrganizationsUnavailable",
    "ProjectNotFound",
    "PulumiCliMissing",
    "SetupFailed",
    "StackFailed",
    "StackLocked",
    "StackOutcome",
    "StackResult",
    "StackRunner",
    "Status",
    "Verb",
    "load_org_file",
    "load_report",
    "parse_org",
    "run_deployment",
]
