"""How a stack's Gateway meets its callers, as rows for the review document.

One function, :func:`gateway_edge_rows`, reads a stack's recorded resources (the same masked
inputs render.json holds) and says, per row, what a reviewer signs: each load-balancer
listener with its protocol, TLS policy and certificate (KMIP always TCP, its TLS passed through
to the Gateway), the Gateway's DNS name and certificate, access logs, and how many replicas run.
Pure data in and out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from akeyless_gateway_org.components.gateway_runtime import (
    API_PORT,
    GATEWAY_SERVICE_PORTS,
    HEALTH_PORT,
)

LISTENER_TYPE = "aws:lb/listener:Listener"
LOAD_BALANCER_TYPE = "aws:lb/loadBalancer:LoadBalancer"
CERTIFICATE_TYPE = "aws:acm/certificate:Certificate"
RECORD_TYPE = "aws:route53/record:Record"
GROUP_TYPE = "aws:autoscaling/group:Group"
GROUP_POLICY_TYPE = "aws:autoscaling/policy:Policy"
ECS_SERVICE_TYPE = "aws:ecs/service:Service"
SCALING_TARGET_TYPE = "aws:appautoscaling/target:Target"
SCALING_POLICY_TYPE = "aws:appautoscaling/policy:Policy"
HELM_RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
K8S_SERVICE_TYPE = "kubernetes:core/v1:Service"
CERT_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert"
TLS_PORTS_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-ssl-ports"
TLS_POLICY_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy"

_PORT_NAMES = {p.port: p.what for p in (API_PORT, HEALTH_PORT, *GATEWAY_SERVICE_PORTS.values())}
_KMIP_PORT = GATEWAY_SERVICE_PORTS["kmip"].port


def _n(value: Any) -> str:
    """A number as written in the config: recorded inputs carry every number as a float."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _of(resources: Sequence[Mapping[str, Any]], type_: str) -> list[Mapping[str, Any]]:
    return [r["inputs"] for r in resources if r["type"] == type_]


def _port(port: int, tls: str | None) -> str:
    what = _PORT_NAMES.get(port, "port")
    if tls is not None:
        return f"{what}: TLS at the load balancer ({tls}), plain HTTP to the Gateway"
    if port == _KMIP_PORT:
        return f"{what}: TCP, KMIP's TLS passed through to the Gateway (never terminated)"
    return f"{what}: TCP, plain (not encrypted in transit)"


def _listener_rows(resources: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    rows = []
    for listener in sorted(_of(resources, LISTENER_TYPE), key=lambda i: int(i.get("port", 0))):
        port = int(listener.get("port", 0))
        tls = None
        if listener.get("protocol") in ("TLS", "HTTPS"):
            tls = (
                f"policy {listener.get('sslPolicy')}, certificate {listener.get('certificateArn')}"
            )
        rows.append([f"Listener {_n(port)}", _port(port, tls)])
    for service in _of(resources, K8S_SERVICE_TYPE):
        spec, metadata = service.get("spec") or {}, service.get("metadata") or {}
        if spec.get("type") != "LoadBalancer":
            continue
        annotations = metadata.get("annotations") or {}
        certificate = annotations.get(CERT_ANNOTATION)
        tls_ports = str(annotations.get(TLS_PORTS_ANNOTATION) or "*").split(",")
        for item in spec.get("ports") or []:
            port = int(item.get("port", 0))
            tls = None
            if certificate and ("*" in tls_ports or str(port) in tls_ports):
                tls = f"policy {annotations.get(TLS_POLICY_ANNOTATION)}, certificate {certificate}"
            rows.append([f"Service port {port}", _port(port, tls)])
    return rows


def _name_rows(resources: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    rows = [
        [
            "Certificate",
            f"ACM, for {c.get('domainName')}, validated by DNS (issued before a listener uses it)",
        ]
        for c in _of(resources, CERTIFICATE_TYPE)
    ]
    for record in _of(resources, RECORD_TYPE):
        if record.get("type") in ("A", "CNAME") and not str(record.get("name", "")).startswith("<"):
            how = (
                "alias of the load balancer"
                if record.get("aliases")
                else "CNAME to the Service's load balancer"
            )
            rows.append(["DNS name", f"{record.get('name')} ({how}, zone {record.get('zoneId')})"])
    for balancer in _of(resources, LOAD_BALANCER_TYPE):
        logs = balancer.get("accessLogs")
        where = f"s3://{logs.get('bucket')}/{logs.get('prefix') or ''}" if logs else None
        rows.append(["Access logs", f"to {where} (TLS connections)" if where else "off"])
    return rows


def _scaling_rows(resources: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    rows = []
    tracking = _of(resources, GROUP_POLICY_TYPE) + _of(resources, SCALING_POLICY_TYPE)
    cpu = [
        (p.get("targetTrackingConfiguration") or p.get("targetTrackingScalingPolicyConfiguration"))
        for p in tracking
    ]
    target = f", keeping average CPU at {_n(cpu[0].get('targetValue'))}%" if cpu and cpu[0] else ""
    for group in _of(resources, GROUP_TYPE):
        low, high = group.get("minSize"), group.get("maxSize")
        size = f"{_n(low)} instances" if low == high else f"{_n(low)} to {_n(high)} instances"
        rows.append(["Replicas", size + target])
    targets = _of(resources, SCALING_TARGET_TYPE)
    for scaling in targets:
        low, high = scaling.get("minCapacity"), scaling.get("maxCapacity")
        rows.append(["Replicas", f"{_n(low)} to {_n(high)} tasks{target}"])
    if not targets:
        services = _of(resources, ECS_SERVICE_TYPE)
        rows += [["Replicas", f"{_n(service.get('desiredCount'))} tasks"] for service in services]
    for release in _of(resources, HELM_RELEASE_TYPE):
        gateway = (release.get("values") or {}).get("gateway") or {}
        hpa = gateway.get("hpa") or {}
        if hpa.get("enabled"):
            size = (
                f"{_n(hpa.get('minReplicas'))} to {_n(hpa.get('maxReplicas'))} pods, keeping "
                f"average CPU at {_n(hpa.get('cpuAvgUtil'))}%"
            )
        else:
            size = f"{_n((gateway.get('deployment') or {}).get('replicaCount', 1))} pods"
        rows.append(["Replicas", size])
    return rows


def gateway_edge_rows(resources: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """``[setting, value]`` rows: listeners (or Service ports), name, certificate, access
    logs and replicas of the stack's Gateway; empty for a stack that runs none."""
    return _listener_rows(resources) + _name_rows(resources) + _scaling_rows(resources)
