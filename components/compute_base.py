"""What every compute kind shares: the stack's inputs, and the component's base with its alias.

One module per kind (``compute_ec2``, ``compute_ecs``, ``compute_eks``) builds one component
from the site and :class:`ComputeInputs`; ``compute_kinds`` is the one table of the kinds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from akeyless_gateway_org.components.gateway_runtime import gateway_environment
from akeyless_gateway_org.config.model import AutoscaledGateway, Autoscaling, GatewaySettings

EC2_TYPE = "akeyless-gateway:compute:Ec2AutoScaling"
ECS_TYPE = "akeyless-gateway:compute:EcsFargate"
EKS_TYPE = "akeyless-gateway:compute:EksHelm"
KIND_TYPES = (EC2_TYPE, ECS_TYPE, EKS_TYPE)
"""The component type of each compute kind (``compute_kinds`` says which is which)."""

LEGACY_COMPUTE_TYPE = "akeyless-gateway:compute:GatewayCompute"
"""The type of the one compute component before it was split per kind: every kind's
component is an alias of it, so stacks deployed before keep their resources."""


@dataclass(frozen=True)
class ComputeInputs:
    """What a stack gives the compute of its Gateway, whatever the kind (the site aside)."""

    settings: GatewaySettings
    """Image, size and who may reach the Gateway (each kind reads its own fields)."""
    account_id: str
    region: str
    partition: str
    identity_role_arn: pulumi.Output[str]
    """The Gateway identity role."""
    instance_profile_name: pulumi.Output[str] | None
    """Its instance profile, where the kind needs one (``needs_instance_profile``)."""
    access_id: pulumi.Output[str]
    """The auth method's access ID the Gateway logs in with (from the org stack)."""
    cluster: str
    """The Gateway's ``CLUSTER_NAME``."""
    seeded_access_ids: pulumi.Input[Sequence[str]]
    """Allowed access from the Gateway's first start: the access ID the stack logs in with."""
    resource_prefix: str = "akeyless-gateway"
    """Physical-name prefix of the load balancer, log group, execution role and cluster."""
    iam_path: str = "/"
    permissions_boundary_arn: str | None = None
    deploy_role_arn: str | None = None
    """The role the deployment assumes in the account (eks: to reach the cluster's API)."""
    tags: dict[str, str] = field(default_factory=dict)

    def environment(self) -> pulumi.Output[Mapping[str, str]]:
        """The container's environment (``gateway_runtime.gateway_environment``)."""
        return pulumi.Output.all(self.access_id, self.seeded_access_ids).apply(
            lambda resolved: gateway_environment(
                access_id=resolved[0], cluster=self.cluster, admin_access_ids=resolved[1]
            )
        )


def gateway_size(settings: GatewaySettings) -> int | Autoscaling:
    """The size of a Gateway's compute: its fixed ``replicas`` or its ``autoscaling``."""
    if isinstance(settings, AutoscaledGateway):
        return settings.autoscaling
    return settings.least_replicas


class GatewayComputeComponent(pulumi.ComponentResource):
    """Base of the per-kind components. Output ``host``: the load balancer's DNS name, or
    None where the Gateway's URL is config (eks).

    Each kind has its own type token, and each is an alias of :data:`LEGACY_COMPUTE_TYPE` with
    the same name and parent, so a stack deployed with the one ``GatewayCompute`` finds its
    component in state. Its children follow without aliases of their own: the engine gives
    every child of an aliased parent the alias "same name and type under the parent's old
    URN" (pulumi/pulumi v3.274.1 pkg/resource/deploy/step_generator.go, ``generateAliases``:
    "multiply out any aliases our parent had", through ``inheritedChildAlias``), and the
    children keep their names and types (the network piece is built under the component for
    that reason, ``gateway_network``). tests/engine/test_engine_upgrade.py shows it on the
    real engine.
    """

    host: pulumi.Output[str] | None

    def __init__(self, type_token: str, name: str, opts: pulumi.ResourceOptions | None) -> None:
        # Same name and parent, old type: the engine resolves it to the old URN
        # (pulumi/pulumi v3.274.1 pkg/resource/deploy/step_generator.go, collapseAliasToUrn),
        # and the children inherit it (generateAliases -> inheritedChildAlias, above).
        # The other kinds' types too: a site switching kind (ec2 to ecs) keeps its
        # component, so the children both kinds build (the load balancer, its groups and
        # listeners: ``gateway_network``) are updated or replaced in place, not created
        # again beside the old ones under names the old ones still hold (ELB
        # CreateLoadBalancer: DuplicateLoadBalancerName).
        aliases = [
            pulumi.Alias(type_=other)
            for other in (LEGACY_COMPUTE_TYPE, *KIND_TYPES)
            if other != type_token
        ]
        super().__init__(
            type_token,
            name,
            None,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=aliases)),
        )
