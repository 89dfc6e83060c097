"""EKS compute: the ``akeyless-gateway`` Helm chart in an existing cluster (IRSA identity).

The pinned chart, running ``gateway.image``, through a kubeconfig that gets short-lived tokens
from ``aws eks get-token``; its service account annotated with the Gateway identity role, which
trusts exactly that service account through the cluster's OIDC provider. A Service
``akeyless-gateway-api`` exposes ports 8000, 8080 and each service's: an internal load balancer
admitting only the allowed networks, or ClusterIP. With ``dns`` the stack creates the ACM
certificate (validated by DNS), gives its ARN to the Service's load-balancer annotations, and
points ``dns.name`` at the load balancer with a CNAME record. No ``host``: the Gateway's URL is
config or ``dns.name``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from akeyless_gateway_org.components.compute_base import (
    EKS_TYPE,
    ComputeInputs,
    GatewayComputeComponent,
)
from akeyless_gateway_org.components.gateway_network import validated_certificate
from akeyless_gateway_org.components.gateway_runtime import (
    GATEWAY_SERVICE_NAME,
    HELM_CHART,
    HELM_RELEASE,
    HELM_REPOSITORY,
    gateway_service_spec,
    helm_values,
)
from akeyless_gateway_org.config.model import AccessLogs, DnsSettings, EksSite

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
    """An existing ACM certificate: TLS at the load balancer (8000, and 8200 if on)."""
    dns: DnsSettings | None = None
    """The Gateway's name: a certificate is made for it and a record points it at the
    Service's load balancer."""
    services: tuple[str, ...] = ()
    """``gateway.services``: each adds its port to the Service (and, in the values, the pods)."""
    access_logs: AccessLogs | None = None
    """The existing bucket the Service's load balancer writes its access logs to."""
    deploy_role_arn: str | None = None
    """The role the deployment assumes to reach the cluster's API."""
    tags: dict[str, str] = field(default_factory=dict)
    """Of the AWS resources (the certificate with ``dns``)."""

    def __post_init__(self) -> None:
        if self.load_balancer and not self.allowed_cidrs:
            raise ValueError("an EKS load balancer admits sources by CIDR only: name them")
        tls = self.tls_certificate_arn is not None or self.dns is not None
        if tls and not self.load_balancer:
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
        certificate: pulumi.Output[str | None] = pulumi.Output.from_input(args.tls_certificate_arn)
        if args.dns is not None:
            # The certificate, like the ec2/ecs one, in the account's AWS provider.
            certificate = validated_certificate(name, args.dns, args.tags, child)
        # The spec is the same with or without a certificate; the annotations wait for it.
        _, spec = gateway_service_spec(
            load_balancer=args.load_balancer,
            allowed_cidrs=args.allowed_cidrs,
            certificate_arn=None,
            services=args.services,
            access_logs=args.access_logs,
        )
        # The AWS Load Balancer Controller reads the certificate and the TLS ports from
        # the Service's annotations (aws-load-balancer-controller docs, "Service
        # annotations": aws-load-balancer-ssl-cert, aws-load-balancer-ssl-ports).
        all_annotations = certificate.apply(
            lambda arn: gateway_service_spec(
                load_balancer=args.load_balancer,
                allowed_cidrs=args.allowed_cidrs,
                certificate_arn=arn,
                services=args.services,
                access_logs=args.access_logs,
            )[0]
        )
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=GATEWAY_SERVICE_NAME, namespace=args.namespace, annotations=all_annotations
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
        if args.dns is not None:
            aws.route53.Record(
                f"{name}-cname",
                zone_id=args.dns.zone_id,
                name=args.dns.name,
                type="CNAME",
                records=[service.status.apply(load_balancer_hostname)],
                ttl=GATEWAY_RECORD_TTL,
                opts=child,
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
    values = pulumi.Output.all(
        inputs.access_id, inputs.identity_role_arn, inputs.seeded_access_ids
    ).apply(
        lambda resolved: helm_values(
            access_id=resolved[0],
            cluster=inputs.cluster,
            admin_access_ids=resolved[2],
            role_arn=resolved[1],
            settings=settings,
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
            dns=site.dns,
            services=tuple(settings.services),
            access_logs=settings.access_logs,
            deploy_role_arn=inputs.deploy_role_arn,
            tags=inputs.tags,
        ),
        opts,
    )


GATEWAY_RECORD_TTL = 300
"""TTL of the Gateway's CNAME: a load balancer's name does not change while it exists."""


def load_balancer_hostname(status: Any) -> str:
    """The Service's load balancer name, from its ``status.loadBalancer.ingress[0].hostname``
    (Kubernetes API, ServiceStatus / LoadBalancerIngress), which the AWS Load Balancer
    Controller sets to the NLB's DNS name."""
    ingress = status.load_balancer.ingress if status and status.load_balancer else None
    if not ingress or not ingress[0].hostname:
        raise ValueError("the Gateway's Service has no load balancer hostname yet")
    return str(ingress[0].hostname)


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
