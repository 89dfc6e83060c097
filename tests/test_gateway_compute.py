"""The Gateway's compute under mocks, per kind, and the network rules it is validated by."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from akeyless_gateway_org.components.gateway_runtime import (
    ec2_user_data,
    ecs_container_definitions,
    gateway_environment,
    helm_values,
)
from akeyless_gateway_org.config.model import FixedSizeGateway, NetworkSite, OrgDeployment
from akeyless_gateway_org.config.validation import ConfigError, parse_org
from akeyless_gateway_org.policy.rules import TLS_POLICY
from akeyless_gateway_org.review.render import RecordedResource, StackRender
from tests.conftest import example_document
from tests.test_components import by_type, one, rendered, stack
from tests.test_config_validation import assert_names_the_problem

ADMIN = "p-admins0exmpl"
DEPLOYER = "p-deploy0exmpl"
HUB_ACCESS_ID = "<org-gateway-auth-method.accessId: known after deploy>"
EXPECTED_ENV_KEYS = {
    "GATEWAY_ACCESS_ID",
    "GATEWAY_ACCESS_TYPE",
    "CLUSTER_NAME",
    "ALLOWED_ACCESS_PERMISSIONS",
}
SECRET_MARKERS = ("ACCESS_KEY", "SECRET", "PASSWORD", "TOKEN")
ECS_ACCOUNT = "account-333333333333"
EKS_ACCOUNT = "account-444444444444"
CERTIFICATE = "arn:aws:acm:us-east-1:333333333333:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LISTENER = "aws:lb/listener:Listener"
SERVICE = "kubernetes:core/v1:Service"


def env_file(user_data: str) -> dict[str, str]:
    """The ``KEY=value`` lines the user data writes to the Gateway's env file."""
    body = user_data.split("<<'GATEWAY_ENV'\n", 1)[1].split("\nGATEWAY_ENV\n", 1)[0]
    return dict(line.split("=", 1) for line in body.splitlines())


def hub_resources(centralized_org: OrgDeployment, **config: Any) -> list[RecordedResource]:
    return stack(centralized_org, "hub", **config)


def stack_render(org: OrgDeployment, name: str) -> StackRender:
    return next(s for s in rendered(org) if s.spec.name == name)


# --- pure runtime data ------------------------------------------------------------


def test_environment_is_aws_iam_login_with_ids_only() -> None:
    env = gateway_environment(access_id="p-gw123456", cluster="aws-org-1", admin_access_ids=[ADMIN])
    assert set(env) == EXPECTED_ENV_KEYS
    assert env["GATEWAY_ACCESS_TYPE"] == "aws_iam"
    assert json.loads(env["ALLOWED_ACCESS_PERMISSIONS"]) == [
        {"name": f"admin-{ADMIN}", "access_id": ADMIN, "permissions": ["admin"]}
    ]


def test_user_data_runs_the_pinned_image_with_that_environment() -> None:
    env = {"GATEWAY_ACCESS_ID": "p-x", "ALLOWED_ACCESS_PERMISSIONS": '[{"a": "b c"}]'}
    script = ec2_user_data(env, "akeyless/gateway:5.0.1")
    assert env_file(script) == env  # JSON survives verbatim: no shell quoting involved
    run = next(line for line in script.splitlines() if line.startswith("docker run"))
    assert "--restart always" in run and "-p 8000:8000 -p 8080:8080" in run
    assert run.endswith("akeyless/gateway:5.0.1")


def test_container_definition_and_helm_values_carry_the_same_identity() -> None:
    (container,) = ecs_container_definitions(
        environment={"GATEWAY_ACCESS_ID": "p-x"}, image="img", log_group="/g", region="eu-west-1"
    )
    assert container["environment"] == [{"name": "GATEWAY_ACCESS_ID", "value": "p-x"}]
    assert container["logConfiguration"]["options"]["awslogs-region"] == "eu-west-1"
    values = helm_values(
        access_id="p-x",
        cluster="c",
        admin_access_ids=[ADMIN],
        role_arn="arn:aws:iam::1:role/r",
        settings=FixedSizeGateway(),
    )
    auth = values["globalConfig"]["gatewayAuth"]
    assert auth == {"gatewayAccessId": "p-x", "gatewayAccessType": "aws_iam"}
    account = values["globalConfig"]["serviceAccount"]
    assert account["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/r"}


