"""Every physical name fits AWS's limit for its type, for the longest names the config allows.

The physical name is what the resource would be called on AWS: its name input,
or the bridge's autoname (the logical name, ``-`` and 7 random characters;
modelled in :func:`components.aws_names.physical_name`).
"""

from __future__ import annotations

from typing import Any

import pytest

from akeyless_gateway_org.components.aws_names import (
    load_balancer_name,
    name_problems,
    physical_name,
    short_name,
)
from akeyless_gateway_org.config.validation import parse_org
from akeyless_gateway_org.review.render import StackRender
from tests.conftest import CENTRALIZED_EXAMPLE, DISTRIBUTED_EXAMPLE, example_document
from tests.test_components import rendered

# The longest IAM role names validation admits (64 of [A-Za-z0-9_+=,.@-],
# config/fields.py RoleName), with the characters an ELB name may not contain.
LONGEST_ROLE_NAME = ("gw_+=,.@-" * 8)[:64]
LONGEST_MEMBER_ROLE_NAME = ("member.@" * 8)[:64]
LONGEST_PATH = "/" + "p" * 510 + "/"
CERTIFICATE = "arn:aws:acm:us-east-1:{}:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"


def longest(data: dict[str, Any]) -> dict[str, Any]:
    data["iam"].update(
        gateway_role_name=LONGEST_ROLE_NAME,
        member_role_name=LONGEST_MEMBER_ROLE_NAME,
        path=LONGEST_PATH,
    )
    data["bootstrap_role_name"] = "b" * 64
    return data


def centralized_ecs_hub() -> dict[str, Any]:
    data: dict[str, Any] = longest(example_document(CENTRALIZED_EXAMPLE))
    data["hub"]["compute"] = "ecs"
    return data


def distributed_every_kind() -> dict[str, Any]:
    """Accounts on ecs (TLS), eks (load balancer and ClusterIP) and ec2."""
    data: dict[str, Any] = longest(example_document(DISTRIBUTED_EXAMPLE))
    ecs, eks = data["accounts"]
    eks_cluster_ip = {
        **{key: value for key, value in eks.items() if key != "capabilities"},
        "id": "666666666666",
        "eks_service": "cluster_ip",
        "eks_oidc_provider_arn": eks["eks_oidc_provider_arn"].replace(
            "444444444444", "666666666666"
        ),
    }
    ec2 = {
        **{k: v for k, v in ecs.items() if k not in ("capabilities", "tls_certificate_arn")},
        "id": "777777777777",
        "compute": "ec2",
    }
    data["accounts"] += [eks_cluster_ip, ec2]
    return data


VARIANTS = {"centralized, ecs hub": centralized_ecs_hub, "distributed": distributed_every_kind}
_ORGS: dict[str, Any] = {}


def variant(name: str) -> list[StackRender]:
    if name not in _ORGS:  # keep the org object alive: rendered() caches by id
        _ORGS[name] = parse_org(VARIANTS[name](), f"{name} variant")
    return rendered(_ORGS[name])


@pytest.mark.parametrize("name", VARIANTS)
def test_every_physical_name_fits_its_types_limit(name: str) -> None:
    stacks = variant(name)
    kinds = {stack.spec.kind for stack in stacks}
    assert kinds == ({"org", "hub", "member"} if "centralized" in name else {"org", "account"})
    checked: set[str] = set()
    for stack in stacks:
        seen: dict[tuple[str, str], str] = {}  # names are unique per account and type
        for resource in stack.resources:
            where = f"{stack.spec.name}: {resource.type} {resource.name}"
            assert name_problems(resource.type, resource.name, resource.raw_inputs) == [], where
            physical = physical_name(resource.type, resource.name, resource.raw_inputs)
            if physical is None:
                continue
            clash = seen.setdefault((resource.type, physical), resource.name)
            assert clash == resource.name, f"{where}: {physical!r} is also the name of {clash}"
            checked.add(resource.type)
    assert checked >= {
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:lb/targetGroup:TargetGroup",
        "aws:iam/role:Role",
        "aws:ec2/securityGroup:SecurityGroup",
    }


def test_the_variants_use_the_longest_names() -> None:
    """The render really carries the 64-character role name (so the check above means it)."""
    roles = [
        resource.raw_inputs["name"]
        for stack in variant("distributed")
        for resource in stack.resources
        if resource.type == "aws:iam/role:Role"
    ]
    assert LONGEST_ROLE_NAME in roles
    kinds = {
        resource.type
        for stack in variant("distributed")
        for resource in stack.resources
        if resource.type.startswith("aws:")
    }
    assert {"aws:ec2/launchTemplate:LaunchTemplate", "aws:ecs/service:Service"} <= kinds


def test_the_bridge_autoname_is_the_logical_name_plus_eight() -> None:
    # pulumi-terraform-bridge pkg/tfbridge/info/autonaming.go: name + "-" + 7 random.
    name = physical_name("aws:lb/targetGroup:TargetGroup", "account-333333333333-tg-8000", {})
    assert name is not None and len(name) == len("account-333333333333-tg-8000") + 8
    given = physical_name("aws:lb/targetGroup:TargetGroup", "tg", {"name": "given"})
    assert given == "given"


def test_the_rule_catches_what_aws_refuses() -> None:
    tg = "aws:lb/targetGroup:TargetGroup"
    (too_long,) = name_problems(tg, "account-333333333333-compute-tg-8000", {})  # autonamed: 44
    assert "44 characters, over 32" in too_long
    assert name_problems(tg, "tg", {"name": "gw_1"})  # '_' is not allowed
    assert name_problems("aws:lb/loadBalancer:LoadBalancer", "lb", {"name": "internal-gw"})
    assert name_problems("aws:new/thing:Thing", "t", {}) == [
        "aws:new/thing:Thing has no name rule in components/aws_names.py"
    ]
    assert name_problems(tg, "tg", {"name": "akeyless-gateway-8000"}) == []


def test_short_names_are_deterministic_distinct_and_fit() -> None:
    long_a, long_b = "a" * 60 + "-one", "a" * 60 + "-two"
    assert short_name(long_a, 32) == short_name(long_a, 32)
    assert short_name(long_a, 32) != short_name(long_b, 32)
    assert len(short_name(long_a, 32)) == 32
    assert short_name("fits", 32) == "fits"
    # An identity (what forces a replacement) always changes the name with it.
    assert short_name("fits", 32, identity="vpc-1") != short_name("fits", 32, identity="vpc-2")
    assert load_balancer_name("internal-gw_+=.@x") == "gw-x"
