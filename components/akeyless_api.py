"""The few Akeyless API calls made outside the Pulumi provider, with the official SDK.

- ``read_generated_external_id``: Akeyless generates a Target's External ID and
  neither the provider's resource nor its data source returns it
  (terraform-provider-akeyless ``akeyless/resource_aws_target.go``;
  ``akeyless/data_source_target_details.go``, ``extractAwsTargetDetails``); only
  ``target-get-details`` does (``akeyless`` SDK ``models/aws_target_details.py``,
  ``gw_cloud_identity_external_id_opt``).
- ``wait_for_gateway_health``: gateway-mediated objects are created through the
  Gateway's API, so the Gateway must answer ``GET /health`` first.
- ``get_auth_method``, ``get_role``, ``get_target_details``: what ``orgctl verify`` reads
  (None for an object Akeyless does not have).
- ``login_token``: the session token those calls need, from an AWS IAM login
  (a signed ``GetCallerIdentity`` of the caller's own AWS identity, or of a role it
  assumes first) or an API key.

Errors name what failed (target and account, or URL), never a credential.

Each call is retried when it fails transiently (an HTTP 429 or 5xx answer, a connection reset,
refused or timed out: :func:`akeyless_gateway_org.faults.classify` of what the SDK raised) with
the bounded, jittered backoff of :data:`API_RETRY`; a 4xx answer (a rejected login, an unknown
target) fails at once. The SDK's own urllib3 retries stay off (``retries = 0``), so one policy,
which also sees HTTP statuses, decides.

The SDK is imported where it is called: its import takes about half a second, and
every stack program imports this module (its dynamic providers live here) while only
a deployment's provider calls ever use the SDK; a render or a preview never does.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, TypeVar

import urllib3

from akeyless_gateway_org.config.fields import external_id_problem
from akeyless_gateway_org.errors import RunFailure
from akeyless_gateway_org.faults import RetryPolicy, classify

if TYPE_CHECKING:
    import akeyless


class AkeylessApiError(RunFailure):
    """An Akeyless API call failed; the message names the object and where."""


CA_BUNDLE_VARIABLE = "AKEYLESS_GATEWAY_ORG_CA_BUNDLE"
"""A PEM file of the CAs the deployment's own Akeyless calls trust (default: certifi's)."""

API_RETRY = RetryPolicy(attempts=5, backoff_seconds=1.0, max_backoff_seconds=15.0)
"""The program's Akeyless calls: up to 5 attempts, waits of at most 1, 2, 4, 8 s (jittered)."""

_T = TypeVar("_T")


def _client(api_url: str, timeout_seconds: float) -> akeyless.V2Api:
    import akeyless

    configuration = akeyless.Configuration(host=api_url)
    # TLS to the Gateway is verified (the SDK's default, stated so no one turns it off):
    # rest.py requires the certificate (ssl.CERT_REQUIRED) when verify_ssl. A Gateway's
    # https:// name is one its certificate covers (config: dns, or a gateway_url with
    # tls_certificate_arn), never the load balancer's own.
    configuration.verify_ssl = True
    # The CAs to trust instead of certifi's (the SDK's default): for an Akeyless API or
    # Gateway whose certificate a private CA issued.
    configuration.ssl_ca_cert = os.environ.get(CA_BUNDLE_VARIABLE) or None
    configuration.retries = 0
    client = akeyless.ApiClient(configuration)
    client.rest_client.pool_manager.connection_pool_kw["timeout"] = timeout_seconds
    return akeyless.V2Api(client)


def _failure_text(error: Exception) -> str | None:
    """What the SDK raised, as text, or None when it is not an HTTP or connection failure.

    ``ApiException`` for any non-2xx answer (``status``, ``reason``), urllib3's ``HTTPError``
    family for a connection that failed (akeyless SDK ``rest.py``, ``RESTClientObject.request``).
    """
    import akeyless

    if isinstance(error, akeyless.ApiException):
        return f"HTTP {error.status} {error.reason}"
    if isinstance(error, urllib3.exceptions.HTTPError):
        return str(error)
    return None


def _call(
    what: str,
    call: Callable[[], _T],
    *,
    retry: RetryPolicy = API_RETRY,
    sleep: Callable[[float], None] = time.sleep,
) -> _T:
    """``call()``, retried while it fails transiently; then one error saying ``what`` failed."""
    attempt = 1
    while True:
        try:
            return call()
        except Exception as error:
            text = _failure_text(error)
            if text is None:
                raise
            if classify(text) == "permanent" or attempt >= retry.attempts:
                tries = f" (after {attempt} attempts)" if attempt > 1 else ""
                raise AkeylessApiError(f"{what}: {text}{tries}") from None
        sleep(retry.backoff(attempt))
        attempt += 1


