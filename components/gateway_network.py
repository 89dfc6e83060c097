"""The internal network load balancer in front of an EC2 or ECS Gateway, and its security groups.

The Gateway's ports are 8000 and 8080 plus one per ``gateway.services`` entry
(``gateway_runtime.gateway_ports``). The load balancer's security group admits those ports only
from the configured networks and sends only to the Gateway's group on them; the Gateway's own
group admits them only from the load balancer and sends only HTTPS. One target group and one
listener per port, built in one loop over the ports. With a certificate (``dns``: created and
validated here; or ``tls_certificate_arn``) the listeners of 8000 and 8200 are TLS with a current
policy, the others (8080 health, 5696 KMIP, whose TLS goes to the Gateway unbroken) plain TCP.
With ``dns`` an alias record names the load balancer. Target groups check ``GET /health`` on 8080.

:class:`GatewayNetwork` is a piece the EC2 and ECS components build under themselves, not a
ComponentResource of its own: a new component would be a resource every deployed stack lacks,
a ``create`` in each upgrade's plan (its children could still find their old state with
``Alias(parent=<the compute component>)``, which the engine resolves through that parent's
own alias: pulumi/pulumi v3.274.1 pkg/resource/deploy/step_generator.go, ``collapseAliasToUrn``,
"If the parent used an alias then use it's old URN here"). Under the compute component they
keep their URNs through that component's alias alone (``compute_base``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from akeyless_gateway_org.components.akeyless_names import GATEWAY_HEALTH_PORT
from akeyless_gateway_org.components.aws_names import load_balancer_name
from akeyless_gateway_org.components.gateway_runtime import GatewayPort, gateway_ports
from akeyless_gateway_org.config.model import AccessLogs, DnsSettings, GatewaySettings, NetworkSite
from akeyless_gateway_org.policy.networks import admits_the_internet
from akeyless_gateway_org.policy.rules import INTERNET_INGRESS_RULE, TLS_POLICY, exception_tag

HTTPS_EGRESS_PORT = 443
VALIDATION_RECORD_TTL = 60
_RULE_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9-]")
"""Characters of a CIDR kept out of a rule's logical name (10.0.0.0/8 -> 10-0-0-0-8)."""

TargetType = Literal["instance", "ip"]


@dataclass(frozen=True)
class GatewayNetworkArgs:
    """Inputs of :class:`GatewayNetwork`: where, and who may reach the Gateway."""

    vpc_id: str
    subnets: tuple[str, ...]
    """The private subnets of the load balancer (and of the Gateway)."""
    allowed_cidrs: tuple[str, ...] = ()
    allowed_security_group_ids: tuple[str, ...] = ()
    tls_certificate_arn: str | None = None
    """An existing ACM certificate: TLS at the load balancer (on the ports that take it)."""
    dns: DnsSettings | None = None
    """The Gateway's name: a certificate for it is created and validated here, TLS on the
    listeners, and an alias record for the load balancer."""
    services: tuple[str, ...] = ()
    """``gateway.services``: each adds its port (``gateway_runtime.GATEWAY_SERVICE_PORTS``)."""
    access_logs: AccessLogs | None = None
    """The existing bucket the load balancer writes its access logs to."""
    resource_prefix: str = "akeyless-gateway"
    """Prefix of the load balancer's and target groups' physical names."""
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.subnets:
            raise ValueError("a Gateway load balancer needs at least one subnet")
        if not self.allowed_cidrs and not self.allowed_security_group_ids:
            raise ValueError("name who may reach the Gateway (allowed CIDRs or security groups)")
        if self.dns is not None and self.tls_certificate_arn is not None:
            raise ValueError("a certificate is made for dns or named, not both")

    @property
    def ports(self) -> tuple[GatewayPort, ...]:
        """The Gateway's ports with its services on, each getting a target group and listener."""
        return gateway_ports(self.services)

    @classmethod
    def of_site(
        cls,
        site: NetworkSite,
        settings: GatewaySettings,
        *,
        resource_prefix: str,
        tags: dict[str, str],
    ) -> GatewayNetworkArgs:
        """From a site's ``vpc_id``, ``subnets``, ``tls_certificate_arn`` and ``dns``, and
        the Gateway settings' ``allowed_cidrs``, ``allowed_security_group_ids``,
        ``services`` and ``access_logs``."""
        if site.vpc_id is None:
            raise ValueError(f"compute {site.compute} needs vpc_id")
        return cls(
            vpc_id=site.vpc_id,
            subnets=tuple(site.subnets),
            allowed_cidrs=tuple(settings.allowed_cidrs),
            allowed_security_group_ids=tuple(settings.allowed_security_group_ids),
            tls_certificate_arn=site.tls_certificate_arn,
            dns=site.dns,
            services=tuple(settings.services),
            access_logs=settings.access_logs,
            resource_prefix=resource_prefix,
            tags=tags,
        )


