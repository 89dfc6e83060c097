"""The security invariants as pure rules over one resource's type and properties.

Used twice: by the Pulumi policy pack in this folder (``__main__.py``, on every
``preview``/``up``), and by ``orgctl render`` over the rendered resources, so
the invariants are checked with no CLI and no credentials. Standard library
only: the pack runs this file in its own virtualenv.

A rule is ``rule(resource) -> list[str]``: the violations, each a sentence.
Properties use Pulumi's wire names (``assumeRolePolicy``), as both the policy
SDK and the render see them.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

GATEWAY_PORTS = (8000, 8080)
EXCEPTION_TAG = "akeyless-gateway/policy-exception"
"""A resource whose tag of this key names a rule (comma-separated) is exempt from it."""
DEFAULT_REQUIRED_TAGS = ("owner",)
INTERNET_INGRESS_RULE = "no-internet-ingress-to-gateway"

TAGGABLE_TYPES = frozenset(
    {
        "aws:iam/role:Role",
        "aws:iam/instanceProfile:InstanceProfile",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:autoscaling/group:Group",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:lb/targetGroup:TargetGroup",
        "aws:lb/listener:Listener",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:ecs/cluster:Cluster",
        "aws:ecs/taskDefinition:TaskDefinition",
        "aws:ecs/service:Service",
    }
)


@dataclass(frozen=True)
class Resource:
    """What a rule sees of a resource."""

    type: str
    name: str
    props: Mapping[str, Any]
    account_id: str | None = None
    """The account it deploys into (its provider's ``allowedAccountIds``), when known."""
    required_tags: Sequence[str] = field(default=DEFAULT_REQUIRED_TAGS)


@dataclass(frozen=True)
class Violation:
    rule: str
    resource: str
    type: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.resource} ({self.type}): {self.message}"


# --- helpers -----------------------------------------------------------------------


def _document(value: Any) -> dict[str, Any] | None:
    """A policy document from its JSON text (or dict); None if it is not one."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    return value if isinstance(value, dict) else None


def _statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    return [s for s in ([statements] if isinstance(statements, dict) else statements) if s]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _truthy(value: Any) -> bool:
    """Booleans arrive as bools or as "true"/"false" strings (launch templates)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _tags(props: Mapping[str, Any]) -> dict[str, str]:
    tags = props.get("tags") or {}
    if isinstance(tags, list):  # Auto Scaling groups: [{key, value, propagateAtLaunch}]
        return {str(t.get("key")): str(t.get("value")) for t in tags if isinstance(t, dict)}
    return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {}


def exempt(resource: Resource, rule: str) -> bool:
    names = _tags(resource.props).get(EXCEPTION_TAG, "")
    return rule in [name.strip() for name in names.split(",")]


def _account_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else None


