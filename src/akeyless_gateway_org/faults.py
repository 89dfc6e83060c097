"""Which failures pass by themselves, and how to retry them: one policy for the run and the program.

A failure is **transient** when the same call may succeed a moment later: throttling, an
HTTP 5xx, a timeout, a connection reset or refused, a Gateway not healthy yet. It is
**permanent** otherwise, and always when it says the request itself is wrong: a policy
violation, an invalid config, an access denial. Only transient failures are retried, with a
bounded number of attempts and exponential backoff with full jitter.

The patterns match the text the real producers write, read from their sources:

- AWS, through pulumi-aws (the Terraform AWS provider on aws-sdk-go-v2): once the provider's
  own retries are spent the error reads ``operation error IAM: CreateRole, exceeded maximum
  number of attempts, 25, https response error StatusCode: 400, RequestID: ..., api error
  Throttling: Rate exceeded`` (aws-sdk-go-v2 ``aws/retry/errors.go`` MaxAttemptsError,
  ``aws/transport/http/response_error.go`` ResponseError, smithy-go ``errors.go``
  GenericAPIError: ``api error <Code>: <Message>``). The codes are the SDK's own lists:
  ``DefaultThrottleErrorCodes``, ``DefaultRetryableErrorCodes`` and
  ``DefaultRetryableHTTPStatusCodes`` (500, 502, 503, 504) in ``aws/retry/standard.go``
  v1.43.0, the same as botocore's ``retries/standard.py`` (``_THROTTLED_ERROR_CODES``,
  ``_TRANSIENT_ERROR_CODES``, ``_TRANSIENT_STATUS_CODES``); connection errors the SDK
  retries by their text: ``connection reset``, ``use of closed network connection``,
  ``connection refused`` (``aws/retry/retryable_error.go``, RetryableConnectionError).
- The Akeyless SDK (``akeyless`` on PyPI, ``rest.py``): any non-2xx answer raises
  ``ApiException`` with ``status``/``reason``; a connection that fails raises urllib3's
  ``HTTPError`` family (``ProtocolError`` for a reset, ``NewConnectionError``,
  ``ReadTimeoutError``, ``MaxRetryError`` wrapping them). Our own calls report them as
  ``HTTP <status> <reason>`` or urllib3's text (``components/akeyless_api.py``).
- The Go standard library's network errors in any provider: ``i/o timeout``, ``context
  deadline exceeded``, ``TLS handshake timeout``, ``EOF`` on a read.

Nothing here imports the rest of the package: the Pulumi program (``components/``) and the
run (``run/``) both use it.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Literal

Fault = Literal["transient", "permanent"]

AWS_THROTTLE_CODES = (
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
)
"""aws-sdk-go-v2 ``aws/retry/standard.go`` DefaultThrottleErrorCodes (botocore's list too)."""
AWS_TRANSIENT_CODES = (
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
)
"""DefaultRetryableErrorCodes, and the codes AWS services send with a 500/503."""

_TRANSIENT = re.compile(
    "|".join(
        [
            r"api error (?:" + "|".join(AWS_THROTTLE_CODES + AWS_TRANSIENT_CODES) + r")\b",
            r"\b(?:Throttling|Rate exceeded|TooManyRequests|Too Many Requests)\b",
            r"StatusCode: (?:429|500|502|503|504)\b",
            r"\bHTTP (?:429|500|502|503|504)\b",
            r"\b(?:429|500|502|503|504) (?:Too Many Requests|Internal Server Error|Bad Gateway"
            r"|Service Unavailable|Gateway Time-?out)\b",
            r"connection reset|use of closed network connection|connection refused",
            r"Connection aborted|RemoteDisconnected|ConnectionResetError|Connection refused",
            r"NewConnectionError|ReadTimeoutError|ConnectTimeoutError|timed out",
            r"i/o timeout|context deadline exceeded|TLS handshake timeout|unexpected EOF",
            r"did not become healthy within",
        ]
    ),
    re.IGNORECASE,
)
_PERMANENT = re.compile(
    "|".join(
        [
            # The policy pack: "mandatory policy violation" in the CLI's Policies section.
            r"policy violation|\[mandatory\]",
            # The program's own input checks (config/validation.py, ConfigError).
            r"is invalid \(\d+ problem|ConfigError|missing configuration value",
            # Access: AWS's codes (AccessDenied, AccessDeniedException, UnauthorizedOperation,
            # InvalidClientTokenId, AuthFailure, ExpiredToken, ...), HTTP 401/403.
            r"AccessDenied|UnauthorizedOperation|InvalidClientTokenId|AuthFailure"
            r"|ExpiredToken|SignatureDoesNotMatch|not authorized to perform",
            r"\bHTTP (?:400|401|403|404)\b|StatusCode: (?:401|403)\b|access denied|Unauthorized",
        ]
    ),
    re.IGNORECASE,
)


def classify(message: str) -> Fault:
    """``transient`` only when the message matches a transient failure and no permanent one."""
    if _PERMANENT.search(message):
        return "permanent"
    return "transient" if _TRANSIENT.search(message) else "permanent"


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded attempts with exponential backoff and full jitter.

    The wait before attempt ``n + 1`` is uniform in ``[0, min(max_backoff, base * 2**(n-1))]``
    ("full jitter", as aws-sdk-go-v2's ``aws/retry/jitter_backoff.go`` and botocore's standard
    mode do), so parallel stacks throttled together do not retry together.
    """

    attempts: int = 3
    """Attempts in all (1: never retry)."""
    backoff_seconds: float = 5.0
    """The ceiling of the first wait; it doubles per attempt."""
    max_backoff_seconds: float = 60.0
    """No wait is longer."""

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {self.attempts}")
        if self.backoff_seconds < 0 or self.max_backoff_seconds < 0:
            raise ValueError("backoff seconds must be 0 or more")

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """The wait after failed attempt ``attempt`` (1-based)."""
        ceiling = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (attempt - 1))
        return (rng or random).uniform(0, ceiling)