class GatewayNetwork:
    """The load balancer, its listeners and target groups, and both security groups.

    Its resources are children of ``parent`` named ``<name>-lb``, ``<name>-lb-security-group``,
    ``<name>-gateway-sg``, ``<name>-lb-ingress-<port>-<source>``, ``<name>-lb-egress-<port>``,
    ``<name>-tg-<port>`` and ``<name>-listener-<port>``; with ``dns`` also
    ``<name>-certificate``, ``<name>-certificate-record``, ``<name>-certificate-validation``
    and ``<name>-alias``. Targets of ``target_type``: ``instance`` (EC2) or ``ip``
    (Fargate). For the Gateway: ``gateway_security_group``, ``target_groups`` (port ->
    group), ``listeners`` (what a service must wait for) and ``host`` (the load balancer's
    DNS name).
    """

    def __init__(
        self, name: str, args: GatewayNetworkArgs, target_type: TargetType, parent: pulumi.Resource
    ) -> None:
        child = pulumi.ResourceOptions(parent=parent)
        # Its rules are all separate resources, none inline: pulumi-aws documents the two
        # forms on one group as conflicting (each overwrites the other's rules; "NOTE on
        # Security Groups and Security Group Rules", docs of aws.ec2.SecurityGroup), and the
        # egress rules must be separate (the two groups refer to each other).
        #
        # A new logical name (it was ``<name>-lb-sg``, with inline ingress): a deployment
        # from before gets a new group beside the old one, the load balancer and the
        # Gateway's group move to it in place, and the old group is deleted last. Keeping
        # the old group would leave its inline rules on it (pulumi-aws keeps rules a config
        # omits: ``ingress`` is optional and computed, "processed in attribute-as-blocks
        # mode", docs of aws.ec2.SecurityGroup), and AWS refuses the same rule created again
        # as a separate resource (InvalidPermission.Duplicate).
        lb_sg = aws.ec2.SecurityGroup(
            f"{name}-lb-security-group",
            vpc_id=args.vpc_id,
            # Unchanged with services on: a security group's description forces its
            # replacement (pulumi-aws ec2/security_group.py: "description ... cannot be changed").
            description="Akeyless Gateway load balancer: ports 8000/8080 from allowed networks",
            tags=args.tags,
            opts=child,
        )
        sources: list[tuple[str, dict[str, str]]] = [
            *(
                (cidr, {"cidr_ipv6" if ":" in cidr else "cidr_ipv4": cidr})
                for cidr in args.allowed_cidrs
            ),
            *(
                (group, {"referenced_security_group_id": group})
                for group in args.allowed_security_group_ids
            ),
        ]
        for port in (p.port for p in args.ports):
            for source, source_args in sources:
                rule_name = f"{name}-lb-ingress-{port}-{_RULE_NAME_UNSAFE.sub('-', source)}"
                # An internet-wide source passed validation only as an explicit exception;
                # the tag tells the policy pack so, on the one rule it concerns.
                exception = (
                    exception_tag(INTERNET_INGRESS_RULE, rule_name)
                    if "referenced_security_group_id" not in source_args
                    and admits_the_internet([source])
                    else {}
                )
                aws.vpc.SecurityGroupIngressRule(
                    rule_name,
                    security_group_id=lb_sg.id,
                    description=f"Gateway port {port} from allowed networks",
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    tags={**args.tags, **exception},
                    opts=child,
                    **source_args,
                )
        self.gateway_security_group = aws.ec2.SecurityGroup(
            f"{name}-gateway-sg",
            vpc_id=args.vpc_id,
            description="Akeyless Gateway: ports 8000/8080 from its load balancer only",
            ingress=_gateway_ports_from(
                args.ports, "the load balancer", security_groups=[lb_sg.id]
            ),
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    description="HTTPS to Akeyless, AWS APIs and the image registry",
                    protocol="tcp",
                    from_port=HTTPS_EGRESS_PORT,
                    to_port=HTTPS_EGRESS_PORT,
                    cidr_blocks=["0.0.0.0/0"],
                )
            ],
            tags=args.tags,
            opts=child,
        )
        # pulumi-aws drops AWS's default allow-all egress, and an NLB with security
        # groups applies their outbound rules to forwarded traffic and health checks
        # (ELB User Guide, "Security groups for your Network Load Balancer"): without
        # these the targets never turn healthy.
        for port in (p.port for p in args.ports):
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-lb-egress-{port}",
                security_group_id=lb_sg.id,
                description=f"Gateway port {port} to the Gateway",
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                referenced_security_group_id=self.gateway_security_group.id,
                tags=args.tags,
                opts=child,
            )
        load_balancer = aws.lb.LoadBalancer(
            f"{name}-lb",
            name=load_balancer_name(args.resource_prefix),
            internal=True,
            load_balancer_type="network",
            subnets=list(args.subnets),
            security_groups=[lb_sg.id],
            access_logs=_access_logs(args.access_logs),
            tags=args.tags,
            opts=child,
        )
        certificate: pulumi.Input[str] | None = args.tls_certificate_arn
        if args.dns is not None:
            certificate = validated_certificate(name, args.dns, args.tags, child)
            _alias_record(name, args.dns, load_balancer, child)
        self.target_groups: dict[int, aws.lb.TargetGroup] = {}
        self.listeners: list[aws.lb.Listener] = []
        for gateway_port in args.ports:
            port = gateway_port.port
            self.target_groups[port] = aws.lb.TargetGroup(
                f"{name}-tg-{port}",
                # What forces a replacement (terraform-provider-aws internal/service/elbv2/
                # target_group.go, ForceNew: port, protocol, target_type, vpc_id) is in the
                # name's hash, so a replacement gets a new name and can exist beside the old.
                name=load_balancer_name(
                    f"{args.resource_prefix}-{port}",
                    identity=f"{args.vpc_id}/{target_type}/TCP/{port}",
                ),
                port=port,
                protocol="TCP",
                target_type=target_type,
                vpc_id=args.vpc_id,
                health_check=aws.lb.TargetGroupHealthCheckArgs(
                    protocol="HTTP", port=str(GATEWAY_HEALTH_PORT), path="/health"
                ),
                tags=args.tags,
                # Replaced (a new VPC or target type) while its listener still forwards to
                # it, the old group can only go after the listener has moved to the new one
                # (ELB DeleteTargetGroup refuses a group in use: ResourceInUse). The bridge
                # asks to delete first for any resource named by the program
                # (pulumi-terraform-bridge pkg/tfbridge/schema.go,
                # nameRequiresDeleteBeforeReplace; pulumi-aws gives target groups no
                # UniqueNameFields), and the option overrides it (pulumi/pulumi v3.274.1
                # pkg/resource/deploy/step_generator.go: "The user can override the
                # provider's decision"). Both can exist at once: what forces a replacement
                # is in the name's hash, so the new group has a new name.
                opts=pulumi.ResourceOptions(parent=parent, delete_before_replace=False),
            )
            # TLS ends at the load balancer: the target group stays TCP, the
            # Gateway behind it serves plain HTTP (ELB User Guide, "TLS listeners").
            # Never on KMIP, whose clients authenticate to the Gateway in TLS itself.
            tls = certificate is not None and gateway_port.tls_at_load_balancer
            self.listeners.append(
                aws.lb.Listener(
                    f"{name}-listener-{port}",
                    load_balancer_arn=load_balancer.arn,
                    port=port,
                    protocol="TLS" if tls else "TCP",
                    certificate_arn=certificate if tls else None,
                    ssl_policy=TLS_POLICY if tls else None,
                    default_actions=[
                        aws.lb.ListenerDefaultActionArgs(
                            type="forward", target_group_arn=self.target_groups[port].arn
                        )
                    ],
                    tags=args.tags,
                    opts=child,
                )
            )
        self.host: pulumi.Output[str] = load_balancer.dns_name


