"""Names and addresses of the Akeyless objects: pure functions of the config.

Every object gets an explicit name under the deployment's folder (the provider
would otherwise add a random suffix):

    <path>/auth/gateway[-<account>]              AWS IAM auth method of the Gateways
    <path>/roles/gateway[-<account>]             their access role
    <path>/auth/deployer-<account>               distributed: the deployment's login in
    <path>/roles/deployer-<account>                one account, and its access role
    <path>/aws/<account>/target                  AWS Target
    <path>/aws/<account>/dynamic/iam-user        dynamic secret, temporary users
    <path>/aws/<account>/dynamic/assume-role     dynamic secret, role sessions
    <path>/aws/<account>/rotated/<user>          rotated access key
    <path>/aws/<account>/usc/secrets-manager     Universal Secrets Connector

``[-<account>]`` appears when ``auth_method_scope`` is ``per_account``.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from akeyless_gateway_org.components.iam_documents import role_arn

DynamicMode = Literal["iam_user", "assume_role"]

GATEWAY_API_PORT = 8000
GATEWAY_HEALTH_PORT = 8080


def _unit(account_id: str | None) -> str:
    return "gateway" if account_id is None else f"gateway-{account_id}"


def auth_method_name(path: str, account_id: str | None = None) -> str:
    return f"{path}/auth/{_unit(account_id)}"


def access_role_name(path: str, account_id: str | None = None) -> str:
    return f"{path}/roles/{_unit(account_id)}"


def deployer_auth_method_name(path: str, account_id: str) -> str:
    """Distributed: the auth method the deployment logs in with to reach one account."""
    return f"{path}/auth/deployer-{account_id}"


def deployer_role_name(path: str, account_id: str) -> str:
    return f"{path}/roles/deployer-{account_id}"


def account_folder(path: str, account_id: str) -> str:
    return f"{path}/aws/{account_id}"


def access_role_scope(path: str, account_id: str | None = None) -> str:
    """What a Gateway's access role reaches: the whole deployment, or its account's folder."""
    return f"{path}/*" if account_id is None else f"{account_folder(path, account_id)}/*"


def target_name(path: str, account_id: str) -> str:
    return f"{account_folder(path, account_id)}/target"


def dynamic_secret_name(path: str, account_id: str, mode: DynamicMode) -> str:
    return f"{account_folder(path, account_id)}/dynamic/{mode.replace('_', '-')}"


def rotated_secret_name(path: str, account_id: str, user_name: str) -> str:
    return f"{account_folder(path, account_id)}/rotated/{user_name}"


def usc_name(path: str, account_id: str) -> str:
    return f"{account_folder(path, account_id)}/usc/secrets-manager"


def gateway_api_url(host: str, scheme: str) -> str:
    """The Gateway's v2 API, where gateway-mediated objects are created.

    ``scheme``: ``https`` only where TLS is terminated in front of port 8000,
    which serves plain HTTP otherwise (``GatewaySite.api_scheme``).
    """
    return f"{scheme}://{host}:{GATEWAY_API_PORT}/api/v2"


def gateway_health_url_of_host(host: str) -> str:
    """The Gateway's health check, on its internal port."""
    return f"http://{host}:{GATEWAY_HEALTH_PORT}/health"


def gateway_health_url(api_url: str) -> str:
    """The Gateway's health check on the host of ``api_url``."""
    return gateway_health_url_of_host(urlsplit(api_url).hostname or "")


def gateway_bound_arns(partition: str, account_id: str, path: str, role_name: str) -> list[str]:
    """The Gateway role as Akeyless sees it: its ARN and its assumed-role sessions.

    A role's session ARN drops the IAM path: ``arn:aws:sts::<account>:assumed-role/<name>/*``.
    """
    return [
        role_arn(partition, account_id, path, role_name),
        f"arn:{partition}:sts::{account_id}:assumed-role/{role_name}/*",
    ]


def deployer_bound_arns(partition: str, account_id: str, bootstrap_role_name: str) -> list[str]:
    """The bootstrap role of one account as Akeyless sees it (the role, its sessions)."""
    return gateway_bound_arns(partition, account_id, "/", bootstrap_role_name)
