"""What the stand-in providers know of the real ones: each rule with the source it models.

The stand-ins (``standin_provider.py``) replace only the cloud, so they must fail where the
real providers fail and the program depends on it:

- **Check**: the bridge's autonaming of ``name`` and its check of required inputs
  (:func:`autonamed`, :func:`required_inputs`).
- **Diff**: a replacement for the properties the real provider forces new
  (:data:`REPLACE_ON`, one row per type this program registers, every property it sets), and
  delete-before-replace where the bridge asks for it (:func:`delete_before_replace`).
- **Create/Delete**: AWS's and Akeyless's refusals that depend on other live resources: a
  name already taken (:data:`UNIQUE_NAMES`), a delete while another resource still refers
  to the resource (:data:`DELETE_BLOCKED_BY`). The stand-ins share what is live in a file
  (``STANDIN_WORLD``), as the cloud is shared by every provider process.

Pure data and functions: nothing here talks gRPC.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "components" / "akeyless_provider_schema.json"

DEFAULTS_KEY = "__defaults"
"""The key under which a bridged provider's Check lists the inputs it filled in itself
(pulumi-terraform-bridge pkg/tfbridge/schema.go, ``reservedkeys.Defaults``), read back by
``nameRequiresDeleteBeforeReplace``."""

AUTONAME_RANDOM_LENGTH = 7
AUTONAME_MAX_LENGTH: Mapping[str, int] = {
    # pulumi-aws provider/resources.go: tfbridge.AutoName("name", 32, "-") for these two
    # (ELB API CreateTargetGroup / CreateLoadBalancer: at most 32 characters).
    "aws:lb/targetGroup:TargetGroup": 32,
    "aws:lb/loadBalancer:LoadBalancer": 32,
    # IAM role and instance profile names: 64 (pulumi-aws resources.go, AutoName(..., 64, "-")).
    "aws:iam/role:Role": 64,
    "aws:iam/instanceProfile:InstanceProfile": 128,
}
"""Everything else bridged gets ``prov.SetAutonaming(255, "-")``: every property literally
called ``name`` (pulumi-terraform-bridge pkg/tfbridge/info/autonaming.go ``SetAutonaming``;
pulumi-aws provider/resources.go, and the dynamic bridge that serves akeyless,
dynamic/info.go)."""

# --- Diff: what the real providers force new ---------------------------------------------

REPLACE_ON: Mapping[str, frozenset[str]] = {
    token: frozenset(replace)
    for token, replace in {
        # terraform-provider-aws (the provider pulumi-aws bridges), each resource's schema,
        # ForceNew: true (SDKv2) or RequiresReplace (framework). Properties of a row not
        # listed update in place; ALL_SET_PROPERTIES below says which those are.
        # internal/service/acm/certificate.go: domain_name, validation_method (and
        # subject_alternative_names, key_algorithm, not set here).
        "aws:acm/certificate:Certificate": {"domainName", "validationMethod"},
        # internal/service/acm/certificate_validation.go: both of its arguments.
        "aws:acm/certificateValidation:CertificateValidation": {
            "certificateArn",
            "validationRecordFqdns",
        },
        # internal/service/route53/record.go: name, zone_id (type, records, ttl and
        # aliases change through ChangeResourceRecordSets in place).
        "aws:route53/record:Record": {"name", "zoneId"},
        # internal/service/autoscaling/group.go: name, name_prefix.
        "aws:autoscaling/group:Group": {"name"},
        # internal/service/logs/group.go: name, name_prefix.
        "aws:cloudwatch/logGroup:LogGroup": {"name"},
        # internal/service/events/rule.go: name, name_prefix, event_bus_name (the pattern,
        # description and tags change through PutRule in place).
        "aws:cloudwatch/eventRule:EventRule": {"name"},
        # internal/service/events/target.go: rule, target_id, event_bus_name (arn, role_arn,
        # input_transformer change through PutTargets in place).
        "aws:cloudwatch/eventTarget:EventTarget": {"rule"},
        # internal/service/events/connection.go: name (authorization and its parameters
        # change through UpdateConnection).
        "aws:cloudwatch/eventConnection:EventConnection": {"name"},
        # internal/service/events/api_destination.go: name (UpdateApiDestination for the
        # rest).
        "aws:cloudwatch/eventApiDestination:EventApiDestination": {"name"},
        # internal/service/sqs/queue.go: name, name_prefix, fifo_queue (the rest is
        # SetQueueAttributes in place).
        "aws:sqs/queue:Queue": {"name"},
        # internal/service/sqs/queue_policy.go: queue_url.
        "aws:sqs/queuePolicy:QueuePolicy": {"queueUrl"},
        # internal/service/ec2/ec2_launch_template.go: name, name_prefix (the rest makes a
        # new version).
        "aws:ec2/launchTemplate:LaunchTemplate": {"name"},
        # internal/service/ec2/vpc_security_group.go: name, name_prefix, description, vpc_id.
        "aws:ec2/securityGroup:SecurityGroup": {"name", "description", "vpcId"},
        # internal/service/ecs/cluster.go: name.
        "aws:ecs/cluster:Cluster": {"name"},
        # internal/service/ecs/service.go: name, cluster, launch_type.
        "aws:ecs/service:Service": {"name", "cluster", "launchType"},
        # internal/service/ecs/task_definition.go: every argument but tags is ForceNew.
        "aws:ecs/taskDefinition:TaskDefinition": {
            "containerDefinitions",
            "cpu",
            "executionRoleArn",
            "family",
            "memory",
            "networkMode",
            "requiresCompatibilities",
            "taskRoleArn",
        },
        # internal/service/iam/instance_profile.go: name, name_prefix, path.
        "aws:iam/instanceProfile:InstanceProfile": {"name", "path"},
        # internal/service/iam/role.go: name, name_prefix, path.
        "aws:iam/role:Role": {"name", "path"},
        # internal/service/iam/role_policy.go: name, name_prefix, role.
        "aws:iam/rolePolicy:RolePolicy": {"name", "role"},
        # internal/service/elbv2/listener.go: load_balancer_arn.
        "aws:lb/listener:Listener": {"loadBalancerArn"},
        # internal/service/elbv2/load_balancer.go: name, name_prefix, internal,
        # load_balancer_type.
        "aws:lb/loadBalancer:LoadBalancer": {"name", "internal", "loadBalancerType"},
        # internal/service/elbv2/target_group.go: name, name_prefix, port, protocol,
        # target_type, vpc_id.
        "aws:lb/targetGroup:TargetGroup": {"name", "port", "protocol", "targetType", "vpcId"},
        # internal/service/ec2/vpc_security_group_egress_rule.go (and ingress, same base):
        # security_group_id (stringplanmodifier.RequiresReplace).
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {"securityGroupId"},
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {"securityGroupId"},
        # terraform-provider-akeyless akeyless/resource_*.go: `name` is ForceNew on each;
        # AssociateRoleAuthMethod's am_name and role_name too (resource_associate_role_auth
        # _method.go).
        "akeyless:index/associateRoleAuthMethod:AssociateRoleAuthMethod": {"amName", "roleName"},
        "akeyless:index/authMethodAwsIam:AuthMethodAwsIam": {"name"},
        "akeyless:index/dynamicSecretAws:DynamicSecretAws": {"name"},
        "akeyless:index/gatewayAllowedAccess:GatewayAllowedAccess": {"name"},
        "akeyless:index/role:Role": {"name"},
        "akeyless:index/rotatedSecretAws:RotatedSecretAws": {"name"},
        "akeyless:index/targetAws:TargetAws": {"name"},
        "akeyless:index/usc:Usc": {"name"},
        # pulumi-kubernetes provider/pkg/provider/helm_release.go: a new release name or
        # namespace is a new release (forceNewProperties: name, namespace).
        "kubernetes:helm.sh/v3:Release": {"name", "namespace"},
        # pulumi-kubernetes provider/pkg/provider/provider.go, forceNewProperties:
        # metadata.name and metadata.namespace (compared below as the metadata object's
        # name and namespace).
        "kubernetes:core/v1:Service": {"metadata.name", "metadata.namespace"},
    }.items()
}

ALL_SET_PROPERTIES: Mapping[str, frozenset[str]] = {
    token: frozenset(properties)
    for token, properties in {
        "aws:acm/certificate:Certificate": {"domainName", "tags", "validationMethod"},
        "aws:acm/certificateValidation:CertificateValidation": {
            "certificateArn",
            "validationRecordFqdns",
        },
        "aws:route53/record:Record": {
            "aliases",
            "allowOverwrite",
            "name",
            "records",
            "ttl",
            "type",
            "zoneId",
        },
        "aws:autoscaling/group:Group": {
            "desiredCapacity",
            "healthCheckGracePeriod",
            "healthCheckType",
            "instanceRefresh",
            "launchTemplate",
            "maxSize",
            "minSize",
            "tags",
            "targetGroupArns",
            "vpcZoneIdentifiers",
        },
        "aws:cloudwatch/logGroup:LogGroup": {"name", "retentionInDays", "tags"},
        "aws:cloudwatch/eventRule:EventRule": {"description", "eventPattern", "name", "tags"},
        "aws:cloudwatch/eventTarget:EventTarget": {
            "arn",
            "deadLetterConfig",
            "inputTransformer",
            "retryPolicy",
            "roleArn",
            "rule",
        },
        "aws:sqs/queue:Queue": {"messageRetentionSeconds", "name", "sqsManagedSseEnabled", "tags"},
        "aws:sqs/queuePolicy:QueuePolicy": {"policy", "queueUrl"},
        "aws:cloudwatch/eventConnection:EventConnection": {
            "authParameters",
            "authorizationType",
            "description",
            "name",
        },
        "aws:cloudwatch/eventApiDestination:EventApiDestination": {
            "connectionArn",
            "description",
            "httpMethod",
            "invocationEndpoint",
            "invocationRateLimitPerSecond",
            "name",
        },
        "aws:ec2/launchTemplate:LaunchTemplate": {
            "blockDeviceMappings",
            "iamInstanceProfile",
            "imageId",
            "instanceType",
            "metadataOptions",
            "networkInterfaces",
            "tagSpecifications",
            "tags",
            "updateDefaultVersion",
            "userData",
        },
        "aws:ec2/securityGroup:SecurityGroup": {
            "description",
            "egress",
            "ingress",
            "tags",
            "vpcId",
        },
        "aws:ecs/cluster:Cluster": {"name", "settings", "tags"},
        "aws:ecs/service:Service": {
            "cluster",
            "desiredCount",
            "launchType",
            "loadBalancers",
            "networkConfiguration",
            "tags",
            "taskDefinition",
        },
        "aws:ecs/taskDefinition:TaskDefinition": {
            "containerDefinitions",
            "cpu",
            "executionRoleArn",
            "family",
            "memory",
            "networkMode",
            "requiresCompatibilities",
            "tags",
            "taskRoleArn",
        },
        "aws:iam/instanceProfile:InstanceProfile": {"name", "path", "role", "tags"},
        "aws:iam/role:Role": {
            "assumeRolePolicy",
            "description",
            "name",
            "path",
            "permissionsBoundary",
            "tags",
        },
        "aws:iam/rolePolicy:RolePolicy": {"name", "policy", "role"},
        "aws:lb/listener:Listener": {
            "certificateArn",
            "defaultActions",
            "loadBalancerArn",
            "port",
            "protocol",
            "sslPolicy",
            "tags",
        },
        "aws:lb/loadBalancer:LoadBalancer": {
            "internal",
            "loadBalancerType",
            "name",
            "securityGroups",
            "subnets",
            "tags",
        },
        "aws:lb/targetGroup:TargetGroup": {
            "healthCheck",
            "name",
            "port",
            "protocol",
            "tags",
            "targetType",
            "vpcId",
        },
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
            "cidrIpv4",
            "cidrIpv6",
            "description",
            "fromPort",
            "ipProtocol",
            "referencedSecurityGroupId",
            "securityGroupId",
            "tags",
            "toPort",
        },
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
            "cidrIpv4",
            "cidrIpv6",
            "description",
            "fromPort",
            "ipProtocol",
            "referencedSecurityGroupId",
            "securityGroupId",
            "tags",
            "toPort",
        },
        "akeyless:index/associateRoleAuthMethod:AssociateRoleAuthMethod": {"amName", "roleName"},
        "akeyless:index/authMethodAwsIam:AuthMethodAwsIam": {
            "boundArns",
            "boundAwsAccountIds",
            "description",
            "name",
        },
        "akeyless:index/dynamicSecretAws:DynamicSecretAws": {
            "accessMode",
            "awsRoleArns",
            "awsUserConsoleAccess",
            "awsUserGroups",
            "awsUserPolicies",
            "awsUserProgrammaticAccess",
            "name",
            "region",
            "targetName",
            "userTtl",
        },
        "akeyless:index/gatewayAllowedAccess:GatewayAllowedAccess": {
            "accessId",
            "description",
            "name",
            "permissions",
        },
        "akeyless:index/role:Role": {"description", "name", "rules"},
        "akeyless:index/rotatedSecretAws:RotatedSecretAws": {
            "apiId",
            "apiKey",
            "authenticationCredentials",
            "autoRotate",
            "awsRegion",
            "name",
            "rotationInterval",
            "rotatorType",
            "targetName",
        },
        "akeyless:index/targetAws:TargetAws": {
            "accessKeyId",
            "description",
            "generateExternalId",
            "name",
            "region",
            "roleArn",
            "useGwCloudIdentity",
        },
        "akeyless:index/usc:Usc": {"name", "targetToAssociate", "uscPrefix", "usePrefixAsFilter"},
        "kubernetes:helm.sh/v3:Release": {
            "chart",
            "compat",
            "createNamespace",
            "name",
            "namespace",
            "repositoryOpts",
            "values",
            "version",
        },
        "kubernetes:core/v1:Service": {"apiVersion", "kind", "metadata", "spec"},
    }.items()
}
"""Every property this program sets, per type (a main-suite test renders both examples and
checks each registered property is here, so a new one cannot go unclassified)."""


def _at(values: Mapping[str, Any], path: str) -> Any:
    value: Any = values
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def replaced_properties(token: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """The changed properties of ``token`` the real provider can only change by replacing."""
    return sorted(path for path in REPLACE_ON.get(token, ()) if _at(olds, path) != _at(news, path))


# --- Check: autonaming and required inputs -------------------------------------------------


def _aws_args_class(token: str) -> Any:
    """The pulumi_aws ``<Type>Args`` class of a token (the SDK generated from the schema)."""
    import importlib

    module = token.split(":")[1].split("/")[0]
    kind = token.rsplit(":", 1)[-1]
    return getattr(importlib.import_module(f"pulumi_aws.{module}"), f"{kind}Args", None)


@cache
def _akeyless_schema() -> Mapping[str, Any]:
    document: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    resources: Mapping[str, Any] = document["resources"]
    return resources


@cache
def required_inputs(token: str) -> frozenset[str]:
    """The inputs the provider's schema requires of ``token`` (Pulumi names).

    aws: the required parameters of the pulumi_aws SDK's ``<Type>Args`` (generated from
    pulumi-aws's schema, where an autonamed ``name`` is optional). akeyless: ``required`` in
    the bundled schema (components/akeyless_provider_schema.json). Others: none checked.
    """
    if token.startswith("aws:"):
        args = _aws_args_class(token)
        if args is None:
            return frozenset()
        parameters = list(inspect.signature(args.__init__).parameters.values())[1:]
        return frozenset(
            args.__dict__[p.name].fget._pulumi_name
            for p in parameters
            if p.default is inspect.Parameter.empty
            and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        )
    if token.startswith("akeyless:"):
        inputs = _akeyless_schema().get(token, {}).get("inputs", {})
        return frozenset(name for name, spec in inputs.items() if spec.get("required"))
    return frozenset()


@cache
def autonamed(token: str) -> bool:
    """Whether the bridge autonames this type's ``name`` (it has one: ``SetAutonaming``)."""
    if token.startswith("aws:"):
        args = _aws_args_class(token)
        return args is not None and "name" in args.__dict__
    if token.startswith("akeyless:"):
        return "name" in _akeyless_schema().get(token, {}).get("inputs", {})
    return False


