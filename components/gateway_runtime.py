"""How the Gateway runs, as pure data: its environment, EC2 user data, ECS
container definition and Helm values. The environment variables are those of
https://docs.akeyless.io/docs/gateway-docker-advanced-configuration, the Helm
values those of akeylesslabs/helm-charts ``charts/akeyless-gateway/values.yaml``.
Nothing here is secret: the Gateway logs in with its cloud identity, so it gets
access IDs, never keys.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from akeyless_gateway_org.components.akeyless_names import GATEWAY_API_PORT, GATEWAY_HEALTH_PORT
from akeyless_gateway_org.config.fields import image_repository_and_tag, private_ecr_repository
from akeyless_gateway_org.config.model import AccessLogs, AutoscaledGateway, GatewaySettings
from akeyless_gateway_org.policy.rules import TLS_POLICY


@dataclass(frozen=True)
class GatewayPort:
    """One port the Gateway serves, and how the load balancer in front treats it."""

    port: int
    chart_name: str
    """The chart's name of the container port (templates/deployment.yaml)."""
    what: str
    tls_at_load_balancer: bool
    """Whether a load balancer holding a certificate terminates TLS on it. False for the
    health port (plain HTTP, probed by the load balancer) and for KMIP (TLS end to end)."""


# The ports, from the akeyless-gateway chart (akeylesslabs/helm-charts @01a9ce78,
# charts/akeyless-gateway 3.3.0, templates/deployment.yaml: "gateway" 8000,
# "internal-gw-api" 8080, "kmip" 5696 if gateway.service.kmip.enabled, "hvp" 8200 if
# gateway.service.hvp.enabled; templates/svc.yaml exposes them the same way) and the
# Gateway docs (https://docs.akeyless.io/docs/hashicorp-vault-proxy: "directly through
# your Gateway on port 8200"; https://docs.akeyless.io/docs/kmip-server: KMIP clients
# authenticate with their own client certificates in the TLS handshake, so the
# connection must reach the Gateway unbroken: TCP at the load balancer, never TLS).
API_PORT = GatewayPort(GATEWAY_API_PORT, "gateway", "Gateway API (v2)", True)
HEALTH_PORT = GatewayPort(GATEWAY_HEALTH_PORT, "internal-gw-api", "health and v1 API", False)
GATEWAY_SERVICE_PORTS: Mapping[str, GatewayPort] = {
    "vault_proxy": GatewayPort(8200, "hvp", "HashiCorp Vault proxy", True),
    "kmip": GatewayPort(5696, "kmip", "KMIP server (TLS passed through)", False),
}
"""``gateway.services`` -> its port; each adds exactly that port, nothing when off."""
CHART_SERVICE_KEYS = {"vault_proxy": "hvp", "kmip": "kmip"}
"""``gateway.services`` -> the chart's ``gateway.service.<key>.enabled`` (values.yaml)."""
GATEWAY_PORTS = (GATEWAY_API_PORT, GATEWAY_HEALTH_PORT)
"""The ports every Gateway serves, whatever its services."""


def gateway_ports(services: Sequence[str] = ()) -> tuple[GatewayPort, ...]:
    """The ports of a Gateway with ``services`` on: 8000, 8080, then each service's."""
    return (API_PORT, HEALTH_PORT, *(GATEWAY_SERVICE_PORTS[s] for s in services))


def tls_ports(services: Sequence[str] = ()) -> tuple[int, ...]:
    """The ports a load balancer holding a certificate terminates TLS on."""
    return tuple(p.port for p in gateway_ports(services) if p.tls_at_load_balancer)


CONTAINER_NAME = "akeyless-gateway"
SERVICE_ACCOUNT_NAME = "akeyless-gateway"
HELM_CHART = "akeyless-gateway"
HELM_REPOSITORY = "https://akeylesslabs.github.io/helm-charts"
HELM_RELEASE = CONTAINER_NAME
GATEWAY_SERVICE_NAME = f"{CONTAINER_NAME}-api"
"""Not the chart's own Service name, which is the release's (``akeyless-gateway``)."""
# The chart's pods and their named ports (akeylesslabs/helm-charts @01a9ce78,
# charts/akeyless-gateway 3.3.0: templates/_helpers.tpl "selectorLabels",
# templates/deployment.yaml ports "gateway" = 8000 and "internal-gw-api" = 8080,
# the readiness probe GET /health on 8080). The chart's own Service exposes only
# 8000 (templates/svc.yaml), so the Gateway's Service here exposes both, like the NLB.
HELM_SELECTOR_LABELS = {
    "app.kubernetes.io/name": HELM_CHART,
    "app.kubernetes.io/instance": HELM_RELEASE,
}
# Kubernetes' AWS cloud provider (kubernetes/cloud-provider-aws pkg/providers/v1/aws.go)
# and the AWS Load Balancer Controller (docs: "Service annotations") read these.
INTERNAL_LOAD_BALANCER_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
}
TLS_CERTIFICATE_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert"
TLS_PORTS_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-ssl-ports"
TLS_POLICY_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy"
ATTRIBUTES_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-attributes"
AL2023_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
ENV_FILE = "/etc/akeyless-gateway.env"