def _policy_documents(props: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for key in ("assumeRolePolicy", "policy"):
        document = _document(props.get(key))
        if document is not None and "Statement" in document:
            yield key, document


# --- the rules -------------------------------------------------------------------------


def no_access_keys(resource: Resource) -> list[str]:
    if resource.type == "aws:iam/accessKey:AccessKey":
        return ["creates an IAM access key: a long-lived credential; use roles"]
    return []


def no_iam_users(resource: Resource) -> list[str]:
    if resource.type == "aws:iam/user:User":
        return ["creates an IAM user; identities here are roles (dynamic users come from Akeyless)"]
    return []


def cross_account_trust_needs_external_id(resource: Resource) -> list[str]:
    if resource.type != "aws:iam/role:Role":
        return []
    document = _document(resource.props.get("assumeRolePolicy"))
    if document is None:
        return []
    found = []
    for statement in _statements(document):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        principals = _as_list(principal.get("AWS")) if isinstance(principal, dict) else []
        condition = statement.get("Condition") or {}
        has_external_id = any("sts:ExternalId" in block for block in condition.values())
        for arn in principals:
            account = _account_of(str(arn))
            same_account = account is not None and account == resource.account_id
            if not same_account and not has_external_id:
                found.append(
                    f"trusts {arn}, outside account {resource.account_id or '(unknown)'}, "
                    "without an sts:ExternalId condition"
                )
    return found


def no_wildcard_principal(resource: Resource) -> list[str]:
    found = []
    for key, document in _policy_documents(resource.props):
        for statement in _statements(document):
            principal = statement.get("Principal")
            values = (
                [principal]
                if isinstance(principal, str)
                else [v for vs in principal.values() for v in _as_list(vs)]
                if isinstance(principal, dict)
                else []
            )
            if "*" in values:
                found.append(f"{key} allows Principal '*'")
    return found


def launch_templates_require_imdsv2(resource: Resource) -> list[str]:
    if resource.type not in ("aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance"):
        return []
    options = resource.props.get("metadataOptions") or {}
    if options.get("httpTokens") != "required":
        return ["metadataOptions.httpTokens must be 'required' (IMDSv2)"]
    return []


def encrypted_volumes(resource: Resource) -> list[str]:
    props = resource.props
    if resource.type == "aws:ec2/launchTemplate:LaunchTemplate":
        mappings = props.get("blockDeviceMappings") or []
        return [
            f"volume {m.get('deviceName')} is not encrypted"
            for m in mappings
            if isinstance(m, dict)
            and m.get("ebs") is not None
            and not _truthy((m.get("ebs") or {}).get("encrypted"))
        ]
    if resource.type == "aws:ebs/volume:Volume" and not _truthy(props.get("encrypted")):
        return ["the volume is not encrypted"]
    if resource.type == "aws:ec2/instance:Instance":
        root = props.get("rootBlockDevice") or {}
        if not _truthy(root.get("encrypted")):
            return ["the root volume is not encrypted"]
    return []


def _opens_gateway_port(rule: Mapping[str, Any]) -> bool:
    protocol = str(rule.get("protocol", "tcp"))
    if protocol in ("-1", "all"):
        return True
    low, high = rule.get("fromPort", 0), rule.get("toPort", 0)
    return any(int(low) <= port <= int(high) for port in GATEWAY_PORTS)


def _internet_sources(rule: Mapping[str, Any]) -> list[str]:
    cidrs = [*_as_list(rule.get("cidrBlocks")), *_as_list(rule.get("ipv6CidrBlocks"))]
    for key in ("cidrIpv4", "cidrIpv6"):  # standalone ingress-rule resources
        cidrs += _as_list(rule.get(key))
    return [c for c in cidrs if ipaddress.ip_network(str(c), strict=False).prefixlen == 0]


def no_internet_ingress_to_gateway_ports(resource: Resource) -> list[str]:
    if resource.type == "aws:ec2/securityGroup:SecurityGroup":
        rules = _as_list(resource.props.get("ingress"))
    elif resource.type in (
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
    ):
        if resource.props.get("type", "ingress") != "ingress":
            return []
        rules = [dict(resource.props)]
    else:
        return []
    return [
        f"admits {', '.join(_internet_sources(rule))} to a Gateway port "
        f"({rule.get('fromPort')}-{rule.get('toPort')}); mark an intended exception with "
        f"the tag {EXCEPTION_TAG}"
        for rule in rules
        if isinstance(rule, dict) and _opens_gateway_port(rule) and _internet_sources(rule)
    ]


def targets_use_the_gateway_identity(resource: Resource) -> list[str]:
    if resource.type != "akeyless:index/targetAws:TargetAws":
        return []
    found = []
    if resource.props.get("useGwCloudIdentity") is not True:
        found.append("useGwCloudIdentity must be true")
    if resource.props.get("accessKey"):
        found.append("carries an accessKey: a long-lived secret key")
    return found


def required_tags_present(resource: Resource) -> list[str]:
    if resource.type not in TAGGABLE_TYPES:
        return []
    missing = [tag for tag in resource.required_tags if tag not in _tags(resource.props)]
    return [f"missing required tag(s) {', '.join(missing)}"] if missing else []


Rule = Callable[[Resource], list[str]]

RULES: dict[str, tuple[str, Rule]] = {
    "no-iam-access-keys": ("No IAM access keys are created.", no_access_keys),
    "no-iam-users": ("No IAM users are created.", no_iam_users),
    "cross-account-trust-external-id": (
        "A role trusting a principal in another account requires sts:ExternalId.",
        cross_account_trust_needs_external_id,
    ),
    "no-wildcard-principal": ("No policy allows Principal '*'.", no_wildcard_principal),
    "imdsv2-required": (
        "Launch templates and instances require IMDSv2.",
        launch_templates_require_imdsv2,
    ),
    "encrypted-ebs": ("EBS volumes are encrypted.", encrypted_volumes),
    INTERNET_INGRESS_RULE: (
        "No 0.0.0.0/0 or ::/0 ingress to the Gateway's ports unless marked as an exception.",
        no_internet_ingress_to_gateway_ports,
    ),
    "akeyless-target-gateway-identity": (
        "Akeyless AWS Targets use the Gateway's cloud identity and carry no access key.",
        targets_use_the_gateway_identity,
    ),
    "required-tags": ("Taggable resources carry the required tags.", required_tags_present),
}


def check(resource: Resource) -> list[Violation]:
    """Every violation of every rule by ``resource`` (exempt rules skipped)."""
    return [
        Violation(name, resource.name, resource.type, message)
        for name, (_, rule) in RULES.items()
        if not exempt(resource, name)
        for message in rule(resource)
    ]