def autoname(token: str, logical_name: str, seed: bytes) -> str:
    """``<logical name>-<7 hex>``, the hex from the engine's random seed, as the bridge's
    ``ComputeAutoNameDefault`` makes it through pulumi/pulumi sdk/go/common/resource
    ``NewUniqueName`` (the prefix cut so the whole fits the type's maximum)."""
    maximum = AUTONAME_MAX_LENGTH.get(token, 255)
    suffix = hashlib.sha256(seed + logical_name.encode()).hexdigest()[:AUTONAME_RANDOM_LENGTH]
    return f"{logical_name[: maximum - AUTONAME_RANDOM_LENGTH - 1]}-{suffix}"


def missing_required(token: str, news: Mapping[str, Any]) -> list[str]:
    return sorted(name for name in required_inputs(token) if news.get(name) in (None, ""))


MISSING_REQUIRED = (
    'Missing required argument: The argument "{name}" is required, but no definition was found.'
)
"""terraform-plugin-sdk helper/schema/schema.go (validateRequired), as the bridge's Check
returns it for the property."""


def delete_before_replace(token: str, news: Mapping[str, Any]) -> bool:
    """The bridge's ``nameRequiresDeleteBeforeReplace`` (pulumi-terraform-bridge
    pkg/tfbridge/schema.go, called from provider.go Diff on any replacement): true when an
    autonamed property was given by the program (it is not in ``__defaults``) and the
    resource has no ``UniqueNameFields`` (pulumi-aws sets none for the types here), so the
    same name could not exist twice. The kubernetes provider does the same for a named
    object (pulumi-kubernetes provider.go, Diff: "deleteBeforeReplace" when metadata.name
    is set)."""
    if token.startswith("kubernetes:"):
        return True
    if not autonamed(token) or DEFAULTS_KEY not in news:
        return False
    defaults = news.get(DEFAULTS_KEY) or []
    return "name" in news and "name" not in defaults


