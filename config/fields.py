"""Validated field types shared by the organization file and the stack config.

Each type is a plain ``str`` at run time; validation happens once, at the edge,
with a message that says what a valid value looks like.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated, Any

import botocore.session
from pydantic import AfterValidator, BeforeValidator

PARTITIONS = ("aws", "aws-us-gov", "aws-cn")
_PARTITION = "(?:" + "|".join(re.escape(p) for p in PARTITIONS) + ")"

# IAM name characters, ASCII only (Python's \w would admit Unicode letters).
_IAM_NAME = r"[A-Za-z0-9_+=,.@-]"
_IAM_PATH = re.compile(r"^(?:/|/[\x21-\x7e]{1,510}/)$")
_ROLE_ARN = re.compile(
    rf"^arn:{_PARTITION}:iam::\d{{12}}:role/(?:[\x21-\x7e]*/)?{_IAM_NAME}{{1,64}}$"
)
_POLICY_ARN = re.compile(
    rf"^arn:{_PARTITION}:iam::(?:\d{{12}}|aws):policy/(?:[\x21-\x7e]*/)?{_IAM_NAME}{{1,128}}$"
)
_KMS_KEY_ARN = re.compile(
    rf"^arn:{_PARTITION}:kms:[a-z0-9-]+:\d{{12}}:key/(?:mrk-)?[0-9a-f][0-9a-f-]{{31,35}}$"
)
_ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
_SECRET_PREFIX = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,256}$")
_ACCESS_KEY_ID = re.compile(r"^AKIA[A-Z0-9]{16}$")
_AKEYLESS_ACCESS_ID = re.compile(r"^p-[a-z0-9]{6,32}$")
_AKEYLESS_PATH = re.compile(r"^(?:/[A-Za-z0-9_.@-]+)+$")
_URL = r"://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[\x21-\x7e]*)?$"
_HTTPS_URL = re.compile(r"^https" + _URL)
_HTTP_URL = re.compile(r"^https?" + _URL)


def _account_id(value: Any) -> Any:
    # YAML reads an unquoted 123456789012 as an int; accept it only when it is
    # exactly 12 digits, since a leading zero may already have been lost.
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
        if len(value) != 12:
            raise ValueError(
                "must be a 12-digit AWS account ID; quote it in YAML ('012345678901') "
                "so leading zeros are kept"
            )
    if not isinstance(value, str) or not re.fullmatch(r"\d{12}", value):
        raise ValueError(f"must be a 12-digit AWS account ID, got {value!r}")
    return value


def _matching(pattern: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"must be {what}, got {value!r}")
        return value

    return AfterValidator(check)


def _iam_name(max_length: int, what: str) -> AfterValidator:
    return _matching(
        re.compile(rf"^{_IAM_NAME}{{1,{max_length}}}$"),
        f"{what}: 1-{max_length} characters of letters, digits and _+=,.@-",
    )


@cache
def known_regions() -> frozenset[str]:
    """Every region botocore's bundled endpoint data knows, in every partition."""
    session = botocore.session.get_session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("sts", partition)
    )


def _region(value: str) -> str:
    if value not in known_regions():
        raise ValueError(f"unknown AWS region {value!r}")
    return value


def partition_of(region: str) -> str:
    """The ARN partition a region belongs to (``aws``, ``aws-us-gov`` or ``aws-cn``)."""
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws"


def _tag_key(value: str) -> str:
    if not 1 <= len(value) <= 128:
        raise ValueError("tag keys must be 1-128 characters")
    if value.lower().startswith("aws:"):
        raise ValueError(f"tag key {value!r} uses the reserved 'aws:' prefix")
    return value


def _tag_value(value: str) -> str:
    if len(value) > 256:
        raise ValueError("tag values must be at most 256 characters")
    return value


AccountId = Annotated[str, BeforeValidator(_account_id)]
RoleName = Annotated[str, _iam_name(64, "an IAM role name")]
UserName = Annotated[str, _iam_name(64, "an IAM user name")]
GroupName = Annotated[str, _iam_name(128, "an IAM group name")]
UserNamePrefix = Annotated[str, _iam_name(63, "an IAM user-name prefix")]
IamPath = Annotated[
    str,
    _matching(_IAM_PATH, "an IAM path: '/' or '/segment/.../' (printable ASCII, ends with '/')"),
]
RoleArn = Annotated[
    str, _matching(_ROLE_ARN, "an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
]
PolicyArn = Annotated[
    str, _matching(_POLICY_ARN, "an IAM policy ARN (arn:aws:iam::<account|aws>:policy/<name>)")
]
KmsKeyArn = Annotated[
    str, _matching(_KMS_KEY_ARN, "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key-id>)")
]
OrganizationId = Annotated[str, _matching(_ORG_ID, "an AWS Organizations ID like o-a1b2c3d4e5")]
SecretPrefix = Annotated[
    str, _matching(_SECRET_PREFIX, "a Secrets Manager name prefix (1-256 of A-Za-z0-9/_+=.@-)")
]
AccessKeyId = Annotated[
    str, _matching(_ACCESS_KEY_ID, "an IAM user's access key ID (AKIA + 16 characters)")
]
AkeylessAccessId = Annotated[
    str, _matching(_AKEYLESS_ACCESS_ID, "an Akeyless access ID like p-abc123def456")
]
AkeylessPath = Annotated[
    str,
    _matching(_AKEYLESS_PATH, "an Akeyless path like /aws-org (starts with '/', no trailing '/')"),
]
HttpsUrl = Annotated[str, _matching(_HTTPS_URL, "an https:// URL")]
HttpUrl = Annotated[str, _matching(_HTTP_URL, "an http:// or https:// URL")]
Region = Annotated[str, AfterValidator(_region)]
TagKey = Annotated[str, AfterValidator(_tag_key)]
TagValue = Annotated[str, AfterValidator(_tag_value)]


def account_of_arn(arn: str) -> str:
    """The account-ID field of an ARN (empty for AWS-managed policies)."""
    return arn.split(":")[4]
