"""The Gateway as production runs it: its name and certificate, services, access logs, scaling.

Each feature on, rendered under Pulumi's mock runtime (the exact inputs registered), through
the review document and the policy pack; then the config rules that keep it consistent.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from akeyless_gateway_org.config.model import AutoscaledGateway, Autoscaling, OrgDeployment
from akeyless_gateway_org.config.validation import parse_org
from akeyless_gateway_org.policy.rules import KMIP_PORT, TLS_POLICY
from akeyless_gateway_org.review.render import StackRender, policy_violations, render_markdown
from tests.conftest import DISTRIBUTED_EXAMPLE, example_document
from tests.engine.standin_provider import validation_failure, validation_option
from tests.test_components import by_type, one, rendered, stack
from tests.test_config_validation import problems_of

ECS = "account-333333333333"
EKS = "account-444444444444"
ECS_NAME = "gateway.prod.example.com"
EKS_NAME = "gateway.staging.example.com"
EKS_ZONE = "Z0444444444EXAMPLE01"
LISTENER = "aws:lb/listener:Listener"
CERTIFICATE = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
RECORD = "aws:route53/record:Record"
EXISTING = "arn:aws:acm:us-east-1:333333333333:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
FEATURES = {
    "services": ["vault_proxy", "kmip"],
    "access_logs": {"bucket": "org-lb-logs-us-east-1", "prefix": "gateway"},
    "autoscaling": {"min": 2, "max": 6, "target_cpu_percent": 55},
}


def production_document() -> dict[str, Any]:
    """The distributed example with every feature on: its ECS account already has ``dns``;
    its EKS account gets one in place of its plain-HTTP URL."""
    data = example_document(DISTRIBUTED_EXAMPLE)
    data["gateway"].pop("replicas")
    data["gateway"].update(FEATURES)
    eks = data["accounts"][1]
    eks.pop("gateway_url")
    eks["dns"] = {"zone_id": EKS_ZONE, "name": EKS_NAME}
    return data


@pytest.fixture(scope="module")
def production_org() -> OrgDeployment:
    return parse_org(production_document(), "production.yaml")


def stack_of(org: OrgDeployment, name: str) -> StackRender:
    return next(s for s in rendered(org) if s.spec.name == name)


def inputs(org: OrgDeployment, name: str, type_: str) -> list[dict[str, Any]]:
    return [r.raw_inputs for r in by_type(stack_of(org, name).resources, type_)]


# --- a name and a certificate ---------------------------------------------------------------


def test_dns_creates_a_dns_validated_certificate_and_waits_for_it(
    production_org: OrgDeployment,
) -> None:
    resources = stack_of(production_org, ECS).resources
    certificate = one(resources, CERTIFICATE)
    assert certificate.raw_inputs["domainName"] == ECS_NAME
    assert certificate.raw_inputs["validationMethod"] == "DNS"
    records = {r.name: r.raw_inputs for r in by_type(resources, RECORD)}
    validation_record = records[f"{ECS}-compute-certificate-record"]
    assert validation_record["zoneId"] == "Z0333333333EXAMPLE01"
    assert validation_record["type"] == "CNAME"  # ACM's, from domainValidationOptions
    assert "resourceRecordName: known after deploy" in validation_record["name"]
    validation = one(resources, VALIDATION)
    assert (
        validation.raw_inputs["certificateArn"]
        == f"<{ECS}-compute-certificate.arn: known after deploy>"
    )
    assert validation.raw_inputs["validationRecordFqdns"] == [
        f"<{ECS}-compute-certificate-record.fqdn: known after deploy>"
    ]


def test_dns_names_the_load_balancer_and_the_url_is_that_name(
    production_org: OrgDeployment,
) -> None:
    stack = stack_of(production_org, ECS)
    alias = [r.raw_inputs for r in by_type(stack.resources, RECORD) if r.name.endswith("-alias")]
    assert alias == [
        {
            "zoneId": "Z0333333333EXAMPLE01",
            "name": ECS_NAME,
            "type": "A",
            "aliases": [
                {
                    "name": f"<{ECS}-compute-lb.dnsName: known after deploy>",
                    "zoneId": f"<{ECS}-compute-lb.zoneId: known after deploy>",
                    "evaluateTargetHealth": True,
                }
            ],
        }
    ]
    assert stack.outputs["gatewayUrl"] == f"https://{ECS_NAME}:8000/api/v2"
    assert stack.outputs["gatewayHealthUrl"] == f"http://{ECS_NAME}:8080/health"
    assert ECS_NAME in stack.outputs["gatewayTransport"]


def test_tls_listeners_use_the_issued_certificate_and_kmip_stays_tcp(
    production_org: OrgDeployment,
) -> None:
    listeners = {i["port"]: i for i in inputs(production_org, ECS, LISTENER)}
    assert sorted(listeners) == [5696, 8000, 8080, 8200]
    issued = f"<{ECS}-compute-certificate.arn: known after deploy>"
    waits = {
        r.raw_inputs["port"]: r.dependencies
        for r in by_type(stack_of(production_org, ECS).resources, LISTENER)
    }
    for port in (8000, 8200):  # the API and the Vault proxy: TLS at the load balancer
        assert listeners[port]["protocol"] == "TLS"
        assert listeners[port]["sslPolicy"] == TLS_POLICY
        assert listeners[port]["certificateArn"] == issued
        # Through the validation's output: the listener waits until ACM has issued it.
        assert f"{ECS}-compute-certificate-validation" in waits[port]
    for port in (8080, KMIP_PORT):  # health, and KMIP's own TLS to the Gateway
        assert listeners[port]["protocol"] == "TCP"
        assert "certificateArn" not in listeners[port] and "sslPolicy" not in listeners[port]


def test_eks_dns_annotates_the_service_and_points_the_name_at_it(
    production_org: OrgDeployment,
) -> None:
    stack = stack_of(production_org, EKS)
    (service,) = inputs(production_org, EKS, "kubernetes:core/v1:Service")
    annotations = service["metadata"]["annotations"]
    issued = f"<{EKS}-compute-certificate.arn: known after deploy>"
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"] == issued
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-ports"] == "8000,8200"
    assert (
        annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy"]
        == TLS_POLICY
    )
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-attributes"] == (
        "access_logs.s3.enabled=true,access_logs.s3.bucket=org-lb-logs-us-east-1,"
        "access_logs.s3.prefix=gateway"
    )
    ports = {p["port"]: p["targetPort"] for p in service["spec"]["ports"]}
    assert ports == {8000: "gateway", 8080: "internal-gw-api", 8200: "hvp", 5696: "kmip"}
    cname = next(
        r.raw_inputs for r in by_type(stack.resources, RECORD) if r.name.endswith("-cname")
    )
    assert (cname["zoneId"], cname["name"], cname["type"]) == (EKS_ZONE, EKS_NAME, "CNAME")
    assert cname["records"] == [
        f"<{EKS}-compute-service.status.loadBalancer.ingress[0].hostname: known after deploy>"
    ]
    assert stack.outputs["gatewayUrl"] == f"https://{EKS_NAME}:8000/api/v2"


# --- services, access logs, scaling ------------------------------------------------------------


def test_each_service_adds_exactly_its_port_everywhere(production_org: OrgDeployment) -> None:
    resources = stack_of(production_org, ECS).resources
    ports = [8000, 8080, 8200, 5696]
    groups = sorted(
        r.raw_inputs["port"] for r in by_type(resources, "aws:lb/targetGroup:TargetGroup")
    )
    assert groups == sorted(ports)
    task = one(resources, "aws:ecs/taskDefinition:TaskDefinition").raw_inputs
    (container,) = json.loads(task["containerDefinitions"])
    assert [m["containerPort"] for m in container["portMappings"]] == ports
    service = one(resources, "aws:ecs/service:Service").raw_inputs
    assert sorted(lb["containerPort"] for lb in service["loadBalancers"]) == sorted(ports)
    ingress = by_type(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert sorted((r.raw_inputs["fromPort"], r.raw_inputs["cidrIpv4"]) for r in ingress) == [
        (port, "10.0.0.0/8") for port in sorted(ports)
    ]
    egress = by_type(resources, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    assert sorted(r.raw_inputs["fromPort"] for r in egress) == sorted(ports)
    release = one(stack_of(production_org, EKS).resources, "kubernetes:helm.sh/v3:Release")
    service_values = release.raw_inputs["values"]["gateway"]["service"]
    assert service_values == {
        "type": "ClusterIP",
        "hvp": {"enabled": True},
        "kmip": {"enabled": True},
    }


def test_without_services_nothing_is_added(distributed_org: OrgDeployment) -> None:
    plain = distributed_org.gateway.model_copy(update={"services": ()})
    resources = stack(distributed_org, ECS, gateway=plain)
    assert sorted(r.raw_inputs["port"] for r in by_type(resources, LISTENER)) == [8000, 8080]
    task = one(resources, "aws:ecs/taskDefinition:TaskDefinition").raw_inputs
    (container,) = json.loads(task["containerDefinitions"])
    assert [m["containerPort"] for m in container["portMappings"]] == [8000, 8080]
    release = one(stack(distributed_org, EKS, gateway=plain), "kubernetes:helm.sh/v3:Release")
    assert release.raw_inputs["values"]["gateway"]["service"] == {"type": "ClusterIP"}
    balancer = one(resources, "aws:lb/loadBalancer:LoadBalancer").raw_inputs
    assert "accessLogs" not in balancer
    assert not by_type(resources, "aws:appautoscaling/target:Target")


def test_access_logs_go_to_the_named_bucket(production_org: OrgDeployment) -> None:
    (balancer,) = inputs(production_org, ECS, "aws:lb/loadBalancer:LoadBalancer")
    assert balancer["accessLogs"] == {
        "bucket": "org-lb-logs-us-east-1",
        "prefix": "gateway",
        "enabled": True,
    }


def test_ecs_autoscaling_tracks_cpu_between_min_and_max(production_org: OrgDeployment) -> None:
    resources = stack_of(production_org, ECS).resources
    service = one(resources, "aws:ecs/service:Service")
    assert service.raw_inputs["desiredCount"] == 2
    assert service.ignore_changes == ["desiredCount"]  # scaling owns the count
    target = one(resources, "aws:appautoscaling/target:Target").raw_inputs
    assert target == {
        "serviceNamespace": "ecs",
        "scalableDimension": "ecs:service:DesiredCount",
        "resourceId": f"service/akeyless-gateway/<{ECS}-compute-service.name: known after deploy>",
        "minCapacity": 2,
        "maxCapacity": 6,
    }
    policy = one(resources, "aws:appautoscaling/policy:Policy").raw_inputs
    assert policy["policyType"] == "TargetTrackingScaling"
    assert policy["targetTrackingScalingPolicyConfiguration"] == {
        "predefinedMetricSpecification": {
            "predefinedMetricType": "ECSServiceAverageCPUUtilization"
        },
        "targetValue": 55.0,
    }


def test_ec2_autoscaling_is_target_tracking_on_the_group(centralized_org: OrgDeployment) -> None:
    scaled = AutoscaledGateway(
        **centralized_org.gateway.model_dump(exclude={"replicas"}),
        autoscaling=Autoscaling(min=2, max=6, target_cpu_percent=55),
    )
    resources = stack(centralized_org, "hub", gateway=scaled)  # only the hub, rendered again
    group = one(resources, "aws:autoscaling/group:Group").raw_inputs
    assert (group["minSize"], group["maxSize"]) == (2, 6)
    assert "desiredCapacity" not in group  # scaling sets it
    policy = one(resources, "aws:autoscaling/policy:Policy").raw_inputs
    assert policy == {
        "autoscalingGroupName": "<hub-compute-asg.name: known after deploy>",
        "policyType": "TargetTrackingScaling",
        "targetTrackingConfiguration": {
            "predefinedMetricSpecification": {"predefinedMetricType": "ASGAverageCPUUtilization"},
            "targetValue": 55.0,
        },
    }
    fixed = one(stack_of(centralized_org, "hub").resources, "aws:autoscaling/group:Group")
    assert (fixed.raw_inputs["minSize"], fixed.raw_inputs["desiredCapacity"]) == (2, 2)


def test_eks_autoscaling_is_the_charts_hpa(
    production_org: OrgDeployment, distributed_org: OrgDeployment
) -> None:
    release = one(stack_of(production_org, EKS).resources, "kubernetes:helm.sh/v3:Release")
    gateway = release.raw_inputs["values"]["gateway"]
    assert gateway["hpa"] == {"enabled": True, "minReplicas": 2, "maxReplicas": 6, "cpuAvgUtil": 55}
    assert gateway["resources"] == {"requests": {"cpu": "1", "memory": "2G"}}
    assert "replicaCount" not in gateway["deployment"]
    fixed = one(stack_of(distributed_org, EKS).resources, "kubernetes:helm.sh/v3:Release")
    assert "hpa" not in fixed.raw_inputs["values"]["gateway"]


# --- the review document and the policy pack --------------------------------------------------


def test_the_review_document_says_each_setting(production_org: OrgDeployment) -> None:
    document = render_markdown(rendered(production_org))
    issued = f"certificate \\<{ECS}-compute-certificate.arn: known after deploy\\>"  # escaped
    assert (
        f"| Listener 8000 | Gateway API (v2): TLS at the load balancer (policy {TLS_POLICY}"
        in document
    )
    assert issued in document
    assert (
        "| Listener 5696 | KMIP server (TLS passed through): TCP, KMIP's TLS passed through to "
        "the Gateway (never terminated) |"
    ) in document
    assert "| Service port 5696 | KMIP server (TLS passed through): TCP" in document
    assert f"| Certificate | ACM, for {ECS_NAME}, validated by DNS" in document
    assert (
        f"| DNS name | {ECS_NAME} (alias of the load balancer, zone Z0333333333EXAMPLE01) |"
        in document
    )
    assert (
        f"| DNS name | {EKS_NAME} (CNAME to the Service's load balancer, zone {EKS_ZONE}) |"
        in document
    )
    assert "| Access logs | to s3://org-lb-logs-us-east-1/gateway (TLS connections) |" in document
    assert "| Replicas | 2 to 6 tasks, keeping average CPU at 55% |" in document
    assert "| Replicas | 2 to 6 pods, keeping average CPU at 55% |" in document


def test_the_production_site_passes_the_policy_pack(production_org: OrgDeployment) -> None:
    assert policy_violations(rendered(production_org)) == []


def test_a_listener_on_an_old_policy_or_kmip_over_tls_fails_the_pack(
    production_org: OrgDeployment,
) -> None:
    stacks = rendered(production_org)
    listeners = [r for s in stacks for r in s.resources if r.type == LISTENER]
    tls = next(r for r in listeners if r.raw_inputs["port"] == 8000)
    kmip = next(r for r in listeners if r.raw_inputs["port"] == KMIP_PORT)
    tls.raw_inputs["sslPolicy"] = "ELBSecurityPolicy-2016-08"
    kmip.raw_inputs.update(protocol="TLS", sslPolicy=TLS_POLICY)
    try:
        rules = {v.rule for v in policy_violations(stacks)}
    finally:
        tls.raw_inputs["sslPolicy"] = TLS_POLICY
        kmip.raw_inputs["protocol"] = "TCP"
        kmip.raw_inputs.pop("sslPolicy")
    assert rules == {"tls-listener-policy-current", "kmip-not-terminated-at-load-balancer"}


# --- config ------------------------------------------------------------------------------------


def test_autoscaling_and_replicas_are_one_or_the_other() -> None:
    org = parse_org(production_document())
    assert isinstance(org.gateway, AutoscaledGateway) and org.gateway.least_replicas == 2
    data = production_document()
    data["gateway"]["replicas"] = 3
    assert "gateway.replicas" in problems_of(data)


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        # Issue 22 item 1: a certificate with no URL would call https on *.elb.amazonaws.com.
        (
            lambda d: d["hub"].update(
                tls_certificate_arn=EXISTING.replace("333333333333", "222222222222")
            ),
            "hub.gateway_url",
            "no ACM certificate covers",
        ),
        (
            lambda d: d["hub"].update(
                tls_certificate_arn=EXISTING.replace("333333333333", "222222222222"),
                gateway_url="https://internal-gw-123.elb.us-east-1.amazonaws.com:8000/api/v2",
            ),
            "hub.gateway_url",
            "not a name an ACM certificate can cover",
        ),
        (
            lambda d: d["hub"].update(
                tls_certificate_arn=EXISTING.replace("333333333333", "222222222222"),
                dns={"zone_id": "Z0123", "name": "gw.example.com"},
                gateway_url="https://gw.example.com:8000/api/v2",
            ),
            "hub.dns",
            "not both",
        ),
        (
            lambda d: d["hub"].update(dns={"zone_id": "zone", "name": "gw.example.com"}),
            "hub.dns.zone_id",
            "hosted zone",
        ),
        (
            lambda d: d["hub"].update(dns={"zone_id": "Z0123", "name": "*.example.com"}),
            "hub.dns.name",
            "no wildcard",
        ),
        (
            lambda d: d["gateway"].update(services=["kmip", "kmip"]),
            "gateway.services",
            "more than once",
        ),
        (lambda d: d["gateway"].update(services=["ssh"]), "gateway.services[0]", "vault_proxy"),
        (
            lambda d: d["gateway"].update(access_logs={"bucket": "logs"}),
            "hub.gateway.access_logs",
            "logs TLS connections only",
        ),
        (
            lambda d: d["gateway"].update(access_logs={"bucket": "logs", "prefix": "a/AWSLogs"}),
            "gateway.access_logs.prefix",
            "AWSLogs",
        ),
        (
            lambda d: (
                d["gateway"].pop("replicas", None),
                d["gateway"].update(autoscaling={"min": 1, "max": 3}),
            ),
            "gateway.autoscaling.min",
            "greater than or equal to 2",
        ),
        (
            lambda d: d["gateway"].update(autoscaling={"min": 4, "max": 3}),
            "gateway.autoscaling",
            "at least min",
        ),
        (
            lambda d: (
                d["gateway"].update(autoscaling={"max": 3}),
                d["hub"].update(subnets={"subnet-0a1b2c3d": "us-east-1a"}),
            ),
            "hub.subnets",
            "at least two availability zones",
        ),
    ],
)
def test_invalid_production_config_is_named(mutate: Any, path: str, fragment: str) -> None:
    data = example_document()
    data["gateway"].pop("replicas", None)
    mutate(data)
    problems = problems_of(data)
    assert path in problems, problems
    assert fragment in problems[path], problems[path]


def test_the_standin_fails_a_certificate_validation_missing_its_record() -> None:
    """The engine test's stand-in refuses, as terraform-provider-aws does, a validation whose
    records are not the certificate's (internal/service/acm/certificate_validation.go)."""
    option = validation_option("site-certificate", {"domainName": ECS_NAME})
    arn = "arn:aws:acm:us-east-1:333333333333:certificate/site-certificate"
    record = option["resourceRecordName"]
    assert validation_failure({"certificateArn": arn, "validationRecordFqdns": [record]}) is None
    missing = validation_failure({"certificateArn": arn, "validationRecordFqdns": []})
    assert missing is not None and missing.startswith("missing DNS validation record: _")


def test_the_deployment_verifies_the_gateways_certificate() -> None:
    import ssl

    from akeyless_gateway_org.components.akeyless_api import _client

    pool = _client(f"https://{ECS_NAME}:8000/api/v2", 5.0).api_client.rest_client.pool_manager
    assert pool.connection_pool_kw["cert_reqs"] == ssl.CERT_REQUIRED
