"""Validated field types shared by the organization file and the stack config.

Each type is a plain ``str`` at run time; validation happens once, at the edge,
with a message that says what a valid value looks like.
"""

from __future__ import annotations

import ipaddress
import os
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

import botocore.session
from pydantic import AfterValidator, BeforeValidator, Field

from akeyless_gateway_org.policy.rules import EXCEPTION_TAG_PREFIX
from akeyless_gateway_org.terminal import unsafe_character

PARTITIONS = ("aws", "aws-us-gov", "aws-cn")

MAX_SHOWN = 80
"""How much of a rejected value an error message repeats: input is untrusted and may be huge."""


def shown(value: Any) -> str:
    """A rejected value for an error message: a string cut to MAX_SHOWN, anything else by type."""
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 4] + "...'"
    if isinstance(value, bool | int | float) or value is None:
        return repr(value)
    return f"a {type(value).__name__}"


def bounded(message: str, limit: int = 400) -> str:
    """``message`` cut to ``limit`` characters (messages may quote field paths from input)."""
    return message if len(message) <= limit else message[: limit - 3] + "..."


_PARTITION = "(?:" + "|".join(re.escape(p) for p in PARTITIONS) + ")"

# IAM name characters, ASCII only (Python's \w would admit Unicode letters).
_IAM_NAME = r"[A-Za-z0-9_+=,.@-]"
# IAM allows any printable ASCII in a path, but a path ends up inside policy
# resources, where `*` and `?` are wildcards and `${...}` is a policy variable; and
# Akeyless takes a role ARN list as one comma-separated string, so a comma in an ARN
# would split it into two. Paths and role ARNs here use the name characters less `,`.
_SAFE_SEGMENT = r"[A-Za-z0-9_+=.@-]"
# A segment of dots only (`.`, `..`) reads as "this folder" / "the parent folder" to
# whoever joins paths, and `/aws-org/../*` in a role rule would not mean what it says.
_NOT_DOTS = r"(?!\.+/)"
_IAM_PATH = re.compile(rf"^/(?:{_NOT_DOTS}{_SAFE_SEGMENT}+/)*$")
_ROLE_ARN = re.compile(
    rf"^arn:{_PARTITION}:iam::\d{{12}}:role/(?:{_NOT_DOTS}{_SAFE_SEGMENT}+/)*{_SAFE_SEGMENT}{{1,64}}$"
)
# A temporary-user prefix of at least 3 characters ending in a separator, so it
# cannot be the start of an ordinary user name (`a` covers `admin`; `tmp.` does not).
_USER_NAME_PREFIX = re.compile(r"^[A-Za-z0-9_+=@-][A-Za-z0-9_+=.@-]{1,61}[._-]$")
_POLICY_ARN = re.compile(
    rf"^arn:{_PARTITION}:iam::(?:\d{{12}}|aws):policy/(?:[\x21-\x7e]*/)?{_IAM_NAME}{{1,128}}$"
)
_KMS_KEY_ARN = re.compile(
    rf"^arn:{_PARTITION}:kms:[a-z0-9-]+:\d{{12}}:key/(?:mrk-)?[0-9a-f][0-9a-f-]{{31,35}}$"
)
_ACM_CERTIFICATE_ARN = re.compile(
    rf"^arn:{_PARTITION}:acm:[a-z0-9-]+:\d{{12}}:certificate/[0-9a-f][0-9a-f-]{{35}}$"
)
_ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
_SECRET_PREFIX = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,256}$")
_ACCESS_KEY_ID = re.compile(r"^AKIA[A-Z0-9]{16}$")
_AKEYLESS_ACCESS_ID = re.compile(r"^p-[a-z0-9]{6,32}$")
_AKEYLESS_PATH = re.compile(r"^(?:/(?!\.+(?:/|$))[A-Za-z0-9_.@-]+)+$")
_VPC_ID = re.compile(r"^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_SUBNET_ID = re.compile(r"^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_SECURITY_GROUP_ID = re.compile(r"^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_AVAILABILITY_ZONE = re.compile(r"^[a-z]{2}(?:-gov)?-[a-z]+-\d[a-z]$")
_OIDC_PROVIDER_ARN = re.compile(
    rf"^arn:{_PARTITION}:iam::\d{{12}}:oidc-provider/oidc\.eks\.[a-z0-9-]+\.amazonaws\.com"
    r"(?:\.cn)?/id/[0-9A-F]{16,40}$"
)
_ORG_UNIT_ID = re.compile(r"^(?:ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$")
_EKS_CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
_K8S_NAME = re.compile(r"^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$")
# Route 53 hosted zone IDs: Z + upper-case letters and digits (ListHostedZones "Id",
# without its /hostedzone/ prefix).
_HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
# A host name of at least two labels, each 1-63 of a-z0-9 and inner hyphens, 253 in all
# (RFC 1035 2.3.4): the Gateway's own name, never a wildcard.
_DNS_NAME = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# S3 bucket naming rules (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
_S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# An access-log prefix: no leading or trailing slash and never "AWSLogs", which ELB adds
# itself (ELB User Guide, "Access logs for your Network Load Balancer", Bucket requirements).
_S3_LOG_PREFIX = re.compile(r"^(?!.*AWSLogs)[A-Za-z0-9!_.*'()-]+(?:/[A-Za-z0-9!_.*'()-]+)*$")
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
        raise ValueError(f"must be a 12-digit AWS account ID, got {shown(value)}")
    return value


def _matching(pattern: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"must be {what}, got {shown(value)}")
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
        raise ValueError(f"unknown AWS region {shown(value)}")
    return value


def _cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ValueError(
            f"must be a CIDR block like 10.0.0.0/16 (host bits zero), got {shown(value)}"
        ) from None
    return value


def partition_of(region: str) -> str:
    """The ARN partition a region belongs to (``aws``, ``aws-us-gov`` or ``aws-cn``)."""
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws"


_DNS_SUFFIXES = {
    "aws": "amazonaws.com",
    "aws-us-gov": "amazonaws.com",
    "aws-cn": "amazonaws.com.cn",
}


def sts_url(region: str) -> str | None:
    """The STS endpoint an AWS IAM login from ``region`` is signed for; None: the global one.

    The global ``https://sts.amazonaws.com`` (Akeyless's default) serves only the
    ``aws`` partition; GovCloud and China have regional endpoints only
    (https://docs.aws.amazon.com/general/latest/gr/sts.html,
    https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-endpoints.html,
    https://docs.amazonaws.cn/en_us/aws/latest/userguide/endpoints-Beijing.html).
    """
    partition = partition_of(region)
    if partition == "aws":
        return None
    return f"https://sts.{region}.{_DNS_SUFFIXES[partition]}"


MAX_TAGS_PER_RESOURCE = 50
"""AWS's limit of user tags on one resource
(https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions)."""

RESERVED_TAGS = 5
"""Kept free on every resource for the tags the product sets itself (policy exceptions)."""

MAX_USER_TAGS = MAX_TAGS_PER_RESOURCE - RESERVED_TAGS
"""Org tags and an account's own tags together, on any one resource."""

_TAG_PUNCTUATION = frozenset("+-=._:/@")


def _tag_characters(value: str, what: str) -> str:
    """AWS's tag character set, ``^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$`` (tagging docs above):
    letters, separators (spaces), numbers and ``+ - = . _ : / @``."""
    for char in value:
        if char not in _TAG_PUNCTUATION and unicodedata.category(char)[0] not in "LZN":
            raise ValueError(
                f"{what} may hold letters, digits, spaces and + - = . _ : / @ only; "
                f"{shown(char)} is not allowed"
            )
    return value


def _tag_key(value: str) -> str:
    if not 1 <= len(value) <= 128:
        raise ValueError("tag keys must be 1-128 characters")
    if value.lower().startswith("aws:"):
        raise ValueError(f"tag key {shown(value)} uses the reserved 'aws:' prefix")
    # A configured tag lands on every resource; an exception names one (policy/rules.py).
    if value.casefold().startswith(EXCEPTION_TAG_PREFIX.casefold()):
        raise ValueError(
            f"tag keys starting {EXCEPTION_TAG_PREFIX!r} are policy exceptions, which the "
            "program sets on the one resource an explicit setting (such as "
            "gateway.allow_internet_ingress) concerns; as a configured tag it would try to "
            "exempt every resource"
        )
    return _tag_characters(value, "a tag key")


def _tag_value(value: str) -> str:
    if len(value) > 256:
        raise ValueError("tag values must be at most 256 characters")
    return _tag_characters(value, "a tag value")


AccountId = Annotated[str, BeforeValidator(_account_id)]
RoleName = Annotated[str, _iam_name(64, "an IAM role name")]
UserName = Annotated[str, _iam_name(64, "an IAM user name")]
PolicyName = Annotated[str, _iam_name(128, "an IAM policy name")]
GroupName = Annotated[str, _iam_name(128, "an IAM group name")]
UserNamePrefix = Annotated[
    str,
    _matching(
        _USER_NAME_PREFIX,
        "a user-name prefix of 3-63 IAM name characters ending in '.', '-' or '_' (like tmp.)",
    ),
]
IamPath = Annotated[
    str,
    _matching(
        _IAM_PATH,
        "an IAM path: '/' or '/segment/.../', segments of letters, digits and _+=.@- "
        "(no wildcards, policy variables or commas, no '.' or '..' segments)",
    ),
]
RoleArn = Annotated[
    str,
    _matching(
        _ROLE_ARN,
        "an IAM role ARN (arn:aws:iam::<account>:role/<path/><name>) without commas, "
        "wildcards or policy variables",
    ),
]
PolicyArn = Annotated[
    str, _matching(_POLICY_ARN, "an IAM policy ARN (arn:aws:iam::<account|aws>:policy/<name>)")
]
KmsKeyArn = Annotated[
    str, _matching(_KMS_KEY_ARN, "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key-id>)")
]
SecretArn = Annotated[
    str,
    _matching(
        re.compile(
            r"^arn:aws(?:-us-gov|-cn)?:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$"
        ),
        "a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)",
    ),
]
GitHubRepository = Annotated[
    str,
    # GitHub's owner names: letters, digits and single inner hyphens, at most 39;
    # repository names: letters, digits, '.', '_', '-' (not '.' or '..' alone).
    _matching(
        re.compile(r"^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}/(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$"),
        "a GitHub repository as owner/name",
    ),
]
AcmCertificateArn = Annotated[
    str,
    _matching(
        _ACM_CERTIFICATE_ARN,
        "an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)",
    ),
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
    _matching(
        _AKEYLESS_PATH,
        "an Akeyless path like /aws-org (starts with '/', no trailing '/', no '.' or '..' "
        "segments)",
    ),
]
HttpsUrl = Annotated[str, _matching(_HTTPS_URL, "an https:// URL")]
HostedZoneId = Annotated[
    str, _matching(_HOSTED_ZONE_ID, "a Route 53 hosted zone ID like Z0123456789ABCDEFGHIJ")
]
DnsName = Annotated[
    str, _matching(_DNS_NAME, "a lower-case DNS name like gateway.example.com (no wildcard)")
]
S3BucketName = Annotated[str, _matching(_S3_BUCKET, "an S3 bucket name (3-63 of a-z0-9.-)")]
S3LogPrefix = Annotated[
    str,
    _matching(_S3_LOG_PREFIX, "an S3 key prefix without leading or trailing '/' or 'AWSLogs'"),
]

AKEYLESS_SAAS_API_HOSTS = frozenset({"api.akeyless.io", "api.us.akeyless.io", "api.eu.akeyless.io"})
"""The SaaS environments' API hosts (https://docs.akeyless.io/docs/sdks, "Available
Environments"). The deployment sends its signed AWS login to ``akeyless.api_url``, so
a host outside this list must be vouched for by the deployer, not by the org file."""

EXTRA_API_HOSTS_VARIABLE = "AKEYLESS_GATEWAY_ORG_API_HOSTS"
"""Comma-separated extra hosts (e.g. a Gateway's) the deployer allows for ``api_url``.
It lives in the deployer's environment because the org file arrives in pull requests."""


def allowed_api_hosts() -> frozenset[str]:
    extra = os.environ.get(EXTRA_API_HOSTS_VARIABLE, "")
    return AKEYLESS_SAAS_API_HOSTS | {
        host.strip().lower() for host in extra.split(",") if host.strip()
    }


def _akeyless_api_url(value: str) -> str:
    host = (urllib.parse.urlsplit(value).hostname or "").lower()
    if host not in allowed_api_hosts():
        raise ValueError(
            f"host {shown(host)} is not an Akeyless SaaS API host "
            f"({', '.join(sorted(AKEYLESS_SAAS_API_HOSTS))}); to use another (a Gateway's "
            f"API), list it in the deployer's environment variable {EXTRA_API_HOSTS_VARIABLE}"
        )
    return value


AkeylessApiUrl = Annotated[HttpsUrl, AfterValidator(_akeyless_api_url)]

GATEWAY_HOSTS_VARIABLE = "AKEYLESS_GATEWAY_ORG_GATEWAY_HOSTS"
"""Comma-separated Gateway hosts the deployer allows for ``gateway_url`` and
``gateway_health_url``. The deployment logs in at a Gateway's URL, so, as for
``api_url``, only the deployer (not an org file from a pull request) may name one."""


def allowed_gateway_hosts(created: frozenset[str] = frozenset()) -> frozenset[str]:
    """The hosts a Gateway URL may name: the deployer's list and the ones ``created`` by
    the stack itself (its load balancer, a DNS name it manages)."""
    extra = os.environ.get(GATEWAY_HOSTS_VARIABLE, "")
    listed = {host.strip().lower() for host in extra.split(",") if host.strip()}
    return frozenset(listed) | {host.lower() for host in created}


def gateway_host_problem(url: str, created: frozenset[str] = frozenset()) -> str | None:
    """Why the deployment must not send its login to ``url``, or None when its host is allowed.

    ``created``: hosts this stack creates itself (a stack-created name counts as allowed).
    """
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    if host in allowed_gateway_hosts(created):
        return None
    return (
        f"host {shown(host)} is not a Gateway the deployer allows: the deployment sends its "
        f"Akeyless login there; list it in the deployer's environment variable "
        f"{GATEWAY_HOSTS_VARIABLE}, or leave the URL out to use the load balancer the stack creates"
    )


def exported_gateway_host_problem(url: str, region: str) -> str | None:
    """Why a stack must not log in at the Gateway URL another stack exported, or None.

    The URL comes from that stack's state, not from this stack's validated config: its host
    must be one the deployer allows, or an AWS load balancer's name in ``region`` (the hub's
    own, which the hub stack created: ``<name>-<id>.elb.<region>.amazonaws.com`` for a
    Network Load Balancer, https://docs.aws.amazon.com/elasticloadbalancing/latest/network/network-load-balancers.html#dns-name).
    """
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    load_balancer = re.fullmatch(
        rf"[a-z0-9-]+\.(elb\.{re.escape(region)}|{re.escape(region)}\.elb)\.amazonaws\.com", host
    )
    if load_balancer or host in allowed_gateway_hosts():
        return None
    return gateway_host_problem(url)


def plaintext_login_problem(url: str, *, allowed_in_lab: bool) -> str | None:
    """Why an authenticated call to the Gateway at ``url`` must not be made, or None.

    The deployment's login (a signed STS GetCallerIdentity with its session token,
    or an access key) is a bearer credential: over plain HTTP anyone on the path can
    replay it. Port 8000 is plain HTTP unless TLS is terminated in front of it
    (README, "HTTP or HTTPS, honestly").
    """
    if url.startswith("https://") or allowed_in_lab:
        return None
    return (
        f"the deployment would send its Akeyless login to {shown(url)} in clear: give the "
        "Gateway TLS (tls_certificate_arn and an https:// gateway_url), or, in a lab only, "
        "set akeyless.allow_plaintext_gateway_login_in_lab: true"
    )


_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9+=,.@:/_-]{2,1224}$")


def external_id_problem(value: str) -> str | None:
    """Why ``value`` cannot be the External ID of a member role's trust, or None.

    STS takes an External ID of 2-1224 characters of ``[\\w+=,.@:/-]``
    (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html,
    ExternalId). Akeyless publishes no narrower format: the SDK types
    ``generated_external_id`` as a plain string (akeylesslabs/akeyless-python
    ``docs/AWSGatewayCloudIdentityExternalIdOpt.md``), so this is the check. ASCII only
    (Python's ``\\w`` would admit any Unicode letter); whatever else the answer holds
    never reaches a trust policy.
    """
    if _EXTERNAL_ID.fullmatch(value):
        return None
    return f"is not an External ID STS accepts (2-1224 of A-Za-z0-9+=,.@:/_-), got {shown(value)}"


def _printable(value: str) -> str:
    unsafe = [char for char in value if unsafe_character(char) or not char.isprintable()]
    if unsafe:
        raise ValueError(
            "must be printable text: no control, formatting or bidirectional characters, "
            f"got {shown(unsafe[0])}"
        )
    return value


PrintableText = Annotated[str, Field(max_length=256), AfterValidator(_printable)]
"""Free text from input (an account's name): shown on terminals, in reports and reviews."""
HttpUrl = Annotated[str, _matching(_HTTP_URL, "an http:// or https:// URL")]
VpcId = Annotated[str, _matching(_VPC_ID, "a VPC ID like vpc-0123456789abcdef0")]
SubnetId = Annotated[str, _matching(_SUBNET_ID, "a subnet ID like subnet-0123456789abcdef0")]
SecurityGroupId = Annotated[
    str, _matching(_SECURITY_GROUP_ID, "a security group ID like sg-0123456789abcdef0")
]
AvailabilityZone = Annotated[
    str, _matching(_AVAILABILITY_ZONE, "an availability zone name like us-east-1a")
]
Cidr = Annotated[str, AfterValidator(_cidr)]
OrgUnitId = Annotated[
    str,
    _matching(_ORG_UNIT_ID, "an organizational unit ID like ou-ab12-cd34ef56 (or a root r-ab12)"),
]
OidcProviderArn = Annotated[
    str,
    _matching(
        _OIDC_PROVIDER_ARN,
        "an EKS OIDC provider ARN "
        "(arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<ID>)",
    ),
]
EksClusterName = Annotated[str, _matching(_EKS_CLUSTER_NAME, "an EKS cluster name")]
KubernetesName = Annotated[str, _matching(_K8S_NAME, "a Kubernetes name (DNS label)")]
# A Gateway image: `[registry/]akeyless/gateway`, then a full release tag, optionally
# with its digest (https://docs.docker.com/reference/cli/docker/image/tag/ for the syntax).
_IMAGE = re.compile(
    # The first component is a registry only when it has a dot, as Docker reads it.
    r"^(?:(?P<registry>[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d{1,5})?)/)?(?P<repository>[a-z0-9._/-]+)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)
# A release tag names one build: major.minor.patch (5.0.1), optionally with a suffix.
# `5`, `5.0`, `latest`, `stable` move as new releases are pushed.
_RELEASE_TAG = re.compile(r"^v?\d+\.\d+\.\d+(?:[-.][0-9A-Za-z.-]+)?$")
DOCKER_HUB = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_ECR_PRIVATE = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$")
"""Registries a Gateway image may come from: Docker Hub (where Akeyless publishes
akeyless/gateway) and private ECR registries (an organization's own mirror)."""


def _gateway_image(value: str) -> str:
    match = _IMAGE.fullmatch(value)
    if match is None or match["repository"] != "akeyless/gateway":
        raise ValueError(
            f"must be an akeyless/gateway image like akeyless/gateway:5.0.1 (optionally "
            f"...:5.0.1@sha256:<digest>), got {shown(value)}"
        )
    registry = match["registry"]
    if registry is not None and registry not in DOCKER_HUB and not _ECR_PRIVATE.match(registry):
        raise ValueError(
            f"registry {shown(registry)} is not allowed: use Docker Hub (akeyless/gateway) "
            "or a private ECR mirror (<account>.dkr.ecr.<region>.amazonaws.com)"
        )
    tag = match["tag"]
    if tag is None or not _RELEASE_TAG.match(tag):
        raise ValueError(
            f"tag {shown(tag or '(none)')} moves as releases are pushed: pin a full release "
            "(akeyless/gateway:5.0.1), optionally with its digest (...:5.0.1@sha256:<digest>)"
        )
    return value


def image_repository_and_tag(image: str) -> tuple[str, str]:
    """``(registry/repository, tag[@digest])`` of a validated Gateway image, as Helm charts
    compose it back (``<repository>:<tag>``)."""
    match = _IMAGE.fullmatch(image)
    if match is None:
        raise ValueError(f"not an image reference: {shown(image)}")
    repository = (
        f"{match['registry']}/{match['repository']}" if match["registry"] else match["repository"]
    )
    reference = match["tag"] or ""
    return repository, f"{reference}@{match['digest']}" if match["digest"] else reference


@dataclass(frozen=True)
class EcrRepository:
    """A private ECR repository an image is pulled from."""

    registry: str
    """``<account>.dkr.ecr.<region>.amazonaws.com`` (``.com.cn`` in China)."""
    account_id: str
    region: str
    name: str
    """The repository, e.g. ``akeyless/gateway``."""

    @property
    def partition(self) -> str:
        return "aws-cn" if self.registry.endswith(".cn") else "aws"

    @property
    def arn(self) -> str:
        return f"arn:{self.partition}:ecr:{self.region}:{self.account_id}:repository/{self.name}"


def private_ecr_repository(image: str) -> EcrRepository | None:
    """The private ECR repository of a validated Gateway image, or None (Docker Hub: a
    public image, pulled without credentials)."""
    match = _IMAGE.fullmatch(image)
    registry = match["registry"] if match else None
    if match is None or registry is None or not _ECR_PRIVATE.match(registry):
        return None
    account_id, _dkr, _ecr, region = registry.split(".")[:4]
    return EcrRepository(registry, account_id, region, match["repository"])


def ecr_registry_account(image: str) -> str | None:
    """The account of a validated image's private ECR registry, None for Docker Hub."""
    match = _IMAGE.fullmatch(image)
    registry = match["registry"] if match else None
    return registry.split(".", 1)[0] if registry and _ECR_PRIVATE.match(registry) else None


def image_digest(image: str) -> str | None:
    """The ``sha256:...`` digest a validated image is pinned by, if any."""
    match = _IMAGE.fullmatch(image)
    return match["digest"] if match else None


GatewayImage = Annotated[str, AfterValidator(_gateway_image)]
Region = Annotated[str, AfterValidator(_region)]
TagKey = Annotated[str, AfterValidator(_tag_key)]
TagValue = Annotated[str, AfterValidator(_tag_value)]


def partition_of_arn(arn: str) -> str:
    """The partition field of an ARN (``aws``, ``aws-cn``, ``aws-us-gov``)."""
    return arn.split(":")[1]


def account_of_arn(arn: str) -> str:
    """The account-ID field of an ARN (empty for AWS-managed policies)."""
    return arn.split(":")[4]


def region_of_arn(arn: str) -> str:
    """The region field of an ARN (empty for global services such as IAM)."""
    return arn.split(":")[3]