def cluster_name(akeyless_path: str, account_id: str) -> str:
    """The Gateway cluster's name: stable across redeploys (its identity is access ID + name)."""
    return f"{akeyless_path.strip('/').replace('/', '-')}-{account_id}"


def allowed_access(admin_access_ids: Sequence[str]) -> list[dict[str, Any]]:
    """``ALLOWED_ACCESS_PERMISSIONS``: who may administer the Gateway from its first start."""
    return [
        {"name": f"admin-{access_id}", "access_id": access_id, "permissions": ["admin"]}
        for access_id in admin_access_ids
    ]


def gateway_environment(
    *, access_id: str, cluster: str, admin_access_ids: Sequence[str]
) -> dict[str, str]:
    """The Gateway container's environment: AWS IAM login with the access ID, no key."""
    return {
        "GATEWAY_ACCESS_ID": access_id,
        "GATEWAY_ACCESS_TYPE": "aws_iam",
        "CLUSTER_NAME": cluster,
        "ALLOWED_ACCESS_PERMISSIONS": json.dumps(allowed_access(admin_access_ids)),
    }


def _registry_login(image: str) -> list[str]:
    """For a private ECR image, Docker's login to its registry with the instance's role
    (Amazon ECR User Guide, "Private registry authentication": ``aws ecr
    get-login-password | docker login --username AWS --password-stdin <registry>``; the AWS
    CLI ships in Amazon Linux 2023). A public image needs none."""
    repository = private_ecr_repository(image)
    if repository is None:
        return []
    return [
        f"aws ecr get-login-password --region {repository.region} | docker login "
        f"--username AWS --password-stdin {repository.registry}"
    ]


def ec2_user_data(environment: Mapping[str, str], image: str, services: Sequence[str] = ()) -> str:
    """Install Docker on Amazon Linux 2023 and run the pinned image, restarting always.

    The environment goes through an env file (read verbatim by Docker), so JSON
    values need no shell quoting.
    """
    env_lines = "\n".join(f"{key}={value}" for key, value in environment.items())
    ports = " ".join(f"-p {p.port}:{p.port}" for p in gateway_ports(services))
    return "\n".join(
        [
            "#!/bin/bash",
            "set -euo pipefail",
            "dnf install -y docker",
            "systemctl enable --now docker",
            f"install -m 600 /dev/null {ENV_FILE}",
            f"cat > {ENV_FILE} <<'GATEWAY_ENV'",
            env_lines,
            "GATEWAY_ENV",
            *_registry_login(image),
            f"docker run -d --name {CONTAINER_NAME} --restart always "
            f"--env-file {ENV_FILE} {ports} {shlex.quote(image)}",
            "",
        ]
    )


def ecs_container_definitions(
    *,
    environment: Mapping[str, str],
    image: str,
    log_group: str,
    region: str,
    services: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """The one container of the Gateway's Fargate task."""
    return [
        {
            "name": CONTAINER_NAME,
            "image": image,
            "essential": True,
            "portMappings": [
                {"containerPort": p.port, "hostPort": p.port, "protocol": "tcp"}
                for p in gateway_ports(services)
            ],
            "environment": [{"name": key, "value": value} for key, value in environment.items()],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": log_group,
                    "awslogs-region": region,
                    "awslogs-stream-prefix": CONTAINER_NAME,
                },
            },
        }
    ]


def helm_scaling(settings: GatewaySettings) -> dict[str, Any]:
    """The chart's size values: its HorizontalPodAutoscaler with ``autoscaling``, else none.

    The chart renders ``replicas: replicaCount`` only without ``hpa.enabled``, and its HPA
    (templates/hpa.yaml) tracks CPU ``cpuAvgUtil`` and memory ``memAvgUtil`` of the pods'
    requests, which must be set ("If HPA is enabled resources requests must be set",
    values.yaml): 1 vCPU and 2G, the chart's recommended base and the Gateway's minimum.
    Memory keeps the chart's own target (70).
    """
    if isinstance(settings, AutoscaledGateway):
        scaling = settings.autoscaling
        return {
            "hpa": {
                "enabled": True,
                "minReplicas": scaling.min,
                "maxReplicas": scaling.max,
                "cpuAvgUtil": scaling.target_cpu_percent,
            },
            "resources": {"requests": {"cpu": "1", "memory": "2G"}},
        }
    # A fixed size leaves the chart's replicaCount as deployed before (the chart's default,
    # 1): setting it now would change every deployed EKS Gateway on upgrade. Noted, not fixed.
    return {}