# --- ec2 --------------------------------------------------------------------------


def test_ec2_launch_template_is_hardened(centralized_org: OrgDeployment) -> None:
    template = one(hub_resources(centralized_org), "aws:ec2/launchTemplate:LaunchTemplate")
    inputs = template.raw_inputs
    assert inputs["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 2,
    }
    (volume,) = inputs["blockDeviceMappings"]
    assert volume["ebs"]["encrypted"] == "true"
    (interface,) = inputs["networkInterfaces"]
    assert interface["associatePublicIpAddress"] == "false"
    assert inputs["imageId"] == (
        "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    )
    assert inputs["iamInstanceProfile"] == {"name": "akeyless-gateway"}
    assert template.provider_account == "222222222222"


def test_ec2_user_data_carries_exactly_the_gateway_environment(
    centralized_org: OrgDeployment,
) -> None:
    template = one(hub_resources(centralized_org), "aws:ec2/launchTemplate:LaunchTemplate")
    script = base64.b64decode(template.raw_inputs["userData"]).decode()
    env = env_file(script)
    assert set(env) == EXPECTED_ENV_KEYS
    assert env["GATEWAY_ACCESS_ID"] == HUB_ACCESS_ID  # the org stack's auth method
    assert env["CLUSTER_NAME"] == "aws-org-222222222222"
    admins = {entry["access_id"] for entry in json.loads(env["ALLOWED_ACCESS_PERMISSIONS"])}
    # Only the deployment, which must reach it to create objects (the admins among them).
    assert admins == {DEPLOYER}
    assert not any(marker in script for marker in SECRET_MARKERS)
    assert "akeyless/gateway:5.0.1" in script


def test_a_public_ip_only_when_asked(centralized_org: OrgDeployment) -> None:
    gateway = centralized_org.gateway.model_copy(update={"associate_public_ip": True})
    template = one(
        hub_resources(centralized_org, gateway=gateway), "aws:ec2/launchTemplate:LaunchTemplate"
    )
    assert template.raw_inputs["networkInterfaces"][0]["associatePublicIpAddress"] == "true"


def test_ec2_auto_scaling_group_spreads_over_the_subnets(centralized_org: OrgDeployment) -> None:
    resources = hub_resources(centralized_org)
    group = one(resources, "aws:autoscaling/group:Group").raw_inputs
    assert (group["minSize"], group["maxSize"], group["desiredCapacity"]) == (2, 2, 2)
    assert group["vpcZoneIdentifiers"] == ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
    assert group["healthCheckType"] == "ELB"
    assert len(group["targetGroupArns"]) == 2


# --- network ---------------------------------------------------------------------------


def ingress_of(resources: list[RecordedResource], suffix: str) -> list[dict[str, Any]]:
    groups = by_type(resources, "aws:ec2/securityGroup:SecurityGroup")
    group = next(g for g in groups if g.name.endswith(suffix))
    rules: list[dict[str, Any]] = group.raw_inputs["ingress"]
    return rules


def load_balancer_ingress(resources: list[RecordedResource]) -> list[dict[str, Any]]:
    """The load balancer group's ingress: separate rule resources, none inline."""
    group = next(
        g
        for g in by_type(resources, "aws:ec2/securityGroup:SecurityGroup")
        if g.name.endswith("-lb-security-group")
    )
    # pulumi-aws: inline rules and rule resources on one group conflict (components/
    # gateway_network.py), and its egress must be rule resources.
    assert "ingress" not in group.raw_inputs and "egress" not in group.raw_inputs
    return [
        rule.raw_inputs
        for rule in by_type(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    ]


def test_load_balancer_admits_the_gateway_ports_only_from_allowed_networks(
    centralized_org: OrgDeployment,
) -> None:
    resources = hub_resources(centralized_org)
    rules = load_balancer_ingress(resources)
    assert sorted(r["fromPort"] for r in rules) == [8000, 8080]
    for rule in rules:
        assert rule["fromPort"] == rule["toPort"]
        assert rule["cidrIpv4"] == "10.0.0.0/8"
        assert rule["securityGroupId"] == "<hub-compute-lb-security-group.id: known after deploy>"
    balancer = one(resources, "aws:lb/loadBalancer:LoadBalancer").raw_inputs
    assert balancer["internal"] is True and balancer["loadBalancerType"] == "network"
    for group in by_type(resources, "aws:lb/targetGroup:TargetGroup"):
        check = group.raw_inputs["healthCheck"]
        assert (check["protocol"], check["port"], check["path"]) == ("HTTP", "8080", "/health")


def test_gateway_admits_only_its_load_balancer(centralized_org: OrgDeployment) -> None:
    rules = ingress_of(hub_resources(centralized_org), "-gateway-sg")
    assert sorted(r["fromPort"] for r in rules) == [8000, 8080]
    for rule in rules:
        assert "cidrBlocks" not in rule
        assert rule["securityGroups"] == ["<hub-compute-lb-security-group.id: known after deploy>"]


def test_allowed_security_groups_replace_cidrs(centralized_org: OrgDeployment) -> None:
    gateway = centralized_org.gateway.model_copy(
        update={"allowed_cidrs": (), "allowed_security_group_ids": ("sg-0123abcd",)}
    )
    rules = load_balancer_ingress(hub_resources(centralized_org, gateway=gateway))
    assert sorted(r["fromPort"] for r in rules) == [8000, 8080]
    for rule in rules:
        assert rule["referencedSecurityGroupId"] == "sg-0123abcd"
        assert "cidrIpv4" not in rule


def test_load_balancer_sends_only_to_the_gateway_on_its_ports(
    centralized_org: OrgDeployment,
) -> None:
    """pulumi-aws removes the default allow-all egress; the NLB's group applies its
    outbound rules to forwarded traffic and health checks, so it needs exactly these."""
    resources = hub_resources(centralized_org)
    lb_group = next(
        g
        for g in by_type(resources, "aws:ec2/securityGroup:SecurityGroup")
        if g.name.endswith("-lb-security-group")
    )
    assert not lb_group.raw_inputs.get("egress")  # no inline egress: only the rules below
    rules = [r.raw_inputs for r in by_type(resources, EGRESS_RULE)]
    assert sorted((r["fromPort"], r["toPort"]) for r in rules) == [(8000, 8000), (8080, 8080)]
    for rule in rules:
        assert rule["ipProtocol"] == "tcp"
        assert rule["securityGroupId"] == "<hub-compute-lb-security-group.id: known after deploy>"
        assert rule["referencedSecurityGroupId"] == (
            "<hub-compute-gateway-sg.id: known after deploy>"
        )
        assert "cidrIpv4" not in rule and "cidrIpv6" not in rule
    egress_ports = {rule["fromPort"] for rule in rules}
    for group in by_type(resources, "aws:lb/targetGroup:TargetGroup"):
        assert group.raw_inputs["port"] in egress_ports  # forwarded traffic
        assert int(group.raw_inputs["healthCheck"]["port"]) in egress_ports  # health checks


def test_without_a_certificate_port_8000_is_plain_and_the_url_says_http(
    centralized_org: OrgDeployment,
) -> None:
    listeners = by_type(hub_resources(centralized_org), LISTENER)
    assert {lst.raw_inputs["port"]: lst.raw_inputs["protocol"] for lst in listeners} == {
        8000: "TCP",
        8080: "TCP",
    }
    outputs = stack_render(centralized_org, "hub").outputs
    assert outputs["gatewayUrl"].startswith("http://")
    assert outputs["gatewayTransport"].startswith("http: plain HTTP on port 8000 inside the VPC")


def test_a_certificate_terminates_tls_on_8000_and_the_url_says_https(
    distributed_org: OrgDeployment,
) -> None:
    named = "https://gateway.prod.example.com:8000/api/v2"  # a name the certificate covers
    existing = {"dns": None, "tls_certificate_arn": CERTIFICATE, "gateway_url": named}
    resources = stack(distributed_org, ECS_ACCOUNT, **existing)
    listeners = {lst.raw_inputs["port"]: lst.raw_inputs for lst in by_type(resources, LISTENER)}
    assert listeners[8000]["protocol"] == "TLS"
    assert listeners[8000]["certificateArn"] == CERTIFICATE
    assert listeners[8000]["sslPolicy"] == TLS_POLICY
    assert listeners[8080]["protocol"] == "TCP" and "certificateArn" not in listeners[8080]
    for group in by_type(resources, "aws:lb/targetGroup:TargetGroup"):
        assert group.raw_inputs["protocol"] == "TCP"  # the Gateway behind it speaks HTTP
    assert not by_type(resources, "aws:acm/certificate:Certificate")  # an existing one


def test_the_url_output_is_the_load_balancers(centralized_org: OrgDeployment) -> None:
    hub = stack_render(centralized_org, "hub")
    host = "<hub-compute-lb.dnsName: known after deploy>"
    assert hub.outputs["gatewayUrl"] == f"http://{host}:8000/api/v2"  # no certificate: HTTP
    assert hub.outputs["gatewayHealthUrl"] == f"http://{host}:8080/health"


# --- ecs ---------------------------------------------------------------------------------


def test_ecs_task_runs_as_the_gateway_identity(distributed_org: OrgDeployment) -> None:
    resources = stack(distributed_org, "account-333333333333")
    task = one(resources, "aws:ecs/taskDefinition:TaskDefinition").raw_inputs
    assert (task["cpu"], task["memory"]) == ("1024", "2048")
    assert task["requiresCompatibilities"] == ["FARGATE"] and task["networkMode"] == "awsvpc"
    assert task["taskRoleArn"] == "<account-333333333333-gateway-role.arn: known after deploy>"
    (container,) = json.loads(task["containerDefinitions"])
    env = {item["name"]: item["value"] for item in container["environment"]}
    assert set(env) == EXPECTED_ENV_KEYS
    assert env["GATEWAY_ACCESS_ID"] == (
        "<org-gateway-333333333333-auth-method.accessId: known after deploy>"
    )
    assert not any(marker in json.dumps(container) for marker in SECRET_MARKERS)
    service = one(resources, "aws:ecs/service:Service").raw_inputs
    assert service["desiredCount"] == 2 and service["launchType"] == "FARGATE"
    assert service["networkConfiguration"]["assignPublicIp"] is False
    logs = one(resources, "aws:cloudwatch/logGroup:LogGroup").raw_inputs
    assert logs["retentionInDays"] == 30


def test_ecs_service_waits_for_its_listeners(distributed_org: OrgDeployment) -> None:
    """ECS refuses a target group that no listener attaches to a load balancer yet."""
    resources = stack(distributed_org, ECS_ACCOUNT)
    service = one(resources, "aws:ecs/service:Service")
    listeners = {listener.name for listener in by_type(resources, LISTENER)}
    assert len(listeners) == 4 and listeners <= set(service.dependencies)  # with 8200, 5696


def test_ecs_execution_role_may_only_write_the_tasks_logs(distributed_org: OrgDeployment) -> None:
    resources = stack(distributed_org, "account-333333333333")
    policy = next(
        r for r in by_type(resources, "aws:iam/rolePolicy:RolePolicy") if "execution" in r.name
    )
    (statement,) = json.loads(policy.raw_inputs["policy"])["Statement"]
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == [
        "arn:aws:logs:us-east-1:333333333333:log-group:/akeyless-gateway/333333333333:log-stream:*"
    ]
    identity = next(r for r in by_type(resources, "aws:iam/role:Role") if "gateway-role" in r.name)
    trust = json.loads(identity.raw_inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}


# --- eks -------------------------------------------------------------------------------


def test_eks_irsa_trusts_exactly_the_gateway_service_account(
    distributed_org: OrgDeployment,
) -> None:
    resources = stack(distributed_org, "account-444444444444")
    identity = next(r for r in by_type(resources, "aws:iam/role:Role") if "gateway-role" in r.name)
    statement = json.loads(identity.raw_inputs["assumeRolePolicy"])["Statement"][0]
    issuer = "oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
    assert statement["Principal"] == {
        "Federated": f"arn:aws:iam::444444444444:oidc-provider/{issuer}"
    }
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            f"{issuer}:sub": "system:serviceaccount:akeyless:akeyless-gateway",
            f"{issuer}:aud": "sts.amazonaws.com",
        }
    }
    assert by_type(resources, "aws:ec2/launchTemplate:LaunchTemplate") == []
    assert by_type(resources, "aws:iam/instanceProfile:InstanceProfile") == []


