"""Reads the Akeyless objects ``verify`` checks, with the official ``akeyless`` SDK.

Through ``components.akeyless_api`` (the calls the program already makes, same login, same
retries): ``get-auth-method``, ``get-role`` and ``target-get-details``, all on
``akeyless.api_url`` (the SaaS API keeps auth methods, roles and Targets, also the
Targets created through a Gateway). The answers become the plain records of
``verify.model``; the SDK's field names are those of its models (``akeyless`` 5.0.x
``models/auth_method.py`` → ``access_info.aws_iam_access_rules`` {``account_id``,
``arn``, ``sts_endpoint``}; ``models/role.py`` → ``rules.path_rules`` {``type``,
``path``, ``capabilities``} and ``role_auth_methods_assoc``; ``models/aws_target_details.py``
→ ``use_gw_cloud_identity`` and ``gw_cloud_identity_external_id_opt`` {``role_arn``,
``generated_external_id``}).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Literal, TypeVar

from akeyless_gateway_org.components.akeyless_api import (
    get_auth_method,
    get_role,
    get_target_details,
    login_token,
)
from akeyless_gateway_org.components.akeyless_objects import RoleRule
from akeyless_gateway_org.errors import RunFailure
from akeyless_gateway_org.verify.model import (
    AkeylessAuthMethod,
    AkeylessRole,
    AkeylessTarget,
    ReadFailed,
)

_T = TypeVar("_T")


class AkeylessSdkReader:
    """An :class:`~akeyless_gateway_org.verify.model.AkeylessReader` on the official SDK.

    Logs in once, on the first read, as ``access_id`` (``aws_iam``: a signed STS
    ``GetCallerIdentity`` of the caller's own AWS identity; ``api_key``: with
    ``access_key``). That access needs only read on the deployment's folder, its auth
    methods and roles. Thread-safe.
    """

    def __init__(
        self,
        *,
        api_url: str,
        login: Literal["aws_iam", "api_key"],
        access_id: str,
        access_key: str | None = None,
        timeout_seconds: float = 30,
    ) -> None:
        self.api_url = api_url
        self._login = login
        self._access_id = access_id
        self._access_key = access_key
        self._timeout = timeout_seconds
        self._token: str | None = None
        self._login_failure: str | None = None
        self._lock = threading.Lock()

    def _session_token(self) -> str:
        """The token of the one login; a login that failed (after its retries) fails every
        read at once, rather than being retried object by object."""
        with self._lock:
            if self._login_failure is not None:
                raise ReadFailed(self._login_failure)
            if self._token is None:
                try:
                    self._token = login_token(
                        api_url=self.api_url,
                        login=self._login,
                        access_id=self._access_id,
                        access_key=self._access_key,
                        timeout_seconds=self._timeout,
                    )
                except RunFailure as error:  # names where and as whom, never the key
                    self._login_failure = str(error)
                    raise ReadFailed(self._login_failure) from None
            return self._token

    def _read(self, call: Callable[[str], _T]) -> _T:
        token = self._session_token()
        try:
            return call(token)
        except RunFailure as error:  # AkeylessApiError: names the object and where, no secret
            raise ReadFailed(str(error)) from None

    def auth_method(self, name: str) -> AkeylessAuthMethod | None:
        found = self._read(
            lambda token: get_auth_method(
                api_url=self.api_url, token=token, name=name, timeout_seconds=self._timeout
            )
        )
        if found is None:
            return None
        info = found.access_info
        rules = info.aws_iam_access_rules if info else None
        return AkeylessAuthMethod(
            name=found.auth_method_name or name,
            access_id=found.auth_method_access_id or "",
            bound_account_ids=tuple(rules.account_id or ()) if rules else (),
            bound_arns=tuple(rules.arn or ()) if rules else (),
            sts_url=rules.sts_endpoint if rules else None,
        )

    def role(self, name: str) -> AkeylessRole | None:
        found = self._read(
            lambda token: get_role(
                api_url=self.api_url, token=token, name=name, timeout_seconds=self._timeout
            )
        )
        if found is None:
            return None
        path_rules = found.rules.path_rules if found.rules else None
        return AkeylessRole(
            name=found.role_name or name,
            rules=tuple(
                RoleRule(rule.type or "", rule.path or "", tuple(rule.capabilities or ()))
                for rule in path_rules or ()
            ),
            auth_method_names=tuple(
                assoc.auth_method_name or "" for assoc in found.role_auth_methods_assoc or ()
            ),
        )

    def target(self, name: str) -> AkeylessTarget | None:
        found = self._read(
            lambda token: get_target_details(
                api_url=self.api_url, token=token, name=name, timeout_seconds=self._timeout
            )
        )
        if found is None:
            return None
        aws = found.value.aws_target_details if found.value else None
        option = aws.gw_cloud_identity_external_id_opt if aws else None
        return AkeylessTarget(
            name=found.target.target_name if found.target else name,
            target_type=(found.target.target_type if found.target else None) or "",
            uses_gateway_identity=bool(aws and aws.use_gw_cloud_identity),
            role_arn=(option.role_arn or None) if option else None,
            external_id=(option.generated_external_id or None) if option else None,
        )
