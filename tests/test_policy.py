"""The policy rules, each with a compliant and a violating resource; the pack; offline checks.

Every case runs twice: through ``check`` (what ``orgctl render`` runs, over plain
dicts) and through pulumi_policy's own analyzer (``analyze`` below: the
resource as the engine sends it, a protobuf ``Struct``, through the servicer
that wraps it in ``Mapping``/``Sequence`` proxies).
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.policy import _PolicyAnalyzerServicer

from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.validation import ConfigError, parse_org
from akeyless_gateway_org.policy.__main__ import PACK_NAME, policies
from akeyless_gateway_org.policy.networks import NOT_PUBLIC, PUBLIC_SPACE, admits_the_internet
from akeyless_gateway_org.policy.rules import (
    EXCEPTION_RULE,
    EXCEPTION_TAG_PREFIX,
    INTERNET_INGRESS_RULE,
    K8S_CERT_ANNOTATION,
    K8S_SERVICE_TYPE,
    K8S_TLS_POLICY_ANNOTATION,
    K8S_TLS_PORTS_ANNOTATION,
    PUBLIC_ACCESS_BLOCK_FLAGS,
    RULES,
    TLS_POLICY,
    Resource,
    check,
    exception_tag,
)
from akeyless_gateway_org.review.render import policy_violations, render
from tests.conftest import CENTRALIZED_EXAMPLE, example_document
from tests.test_components import rendered

HUB_ROLE = "arn:aws:iam::222222222222:role/akeyless/akeyless-gateway"


def trust(principal: Any, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def ingress(cidrs: list[str], port: int = 8000, **extra: Any) -> dict[str, Any]:
    return {"protocol": "tcp", "fromPort": port, "toPort": port, "cidrBlocks": cidrs, **extra}


def security_group(*rules: dict[str, Any], name: str = "sg", **tags: str) -> Resource:
    return Resource(SECURITY_GROUP, name, {"ingress": list(rules), "tags": {**TAGS, **tags}})


TAGS = {"owner": "platform"}
EXTERNAL_ID = {"StringEquals": {"sts:ExternalId": "x"}}
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
TARGET = "akeyless:index/targetAws:TargetAws"
IMDSV2 = {"httpTokens": "required"}
ENCRYPTED = [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 30}}]
UNENCRYPTED = [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false", "volumeSize": 30}}]

LISTENER = "aws:lb/listener:Listener"
ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OLD = "ELBSecurityPolicy-2016-08"
K8S_CERT = {K8S_CERT_ANNOTATION: "arn:aws:acm:us-east-1:1:certificate/x"}


def k8s_service(annotations: dict[str, str]) -> Resource:
    """A LoadBalancer Service exposing 8000 and KMIP's 5696, with these annotations."""
    ports = [{"name": "gateway", "port": 8000}, {"name": "kmip", "port": 5696}]
    return Resource(
        K8S_SERVICE_TYPE,
        "s",
        {
            "metadata": {"annotations": annotations},
            "spec": {"type": "LoadBalancer", "ports": ports},
        },
    )


def identity_policy(*statements: dict[str, Any]) -> Resource:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return Resource("aws:iam/rolePolicy:RolePolicy", "p", {"policy": json.dumps(document)})


ANY_MEMBER_ROLE = "arn:aws:iam::*:role/akeyless/akeyless-gateway-member"
IN_ORG = {"StringEquals": {"aws:ResourceOrgID": "o-a1b2c3d4e5"}}


def akeyless_role(name: str, *paths: str) -> Resource:
    rules = [{"capabilities": ["read"], "path": path, "ruleType": "item-rule"} for path in paths]
    return Resource("akeyless:index/role:Role", "role", {"name": name, "rules": rules})


