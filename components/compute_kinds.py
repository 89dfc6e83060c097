"""The compute kinds: the one place that knows which kinds there are and what each needs.

| kind    | component (module)                | identity role trusted by          | profile |
|---------|-----------------------------------|-----------------------------------|---------|
| ``ec2`` | :class:`Ec2Gateway` (compute_ec2) | ``ec2.amazonaws.com``             | yes     |
| ``ecs`` | :class:`EcsGateway` (compute_ecs) | ``ecs-tasks`` of this account     | no      |
| ``eks`` | :class:`EksGateway` (compute_eks) | the Gateway's service account     | no      |

The stacks build a Gateway's compute through :func:`compute_kind` (``spec.build``), the
Gateway identity reads its trust and instance profile from it, and the offline render its
stand-ins for the kinds' lookups. A new kind is its own module and one line here (and its
site's fields in ``config/model.py``). Importing this module calls nothing in Pulumi.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pulumi

from akeyless_gateway_org.components.compute_base import (
    EC2_TYPE,
    ECS_TYPE,
    EKS_TYPE,
    ComputeInputs,
    GatewayComputeComponent,
)
from akeyless_gateway_org.components.compute_ec2 import ec2_gateway
from akeyless_gateway_org.components.compute_ecs import ecs_gateway
from akeyless_gateway_org.components.compute_eks import (
    CLUSTER_LOOKUP,
    eks_gateway,
    offline_cluster,
)
from akeyless_gateway_org.components.iam_documents import (
    EC2_SERVICE,
    ECS_TASKS_SERVICE,
    ComputeTrust,
    ServiceAccountTrust,
    ServicePrincipalTrust,
)
from akeyless_gateway_org.config.model import ComputeKind, SiteBase

SiteT = TypeVar("SiteT", bound=SiteBase)
"""The site a kind's ``build`` reads: the kind's own site model (``Ec2Site``, ...)."""
OfflineLookup = Callable[[Mapping[str, Any], Callable[[str, str], str]], dict[str, Any]]
"""``lookup(args, after_deploy)``: what the offline render answers for an invoke the kind
makes, its cloud-assigned values as ``after_deploy(resource, prop)`` placeholders."""


@dataclass(frozen=True)
class ComputeKindSpec(Generic[SiteT]):
    """One compute kind: its component, and what the Gateway identity needs for it."""

    kind: ComputeKind
    type_token: str
    """The kind's component type (each an alias of the one ``GatewayCompute`` before)."""
    build: Callable[[str, SiteT, ComputeInputs, pulumi.ResourceOptions], GatewayComputeComponent]
    """``build(name, site, inputs, opts)``: the kind's component for one Gateway."""
    identity_trust: ComputeTrust
    """Who takes the Gateway identity role (``iam_documents.gateway_trust_policy``)."""
    needs_instance_profile: bool
    """Whether the identity role also gets an instance profile (EC2 instances)."""
    pulls_image_as_identity: bool = False
    """Whether the image is pulled with the identity role (EC2: the instance's only role),
    so it needs the pull of a private ECR image. ECS pulls with the task execution role
    (``compute_ecs``); EKS with the node's role, which this program does not manage."""
    offline_lookups: Mapping[str, OfflineLookup] = field(default_factory=dict)
    """Invoke token -> the offline render's stand-in (``review/render.py``)."""


COMPUTE_KINDS: Mapping[ComputeKind, ComputeKindSpec[Any]] = {
    spec.kind: spec
    for spec in (
        ComputeKindSpec(
            "ec2",
            EC2_TYPE,
            ec2_gateway,
            ServicePrincipalTrust(EC2_SERVICE),
            needs_instance_profile=True,
            pulls_image_as_identity=True,
        ),
        # ECS tasks of this account only: the confused-deputy conditions AWS documents for
        # task roles (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html,
        # "aws:SourceAccount" and "aws:SourceArn").
        ComputeKindSpec(
            "ecs",
            ECS_TYPE,
            ecs_gateway,
            ServicePrincipalTrust(ECS_TASKS_SERVICE, source_service="ecs"),
            needs_instance_profile=False,
        ),
        ComputeKindSpec(
            "eks",
            EKS_TYPE,
            eks_gateway,
            ServiceAccountTrust(),
            needs_instance_profile=False,
            offline_lookups={CLUSTER_LOOKUP: offline_cluster},
        ),
    )
}


def compute_kind(kind: ComputeKind) -> ComputeKindSpec[Any]:
    """The spec of ``kind`` (a site's ``compute``), or a ValueError naming the known kinds."""
    try:
        return COMPUTE_KINDS[kind]
    except KeyError:
        raise ValueError(
            f"unknown compute kind {kind!r}: one of {', '.join(COMPUTE_KINDS)}"
        ) from None


def offline_lookup(token: str) -> OfflineLookup | None:
    """The offline render's stand-in for invoke ``token`` of any kind, or None."""
    for spec in COMPUTE_KINDS.values():
        if token in spec.offline_lookups:
            return spec.offline_lookups[token]
    return None
