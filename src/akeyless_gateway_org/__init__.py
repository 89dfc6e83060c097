"""The public API for portals and scripts: everything a caller needs, from one module.

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

The names below are the supported surface; the modules behind them may change.
"""

from __future__ import annotations

from akeyless_gateway_org.config.validation import ConfigError, load_org_file, parse_org
from akeyless_gateway_org.discovery import DiscoveryError, OrganizationsUnavailable
from akeyless_gateway_org.run.orchestrator import (
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
from akeyless_gateway_org.run.protocol import (
    VERBS,
    StackFailed,
    StackLocked,
    StackOutcome,
    StackRunner,
    Status,
    Verb,
)
from akeyless_gateway_org.run.pulumi_runner import (
    AutomationRunner,
    BackendNotReady,
    ProjectNotFound,
    PulumiCliMissing,
    SetupFailed,
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