def test_eks_helm_release_is_pinned_and_annotated(distributed_org: OrgDeployment) -> None:
    resources = stack(distributed_org, EKS_ACCOUNT)
    release = one(resources, "kubernetes:helm.sh/v3:Release").raw_inputs
    assert (release["chart"], release["version"]) == ("akeyless-gateway", "3.3.0")
    assert release["repositoryOpts"] == {"repo": "https://akeylesslabs.github.io/helm-charts"}
    config = release["values"]["globalConfig"]
    assert config["gatewayAuth"]["gatewayAccessType"] == "aws_iam"
    assert config["clusterName"] == "aws-org-444444444444"
    assert config["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "<account-444444444444-gateway-role.arn: known after deploy>"
    }
    assert not any(marker in json.dumps(release) for marker in SECRET_MARKERS)
    kubeconfig = json.loads(one(resources, "pulumi:providers:kubernetes").raw_inputs["kubeconfig"])
    (user,) = kubeconfig["users"]
    assert user["user"]["exec"]["command"] == "aws"  # short-lived tokens, no stored credential


def test_eks_release_runs_the_configured_image(distributed_org: OrgDeployment) -> None:
    """Whatever the chart's default image, ``gateway.image`` is what runs."""
    gateway = distributed_org.gateway.model_copy(
        update={"image": "111111111111.dkr.ecr.us-east-1.amazonaws.com/akeyless/gateway:5.0.2"}
    )
    release = one(
        stack(distributed_org, EKS_ACCOUNT, gateway=gateway), "kubernetes:helm.sh/v3:Release"
    )
    values = release.raw_inputs["values"]["gateway"]
    assert values["deployment"]["image"] == {
        "repository": "111111111111.dkr.ecr.us-east-1.amazonaws.com/akeyless/gateway",
        "tag": "5.0.2",
    }
    assert values["service"]["type"] == "ClusterIP"  # the chart's own Service stays inside