LOGIN_SESSION_NAME = "orgctl-akeyless-login"
"""The session a ``signed_as`` login assumes; it signs one ``GetCallerIdentity`` and expires."""
LOGIN_SESSION_SECONDS = 900
"""STS's shortest session (AssumeRole ``DurationSeconds``: 900 to the role's maximum)."""


def _aws_cloud_id(signed_as: str | None) -> str:
    """A signed ``GetCallerIdentity`` (akeyless_cloud_id ``CloudId.generate``: the global STS
    endpoint, as the provider's own login signs), by the caller's AWS identity or, with
    ``signed_as``, by a session of that role (STS ``AssumeRole``)."""
    from akeyless_cloud_id import CloudId

    if signed_as is None:
        return str(CloudId().generate())
    import boto3

    credentials = boto3.client("sts").assume_role(
        RoleArn=signed_as,
        RoleSessionName=LOGIN_SESSION_NAME,
        DurationSeconds=LOGIN_SESSION_SECONDS,
    )["Credentials"]
    return str(
        CloudId().generate(
            aws_access_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            security_token=credentials["SessionToken"],
        )
    )


def login_token(
    *,
    api_url: str,
    login: Literal["aws_iam", "api_key"],
    access_id: str,
    access_key: str | None = None,
    signed_as: str | None = None,
    timeout_seconds: float = 30,
    retry: RetryPolicy = API_RETRY,
) -> str:
    """A session token for ``access_id``; the access key is sent, never reported.

    ``signed_as``: an ``aws_iam`` login signed by a session of this role, which the caller's
    AWS identity assumes (the deployment's bootstrap role of an account), not by the caller.
    """
    import akeyless

    signer = f", signed as {signed_as}" if signed_as else ""
    where = f"Akeyless at {api_url} with access ID {access_id} ({login} login{signer})"
    if login == "api_key":
        if not access_key:
            raise AkeylessApiError(f"cannot log in to {where}: no access key given")
        auth = akeyless.Auth(access_id=access_id, access_key=access_key, access_type="access_key")
    else:
        # Validation allows aws_iam only in the aws partition, where the global endpoint signs.
        try:
            cloud_id = _aws_cloud_id(signed_as)
        except Exception as error:  # boto3 raises several kinds: no identity, AccessDenied
            reason = f"cannot assume {signed_as}" if signed_as else "no AWS identity to sign with"
            code = (getattr(error, "response", None) or {}).get("Error", {}).get("Code")
            raise AkeylessApiError(
                f"cannot log in to {where}: {reason} ({code or type(error).__name__})"
            ) from None
        auth = akeyless.Auth(access_id=access_id, access_type="aws_iam", cloud_id=cloud_id)
    client = _client(api_url, timeout_seconds)
    token = _call(f"cannot log in to {where}", lambda: client.auth(auth).token, retry=retry)
    if not token:
        raise AkeylessApiError(f"cannot log in to {where}: the answer carried no token")
    return str(token)


def read_generated_external_id(
    *,
    api_url: str,
    token: str,
    target_name: str,
    account_id: str,
    timeout_seconds: float = 30,
    retry: RetryPolicy = API_RETRY,
) -> str:
    """The External ID Akeyless generated for an AWS Target (``generate_external_id``)."""
    import akeyless

    where = f"target {target_name!r} (account {account_id}) at {api_url}"
    api = _client(api_url, timeout_seconds)
    details = _call(
        f"cannot read the External ID of {where}",
        lambda: api.target_get_details(akeyless.TargetGetDetails(name=target_name, token=token)),
        retry=retry,
    )
    aws = details.value.aws_target_details if details.value else None
    option = aws.gw_cloud_identity_external_id_opt if aws else None
    external_id = option.generated_external_id if option else None
    if not external_id:
        raise AkeylessApiError(
            f"{where} has no generated External ID; is it an AWS Target created with "
            "generate_external_id=true?"
        )
    # The answer goes into the member role's trust policy: whatever a Gateway (or whoever
    # answers at its URL) returns must at least be an External ID STS would take.
    problem = external_id_problem(str(external_id))
    if problem is not None:
        raise AkeylessApiError(f"the External ID read for {where} {problem}")
    return str(external_id)