def validated_certificate(
    name: str, dns: DnsSettings, tags: dict[str, str], opts: pulumi.ResourceOptions
) -> pulumi.Output[str]:
    """An ACM certificate for ``dns.name``, validated by DNS in ``dns.zone_id``: its ARN once
    issued (what a listener may use).

    ACM gives one CNAME per domain to create ("DNS validation", ACM User Guide:
    https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html);
    ``CertificateValidation`` waits until the certificate is issued (pulumi-aws
    ``acm.CertificateValidation``: "waits for the newly created certificate to become
    valid"). The record may already exist from an earlier certificate of the same name
    (ACM reuses the CNAME per domain and account), hence ``allow_overwrite``.
    """
    certificate = aws.acm.Certificate(
        f"{name}-certificate",
        domain_name=dns.name,
        validation_method="DNS",
        tags=tags,
        opts=opts,
    )
    option = certificate.domain_validation_options.apply(lambda options: options[0])
    record = aws.route53.Record(
        f"{name}-certificate-record",
        zone_id=dns.zone_id,
        name=option.resource_record_name,
        type=option.resource_record_type,
        records=[option.resource_record_value],
        ttl=VALIDATION_RECORD_TTL,
        allow_overwrite=True,
        opts=opts,
    )
    validation = aws.acm.CertificateValidation(
        f"{name}-certificate-validation",
        certificate_arn=certificate.arn,
        validation_record_fqdns=[record.fqdn],
        opts=opts,
    )
    return validation.certificate_arn


