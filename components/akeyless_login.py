"""How each stack logs in to Akeyless: the deployer's own login, or a per-account token.

- :class:`DeployerLogin` (:func:`login_of`): the deployer's access ID (an AWS IAM login
  signed by the deployer's own AWS identity, or an API key). The org stack logs in to
  Akeyless's API with it; in the centralized pattern the hub and member stacks log in at the
  hub Gateway with it, over TLS only (``stacks.login_url``).
- :class:`TokenLogin` (distributed): an Akeyless token for the account's own deployer
  access ID, obtained from Akeyless's API with a ``GetCallerIdentity`` signed by the
  account's bootstrap-role session (:func:`account_token_login`). That access ID's auth
  method is bound to the bootstrap role of that one account, and its access role reaches only
  that account's folder (``stacks.deployer_auth_plan``). The account's Gateway, which an
  admin of the account controls, sees only that token: it is worth what the account's admin
  can already reach. The provider takes it as ``token_login`` (terraform-provider-akeyless
  ``akeyless/provider.go``, ``getProviderToken``: the token is used as given, no login).

The token is fetched when the program runs an ``up`` only: a preview, and the offline render
under mocks, never log in. A preview keeps the token in the state (the provider's
``tokenLogins`` is ignored there, so the plan of the Akeyless objects is computed with a
configured provider and shows no change of the login); a new stack's preview has
:data:`PREVIEW_TOKEN`, which logs in to nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

import pulumi
from pulumi.runtime import mocks

from akeyless_gateway_org.components.akeyless_api import login_token
from akeyless_gateway_org.config.model import LoginMethod
from akeyless_gateway_org.config.stack_config import StackConfigBase
from akeyless_gateway_org.config.validation import ConfigError, Problem

LOGIN_IN_PREVIEW_VARIABLE = "ORGCTL_AKEYLESS_LOGIN"
"""Set to ``1`` by orgctl for a drift check (``pulumi refresh --preview-only --run-program``),
whose reads need a live token although the engine runs it as a preview."""
PREVIEW_TOKEN = "preview-without-login"
"""A new stack's token in a preview: the plan needs a known provider config, never a login."""


@dataclass(frozen=True)
class DeployerLogin:
    """How the deployment logs in to Akeyless as the deployer.

    ``access_id``/``access_key`` of None mean: read ``AKEYLESS_ACCESS_ID`` /
    ``AKEYLESS_ACCESS_KEY`` when the step runs, so the key never enters the state.
    """

    kind: LoginMethod
    access_id: str | None
    access_key: pulumi.Output[str] | None


@dataclass(frozen=True)
class TokenLogin:
    """A token for one account's deployer access ID (``access_id``); a Pulumi secret."""

    access_id: pulumi.Output[str]
    token: pulumi.Output[str]
    kind: Literal["token"] = "token"


Login = DeployerLogin | TokenLogin


def login_of(config: StackConfigBase) -> DeployerLogin:
    """How this stack logs in; refused when the environment would log in as someone else.

    Without a configured key the provider logs in as ``AKEYLESS_ACCESS_ID``
    (terraform-provider-akeyless ``akeyless/login.go``), and the Gateways allow
    ``login_access_id``: the two must be one access ID.
    """
    settings = config.akeyless
    key = config.akeyless_access_key
    from_env = os.environ.get("AKEYLESS_ACCESS_ID")
    if (
        settings.login == "api_key"
        and key is None
        and from_env not in (None, "", settings.login_access_id)
    ):
        raise ConfigError(
            f"config of stack {config.stack_kind} {config.account_id}",
            [
                Problem(
                    "akeylessLoginAccessId",
                    f"is {settings.login_access_id}, but AKEYLESS_ACCESS_ID is {from_env}: the "
                    "Gateways allow only the first, so the deployment would be refused",
                )
            ],
        )
    return DeployerLogin(
        kind=settings.login,
        access_id=settings.login_access_id,
        access_key=pulumi.Output.secret(key) if key is not None else None,
    )


def logs_in_for_real() -> bool:
    """True on the engine in an ``up``, a ``destroy`` or ``refresh`` that runs the program
    (orgctl passes ``--run-program`` for account stacks: the provider's token in the state
    has expired), and a drift check; False in a preview and under mocks (the render)."""
    if isinstance(pulumi.runtime.settings.get_monitor(), mocks.MockMonitor):
        return False
    return not pulumi.runtime.is_dry_run() or os.environ.get(LOGIN_IN_PREVIEW_VARIABLE) == "1"


def account_token_login(*, api_url: str, access_id: str, bootstrap_role_arn: str) -> TokenLogin:
    """A token for ``access_id``, logged in to Akeyless at ``api_url`` (the deployer's
    allow-listed API, never a Gateway) as a session of ``bootstrap_role_arn``; now, so a
    failed login ends the program with its message (``AkeylessApiError``), not a traceback."""
    token = login_token(
        api_url=api_url, login="aws_iam", access_id=access_id, signed_as=bootstrap_role_arn
    )
    return TokenLogin(
        access_id=pulumi.Output.from_input(access_id), token=pulumi.Output.secret(token)
    )


def preview_token_login(access_id: pulumi.Output[str]) -> TokenLogin:
    """The login of a preview or a render: :data:`PREVIEW_TOKEN`, no call."""
    return TokenLogin(access_id=access_id, token=pulumi.Output.secret(PREVIEW_TOKEN))