# --- Create and Delete against what else is live ------------------------------------------

UNIQUE_NAMES: Mapping[str, str] = {
    # ELB API CreateLoadBalancer / CreateTargetGroup: DuplicateLoadBalancerName,
    # DuplicateTargetGroupName (with other settings than the existing one's).
    "aws:lb/loadBalancer:LoadBalancer": (
        "DuplicateLoadBalancerName: A load balancer with the same name '{name}' exists"
    ),
    "aws:lb/targetGroup:TargetGroup": (
        "DuplicateTargetGroupName: A target group with the same name '{name}' exists"
    ),
    # IAM API CreateRole / CreateInstanceProfile: EntityAlreadyExists.
    "aws:iam/role:Role": "EntityAlreadyExists: Role with name {name} already exists.",
    "aws:iam/instanceProfile:InstanceProfile": (
        "EntityAlreadyExists: Instance Profile {name} already exists."
    ),
    # CloudWatch Logs CreateLogGroup: ResourceAlreadyExistsException.
    "aws:cloudwatch/logGroup:LogGroup": (
        "ResourceAlreadyExistsException: The specified log group already exists"
    ),
    # EC2 CreateLaunchTemplate: InvalidLaunchTemplateName.AlreadyExistsException.
    "aws:ec2/launchTemplate:LaunchTemplate": (
        "InvalidLaunchTemplateName.AlreadyExistsException: Launch template name already in use."
    ),
    # Akeyless: an item or target name is unique in the account ("already exists").
    "akeyless:index/rotatedSecretAws:RotatedSecretAws": "Item {name} already exists",
    "akeyless:index/dynamicSecretAws:DynamicSecretAws": "Item {name} already exists",
    "akeyless:index/targetAws:TargetAws": "Target {name} already exists",
}
"""Types whose physical name AWS or Akeyless refuses twice. (ECS CreateCluster returns the
existing cluster of that name instead: not listed.)"""