def test_eks_service_is_an_internal_load_balancer_for_allowed_networks_only(
    distributed_org: OrgDeployment,
) -> None:
    resources = stack(distributed_org, EKS_ACCOUNT)
    service = one(resources, SERVICE)
    metadata, spec = service.raw_inputs["metadata"], service.raw_inputs["spec"]
    assert (
        metadata["annotations"]["service.beta.kubernetes.io/aws-load-balancer-internal"] == "true"
    )
    assert metadata["annotations"]["service.beta.kubernetes.io/aws-load-balancer-scheme"] == (
        "internal"
    )
    assert spec["type"] == "LoadBalancer"
    assert spec["loadBalancerSourceRanges"] == ["10.0.0.0/8"]
    # The chart's pods (akeyless-gateway 3.3.0 templates/deployment.yaml, _helpers.tpl).
    assert spec["selector"] == {
        "app.kubernetes.io/name": "akeyless-gateway",
        "app.kubernetes.io/instance": "akeyless-gateway",
    }
    ports = {port["port"]: port["targetPort"] for port in spec["ports"]}
    # The example turns on the Vault proxy and KMIP (the chart's own port names).
    assert ports == {8000: "gateway", 8080: "internal-gw-api", 8200: "hvp", 5696: "kmip"}
    release = one(resources, "kubernetes:helm.sh/v3:Release")
    assert release.name in service.dependencies
    # The health check is reachable: same host as the API, on a port the Service exposes.
    outputs = stack_render(distributed_org, EKS_ACCOUNT).outputs
    health = urlsplit(outputs["gatewayHealthUrl"])
    assert health.port in ports and health.path == "/health"
    assert health.hostname == urlsplit(outputs["gatewayUrl"]).hostname


