"""How the Gateway runs, as pure data: its environment, EC2 user data, ECS
container definition and Helm values (``../shared/akeyless/FACTS.md``, "The
Gateway runtime"). Nothing here is secret: the Gateway logs in with its cloud
identity, so it gets access IDs, never keys.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from components.akeyless_names import GATEWAY_API_PORT, GATEWAY_HEALTH_PORT

GATEWAY_PORTS = (GATEWAY_API_PORT, GATEWAY_HEALTH_PORT)
CONTAINER_NAME = "akeyless-gateway"
SERVICE_ACCOUNT_NAME = "akeyless-gateway"
HELM_CHART = "akeyless-gateway"
HELM_REPOSITORY = "https://akeylesslabs.github.io/helm-charts"
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
    *, access_id: str, cluster: str, admin_access_ids: Sequence[str], role_arn: str
) -> dict[str, Any]:
    """Values of the ``akeyless-gateway`` chart: AWS IAM login through IRSA."""
    return {
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