@dataclass(frozen=True)
class Reference:
    """Where a resource of ``by`` names another: the values at ``path`` (``[]`` steps into
    each item of a list)."""

    by: str
    path: str


DELETE_BLOCKED_BY: Mapping[str, tuple[tuple[Reference, ...], str]] = {
    # ELB API DeleteTargetGroup: "You can't delete a target group if it is used by any
    # actions" -> ResourceInUse.
    "aws:lb/targetGroup:TargetGroup": (
        (Reference("aws:lb/listener:Listener", "defaultActions[].targetGroupArn"),),
        "ResourceInUse: Target group '{arn}' is currently in use by a listener or a rule",
    ),
    # EC2 API DeleteSecurityGroup: "If you attempt to delete a security group that is
    # associated with an instance or network interface, is referenced by another security
    # group in the same VPC, ... the operation fails with DependencyViolation."
    # Network interfaces: the load balancer's and the ECS tasks'.
    "aws:ec2/securityGroup:SecurityGroup": (
        (
            Reference("aws:ec2/securityGroup:SecurityGroup", "ingress[].securityGroups[]"),
            Reference("aws:ec2/securityGroup:SecurityGroup", "egress[].securityGroups[]"),
            Reference(
                "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
                "referencedSecurityGroupId",
            ),
            Reference(
                "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                "referencedSecurityGroupId",
            ),
            Reference("aws:lb/loadBalancer:LoadBalancer", "securityGroups[]"),
            Reference("aws:ecs/service:Service", "networkConfiguration.securityGroups[]"),
        ),
        "DependencyViolation: resource {id} has a dependent object",
    ),
}


