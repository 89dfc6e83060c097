"""EKS compute: the ``akeyless-gateway`` Helm chart in an existing cluster (IRSA identity).

The pinned chart, running ``gateway.image``, through a kubeconfig that gets short-lived tokens
from ``aws eks get-token``; its service account annotated with the Gateway identity role, which
trusts exactly that service account through the cluster's OIDC provider. A Service
``akeyless-gateway-api`` exposes ports 8000 and 8080: an internal load balancer admitting only
the allowed networks, or ClusterIP. No ``host``: the Gateway's URL is config.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from akeyless_gateway_org.components.compute_base import (
    EKS_TYPE,
    ComputeInputs,
    GatewayComputeComponent,
)
from akeyless_gateway_org.components.gateway_runtime import (
    GATEWAY_SERVICE_NAME,
    HELM_CHART,
    HELM_RELEASE,
    HELM_REPOSITORY,
    gateway_service_spec,
    helm_values,
)
from akeyless_gateway_org.config.model import EksSite

CLUSTER_LOOKUP = "aws:eks/getCluster:getCluster"
"""The invoke that reads the cluster's endpoint and certificate authority."""


@dataclass(frozen=True)
class EksGatewayArgs:
    """Inputs of :class:`EksGateway`."""

    cluster_name: str
    """The existing cluster."""
    namespace: str
    """Namespace of the release and the Service (created if missing)."""
    helm_values: pulumi.Output[Mapping[str, object]]
    """The chart's values (``gateway_runtime.helm_values``)."""
    helm_chart_version: str
    region: str
    load_balancer: bool = True
    """The Service: an internal load balancer (True) or ClusterIP."""
    allowed_cidrs: tuple[str, ...] = ()
    """Who the load balancer admits (``loadBalancerSourceRanges``)."""
    tls_certificate_arn: str | None = None
    """ACM certificate: TLS on port 8000 at the load balancer."""
    deploy_role_arn: str | None = None
    """The role the deployment assumes to reach the cluster's API."""

    def __post_init__(self) -> None:
        if self.load_balancer and not self.allowed_cidrs:
            raise ValueError("an EKS load balancer admits sources by CIDR only: name them")
        if self.tls_certificate_arn is not None and not self.load_balancer:
            raise ValueError("a ClusterIP Service has no load balancer to terminate TLS at")


class EksGateway(GatewayComputeComponent):
    """The Gateway as a Helm release and a Service in an existing EKS cluster. No ``host``."""

    def __init__(
        self, name: str, args: EksGatewayArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(EKS_TYPE, name, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster = aws.eks.get_cluster_output(
            name=args.cluster_name, opts=pulumi.InvokeOptions(parent=self)
        )
        kubeconfig = pulumi.Output.all(cluster.endpoint, cluster.certificate_authorities).apply(
            lambda values: json.dumps(
                _kubeconfig(
                    cluster_name=args.cluster_name,
                    endpoint=values[0],
                    certificate_authority=values[1][0]["data"] if values[1] else "",
                    region=args.region,
                    role_arn=args.deploy_role_arn,
                )
            )
        )
        provider = k8s.Provider(f"{name}-k8s", kubeconfig=kubeconfig, opts=child)
        # "By default, the provider waits until all resources are in a ready state"
        # (pulumi_kubernetes helm/v3/Release.py, skip_await): the pods' readiness
        # probe is GET /health on 8080, so the Gateway answered /health in the pod.
        release = k8s.helm.v3.Release(
            f"{name}-helm",
            name=HELM_RELEASE,
            chart=HELM_CHART,
            version=args.helm_chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=HELM_REPOSITORY),
            namespace=args.namespace,
            create_namespace=True,
            values=args.helm_values,
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        annotations, spec = gateway_service_spec(
            load_balancer=args.load_balancer,
            allowed_cidrs=args.allowed_cidrs,
            certificate_arn=args.tls_certificate_arn,
        )
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=GATEWAY_SERVICE_NAME, namespace=args.namespace, annotations=annotations
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                type=spec["type"],
                selector=spec["selector"],
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        name=port["name"],
                        port=port["port"],
                        target_port=port["targetPort"],
                        protocol=port["protocol"],
                    )
                    for port in spec["ports"]
                ],
                load_balancer_source_ranges=spec.get("loadBalancerSourceRanges"),
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[release]),
        )
        self.host = None
        self.register_outputs({"host": self.host})


def eks_gateway(
    name: str, site: EksSite, inputs: ComputeInputs, opts: pulumi.ResourceOptions
) -> EksGateway:
    """The EKS Gateway of ``site`` (``eks_cluster_name``, ``eks_namespace``, ``eks_service``,
    ``tls_certificate_arn``)."""
    if site.eks_cluster_name is None:
        raise ValueError("an EKS Gateway needs its cluster name")
    settings = inputs.settings
    values = pulumi.Output.all(inputs.access_id, inputs.identity_role_arn).apply(
        lambda resolved: helm_values(
            access_id=resolved[0],
            cluster=inputs.cluster,
            admin_access_ids=inputs.seeded_access_ids,
            role_arn=resolved[1],
            image=settings.image,
        )
    )
    return EksGateway(
        name,
        EksGatewayArgs(
            cluster_name=site.eks_cluster_name,
            namespace=site.eks_namespace,
            helm_values=values,
            helm_chart_version=settings.helm_chart_version,
            region=inputs.region,
            load_balancer=site.eks_service == "load_balancer",
            allowed_cidrs=tuple(settings.allowed_cidrs),
            tls_certificate_arn=site.tls_certificate_arn,
            deploy_role_arn=inputs.deploy_role_arn,
        ),
        opts,
    )


def offline_cluster(args: Mapping[str, Any], after_deploy: Any) -> dict[str, Any]:
    """The offline render's stand-in for :data:`CLUSTER_LOOKUP`: marked placeholders."""
    cluster = f"eks cluster {args.get('name')}"
    return {
        "name": args.get("name"),
        "endpoint": after_deploy(cluster, "endpoint"),
        "certificateAuthorities": [{"data": after_deploy(cluster, "certificateAuthority")}],
    }


def _kubeconfig(
    *,
    cluster_name: str,
    endpoint: str,
    certificate_authority: str,
    region: str,
    role_arn: str | None,
) -> dict[str, object]:
    """A kubeconfig that gets short-lived tokens from ``aws eks get-token``; no stored key."""
    token_args = ["eks", "get-token", "--cluster-name", cluster_name, "--region", region]
    if role_arn is not None:
        token_args += ["--role-arn", role_arn]
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster_name,
                "cluster": {
                    "server": endpoint,
                    "certificate-authority-data": certificate_authority,
                },
            }
        ],
        "users": [
            {
                "name": cluster_name,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": token_args,
                    }
                },
            }
        ],
        "contexts": [
            {"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}
        ],
        "current-context": cluster_name,
    }