def _alias_record(
    name: str, dns: DnsSettings, load_balancer: aws.lb.LoadBalancer, opts: pulumi.ResourceOptions
) -> aws.route53.Record:
    """``dns.name`` as an alias A record of the load balancer (Route 53 Developer Guide,
    "Routing traffic to an ELB load balancer"; pulumi-aws ``route53.Record`` ``aliases``)."""
    return aws.route53.Record(
        f"{name}-alias",
        zone_id=dns.zone_id,
        name=dns.name,
        type="A",
        aliases=[
            aws.route53.RecordAliasArgs(
                name=load_balancer.dns_name,
                zone_id=load_balancer.zone_id,
                evaluate_target_health=True,
            )
        ],
        opts=opts,
    )


def _access_logs(logs: AccessLogs | None) -> aws.lb.LoadBalancerAccessLogsArgs | None:
    """The load balancer's access logs to an existing bucket (ELB User Guide, "Access logs
    for your Network Load Balancer"); None: off."""
    if logs is None:
        return None
    return aws.lb.LoadBalancerAccessLogsArgs(bucket=logs.bucket, prefix=logs.prefix, enabled=True)


def _gateway_ports_from(
    ports: Sequence[GatewayPort], sources: str, *, security_groups: Sequence[pulumi.Input[str]]
) -> list[aws.ec2.SecurityGroupIngressArgs]:
    """Ingress on each Gateway port, and only those, from the given security groups."""
    return [
        aws.ec2.SecurityGroupIngressArgs(
            description=f"Gateway port {port.port} from {sources}",
            protocol="tcp",
            from_port=port.port,
            to_port=port.port,
            security_groups=security_groups,
        )
        for port in ports
    ]