def helm_values(
    *,
    access_id: str,
    cluster: str,
    admin_access_ids: Sequence[str],
    role_arn: str,
    settings: GatewaySettings,
) -> dict[str, Any]:
    """Values of the ``akeyless-gateway`` chart: AWS IAM login through IRSA, the pinned image,
    the size (:func:`helm_scaling`) and each of ``settings.services`` enabled.

    The image is set whatever the chart's default (``gateway.deployment.image``,
    templates/_helpers.tpl "gatewayImage"; its top-level ``version`` would win
    over the tag and is left unset); the chart's Service stays inside the
    cluster (ClusterIP): :func:`gateway_service_spec` exposes the Gateway.
    """
    repository, tag = image_repository_and_tag(settings.image)
    scaling = helm_scaling(settings)
    deployment = {"image": {"repository": repository, "tag": tag}}
    service: dict[str, Any] = {"type": "ClusterIP"}
    for name in settings.services:
        service[CHART_SERVICE_KEYS[name]] = {"enabled": True}
    return {
        "gateway": {"deployment": deployment, "service": service, **scaling},
        "globalConfig": {
            "gatewayAuth": {"gatewayAccessId": access_id, "gatewayAccessType": "aws_iam"},
            "clusterName": cluster,
            "allowedAccessPermissions": allowed_access(admin_access_ids),
            "serviceAccount": {
                "create": True,
                "serviceAccountName": SERVICE_ACCOUNT_NAME,
                "annotations": {"eks.amazonaws.com/role-arn": role_arn},
            },
        },
    }


def gateway_service_spec(
    *,
    load_balancer: bool,
    allowed_cidrs: Sequence[str],
    certificate_arn: str | None,
    services: Sequence[str] = (),
    access_logs: AccessLogs | None = None,
) -> tuple[dict[str, str], dict[str, Any]]:
    """(annotations, spec) of the Service exposing the chart's pods on the Gateway's ports.

    As an internal load balancer admitting only ``allowed_cidrs``, TLS on the TLS ports
    (8000, and 8200 with the Vault proxy; never KMIP's 5696) when a certificate is given;
    or a ClusterIP Service.
    """
    spec: dict[str, Any] = {
        "type": "LoadBalancer" if load_balancer else "ClusterIP",
        "selector": dict(HELM_SELECTOR_LABELS),
        "ports": [
            {"name": p.chart_name, "port": p.port, "targetPort": p.chart_name, "protocol": "TCP"}
            for p in gateway_ports(services)
        ],
    }
    if not load_balancer:
        return {}, spec
    spec["loadBalancerSourceRanges"] = list(allowed_cidrs)
    annotations = dict(INTERNAL_LOAD_BALANCER_ANNOTATIONS)
    if certificate_arn is not None:
        annotations[TLS_CERTIFICATE_ANNOTATION] = certificate_arn
        annotations[TLS_PORTS_ANNOTATION] = ",".join(map(str, tls_ports(services)))
        # A current policy, as on the ec2/ecs listeners (the controller's default is
        # ELBSecurityPolicy-2016-08: aws-load-balancer-controller docs, "Service
        # annotations", aws-load-balancer-ssl-negotiation-policy).
        annotations[TLS_POLICY_ANNOTATION] = TLS_POLICY
    if access_logs is not None:
        # The controller sets load-balancer attributes from this annotation (docs,
        # "Service annotations", aws-load-balancer-attributes: access_logs.s3.*).
        attributes = [
            "access_logs.s3.enabled=true",
            f"access_logs.s3.bucket={access_logs.bucket}",
        ]
        if access_logs.prefix:
            attributes.append(f"access_logs.s3.prefix={access_logs.prefix}")
        annotations[ATTRIBUTES_ANNOTATION] = ",".join(attributes)
    return annotations, spec


def gateway_transport(
    *, certificate_arn: str | None, load_balancer: bool, dns_name: str | None = None
) -> str:
    """In one sentence, how callers reach port 8000: what ``gatewayUrl``'s scheme says."""
    if dns_name is not None:
        return (
            f"https: TLS on port 8000 terminated at the internal load balancer as {dns_name} "
            "(ACM certificate created and validated by this stack); plain HTTP from there to "
            "the Gateway"
        )
    if certificate_arn is not None:
        return (
            "https: TLS on port 8000 terminated at the internal load balancer "
            f"(ACM certificate {certificate_arn}); plain HTTP from there to the Gateway"
        )
    where = "inside the VPC" if load_balancer else "inside the cluster (ClusterIP Service)"
    return (
        f"http: plain HTTP on port 8000 {where}, not encrypted in transit; "
        "set tls_certificate_arn to terminate TLS at the load balancer"
    )
