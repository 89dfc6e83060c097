"""Two deployment steps that are API calls, not Akeyless objects, as dynamic resources.

Modelling them as resources puts them in the dependency graph (the engine runs
them in order, during ``up`` only, never during ``preview``) and keeps the
program free of network calls, so the offline render stays offline:

- :class:`GatewayHealth` waits for the Gateway's ``GET /health`` and passes its
  API URL on; the Gateway's provider takes that URL, so nothing is created
  through a Gateway that is not answering yet.
- :class:`GeneratedExternalId` reads the External ID Akeyless generated for a
  Target (nothing else returns it) as a secret output, for the member role's
  trust policy. ``pulumi refresh`` reads it again.
- :class:`RotationSchedule` sets a rotated secret's interval, auto-rotation and region
  through the Gateway, sending only those: the provider's own update of the secret would
  send the key pair it took over again (``akeyless_objects.AccountSecrets``).

Credentials never become inputs except a configured access key or an account's token
(``akeyless_login.TokenLogin``), both Pulumi secrets; keys from the environment are read when
the step runs.
"""

from __future__ import annotations

import os
from typing import Any

import pulumi
from pulumi.dynamic import (
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from akeyless_gateway_org.components.akeyless_api import (
    AkeylessApiError,
    login_token,
    read_generated_external_id,
    update_rotation_schedule,
    wait_for_gateway_health,
)
from akeyless_gateway_org.components.akeyless_login import Login, TokenLogin

DYNAMIC_MODULE = "akeyless_gateway"
GATEWAY_HEALTH_TYPE = f"pulumi-python:dynamic/{DYNAMIC_MODULE}:GatewayHealth"
EXTERNAL_ID_TYPE = f"pulumi-python:dynamic/{DYNAMIC_MODULE}:GeneratedExternalId"
ROTATION_SCHEDULE_TYPE = f"pulumi-python:dynamic/{DYNAMIC_MODULE}:RotationSchedule"


class _ReplacingProvider(ResourceProvider):
    """A step that is redone (replaced) when one of its ``REPLACE_ON`` inputs changes,
    and updated in place (``update``) when only ``UPDATE_ON`` inputs change."""

    REPLACE_ON: tuple[str, ...] = ()
    UPDATE_ON: tuple[str, ...] = ()

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        def changed(keys: tuple[str, ...]) -> list[str]:
            return [key for key in keys if olds.get(key) != news.get(key)]

        replaces, updates = changed(self.REPLACE_ON), changed(self.UPDATE_ON)
        return DiffResult(
            changes=bool(replaces or updates), replaces=replaces, delete_before_replace=False
        )


class _GatewayHealthProvider(_ReplacingProvider):
    REPLACE_ON = ("api_url", "health_url")

    def create(self, props: dict[str, Any]) -> CreateResult:
        wait_for_gateway_health(
            props["health_url"], timeout_seconds=float(props["timeout_seconds"])
        )
        return CreateResult(id_=props["health_url"], outs=props)


class GatewayHealth(Resource, module=DYNAMIC_MODULE, name="GatewayHealth"):
    """Completes once the Gateway answers ``GET health_url``; output ``api_url``."""

    api_url: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        api_url: pulumi.Input[str],
        health_url: pulumi.Input[str],
        timeout_seconds: int,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {"api_url": api_url, "health_url": health_url, "timeout_seconds": timeout_seconds}
        super().__init__(_GatewayHealthProvider(), name, props, opts)


def _env(name: str, what: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise AkeylessApiError(f"no {what}: set {name} or the stack's config")
    return value


def _login_props(login: Login) -> dict[str, Any]:
    """A login as a dynamic resource's inputs (read back by :func:`_login`); the access key and
    the token secrets in the state. Never compared by a diff: a new token is not a change."""
    if isinstance(login, TokenLogin):
        return {"login": login.kind, "access_id": login.access_id, "token": login.token}
    return {
        "login": login.kind,
        "access_id": login.access_id,
        "access_key": pulumi.Output.secret(login.access_key) if login.access_key else None,
    }


def _login(props: dict[str, Any]) -> str:
    """A token for the step's login: the account's own token as given, or the deployer's."""
    login = props["login"]
    if login == "token":
        return str(props["token"])
    access_id = props.get("access_id") or _env("AKEYLESS_ACCESS_ID", "Akeyless access ID")
    access_key = None
    if login == "api_key":
        access_key = props.get("access_key") or _env("AKEYLESS_ACCESS_KEY", "Akeyless access key")
    return login_token(
        api_url=props["api_url"], login=login, access_id=access_id, access_key=access_key
    )


def _read_external_id(props: dict[str, Any]) -> str:
    return read_generated_external_id(
        api_url=props["api_url"],
        token=_login(props),
        target_name=props["target_name"],
        account_id=props["account_id"],
    )


class _ExternalIdProvider(_ReplacingProvider):
    REPLACE_ON = ("api_url", "target_name")
    # Any change of the target may regenerate its External ID: the provider re-sends
    # generate_external_id=true on every in-place update (terraform-provider-akeyless
    # akeyless/resource_aws_target.go, resourceAwsTargetUpdate), and the target's ID,
    # its name, does not change then.
    UPDATE_ON = ("target_id", "target_inputs")

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(
            id_=props["target_name"], outs={**props, "external_id": _read_external_id(props)}
        )

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Read the ID again; the output, and so the member role's trust, changes only if
        it differs from the one in state (the engine compares old and new outputs)."""
        return UpdateResult(outs={**news, "external_id": _read_external_id(news)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, {**props, "external_id": _read_external_id(props)})


class GeneratedExternalId(Resource, module=DYNAMIC_MODULE, name="GeneratedExternalId"):
    """The External ID of an AWS Target created with ``generate_external_id``; a secret.

    ``target_inputs``: a fingerprint of the Target's inputs; when it changes the ID
    is read again.
    """

    external_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        api_url: pulumi.Input[str],
        target_name: pulumi.Input[str],
        target_id: pulumi.Input[str],
        target_inputs: pulumi.Input[str],
        account_id: str,
        login: Login,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "api_url": api_url,
            "target_name": target_name,
            "target_id": target_id,
            "target_inputs": target_inputs,
            "account_id": account_id,
            **_login_props(login),
            "external_id": None,
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=["external_id"])
        super().__init__(
            _ExternalIdProvider(), name, props, pulumi.ResourceOptions.merge(opts, secret)
        )


def _set_rotation_schedule(props: dict[str, Any]) -> None:
    update_rotation_schedule(
        api_url=props["api_url"],
        token=_login(props),
        secret_name=props["secret_name"],
        auto_rotate=props["auto_rotate"],
        rotation_interval=props["rotation_interval"],
        aws_region=props["aws_region"],
    )


class _RotationScheduleProvider(_ReplacingProvider):
    REPLACE_ON = ("secret_name",)
    UPDATE_ON = ("auto_rotate", "rotation_interval", "aws_region")

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Record the schedule without a call: the secret was created with these same
        settings (its own create sends them; ``ignore_changes`` only affects updates), and
        a stack deployed before this resource existed holds the secret with the settings
        its last update sent. Only a later change is sent, by :meth:`update`."""
        return CreateResult(id_=props["secret_name"], outs=props)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _set_rotation_schedule(news)
        return UpdateResult(outs=news)


class RotationSchedule(Resource, module=DYNAMIC_MODULE, name="RotationSchedule"):
    """The interval, auto-rotation and region of rotated secret ``secret_name``, set
    through the Gateway at ``api_url``. Deleting it changes nothing (the secret goes with
    its own resource)."""

    def __init__(
        self,
        name: str,
        *,
        api_url: pulumi.Input[str],
        secret_name: pulumi.Input[str],
        auto_rotate: str,
        rotation_interval: str,
        aws_region: str,
        login: Login,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "api_url": api_url,
            "secret_name": secret_name,
            "auto_rotate": auto_rotate,
            "rotation_interval": rotation_interval,
            "aws_region": aws_region,
            **_login_props(login),
        }
        super().__init__(_RotationScheduleProvider(), name, props, opts)