# rule -> (compliant resource, violating resource)
CASES: dict[str, tuple[Resource, Resource]] = {
    "no-privileged-identity-policies": (
        identity_policy({"Effect": "Allow", "Action": "iam:PassRole", "Resource": HUB_ROLE}),
        identity_policy({"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": "*"}),
    ),
    "assume-role-within-organization": (
        identity_policy(
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": ANY_MEMBER_ROLE,
                "Condition": IN_ORG,
            }
        ),
        identity_policy(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ANY_MEMBER_ROLE}
        ),
    ),
    "akeyless-role-within-account-folder": (
        akeyless_role("/aws-org/roles/gateway-333333333333", "/aws-org/aws/333333333333/*"),
        akeyless_role("/aws-org/roles/gateway-333333333333", "/aws-org/*"),
    ),
    "events-invoke-scoped": (
        Resource(
            "aws:iam/role:Role",
            "invoke",
            {
                "assumeRolePolicy": trust(
                    {"Service": "events.amazonaws.com"},
                    {
                        "StringEquals": {"aws:SourceAccount": "111111111111"},
                        "ArnEquals": {
                            "aws:SourceArn": "arn:aws:events:us-east-1:111111111111:rule/r"
                        },
                    },
                ),
                "tags": TAGS,
            },
        ),
        Resource(
            "aws:iam/role:Role",
            "invoke",
            {"assumeRolePolicy": trust({"Service": "events.amazonaws.com"}), "tags": TAGS},
        ),
    ),
    "no-iam-access-keys": (
        Resource("aws:iam/role:Role", "r", {"tags": TAGS}),
        Resource("aws:iam/accessKey:AccessKey", "k", {"user": "u"}),
    ),
    "no-iam-users": (
        Resource("aws:iam/role:Role", "r", {"tags": TAGS}),
        Resource("aws:iam/user:User", "u", {"name": "u"}),
    ),
    "cross-account-trust-external-id": (
        Resource(
            "aws:iam/role:Role",
            "member",
            {"assumeRolePolicy": trust({"AWS": HUB_ROLE}, EXTERNAL_ID), "tags": TAGS},
            account_id="333333333333",
        ),
        Resource(
            "aws:iam/role:Role",
            "member",
            {"assumeRolePolicy": trust({"AWS": [HUB_ROLE]}), "tags": TAGS},
            account_id="333333333333",
        ),
    ),
    "no-wildcard-principal": (
        Resource(
            "aws:iam/role:Role",
            "r",
            {"assumeRolePolicy": trust({"Service": "ec2.amazonaws.com"}), "tags": TAGS},
        ),
        Resource(
            "aws:iam/role:Role",
            "r",
            {"assumeRolePolicy": trust({"AWS": ["*"]}, EXTERNAL_ID), "tags": TAGS},
        ),
    ),
    "imdsv2-required": (
        Resource(LAUNCH_TEMPLATE, "lt", {"metadataOptions": IMDSV2, "tags": TAGS}),
        Resource(
            LAUNCH_TEMPLATE,
            "lt",
            {"metadataOptions": {"httpTokens": "optional"}, "tags": TAGS},
        ),
    ),
    "encrypted-ebs": (
        Resource(
            LAUNCH_TEMPLATE,
            "lt",
            {"metadataOptions": IMDSV2, "blockDeviceMappings": ENCRYPTED, "tags": TAGS},
        ),
        Resource(
            LAUNCH_TEMPLATE,
            "lt",
            {"metadataOptions": IMDSV2, "blockDeviceMappings": UNENCRYPTED, "tags": TAGS},
        ),
    ),
    INTERNET_INGRESS_RULE: (
        security_group(ingress(["10.0.0.0/8", "203.0.113.0/24"])),
        security_group(ingress(["0.0.0.0/0"], port=8080)),
    ),
    "akeyless-target-gateway-identity": (
        Resource(TARGET, "t", {"useGwCloudIdentity": True, "accessKeyId": "x"}),
        Resource(TARGET, "t", {"useGwCloudIdentity": True, "accessKey": "wJalr..."}),
    ),
    "tls-listener-policy-current": (
        Resource(
            LISTENER, "l", {"port": 8000, "protocol": "TLS", "sslPolicy": TLS_POLICY, "tags": TAGS}
        ),
        # No policy: the API's default ELBSecurityPolicy-2016-08, which admits TLS 1.0.
        Resource(LISTENER, "l", {"port": 8000, "protocol": "TLS", "certificateArn": "a"}),
    ),
    "kmip-not-terminated-at-load-balancer": (
        Resource(LISTENER, "l", {"port": 5696, "protocol": "TCP", "tags": TAGS}),
        Resource(LISTENER, "l", {"port": 5696, "protocol": "TLS", "sslPolicy": TLS_POLICY}),
    ),
    "s3-buckets-not-public": (
        Resource(ACCESS_BLOCK, "b", dict.fromkeys(PUBLIC_ACCESS_BLOCK_FLAGS, True)),
        Resource(
            ACCESS_BLOCK,
            "b",
            {**dict.fromkeys(PUBLIC_ACCESS_BLOCK_FLAGS, True), "blockPublicPolicy": False},
        ),
    ),
    "required-tags": (
        Resource("aws:lb/loadBalancer:LoadBalancer", "lb", {"tags": TAGS}),
        Resource("aws:lb/loadBalancer:LoadBalancer", "lb", {"tags": {"team": "x"}}),
    ),
    EXCEPTION_RULE: (
        security_group(
            ingress(["0.0.0.0/0"]), name="lb-sg", **exception_tag(INTERNET_INGRESS_RULE, "lb-sg")
        ),
        # An exception copied from another resource (or from the organization's tags).
        security_group(
            ingress(["10.0.0.0/8"]), name="sg", **exception_tag(INTERNET_INGRESS_RULE, "lb-sg")
        ),
    ),
}

