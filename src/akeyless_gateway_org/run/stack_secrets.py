"""Secrets the org file never holds, set on an account's stack: ``orgctl secrets set``.

The current secret access key of each IAM user whose key Akeyless rotates
(``rotated_access_keys``) is handed over once, by the operator, as the stack's secret
config ``rotatedAccessKeySecrets``: a JSON object ``{"<user>": "<secret access key>"}``.
:func:`set_rotated_access_key_secrets` writes it through the stack's own secrets
provider, the value on the CLI's stdin (``AutomationRunner.set_stack_secret``), so it
is never on a command line, in a log, or in clear in the state.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.stack_config import ROTATED_SECRETS_KEY, CapabilityStackConfig
from akeyless_gateway_org.config.stacks import StackSpec, plan_stacks
from akeyless_gateway_org.errors import InvalidInput
from akeyless_gateway_org.run.pulumi_runner import AutomationRunner


class SecretsInvalid(InvalidInput):
    """The account or the secrets given do not match the org file's rotated users."""


def rotating_stack(org: OrgDeployment, account_id: str) -> tuple[StackSpec, CapabilityStackConfig]:
    """The member or account stack of ``account_id`` that rotates access keys, and its config."""
    for spec in plan_stacks(org):
        if spec.account_id == account_id and isinstance(spec.config, CapabilityStackConfig):
            if not spec.config.rotated_access_keys.enabled:
                raise SecretsInvalid(
                    f"account {account_id}: rotated_access_keys is not enabled in the org file"
                )
            return spec, spec.config
    raise SecretsInvalid(f"account {account_id} is not a member or account stack of the org file")


def set_rotated_access_key_secrets(
    org: OrgDeployment,
    account_id: str,
    secrets: Mapping[str, str],
    *,
    runner: AutomationRunner | None = None,
    environment: Mapping[str, str] | None = None,
) -> str:
    """Set the account stack's ``rotatedAccessKeySecrets``; return the stack's name.

    ``secrets``: user name -> current secret access key, one for each user of the
    account's ``rotated_access_keys`` (no more, no less). ``environment``: the CLI's
    (the backend's credentials and passphrase); default ``os.environ``.
    Raises SecretsInvalid before anything is written.
    """
    spec, config = rotating_stack(org, account_id)
    users = set(config.rotated_access_keys.user_names)
    if set(secrets) != users or not all(isinstance(v, str) and v for v in secrets.values()):
        raise SecretsInvalid(
            f"account {account_id}: give a non-empty secret access key for exactly the users "
            f"{', '.join(sorted(users))}; given: {', '.join(sorted(map(str, secrets))) or 'none'}"
        )
    runner = runner or AutomationRunner()
    runner.set_stack_secret(
        spec, ROTATED_SECRETS_KEY, json.dumps(dict(secrets)), environment or dict(os.environ)
    )
    return spec.name