def values_at(properties: Any, path: str) -> Iterator[Any]:
    """The values at ``path`` (``a.b``, ``a[].b``: every item of list ``a``)."""
    if not path:
        yield properties
        return
    head, _, rest = path.partition(".")
    many = head.endswith("[]")
    value = properties.get(head.removesuffix("[]")) if isinstance(properties, Mapping) else None
    for item in (value or []) if many else [value]:
        if item is not None:
            yield from values_at(item, rest)


@dataclass(frozen=True)
class Live:
    """A resource the stand-ins created and have not deleted."""

    id: str
    urn: str
    token: str
    scope: str
    """Where names are unique: the AWS account, or ``akeyless``."""
    name: str | None
    properties: Mapping[str, Any]


def name_taken(world: Mapping[str, Live], candidate: Live) -> str | None:
    """The error creating ``candidate`` fails with, if a live resource has its name."""
    message = UNIQUE_NAMES.get(candidate.token)
    if message is None or candidate.name is None:
        return None
    for other in world.values():
        if (other.token, other.scope, other.name) == (
            candidate.token,
            candidate.scope,
            candidate.name,
        ) and other.id != candidate.id:
            return message.format(name=candidate.name)
    return None


def delete_refused(world: Mapping[str, Live], doomed: Live) -> str | None:
    """The error deleting ``doomed`` fails with, if another live resource refers to it."""
    rule = DELETE_BLOCKED_BY.get(doomed.token)
    if rule is None:
        return None
    references, message = rule
    handles = {doomed.id, str(doomed.properties.get("arn", ""))} - {""}
    for other in world.values():
        if other.id == doomed.id:
            continue
        for reference in references:
            if reference.by == other.token and handles & set(
                map(str, values_at(other.properties, reference.path))
            ):
                return message.format(id=doomed.id, arn=doomed.properties.get("arn"))
    return None


def referring_keys(token: str) -> frozenset[str]:
    """The top-level properties of ``token`` a delete check reads (and its ``arn``)."""
    return frozenset(
        {"arn"}
        | {
            reference.path.split(".")[0].removesuffix("[]")
            for references, _message in DELETE_BLOCKED_BY.values()
            for reference in references
            if reference.by == token
        }
    )