# More violations, each of the rule named, beyond the one case per rule.
MORE_VIOLATIONS: list[tuple[str, Resource]] = [
    ("tls-listener-policy-current", Resource(LISTENER, "l", {"protocol": "TLS", "sslPolicy": OLD})),
    ("tls-listener-policy-current", k8s_service({**K8S_CERT, K8S_TLS_POLICY_ANNOTATION: OLD})),
    ("kmip-not-terminated-at-load-balancer", k8s_service(K8S_CERT)),  # no ssl-ports: all TLS
    (
        "kmip-not-terminated-at-load-balancer",
        k8s_service({**K8S_CERT, K8S_TLS_PORTS_ANNOTATION: "8000,5696"}),
    ),
    (
        "s3-buckets-not-public",
        Resource("aws:s3/bucketAclV2:BucketAclV2", "a", {"acl": "public-read"}),
    ),
    ("encrypted-ebs", Resource("aws:ebs/volume:Volume", "v", {"encrypted": False})),
    (
        "required-tags",  # Auto Scaling groups list their tags as {key, value, propagateAtLaunch}
        Resource(
            "aws:autoscaling/group:Group",
            "asg",
            {"tags": [{"key": "team", "value": "x", "propagateAtLaunch": True}]},
        ),
    ),
    (INTERNET_INGRESS_RULE, security_group(ingress(["0.0.0.0/1", "128.0.0.0/1"]))),
    (
        INTERNET_INGRESS_RULE,  # two halves of the internet in two rules
        security_group(ingress(["0.0.0.0/1"], port=8000), ingress(["128.0.0.0/1"], port=8080)),
    ),
    (INTERNET_INGRESS_RULE, security_group(ingress([], ipv6CidrBlocks=["2000::/3"]))),
    (
        INTERNET_INGRESS_RULE,
        security_group(
            {"protocol": "tcp", "fromPort": 7000, "toPort": 9000, "ipv6CidrBlocks": ["::/0"]}
        ),
    ),
    (
        INTERNET_INGRESS_RULE,
        security_group({"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}),
    ),
    (
        INTERNET_INGRESS_RULE,
        Resource(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "rule",
            {"ipProtocol": "tcp", "fromPort": 8000, "toPort": 8000, "cidrIpv4": "0.0.0.0/0"},
        ),
    ),
    (INTERNET_INGRESS_RULE, security_group(ingress(["not-a-cidr"]))),  # reported, no traceback
    (
        INTERNET_INGRESS_RULE,  # all traffic: no ports at all
        Resource(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "rule",
            {"ipProtocol": "-1", "cidrIpv6": "2000::/3"},
        ),
    ),
    ("no-privileged-identity-policies", identity_policy({"Effect": "Allow", "Action": "*"})),
    ("no-privileged-identity-policies", identity_policy({"Effect": "Allow", "Action": "iam:*"})),
    (
        "akeyless-role-within-account-folder",  # the same prefix, one level up
        akeyless_role("/aws-org/roles/gateway-333333333333", "/aws-org/aws/333333333333/../*"),
    ),
    (
        EXCEPTION_RULE,  # the old, per-organization form: one tag listing rules
        security_group(
            ingress(["10.0.0.0/8"]),
            **{EXCEPTION_TAG_PREFIX: f"{INTERNET_INGRESS_RULE},required-tags"},
        ),
    ),
]

# --- the rules, as orgctl render runs them ------------------------------------------


def test_every_rule_has_a_case() -> None:
    assert set(CASES) == set(RULES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_passes_the_compliant_and_fails_the_violating(rule: str) -> None:
    compliant, violating = CASES[rule]
    assert check(compliant) == []
    violations = check(violating)
    assert rule in {v.rule for v in violations}, violations


@pytest.mark.parametrize(("rule", "resource"), MORE_VIOLATIONS)
def test_more_violations_are_caught(rule: str, resource: Resource) -> None:
    assert rule in {v.rule for v in check(resource)}


def test_same_account_self_assume_needs_no_external_id() -> None:
    role = Resource(
        "aws:iam/role:Role",
        "gw",
        {"assumeRolePolicy": trust({"AWS": "arn:aws:iam::333333333333:root"}), "tags": TAGS},
        account_id="333333333333",
    )
    assert check(role) == []


def test_internet_ingress_to_other_ports_is_not_this_rules_concern() -> None:
    assert check(security_group(ingress(["0.0.0.0/0"], port=443))) == []


def test_an_exception_exempts_only_the_resource_and_the_rule_it_names() -> None:
    exception = exception_tag(INTERNET_INGRESS_RULE, "lb-sg")
    assert check(security_group(ingress(["0.0.0.0/0"]), name="lb-sg", **exception)) == []
    # The same tag on another resource exempts nothing, and is itself flagged.
    elsewhere = check(security_group(ingress(["0.0.0.0/0"]), name="gateway-sg", **exception))
    assert {v.rule for v in elsewhere} == {INTERNET_INGRESS_RULE, EXCEPTION_RULE}
    # An exception for one rule leaves the others in force.
    untagged = Resource(
        SECURITY_GROUP, "lb-sg", {"ingress": [ingress(["0.0.0.0/0"])], "tags": exception}
    )
    assert {v.rule for v in check(untagged)} == {"required-tags"}


def test_the_old_org_wide_exception_tag_exempts_nothing() -> None:
    every_rule = ",".join(RULES)
    sg = security_group(ingress(["0.0.0.0/0"]), **{EXCEPTION_TAG_PREFIX: every_rule})
    assert {v.rule for v in check(sg)} == {INTERNET_INGRESS_RULE, EXCEPTION_RULE}


# --- what counts as the internet (policy/networks.py) --------------------------------


@pytest.mark.parametrize(
    ("cidrs", "internet"),
    [
        (["0.0.0.0/0"], True),
        (["::/0"], True),
        (["0.0.0.0/1", "128.0.0.0/1"], True),
        (["2000::/3"], True),
        ([f"{octet}.0.0.0/8" for octet in range(1, 256)], True),
        (["52.0.0.0/16", "52.1.0.0/16"], True),  # a count, not a prefix length
        (["2600::/31"], True),
        (["52.0.0.0/16"], False),
        ([f"52.0.{third}.0/24" for third in range(256)], False),
        (["52.0.0.0/16", "52.0.0.0/17", "52.0.0.0/16"], False),  # overlaps count once
        (["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"], False),
        (["203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24"], False),
        (["fc00::/7", "fe80::/10", "2001:db8::/32"], False),
        (["2600:1f18::/36"], False),
        ([], False),
    ],
)
def test_what_counts_as_the_internet(cidrs: list[str], internet: bool) -> None:
    assert admits_the_internet(cidrs) is internet


def test_the_non_public_ranges_are_disjoint_and_inside_the_public_space() -> None:
    # public_addresses subtracts each overlap once, which is right only if so.
    for index, network in enumerate(NOT_PUBLIC):
        assert not any(
            network.version == other.version and network.overlaps(other)
            for other in NOT_PUBLIC[index + 1 :]
        )
    for network in NOT_PUBLIC:
        assert any(
            network.version == public.version and network.subnet_of(public)  # type: ignore[arg-type]
            for public in PUBLIC_SPACE
        )
        # What the standard library knows as not global agrees (multicast and the
        # 2024 documentation range 3fff::/20 it does not list).
        if not network.is_multicast and network != ipaddress.ip_network("3fff::/20"):
            assert not network.network_address.is_global


def config_problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_org(data)
    return {problem.path: problem.message for problem in caught.value.problems}


@pytest.mark.parametrize(
    ("cidrs", "named"),
    [
        (["0.0.0.0/1", "128.0.0.0/1"], ["gateway.allowed_cidrs[0]", "gateway.allowed_cidrs[1]"]),
        (["10.0.0.0/8", "2000::/3"], ["gateway.allowed_cidrs[1]"]),
        # Neither is the internet alone; together they are, and the list is named.
        (["52.0.0.0/16", "52.1.0.0/16"], ["gateway.allowed_cidrs"]),
    ],
)
def test_config_judges_the_union_of_the_allowed_networks(
    cidrs: list[str], named: list[str]
) -> None:
    data = example_document()
    data["gateway"]["allowed_cidrs"] = cidrs
    problems = config_problems(data)
    assert sorted(problems) == named
    assert all("internet" in problems[where] for where in named)
    data["gateway"]["allow_internet_ingress"] = True
    assert parse_org(data).gateway.allowed_cidrs == tuple(cidrs)


def test_an_allowed_internet_exception_marks_only_the_load_balancer_group() -> None:
    data = example_document()
    data["gateway"].update(allowed_cidrs=["0.0.0.0/1", "128.0.0.0/1"], allow_internet_ingress=True)
    data["accounts"] = data["accounts"][:1]  # the hub's compute is what matters; keep it quick
    stacks = render(parse_org(data))
    assert policy_violations(stacks) == []
    marked = [
        resource.name
        for stack in stacks
        for resource in stack.resources
        if EXCEPTION_TAG_PREFIX in json.dumps(resource.raw_inputs.get("tags"))
    ]
    # The load balancer group's rules are separate resources: each rule from an internet
    # half carries the exception, and nothing else does.
    assert sorted(marked) == [
        f"hub-compute-lb-ingress-{port}-{source}"
        for port in (8000, 8080)
        for source in ("0-0-0-0-1", "128-0-0-0-1")
    ]


@pytest.mark.parametrize("where", ["org", "account"])
@pytest.mark.parametrize(
    "key", [EXCEPTION_TAG_PREFIX, f"{EXCEPTION_TAG_PREFIX}/{INTERNET_INGRESS_RULE}"]
)
def test_config_rejects_an_exception_as_a_configured_tag(where: str, key: str) -> None:
    data = example_document()
    # Naming every rule, within AWS's 256 characters of a tag value.
    every_rule = " ".join(RULES)[:256]
    (data if where == "org" else data["accounts"][0]).setdefault("tags", {})[key] = every_rule
    problems = config_problems(data)
    assert list(problems) == [f"{'tags' if where == 'org' else 'accounts[0].tags'}.{key}.[key]"]
    assert "exempt every resource" in next(iter(problems.values()))


# --- the pack, through pulumi_policy's analyzer ---------------------------------------


def _secret(value: Any) -> dict[str, Any]:
    """A secret as the engine marshals it (KeepSecrets: true in the analyzer plugin,
    pkg/resource/plugin/analyzer_plugin.go; signature from pulumi_policy/deserialize.py)."""
    return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": value}


def analyze(
    resource: Resource,
    *,
    secret: tuple[str, ...] = ("assumeRolePolicy",),
    required_tags: list[str] | None = None,
) -> list[Any]:
    """The pack's diagnostics for ``resource``, as the Pulumi engine would get them.

    Builds the AnalyzeRequest the engine sends (properties as a protobuf Struct,
    secrets marked, the AWS provider's allowedAccountIds as JSON text as
    pulumi_aws/provider.py sends it) and calls the servicer pulumi_policy runs
    behind its gRPC server (``_PolicyAnalyzerServicer`` in pulumi_policy/policy.py),
    in process: the same deserialization and proxies as a real preview.
    """
    # The servicer's methods are untyped (pulumi_policy has no annotations there).
    servicer = _PolicyAnalyzerServicer(PACK_NAME, "0.0.1", policies(), EnforcementLevel.MANDATORY)
    if required_tags is not None:
        configure = proto.ConfigureAnalyzerRequest()
        configure.policyConfig["required-tags"].properties.update({"tags": required_tags})
        servicer.Configure(configure, None)  # type: ignore[no-untyped-call]
    urn = f"urn:pulumi:hub::akeyless-gateway-org::{resource.type}::{resource.name}"
    request = proto.AnalyzeRequest(type=resource.type, urn=urn, name=resource.name)
    request.properties.update(
        {key: _secret(value) if key in secret else value for key, value in resource.props.items()}
    )
    if resource.account_id:
        provider = request.provider
        provider.type, provider.name = "pulumi:providers:aws", "member"
        provider.urn = "urn:pulumi:hub::akeyless-gateway-org::pulumi:providers:aws::member"
        provider.properties.update({"allowedAccountIds": json.dumps([resource.account_id])})
    response = servicer.Analyze(request, None)  # type: ignore[no-untyped-call]
    diagnostics = list(response.diagnostics)
    assert all(d.urn == urn for d in diagnostics), diagnostics
    return diagnostics


def test_the_pack_holds_every_rule_as_a_mandatory_policy() -> None:
    pack = policies()
    assert [policy.name for policy in pack] == list(RULES)
    assert {policy.enforcement_level for policy in pack} == {EnforcementLevel.MANDATORY}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_the_analyzer_passes_the_compliant_and_fails_the_violating(rule: str) -> None:
    compliant, violating = CASES[rule]
    assert analyze(compliant) == []
    diagnostics = analyze(violating)
    assert rule in {d.policyName for d in diagnostics}, diagnostics
    assert {d.enforcementLevel for d in diagnostics} == {proto.MANDATORY}


@pytest.mark.parametrize(("rule", "resource"), MORE_VIOLATIONS)
def test_the_analyzer_catches_more_violations(rule: str, resource: Resource) -> None:
    assert rule in {d.policyName for d in analyze(resource)}


def test_the_analyzer_reads_the_account_from_the_provider() -> None:
    compliant, violating = CASES["cross-account-trust-external-id"]
    same_account = Resource(
        compliant.type,
        compliant.name,
        {**violating.props, "assumeRolePolicy": trust({"AWS": "arn:aws:iam::333333333333:root"})},
        account_id="333333333333",
    )
    assert analyze(same_account) == []
    elsewhere = Resource(same_account.type, "member", same_account.props, account_id="444444444444")
    assert [d.policyName for d in analyze(elsewhere)] == ["cross-account-trust-external-id"]


def test_the_analyzer_applies_the_configured_required_tags() -> None:
    lb = CASES["required-tags"][0]
    assert analyze(lb, required_tags=["owner"]) == []
    diagnostics = analyze(lb, required_tags=["owner", "cost-center"])
    assert [d.policyName for d in diagnostics] == ["required-tags"]
    assert "cost-center" in diagnostics[0].message


def test_a_tagged_auto_scaling_group_passes_the_analyzer() -> None:
    asg = Resource(
        "aws:autoscaling/group:Group",
        "asg",
        {"tags": [{"key": "owner", "value": "platform", "propagateAtLaunch": True}]},
    )
    assert analyze(asg) == []


# --- offline, over the render ----------------------------------------------------------


@pytest.mark.parametrize("org_fixture", ["centralized_org", "distributed_org"])
def test_both_examples_hold_every_invariant(
    org_fixture: str, request: pytest.FixtureRequest
) -> None:
    org: OrgDeployment = request.getfixturevalue(org_fixture)
    assert policy_violations(rendered(org)) == []


def broken_data() -> dict[str, Any]:
    data: dict[str, Any] = example_document(CENTRALIZED_EXAMPLE)
    data["tags"] = {}
    for account in data["accounts"]:
        account.pop("tags", None)
    return data


def test_a_deliberately_broken_config_is_caught_offline() -> None:
    violations = policy_violations(render(parse_org(broken_data())))
    assert violations and {v.rule for v in violations} == {"required-tags"}
    assert any(v.resource == "hub/hub-compute-lb" for v in violations)
