"""A private ECR image gets exactly the pull of its repository; a public one nothing (issue 22)."""

from __future__ import annotations

import json
from typing import Any

from akeyless_gateway_org.components.gateway_runtime import ec2_user_data
from akeyless_gateway_org.components.iam_documents import ecs_execution_policy
from akeyless_gateway_org.config.fields import private_ecr_repository
from akeyless_gateway_org.config.model import OrgDeployment
from tests.test_components import by_type, stack

ECR_IMAGE = "222222222222.dkr.ecr.eu-west-1.amazonaws.com/akeyless/gateway:5.0.1"
REPOSITORY_ARN = "arn:aws:ecr:eu-west-1:222222222222:repository/akeyless/gateway"
PULL = {
    "GatewayImageRegistryLogin": (["ecr:GetAuthorizationToken"], "*"),
    "GatewayImagePull": (["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], [REPOSITORY_ARN]),
}


def pull_statements(document: dict[str, Any]) -> dict[str, Any]:
    return {
        statement["Sid"]: (statement["Action"], statement["Resource"])
        for statement in document["Statement"]
        if statement["Sid"] in PULL
    }


def test_the_repository_of_an_ecr_image_and_none_for_docker_hub() -> None:
    repository = private_ecr_repository(ECR_IMAGE)
    assert repository is not None and repository.arn == REPOSITORY_ARN
    assert repository.registry == "222222222222.dkr.ecr.eu-west-1.amazonaws.com"
    assert private_ecr_repository("akeyless/gateway:5.0.1") is None
    assert private_ecr_repository("docker.io/akeyless/gateway:5.0.1") is None


def test_the_ecs_execution_role_may_pull_that_repository_only() -> None:
    def policy(image: str) -> dict[str, Any]:
        return ecs_execution_policy(
            partition="aws",
            region="us-east-1",
            account_id="333333333333",
            log_group_name="/g",
            image_repository=private_ecr_repository(image),
        )

    assert pull_statements(policy(ECR_IMAGE)) == PULL
    public = policy("akeyless/gateway:5.0.1")
    assert pull_statements(public) == {}


def test_ec2_user_data_logs_in_to_the_registry_before_docker_run() -> None:
    lines = ec2_user_data({"A": "1"}, ECR_IMAGE).splitlines()
    login = next(i for i, line in enumerate(lines) if "docker login" in line)
    run = next(i for i, line in enumerate(lines) if line.startswith("docker run"))
    assert login < run
    assert lines[login] == (
        "aws ecr get-login-password --region eu-west-1 | docker login --username AWS "
        "--password-stdin 222222222222.dkr.ecr.eu-west-1.amazonaws.com"
    )
    assert "docker login" not in ec2_user_data({"A": "1"}, "akeyless/gateway:5.0.1")


def test_the_ec2_identity_role_may_pull_a_private_image(centralized_org: OrgDeployment) -> None:
    """EC2 pulls with the instance's role, the Gateway identity (compute_kinds)."""

    def identity_pull(image: str) -> dict[str, Any]:
        gateway = centralized_org.gateway.model_copy(update={"image": image})
        policies = by_type(
            stack(centralized_org, "hub", gateway=gateway), "aws:iam/rolePolicy:RolePolicy"
        )
        found: dict[str, Any] = {}
        for policy in policies:
            found |= pull_statements(json.loads(policy.raw_inputs["policy"]))
        return found

    assert identity_pull(ECR_IMAGE) == PULL
    assert identity_pull("akeyless/gateway:5.0.1") == {}
