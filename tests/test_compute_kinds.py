"""The table of compute kinds, and each kind's args refusing what cannot run."""

from __future__ import annotations

from typing import Any, cast, get_args

import pytest

from akeyless_gateway_org.components.compute_base import LEGACY_COMPUTE_TYPE
from akeyless_gateway_org.components.compute_ec2 import Ec2GatewayArgs
from akeyless_gateway_org.components.compute_ecs import EcsGatewayArgs
from akeyless_gateway_org.components.compute_eks import CLUSTER_LOOKUP, EksGatewayArgs
from akeyless_gateway_org.components.compute_kinds import (
    COMPUTE_KINDS,
    compute_kind,
    offline_lookup,
)
from akeyless_gateway_org.components.gateway_network import GatewayNetworkArgs
from akeyless_gateway_org.components.iam_documents import (
    ServiceAccountSubject,
    ServiceAccountTrust,
    ServicePrincipalTrust,
    gateway_trust_policy,
)
from akeyless_gateway_org.config.model import ComputeKind

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/akeyless/akeyless-gateway"
NETWORK = GatewayNetworkArgs(
    vpc_id="vpc-0a1b2c3d", subnets=("subnet-1",), allowed_cidrs=("10.0.0.0/8",)
)
UNUSED = cast(Any, None)
"""An Output the args never look at before the component uses them."""


def test_every_kind_of_the_config_has_exactly_one_spec() -> None:
    assert set(COMPUTE_KINDS) == set(get_args(ComputeKind))
    assert all(spec.kind == kind for kind, spec in COMPUTE_KINDS.items())
    tokens = [spec.type_token for spec in COMPUTE_KINDS.values()]
    assert len(set(tokens)) == len(tokens) and LEGACY_COMPUTE_TYPE not in tokens


def test_each_kind_states_its_identity_trust_and_instance_profile() -> None:
    assert {kind: spec.needs_instance_profile for kind, spec in COMPUTE_KINDS.items()} == {
        "ec2": True,
        "ecs": False,
        "eks": False,
    }
    assert compute_kind("ec2").identity_trust == ServicePrincipalTrust("ec2.amazonaws.com")
    assert compute_kind("ecs").identity_trust == ServicePrincipalTrust(
        "ecs-tasks.amazonaws.com", source_service="ecs"
    )
    assert compute_kind("eks").identity_trust == ServiceAccountTrust()


def test_an_unknown_kind_is_named() -> None:
    with pytest.raises(ValueError, match="unknown compute kind 'lambda': one of ec2, ecs, eks"):
        compute_kind(cast(Any, "lambda"))


def test_a_service_account_trust_needs_its_service_account() -> None:
    with pytest.raises(ValueError, match="needs its service account"):
        gateway_trust_policy(
            partition="aws",
            account_id=ACCOUNT,
            gateway_role_arn=ROLE,
            compute_trust=compute_kind("eks").identity_trust,
        )
    oidc = f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
    trust = gateway_trust_policy(
        partition="aws",
        account_id=ACCOUNT,
        gateway_role_arn=ROLE,
        compute_trust=compute_kind("eks").identity_trust,
        service_account=ServiceAccountSubject(oidc, "akeyless", "akeyless-gateway"),
    )
    assert trust["Statement"][0]["Principal"] == {"Federated": oidc}


def test_only_the_eks_kind_has_an_offline_lookup() -> None:
    lookup = offline_lookup(CLUSTER_LOOKUP)
    assert lookup is not None
    answer = lookup({"name": "staging"}, lambda resource, prop: f"<{resource}.{prop}>")
    assert answer["endpoint"] == "<eks cluster staging.endpoint>"
    assert offline_lookup("aws:ec2/getVpc:getVpc") is None


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: GatewayNetworkArgs(vpc_id="vpc-1", subnets=(), allowed_cidrs=("10.0.0.0/8",)),
            "subnet",
        ),
        (lambda: GatewayNetworkArgs(vpc_id="vpc-1", subnets=("subnet-1",)), "who may reach"),
        (
            lambda: Ec2GatewayArgs(NETWORK, "akeyless/gateway:5.0.1", UNUSED, UNUSED, size=0),
            "at least one instance",
        ),
        (
            lambda: EcsGatewayArgs(
                NETWORK,
                "akeyless/gateway:5.0.1",
                UNUSED,
                UNUSED,
                account_id=ACCOUNT,
                region="us-east-1",
                partition="aws",
                cpu=256,
                memory_mib=4096,
            ),
            "Fargate runs 256 CPU units",
        ),
        (
            lambda: EksGatewayArgs("staging", "akeyless", UNUSED, "3.3.0", "us-east-1"),
            "by CIDR only",
        ),
        (
            lambda: EksGatewayArgs(
                "staging",
                "akeyless",
                UNUSED,
                "3.3.0",
                "us-east-1",
                load_balancer=False,
                tls_certificate_arn=f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/x",
            ),
            "no load balancer",
        ),
    ],
)
def test_each_kinds_args_refuse_what_cannot_run(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()