def _found(what: str, call: Callable[[], _T], retry: RetryPolicy) -> _T | None:
    """``call()`` as :func:`_call` makes it, but None when Akeyless answers 404: the object
    does not exist (the provider reads a 404 so: terraform-provider-akeyless
    ``akeyless/resource_aws_target.go``, ``resource_role.go`` and
    ``resource_auth_method_aws_iam.go`` drop the resource from state on
    ``http.StatusNotFound``)."""
    import akeyless

    def attempt() -> _T | None:
        try:
            return call()
        except akeyless.ApiException as error:
            if error.status == 404:
                return None
            raise

    return _call(what, attempt, retry=retry)


def get_auth_method(
    *,
    api_url: str,
    token: str,
    name: str,
    timeout_seconds: float = 30,
    retry: RetryPolicy = API_RETRY,
) -> akeyless.AuthMethod | None:
    """The auth method ``name`` (``POST /get-auth-method``: ``V2Api.get_auth_method``, which
    answers an ``AuthMethod``), or None when there is none."""
    import akeyless

    api = _client(api_url, timeout_seconds)
    return _found(
        f"cannot read the auth method {name!r} at {api_url}",
        lambda: api.get_auth_method(akeyless.GetAuthMethod(name=name, token=token)),
        retry,
    )


def get_role(
    *,
    api_url: str,
    token: str,
    name: str,
    timeout_seconds: float = 30,
    retry: RetryPolicy = API_RETRY,
) -> akeyless.Role | None:
    """The access role ``name`` (``POST /get-role``: ``V2Api.get_role``, answering a ``Role``
    with its ``rules.path_rules`` and ``role_auth_methods_assoc``), or None."""
    import akeyless

    api = _client(api_url, timeout_seconds)
    return _found(
        f"cannot read the role {name!r} at {api_url}",
        lambda: api.get_role(akeyless.GetRole(name=name, token=token)),
        retry,
    )


def get_target_details(
    *,
    api_url: str,
    token: str,
    name: str,
    timeout_seconds: float = 30,
    retry: RetryPolicy = API_RETRY,
) -> akeyless.GetTargetDetailsOutput | None:
    """The Target ``name`` with its type's details (``POST /target-get-details``:
    ``V2Api.target_get_details``, answering a ``GetTargetDetailsOutput``), or None."""
    import akeyless

    api = _client(api_url, timeout_seconds)
    return _found(
        f"cannot read the target {name!r} at {api_url}",
        lambda: api.target_get_details(akeyless.TargetGetDetails(name=name, token=token)),
        retry,
    )


def update_rotation_schedule(
    *,
    api_url: str,
    token: str,
    secret_name: str,
    auto_rotate: str,
    rotation_interval: str,
    aws_region: str,
    timeout_seconds: float = 30,
    retry: RetryPolicy = API_RETRY,
) -> None:
    """Set a rotated AWS secret's schedule and region, and nothing else: never the key pair
    it took over (``rotated-secret-update-aws`` updates only the fields a request carries)."""
    import akeyless

    api = _client(api_url, timeout_seconds)
    body = akeyless.RotatedSecretUpdateAws(
        name=secret_name,
        auto_rotate=auto_rotate,
        rotation_interval=rotation_interval,
        aws_region=aws_region,
        token=token,
    )
    _call(
        f"cannot update the rotation of {secret_name!r} at {api_url}",
        lambda: api.rotated_secret_update_aws(body),
        retry=retry,
    )


def wait_for_gateway_health(
    health_url: str,
    *,
    timeout_seconds: float,
    interval_seconds: float = 5,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Poll ``GET health_url`` until it answers 2xx, or raise naming the URL.

    A poll, so already a retry of every failure until the deadline: a 502 from a Gateway in
    a rolling restart, a reset or a refused connection are all just "not healthy yet".
    """
    deadline = clock() + timeout_seconds
    last = "no answer yet"
    while True:
        try:
            with urllib.request.urlopen(health_url, timeout=interval_seconds) as response:
                if 200 <= response.status < 300:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as error:
            last = f"HTTP {error.code}"
        except (urllib.error.URLError, OSError) as error:
            last = str(getattr(error, "reason", error))
        if clock() >= deadline:
            raise AkeylessApiError(
                f"the Gateway at {health_url} did not become healthy within "
                f"{timeout_seconds:g}s (last: {last})"
            )
        sleep(min(interval_seconds, max(0.0, deadline - clock())))
