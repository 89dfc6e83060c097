"""The security invariants as pure rules over one resource's type and properties.

Used twice: by the Pulumi policy pack in this folder (``__main__.py``, on every
``preview``/``up``), and by ``orgctl render`` over the rendered resources, so
the invariants are checked with no CLI and no credentials. Standard library
only: the pack runs this file in its own virtualenv.

A rule is ``rule(resource) -> list[str]``: the violations, each a sentence.
Properties use Pulumi's wire names (``assumeRolePolicy``), as both the policy
SDK and the render see them. The render hands rules dicts and lists; the real
analyzer hands them read-only ``Mapping``/``Sequence`` proxies that are neither
(``unknown_checking_proxy`` in pulumi_policy/proxy.py, applied by
``_PolicyAnalyzerServicer.Analyze`` in pulumi_policy/policy.py), and numbers as
floats (a protobuf ``Struct``). So the rules test for the abstract types only.

A policy exception names one rule and one resource: the tag
``akeyless-gateway/policy-exception/<rule>`` whose value is the name of the
resource that carries it. A tag copied onto other resources (an organization's
tags are on every resource) exempts none of them, and is itself a violation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from akeyless_gateway_org.policy.documents import policy_document
from akeyless_gateway_org.policy.networks import admits_the_internet

GATEWAY_PORTS = (8000, 8080, 8200, 5696)
"""Every port a Gateway may serve: API, health, and the optional Vault proxy and KMIP
(components/gateway_runtime.py, ``gateway_ports``)."""
KMIP_PORT = 5696
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
"""TLS 1.3 and 1.2 only: the ELB default policy for new TLS listeners (ELB User Guide,
"Security policies for your Network Load Balancer")."""
CURRENT_TLS_POLICY_PREFIXES = ("ELBSecurityPolicy-TLS13-1-2-", "ELBSecurityPolicy-TLS13-1-3-")
"""TLS listener policies the pack accepts: the TLS 1.3 families with TLS 1.2 at least
(ELB User Guide, "Security policies for your Network Load Balancer",
https://docs.aws.amazon.com/elasticloadbalancing/latest/network/describe-ssl-policies.html).
A TLS listener created through the API without a policy gets ELBSecurityPolicy-2016-08
(same page, "Considerations"), which admits TLS 1.0: a missing policy is a violation."""
EXCEPTION_TAG_PREFIX = "akeyless-gateway/policy-exception"
"""Every tag key starting so is an exception tag (an exact match was the old, per-org form)."""
DEFAULT_REQUIRED_TAGS = ("owner",)
INTERNET_INGRESS_RULE = "no-internet-ingress-to-gateway"
EXCEPTION_RULE = "policy-exceptions-name-their-resource"

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
        "aws:acm/certificate:Certificate",
    }
)
TLS_PROTOCOLS = frozenset({"TLS", "HTTPS"})
K8S_SERVICE_TYPE = "kubernetes:core/v1:Service"
# The AWS Load Balancer Controller's Service annotations (docs, "Service annotations"):
# with a certificate and no ssl-ports, every port of the Service is TLS.
K8S_CERT_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert"
K8S_TLS_PORTS_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-ssl-ports"
K8S_TLS_POLICY_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy"
PUBLIC_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
PUBLIC_ACCESS_BLOCK_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)


@dataclass(frozen=True)
class Resource:
    """What a rule sees of a resource."""

    type: str
    name: str
    """Its Pulumi resource name (the last part of its URN)."""
    props: Mapping[str, Any]
    account_id: str | None = None
    """The account it deploys into (its provider's ``allowedAccountIds``), when known."""
    required_tags: Sequence[str] = field(default=DEFAULT_REQUIRED_TAGS)
    stack: str = ""
    """The stack it belongs to, for messages (the render checks every stack at once)."""

    @property
    def qualified_name(self) -> str:
        return f"{self.stack}/{self.name}" if self.stack else self.name


@dataclass(frozen=True)
class Violation:
    rule: str
    resource: str
    type: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.resource} ({self.type}): {self.message}"


# --- helpers -----------------------------------------------------------------------


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement", [])
    return [s for s in _as_list(statements) if isinstance(s, Mapping) and s]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if _is_list(value) else [value]


def _truthy(value: Any) -> bool:
    """Booleans arrive as bools or as "true"/"false" strings (launch templates)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _tags(props: Mapping[str, Any]) -> dict[str, str]:
    tags = props.get("tags") or {}
    if _is_list(tags):  # Auto Scaling groups: [{key, value, propagateAtLaunch}]
        return {str(t.get("key")): str(t.get("value")) for t in tags if isinstance(t, Mapping)}
    return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else {}


def exception_tag_key(rule: str) -> str:
    return f"{EXCEPTION_TAG_PREFIX}/{rule}"


def exception_tag(rule: str, resource_name: str) -> dict[str, str]:
    """The tag that exempts the resource named ``resource_name`` (and no other) from ``rule``."""
    return {exception_tag_key(rule): resource_name}


def exempt(resource: Resource, rule: str) -> bool:
    """Whether the resource carries an exception for ``rule`` that names this resource."""
    if rule == EXCEPTION_RULE:
        return False
    return _tags(resource.props).get(exception_tag_key(rule)) == resource.name


def _account_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else None


def _policy_documents(props: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for key in ("assumeRolePolicy", "policy"):
        document = policy_document(props.get(key))
        if document is not None:
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
    document = policy_document(resource.props.get("assumeRolePolicy"))
    if document is None:
        return []
    found = []
    for statement in _statements(document):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        principals = _as_list(principal.get("AWS")) if isinstance(principal, Mapping) else []
        condition = statement.get("Condition") or {}
        has_external_id = any(
            isinstance(block, Mapping) and "sts:ExternalId" in block for block in condition.values()
        )
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
                if isinstance(principal, Mapping)
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
            if isinstance(m, Mapping)
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
    # ``ipProtocol`` on aws.vpc.SecurityGroupIngressRule, ``protocol`` elsewhere.
    protocol = str(rule.get("protocol", rule.get("ipProtocol", "tcp")))
    if protocol in ("-1", "all"):
        return True
    low, high = rule.get("fromPort", 0), rule.get("toPort", 0)
    return any(int(low) <= port <= int(high) for port in GATEWAY_PORTS)


def _sources(rule: Mapping[str, Any]) -> list[str]:
    cidrs = [*_as_list(rule.get("cidrBlocks")), *_as_list(rule.get("ipv6CidrBlocks"))]
    for key in ("cidrIpv4", "cidrIpv6"):  # standalone ingress-rule resources
        cidrs += _as_list(rule.get(key))
    return [str(cidr) for cidr in cidrs]


def no_internet_ingress_to_gateway_ports(resource: Resource) -> list[str]:
    if resource.type == "aws:ec2/securityGroup:SecurityGroup":
        rules = _as_list(resource.props.get("ingress"))
    elif resource.type in (
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
    ):
        if resource.props.get("type", "ingress") != "ingress":
            return []
        rules = [resource.props]
    else:
        return []
    # The union of every source that reaches a Gateway port: two halves of the
    # internet in two rules are still the internet (policy/networks.py). A rule
    # sees one resource, so standalone ingress-rule resources are judged one by one.
    sources = [
        cidr
        for rule in rules
        if isinstance(rule, Mapping) and _opens_gateway_port(rule)
        for cidr in _sources(rule)
    ]
    try:
        open_to_internet = admits_the_internet(sources)
    except ValueError as error:
        return [f"an ingress source is not a CIDR block: {error}"]
    if not open_to_internet:
        return []
    shown = ", ".join(sources[:4]) + (f" and {len(sources) - 4} more" if len(sources) > 4 else "")
    return [
        f"admits the internet ({shown}) to the Gateway ports "
        f"{'/'.join(map(str, GATEWAY_PORTS))}; an intended exception carries the tag "
        f"{exception_tag_key(INTERNET_INGRESS_RULE)}={resource.name}"
    ]


def _current_tls_policy(policy: Any) -> bool:
    return isinstance(policy, str) and policy.startswith(CURRENT_TLS_POLICY_PREFIXES)


def _k8s_tls_ports(annotations: Mapping[str, Any]) -> list[str] | None:
    """The Service ports the controller terminates TLS on: None when it holds no certificate,
    ``["*"]`` for all of them."""
    if not annotations.get(K8S_CERT_ANNOTATION):
        return None
    ports = str(annotations.get(K8S_TLS_PORTS_ANNOTATION) or "*")
    return [port.strip() for port in ports.split(",")]


def _k8s_annotations(resource: Resource) -> Mapping[str, Any]:
    metadata = resource.props.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    return annotations if isinstance(annotations, Mapping) else {}


def tls_listeners_use_a_current_policy(resource: Resource) -> list[str]:
    if resource.type == "aws:lb/listener:Listener":
        if str(resource.props.get("protocol")) not in TLS_PROTOCOLS:
            return []
        policy = resource.props.get("sslPolicy")
    elif resource.type == K8S_SERVICE_TYPE:
        annotations = _k8s_annotations(resource)
        if _k8s_tls_ports(annotations) is None:
            return []
        policy = annotations.get(K8S_TLS_POLICY_ANNOTATION)
    else:
        return []
    if _current_tls_policy(policy):
        return []
    shown = policy if policy else "none (the API's default, ELBSecurityPolicy-2016-08)"
    return [
        f"TLS with security policy {shown}: use a TLS 1.3 policy with TLS 1.2 at least "
        f"({' or '.join(p + '*' for p in CURRENT_TLS_POLICY_PREFIXES)})"
    ]


def kmip_never_terminated_at_the_load_balancer(resource: Resource) -> list[str]:
    # KMIP clients authenticate with their certificates in the TLS handshake with the
    # Gateway (https://docs.akeyless.io/docs/kmip-server): a load balancer ending TLS
    # on 5696 would take that handshake away from it.
    if resource.type == "aws:lb/listener:Listener":
        port, protocol = resource.props.get("port"), str(resource.props.get("protocol"))
        if port is not None and int(port) == KMIP_PORT and protocol != "TCP":
            return [f"KMIP (port {KMIP_PORT}) on a {protocol} listener: it must be TCP"]
        return []
    if resource.type != K8S_SERVICE_TYPE:
        return []
    tls_ports = _k8s_tls_ports(_k8s_annotations(resource))
    ports = [p for p in _as_list((resource.props.get("spec") or {}).get("ports")) if p]
    kmip = [p for p in ports if isinstance(p, Mapping) and int(p.get("port", 0)) == KMIP_PORT]
    if not kmip or tls_ports is None:
        return []
    names = {"*", str(KMIP_PORT), *(str(p.get("name")) for p in kmip)}
    if names.intersection(tls_ports):
        return [
            f"KMIP (port {KMIP_PORT}) is among the TLS ports ({','.join(tls_ports)}): "
            "list only the others in aws-load-balancer-ssl-ports"
        ]
    return []


def buckets_not_public(resource: Resource) -> list[str]:
    props = resource.props
    if resource.type in (
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:s3/bucketAclV2:BucketAclV2",
        "aws:s3/bucketAcl:BucketAcl",
    ):
        acl = props.get("acl")
        return [f"canned ACL {acl} makes the bucket public"] if acl in PUBLIC_ACLS else []
    if resource.type == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
        off = [flag for flag in PUBLIC_ACCESS_BLOCK_FLAGS if not _truthy(props.get(flag))]
        return [f"public access not blocked: {', '.join(off)} not true"] if off else []
    return []


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


def exceptions_name_their_resource(resource: Resource) -> list[str]:
    found = []
    for key, value in _tags(resource.props).items():
        if not key.startswith(EXCEPTION_TAG_PREFIX):
            continue
        rule = key.removeprefix(EXCEPTION_TAG_PREFIX).removeprefix("/")
        if key == EXCEPTION_TAG_PREFIX or rule not in RULES or rule == EXCEPTION_RULE:
            found.append(
                f"tag {key!r} names no rule of this pack; an exception is one tag "
                f"{EXCEPTION_TAG_PREFIX}/<rule>=<resource name> per rule"
            )
        elif value != resource.name:
            found.append(
                f"tag {key!r} names the resource {value!r}, not this one ({resource.name!r}): "
                "an exception applies only to the one resource it names"
            )
    return found


IDENTITY_POLICY_TYPES = frozenset(
    {"aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy", "aws:iam/userPolicy:UserPolicy"}
)


def _actions(statement: Mapping[str, Any]) -> list[str]:
    return [str(action).lower() for action in _as_list(statement.get("Action"))]


def _resources(statement: Mapping[str, Any]) -> list[str]:
    return [str(resource) for resource in _as_list(statement.get("Resource"))]


def _condition_keys(statement: Mapping[str, Any]) -> set[str]:
    condition = statement.get("Condition") or {}
    return {
        str(key).lower()
        for block in (condition.values() if isinstance(condition, Mapping) else [])
        if isinstance(block, Mapping)
        for key in block
    }


def privileged_statements(document: Mapping[str, Any]) -> list[str]:
    """What an identity policy document grants that makes its holder an administrator.

    ``*`` (or ``*:*``) actions, every IAM action (``iam:*``), or ``iam:PassRole`` on
    every role: each lets the holder grant itself anything (IAM User Guide,
    "Security best practices": grant least privilege; PassRole on ``*`` hands any
    role, admin ones included, to a service the holder controls).
    """
    found = []
    for statement in _statements(document):
        if statement.get("Effect") != "Allow":
            continue
        actions, resources = _actions(statement), _resources(statement)
        if any(action in ("*", "*:*") for action in actions):
            found.append("allows every action ('*')")
        elif "iam:*" in actions:
            found.append("allows every IAM action ('iam:*')")
        elif (
            any(a in ("iam:passrole", "iam:pass*", "iam:p*") for a in actions) and "*" in resources
        ):
            found.append("allows iam:PassRole on every role ('*')")
    return found


def no_privileged_identity_policies(resource: Resource) -> list[str]:
    if resource.type not in IDENTITY_POLICY_TYPES:
        return []
    document = policy_document(resource.props.get("policy"))
    return privileged_statements(document) if document is not None else []


def assume_role_stays_in_the_organization(resource: Resource) -> list[str]:
    """``sts:AssumeRole`` on a role of any account needs ``aws:ResourceOrgID``
    (or ``aws:ResourceAccount``): otherwise a role of that name in an account outside the
    organization, trusting this one, is reachable too
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceorgid)."""
    if resource.type not in IDENTITY_POLICY_TYPES:
        return []
    document = policy_document(resource.props.get("policy"))
    found = []
    for statement in _statements(document) if document is not None else []:
        if statement.get("Effect") != "Allow":
            continue
        actions = _actions(statement)
        if not any(a in ("*", "sts:*", "sts:assumerole", "sts:assume*") for a in actions):
            continue
        any_account = [
            arn for arn in _resources(statement) if arn == "*" or _account_of(arn) is None
        ]
        scoped = _condition_keys(statement) & {"aws:resourceorgid", "aws:resourceaccount"}
        if any_account and not scoped:
            found.append(
                f"may sts:AssumeRole {any_account[0]} in any account without an "
                "aws:ResourceOrgID (or aws:ResourceAccount) condition"
            )
    return found


AKEYLESS_ROLE_TYPE = "akeyless:index/role:Role"


def akeyless_role_rules_within_the_account_folder(resource: Resource) -> list[str]:
    """A per-account access role (``<path>/roles/gateway-<account>``, or the deployment's
    ``<path>/roles/deployer-<account>``) reaches only ``<path>/aws/<account>/``: a wider rule
    lets whoever holds that account's login (its Gateway, or whoever captures the token the
    deployment sends it) read every account's targets and secrets. No rule path has a ``.``
    or ``..`` segment."""
    if resource.type != AKEYLESS_ROLE_TYPE:
        return []
    name = str(resource.props.get("name") or "")
    found = []
    rules = [rule for rule in _as_list(resource.props.get("rules")) if isinstance(rule, Mapping)]
    for rule in rules:
        path = str(rule.get("path") or "")
        if any(segment in (".", "..") for segment in path.split("/")):
            found.append(f"rule path {path!r} has a '.' or '..' segment")
    head, unit = "", ""
    for kind in ("/roles/gateway-", "/roles/deployer-"):
        head, _, unit = name.rpartition(kind)
        if head and unit.isdigit():
            break
    if not head or not unit.isdigit():
        return found
    folder = f"{head}/aws/{unit}/"
    for rule in rules:
        path = str(rule.get("path") or "")
        if not path.startswith(folder):
            found.append(
                f"the access role of account {unit} has a rule on {path!r}, outside its "
                f"folder {folder}"
            )
    return found


INVOKE_API_DESTINATION = "events:InvokeApiDestination"
SEND_MESSAGE = "sqs:SendMessage"


def eventbridge_invoke_scoped(resource: Resource) -> list[str]:
    """The enroll stack's EventBridge grants (components/enrollment.py): a grant of
    ``events:InvokeApiDestination`` grants only that, on named destinations; a trust of
    EventBridge names the source account and rule (confused deputy); a resource policy
    letting EventBridge in (the dead-letter queue's) allows only ``sqs:SendMessage``, on
    named resources, from named rules (``aws:SourceArn``)."""
    found = []
    for key, document in _policy_documents(resource.props):
        for statement in _statements(document):
            actions = [str(a) for a in _as_list(statement.get("Action"))]
            principal = statement.get("Principal")
            services = _as_list(principal.get("Service")) if isinstance(principal, Mapping) else []
            if key == "policy" and INVOKE_API_DESTINATION in actions:
                if actions != [INVOKE_API_DESTINATION]:
                    found.append(f"grants {actions} beside {INVOKE_API_DESTINATION}")
                if any("*" in str(r) for r in _as_list(statement.get("Resource"))):
                    found.append(f"grants {INVOKE_API_DESTINATION} on a wildcard resource")
            if key == "policy" and "events.amazonaws.com" in services:
                if actions != [SEND_MESSAGE]:
                    found.append(f"lets events.amazonaws.com do {actions}, not only {SEND_MESSAGE}")
                if any("*" in str(r) for r in _as_list(statement.get("Resource"))):
                    found.append("lets events.amazonaws.com in on a wildcard resource")
                arns = [
                    str(arn)
                    for block in (statement.get("Condition") or {}).values()
                    if isinstance(block, Mapping)
                    for arn in _as_list(block.get("aws:SourceArn"))
                ]
                if not arns or any("*" in arn for arn in arns):
                    found.append(
                        "lets events.amazonaws.com in without naming its rules (aws:SourceArn)"
                    )
            if key == "assumeRolePolicy" and "events.amazonaws.com" in services:
                condition = statement.get("Condition") or {}
                keys = {
                    k for block in condition.values() if isinstance(block, Mapping) for k in block
                }
                for needed in ("aws:SourceAccount", "aws:SourceArn"):
                    if needed not in keys:
                        found.append(f"trusts events.amazonaws.com without a {needed} condition")
    return found


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
        "No ingress from the internet (by the union of the allowed networks) to the "
        "Gateway's ports unless marked as an exception.",
        no_internet_ingress_to_gateway_ports,
    ),
    "akeyless-target-gateway-identity": (
        "Akeyless AWS Targets use the Gateway's cloud identity and carry no access key.",
        targets_use_the_gateway_identity,
    ),
    "tls-listener-policy-current": (
        "A TLS listener (or a Service's TLS ports) uses a current TLS 1.3 security policy.",
        tls_listeners_use_a_current_policy,
    ),
    "kmip-not-terminated-at-load-balancer": (
        "KMIP (port 5696) is TCP at the load balancer: its TLS ends at the Gateway.",
        kmip_never_terminated_at_the_load_balancer,
    ),
    "s3-buckets-not-public": (
        "No S3 bucket is made public (access-log buckets included).",
        buckets_not_public,
    ),
    "no-privileged-identity-policies": (
        "No identity policy grants '*', 'iam:*' or iam:PassRole on every role.",
        no_privileged_identity_policies,
    ),
    "assume-role-within-organization": (
        "sts:AssumeRole on roles of any account is limited by aws:ResourceOrgID.",
        assume_role_stays_in_the_organization,
    ),
    "akeyless-role-within-account-folder": (
        "A per-account Akeyless access role's rules stay inside that account's folder.",
        akeyless_role_rules_within_the_account_folder,
    ),
    "required-tags": ("Taggable resources carry the required tags.", required_tags_present),
    "events-invoke-scoped": (
        "EventBridge may assume a role only for its own rules, invoke only named API "
        "destinations, and send to a dead-letter queue only from its own rules.",
        eventbridge_invoke_scoped,
    ),
    EXCEPTION_RULE: (
        "A policy exception names one rule and the one resource that carries it.",
        exceptions_name_their_resource,
    ),
}


def violations_of(resource: Resource, rule: str) -> list[str]:
    """What ``resource`` violates of one rule, nothing if it carries an exception for it."""
    return [] if exempt(resource, rule) else RULES[rule][1](resource)


def check(resource: Resource) -> list[Violation]:
    """Every violation of every rule by ``resource`` (exempt rules skipped)."""
    return [
        Violation(name, resource.qualified_name, resource.type, message)
        for name in RULES
        for message in violations_of(resource, name)
    ]