def test_eks_cluster_ip_service_has_no_load_balancer(distributed_org: OrgDeployment) -> None:
    service = one(stack(distributed_org, EKS_ACCOUNT, eks_service="cluster_ip"), SERVICE)
    assert service.raw_inputs["spec"]["type"] == "ClusterIP"
    assert "loadBalancerSourceRanges" not in service.raw_inputs["spec"]
    assert not service.raw_inputs["metadata"].get("annotations")


# --- validation of the network config ---------------------------------------------------------


HUB_CERTIFICATE = CERTIFICATE.replace("333333333333", "222222222222")
OTHER_CERTIFICATE = CERTIFICATE
EKS_HUB = {
    "compute": "eks",
    "eks_cluster_name": "hub",
    "eks_oidc_provider_arn": "arn:aws:iam::222222222222:oidc-provider/"
    "oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF",
    "gateway_url": "http://gw:8000/api/v2",
}


def hub_site(data: dict[str, Any], site: dict[str, Any]) -> dict[str, Any]:
    """Give the example's hub ``site`` in place of its ec2 one (whose fields eks lacks)."""
    data["hub"] = {"account_id": data["hub"]["account_id"], **site}
    return data


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (lambda d: d["hub"].update(vpc_id="vpc-xyz"), "hub.vpc_id", "VPC ID"),
        (
            lambda d: d["hub"].update(subnets={"subnet-nope": "us-east-1a"}),
            "hub.subnets.subnet-nope.[key]",
            "subnet ID",
        ),
        (
            lambda d: d["hub"].update(subnets={"subnet-0a1b2c3d": "us-east-1a"}),
            "hub.subnets",
            "at least two availability zones",
        ),
        (lambda d: d["hub"].pop("vpc_id"), "hub.vpc_id", "required when compute is ec2"),
        (lambda d: d["hub"].update(compute="lambda"), "hub.compute", "ec2"),
        (lambda d: hub_site(d, {"compute": "eks"}), "hub.eks_cluster_name", "required"),
        (
            lambda d: d["gateway"].update(allowed_cidrs=["0.0.0.0/0"]),
            "gateway.allowed_cidrs[0]",
            "internet",
        ),
        (
            lambda d: d["gateway"].update(allowed_cidrs=["10.0.0.1/8"]),
            "gateway.allowed_cidrs[0]",
            "host bits",
        ),
        (lambda d: d["gateway"].update(allowed_cidrs=[]), "gateway.allowed_cidrs", "who may"),
        (
            lambda d: d["gateway"].update(image="akeyless/gateway:latest"),
            "gateway.image",
            "moves as releases",
        ),
        (lambda d: d["gateway"].update(cpu=512), "gateway.cpu", "1024"),
        (
            lambda d: d["hub"].update(gateway_url="https://gw:8000/api/v2"),
            "hub.gateway_url",
            "must start with http://",
        ),
        (
            lambda d: d["hub"].update(
                tls_certificate_arn=OTHER_CERTIFICATE, gateway_url="http://gw:8000/api/v2"
            ),
            "hub.gateway_url",
            "must start with https://",
        ),
        (
            lambda d: d["hub"].update(gateway_health_url="https://gw:8080/health"),
            "hub.gateway_health_url",
            "must start with http://",
        ),
        (
            lambda d: d["hub"].update(tls_certificate_arn=OTHER_CERTIFICATE),
            "hub.tls_certificate_arn",
            "is in account 333333333333; the load balancer is in 222222222222",
        ),
        (
            lambda d: d["hub"].update(
                tls_certificate_arn=HUB_CERTIFICATE.replace("us-east-1", "eu-west-1")
            ),
            "hub.tls_certificate_arn",
            "the Gateway runs in us-east-1",
        ),
        (
            lambda d: d["hub"].update(tls_certificate_arn="arn:aws:acm:us-east-1:1:certificate/x"),
            "hub.tls_certificate_arn",
            "ACM certificate ARN",
        ),
        (
            lambda d: hub_site(
                d, {**EKS_HUB, "eks_service": "cluster_ip", "tls_certificate_arn": HUB_CERTIFICATE}
            ),
            "hub.tls_certificate_arn",
            "no load balancer",
        ),
        (
            lambda d: (
                hub_site(d, EKS_HUB),
                d["gateway"].update(allowed_cidrs=[], allowed_security_group_ids=["sg-0123abcd"]),
            ),
            "hub.eks_service",
            "CIDR only",
        ),
        (
            lambda d: d["accounts"][0].update(compute="ecs"),
            "accounts[0].compute",
            "members run no Gateway",
        ),
    ],
)
def test_invalid_network_config_is_named(mutate: Any, path: str, fragment: str) -> None:
    assert_names_the_problem(mutate, path, fragment)


def test_internet_ingress_is_an_explicit_exception() -> None:
    data = example_document()
    data["gateway"].update(allowed_cidrs=["0.0.0.0/0"], allow_internet_ingress=True)
    assert parse_org(data).gateway.allowed_cidrs == ("0.0.0.0/0",)


def test_one_replica_may_use_one_subnet() -> None:
    data = example_document()
    data["gateway"]["replicas"] = 1
    data["hub"]["subnets"] = {"subnet-0a1b2c3d": "us-east-1a"}
    org = parse_org(data)
    assert isinstance(org.hub, NetworkSite) and len(org.hub.subnets) == 1
    with pytest.raises(ConfigError):
        data["gateway"]["replicas"] = 3
        parse_org(data)
