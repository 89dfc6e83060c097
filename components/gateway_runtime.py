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
from typing import Any

from akeyless_gateway_org.components.akeyless_names import GATEWAY_API_PORT, GATEWAY_HEALTH_PORT
from akeyless_gateway_org.config.fields import image_repository_and_tag, private_ecr_repository

GATEWAY_PORTS = (GATEWAY_API_PORT, GATEWAY_HEALTH_PORT)
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
HELM_CONTAINER_PORT_NAMES = {GATEWAY_API_PORT: "gateway", GATEWAY_HEALTH_PORT: "internal-gw-api"}
# Kubernetes' AWS cloud provider (kubernetes/cloud-provider-aws pkg/providers/v1/aws.go)
# and the AWS Load Balancer Controller (docs: "Service annotations") read these.
INTERNAL_LOAD_BALANCER_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
}
TLS_CERTIFICATE_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert"
TLS_PORTS_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-ssl-ports"
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


def ec2_user_data(environment: Mapping[str, str], image: str) -> str:
    """Install Docker on Amazon Linux 2023 and run the pinned image, restarting always.

    The environment goes through an env file (read verbatim by Docker), so JSON
    values need no shell quoting.
    """
    env_lines = "\n".join(f"{key}={value}" for key, value in environment.items())
    ports = " ".join(f"-p {port}:{port}" for port in GATEWAY_PORTS)
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
    *, environment: Mapping[str, str], image: str, log_group: str, region: str
) -> list[dict[str, Any]]:
    """The one container of the Gateway's Fargate task."""
    return [
        {
            "name": CONTAINER_NAME,
            "image": image,
            "essential": True,
            "portMappings": [
                {"containerPort": port, "hostPort": port, "protocol": "tcp"}
                for port in GATEWAY_PORTS
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


def helm_values(
    *, access_id: str, cluster: str, admin_access_ids: Sequence[str], role_arn: str, image: str
) -> dict[str, Any]:
    """Values of the ``akeyless-gateway`` chart: AWS IAM login through IRSA, the pinned image.

    The image is set whatever the chart's default (``gateway.deployment.image``,
    templates/_helpers.tpl "gatewayImage"; its top-level ``version`` would win
    over the tag and is left unset); the chart's Service stays inside the
    cluster (ClusterIP): :func:`gateway_service_spec` exposes the Gateway.
    """
    repository, tag = image_repository_and_tag(image)
    return {
        "gateway": {
            "deployment": {"image": {"repository": repository, "tag": tag}},
            "service": {"type": "ClusterIP"},
        },
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
    *, load_balancer: bool, allowed_cidrs: Sequence[str], certificate_arn: str | None
) -> tuple[dict[str, str], dict[str, Any]]:
    """(annotations, spec) of the Service exposing the chart's pods on ports 8000 and 8080.

    As an internal load balancer admitting only ``allowed_cidrs``, TLS on 8000
    when a certificate is given; or a ClusterIP Service.
    """
    spec: dict[str, Any] = {
        "type": "LoadBalancer" if load_balancer else "ClusterIP",
        "selector": dict(HELM_SELECTOR_LABELS),
        "ports": [
            {"name": name, "port": port, "targetPort": name, "protocol": "TCP"}
            for port, name in HELM_CONTAINER_PORT_NAMES.items()
        ],
    }
    if not load_balancer:
        return {}, spec
    spec["loadBalancerSourceRanges"] = list(allowed_cidrs)
    annotations = dict(INTERNAL_LOAD_BALANCER_ANNOTATIONS)
    if certificate_arn is not None:
        annotations[TLS_CERTIFICATE_ANNOTATION] = certificate_arn
        annotations[TLS_PORTS_ANNOTATION] = str(GATEWAY_API_PORT)
    return annotations, spec


def gateway_transport(*, certificate_arn: str | None, load_balancer: bool) -> str:
    """In one sentence, how callers reach port 8000: what ``gatewayUrl``'s scheme says."""
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
