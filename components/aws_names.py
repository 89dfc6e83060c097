"""Physical names of AWS resources: their length limits, and short deterministic names.

AWS caps many names (a load balancer or target group at 32 characters). When a
resource is given no name, the pulumi-aws bridge autonames it from the Pulumi
logical name plus ``-`` and 7 random hex characters, and fails at preview when
that is over the bridge's own limit for the type (pulumi-terraform-bridge
``pkg/tfbridge/info/autonaming.go`` ``AutoName``/``ComputeAutoNameDefault``,
Randlen 7; pulumi-aws ``provider/autonaming.go`` gives every ``name`` input a
255 limit unless ``provider/resource_overrides.go`` or ``provider/aliases.go``
says otherwise, e.g. ``aws_iam_role`` 64, ``aws_lb_target_group`` 32). The
bridge's limit is not always AWS's: ``aws_lb`` autonames up to 255, AWS takes 32.

:func:`short_name` makes a name that fits; :func:`physical_name` predicts the
name a registered resource gets, which the tests check against :data:`NAME_RULES`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

AUTONAME_RANDOM_LENGTH = 7
"""The bridge's autoname suffix: the separator ``-`` plus this many random hex digits."""
HASH_LENGTH = 8

_NOT_LB_NAME = re.compile(r"[^A-Za-z0-9-]+")
_ELB_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")


@dataclass(frozen=True)
class NameRule:
    """How a resource type is named, and the longest name AWS accepts."""

    name_property: str
    """The input holding the physical name (Pulumi wire name)."""
    limit: int
    """AWS's maximum length."""
    autonamed: bool
    """Whether the bridge autonames it when the input is absent."""
    source: str
    pattern: re.Pattern[str] | None = None
    """What the name must look like, where AWS restricts more than its length."""


NAME_RULES: dict[str, NameRule] = {
    "aws:lb/loadBalancer:LoadBalancer": NameRule(
        "name",
        32,
        True,
        "ELB API CreateLoadBalancer: Name, at most 32 characters",
        _ELB_NAME,
    ),
    "aws:lb/targetGroup:TargetGroup": NameRule(
        "name", 32, True, "ELB API CreateTargetGroup: Name, at most 32 characters", _ELB_NAME
    ),
    "aws:iam/role:Role": NameRule("name", 64, True, "IAM quotas: role name 64 characters"),
    "aws:iam/instanceProfile:InstanceProfile": NameRule(
        "name", 128, True, "IAM quotas: instance profile name 128 characters"
    ),
    "aws:iam/rolePolicy:RolePolicy": NameRule(
        "name", 128, True, "IAM API PutRolePolicy: PolicyName, at most 128 characters"
    ),
    "aws:iam/policy:Policy": NameRule("name", 128, True, "IAM quotas: policy name 128 characters"),
    "aws:ec2/securityGroup:SecurityGroup": NameRule(
        "name", 255, True, "EC2 API CreateSecurityGroup: GroupName, at most 255 characters"
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": NameRule(
        "name", 128, True, "EC2 API CreateLaunchTemplate: LaunchTemplateName, 3-128 characters"
    ),
    "aws:autoscaling/group:Group": NameRule(
        "name", 255, True, "Auto Scaling API CreateAutoScalingGroup: 1-255 characters"
    ),
    "aws:ecs/cluster:Cluster": NameRule(
        "name", 255, True, "ECS API CreateCluster: clusterName, up to 255 characters"
    ),
    "aws:ecs/service:Service": NameRule(
        "name", 255, True, "ECS API CreateService: serviceName, up to 255 characters"
    ),
    "aws:ecs/taskDefinition:TaskDefinition": NameRule(
        "family", 255, False, "ECS API RegisterTaskDefinition: family, up to 255 characters"
    ),
    "aws:cloudwatch/logGroup:LogGroup": NameRule(
        "name", 512, True, "CloudWatch Logs API CreateLogGroup: logGroupName, 1-512 characters"
    ),
    "aws:autoscaling/policy:Policy": NameRule(
        "name", 255, True, "EC2 Auto Scaling API PutScalingPolicy: PolicyName, 1-255 characters"
    ),
    "aws:appautoscaling/policy:Policy": NameRule(
        "name",
        256,
        True,
        "Application Auto Scaling API PutScalingPolicy: PolicyName, 1-256 characters",
    ),
}
"""Every named AWS resource type this program registers."""

UNNAMED_TYPES = frozenset(
    {
        "aws:lb/listener:Listener",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:acm/certificate:Certificate",
        "aws:acm/certificateValidation:CertificateValidation",
        # Its name is the DNS name (config/fields.py DnsName, or ACM's validation name).
        "aws:route53/record:Record",
        "aws:appautoscaling/target:Target",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    }
)
"""AWS types this program registers that carry no physical name."""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_LENGTH]


def short_name(readable: str, limit: int, *, identity: str | None = None) -> str:
    """``readable`` when it fits in ``limit``, else cut and suffixed ``-<8 hex>`` of a hash.

    With ``identity`` (what forces the resource's replacement), the hash suffix
    is always added and covers it too: a replacement then gets a fresh name,
    so Pulumi can create it before deleting the old one.
    """
    if identity is None and len(readable) <= limit:
        return readable
    suffix = _digest(f"{readable}\n{identity or ''}")
    return f"{readable[: limit - HASH_LENGTH - 1].rstrip('-')}-{suffix}"


def load_balancer_name(readable: str, *, identity: str | None = None) -> str:
    """A name for a load balancer or target group: letters, digits and inner hyphens, 32 max.

    ELB names may not start or end with a hyphen, and a load balancer's may not
    start with ``internal-`` (ELB API CreateLoadBalancer, Name).
    """
    cleaned = _NOT_LB_NAME.sub("-", readable).strip("-").removeprefix("internal-")
    return short_name(cleaned or "gateway", 32, identity=identity)


def physical_name(type_: str, logical_name: str, inputs: Mapping[str, Any]) -> str | None:
    """The physical name a resource gets: its name input, or the bridge's autoname.

    The autoname's random part is modelled by as many ``x`` as it has characters.
    """
    rule = NAME_RULES.get(type_)
    if rule is None:
        return None
    given = inputs.get(rule.name_property)
    if isinstance(given, str):
        return given
    if rule.autonamed:
        return f"{logical_name}-{'x' * AUTONAME_RANDOM_LENGTH}"
    return None


def name_problems(type_: str, logical_name: str, inputs: Mapping[str, Any]) -> list[str]:
    """Why AWS would refuse the physical name this resource gets; empty if it would not.

    An AWS type with neither a rule nor a place in :data:`UNNAMED_TYPES` is a
    problem too, so a new resource type cannot escape the check.
    """
    if type_ in UNNAMED_TYPES or not type_.startswith("aws:"):
        return []
    rule = NAME_RULES.get(type_)
    if rule is None:
        return [f"{type_} has no name rule in components/aws_names.py"]
    name = physical_name(type_, logical_name, inputs)
    if name is None:
        return []
    found = []
    if len(name) > rule.limit:
        found.append(f"{name!r} has {len(name)} characters, over {rule.limit} ({rule.source})")
    if rule.pattern is not None and not rule.pattern.match(name):
        found.append(f"{name!r}: only letters, digits and inner hyphens ({rule.source})")
    if type_ == "aws:lb/loadBalancer:LoadBalancer" and name.startswith("internal-"):
        found.append(f"{name!r} may not start with 'internal-' ({rule.source})")
    return found
