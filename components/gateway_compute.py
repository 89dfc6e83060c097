"""The Gateway's compute: EC2 Auto Scaling, ECS Fargate, or a Helm release on EKS.

One component, the kind chosen by the site's ``compute``:

- ``ec2``: a launch template (Amazon Linux 2023 from its public SSM parameter,
  IMDSv2 required with hop limit 2, encrypted root volume, no public IP unless
  asked) and an Auto Scaling group spread over the subnets;
- ``ecs``: a Fargate service in the private subnets, task role = the Gateway
  identity, an execution role that may only write the task's logs;
- ``eks``: the ``akeyless-gateway`` chart in an existing cluster, its service
  account annotated with the Gateway identity (IRSA).

EC2 and ECS sit behind an internal network load balancer whose security group
admits ports 8000 and 8080 only from the configured networks and sends only to
the Gateway's group on those ports; the Gateway's own security group admits
them only from the load balancer. Port 8000 is TLS at the load balancer when
the site names an ACM certificate, plain HTTP otherwise. On EKS a Service does
the same: an internal load balancer (source ranges = allowed networks) or ClusterIP.
Output ``host``: the load balancer's DNS name, or None on EKS, where the
Gateway's URL is config.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from akeyless_gateway_org.components.akeyless_names import GATEWAY_API_PORT, GATEWAY_HEALTH_PORT
from akeyless_gateway_org.components.aws_names import load_balancer_name, short_name
from akeyless_gateway_org.components.gateway_runtime import (
    AL2023_AMI_PARAMETER,
    CONTAINER_NAME,
    GATEWAY_PORTS,
    GATEWAY_SERVICE_NAME,
    HELM_CHART,
    HELM_RELEASE,
    HELM_REPOSITORY,
    ec2_user_data,
    ecs_container_definitions,
    gateway_service_spec,
)
from akeyless_gateway_org.components.iam_documents import (
    ecs_execution_policy,
    ecs_execution_trust_policy,
)
from akeyless_gateway_org.components.iam_role import role_with_inline_policy
from akeyless_gateway_org.config.model import EksSite, GatewaySettings, NetworkSite, SiteBase
from akeyless_gateway_org.policy.networks import admits_the_internet
from akeyless_gateway_org.policy.rules import INTERNET_INGRESS_RULE, exception_tag

HTTPS_EGRESS_PORT = 443
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
"""TLS 1.3 and 1.2 only: the ELB default policy for new TLS listeners (ELB User Guide,
"Security policies for your Network Load Balancer")."""


@dataclass(frozen=True)
class GatewayComputeArgs:
    """Inputs of :class:`GatewayCompute`."""

    site: SiteBase
    """Compute kind, network (ec2/ecs: a :class:`NetworkSite`) or cluster (an :class:`EksSite`)."""
    settings: GatewaySettings
    """Image, size and who may reach the Gateway."""
    account_id: str
    region: str
    partition: str
    identity_role_arn: pulumi.Output[str]
    """The Gateway identity: task role (ecs), IRSA role (eks)."""
    instance_profile_name: pulumi.Output[str] | None
    """ec2: the Gateway identity's instance profile."""
    environment: pulumi.Output[Mapping[str, str]]
    """The container's environment (``gateway_runtime.gateway_environment``)."""
    helm_values: pulumi.Output[Mapping[str, object]] | None = None
    """eks: the chart's values (``gateway_runtime.helm_values``)."""
    resource_prefix: str = "akeyless-gateway"
    """Physical-name prefix of the log group, execution role and cluster."""
    iam_path: str = "/"
    permissions_boundary_arn: str | None = None
    deploy_role_arn: str | None = None
    """eks: the role the deployment assumes to reach the cluster's API."""
    tags: dict[str, str] = field(default_factory=dict)


class GatewayCompute(pulumi.ComponentResource):
    """The compute that runs one Gateway. Output ``host`` (None on eks)."""

    host: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: GatewayComputeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("akeyless-gateway:compute:GatewayCompute", name, None, opts)
        self.args = args
        self.child = pulumi.ResourceOptions(parent=self)
        self.host = None
        kind = args.site.compute
        if kind == "eks":
            self._helm_release(name)
        else:
            load_balancer, target_groups, listeners, gateway_sg = self._network(
                name, target_type="instance" if kind == "ec2" else "ip"
            )
            if kind == "ec2":
                self._auto_scaling_group(name, gateway_sg, target_groups)
            else:
                self._fargate_service(name, gateway_sg, target_groups, listeners)
            self.host = load_balancer.dns_name
        self.register_outputs({"host": self.host})

    # --- network (ec2, ecs) --------------------------------------------------

    def _network(
        self, name: str, target_type: str
    ) -> tuple[
        aws.lb.LoadBalancer,
        dict[int, aws.lb.TargetGroup],
        list[aws.lb.Listener],
        aws.ec2.SecurityGroup,
    ]:
        args, settings = self.args, self.args.settings
        assert isinstance(args.site, NetworkSite), "ec2 and ecs sites are network sites"
        ipv4 = [cidr for cidr in settings.allowed_cidrs if ":" not in cidr]
        ipv6 = [cidr for cidr in settings.allowed_cidrs if ":" in cidr]
        # An internet-wide source passed validation only as an explicit exception;
        # the tag tells the policy pack so, on the one resource it concerns.
        lb_sg_name = f"{name}-lb-sg"
        open_to_internet = admits_the_internet(settings.allowed_cidrs)
        exception = exception_tag(INTERNET_INGRESS_RULE, lb_sg_name) if open_to_internet else {}
        lb_sg = aws.ec2.SecurityGroup(
            lb_sg_name,
            vpc_id=args.site.vpc_id,
            description="Akeyless Gateway load balancer: ports 8000/8080 from allowed networks",
            ingress=_gateway_ports_from(
                "allowed networks",
                cidr_blocks=ipv4 or None,
                ipv6_cidr_blocks=ipv6 or None,
                security_groups=list(settings.allowed_security_group_ids) or None,
            ),
            tags={**args.tags, **exception},
            opts=self.child,
        )
        gateway_sg = aws.ec2.SecurityGroup(
            f"{name}-gateway-sg",
            vpc_id=args.site.vpc_id,
            description="Akeyless Gateway: ports 8000/8080 from its load balancer only",
            ingress=_gateway_ports_from("the load balancer", security_groups=[lb_sg.id]),
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
            opts=self.child,
        )
        # pulumi-aws drops AWS's default allow-all egress, and an NLB with security
        # groups applies their outbound rules to forwarded traffic and health checks
        # (ELB User Guide, "Security groups for your Network Load Balancer"): without
        # these the targets never turn healthy. Separate rules, since the two groups
        # refer to each other.
        for port in GATEWAY_PORTS:
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-lb-egress-{port}",
                security_group_id=lb_sg.id,
                description=f"Gateway port {port} to the Gateway",
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                referenced_security_group_id=gateway_sg.id,
                tags=args.tags,
                opts=self.child,
            )
        load_balancer = aws.lb.LoadBalancer(
            f"{name}-lb",
            name=load_balancer_name(args.resource_prefix),
            internal=True,
            load_balancer_type="network",
            subnets=list(args.site.subnets),
            security_groups=[lb_sg.id],
            tags=args.tags,
            opts=self.child,
        )
        target_groups: dict[int, aws.lb.TargetGroup] = {}
        listeners: list[aws.lb.Listener] = []
        certificate = args.site.tls_certificate_arn
        for port in GATEWAY_PORTS:
            target_groups[port] = aws.lb.TargetGroup(
                f"{name}-tg-{port}",
                # What forces a replacement is in the name's hash, so a replacement
                # gets a new name and can exist beside the old one.
                name=load_balancer_name(
                    f"{args.resource_prefix}-{port}",
                    identity=f"{args.site.vpc_id}/{target_type}/TCP/{port}",
                ),
                port=port,
                protocol="TCP",
                target_type=target_type,
                vpc_id=args.site.vpc_id,
                health_check=aws.lb.TargetGroupHealthCheckArgs(
                    protocol="HTTP", port=str(GATEWAY_HEALTH_PORT), path="/health"
                ),
                tags=args.tags,
                opts=self.child,
            )
            # TLS ends at the load balancer: the target group stays TCP, the
            # Gateway behind it serves plain HTTP (ELB User Guide, "TLS listeners").
            tls = certificate is not None and port == GATEWAY_API_PORT
            listeners.append(
                aws.lb.Listener(
                    f"{name}-listener-{port}",
                    load_balancer_arn=load_balancer.arn,
                    port=port,
                    protocol="TLS" if tls else "TCP",
                    certificate_arn=certificate if tls else None,
                    ssl_policy=TLS_POLICY if tls else None,
                    default_actions=[
                        aws.lb.ListenerDefaultActionArgs(
                            type="forward", target_group_arn=target_groups[port].arn
                        )
                    ],
                    tags=args.tags,
                    opts=self.child,
                )
            )
        return load_balancer, target_groups, listeners, gateway_sg

    # --- ec2 -------------------------------------------------------------------

    def _auto_scaling_group(
        self,
        name: str,
        gateway_sg: aws.ec2.SecurityGroup,
        target_groups: dict[int, aws.lb.TargetGroup],
    ) -> None:
        args, settings = self.args, self.args.settings
        assert isinstance(args.site, NetworkSite), "ec2 sites are network sites"
        if args.instance_profile_name is None:
            raise ValueError("an ec2 Gateway needs the identity's instance profile")
        user_data = args.environment.apply(
            lambda environment: base64.b64encode(
                ec2_user_data(environment, settings.image).encode()
            ).decode()
        )
        template = aws.ec2.LaunchTemplate(
            f"{name}-launch-template",
            image_id=f"resolve:ssm:{AL2023_AMI_PARAMETER}",
            instance_type=settings.instance_type,
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(
                name=args.instance_profile_name
            ),
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                # The Gateway runs in a container: one hop more than the instance.
                http_put_response_hop_limit=2,
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        encrypted="true",
                        volume_size=settings.root_volume_gib,
                        volume_type="gp3",
                        delete_on_termination="true",
                    ),
                )
            ],
            network_interfaces=[
                aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                    associate_public_ip_address=str(settings.associate_public_ip).lower(),
                    security_groups=[gateway_sg.id],
                )
            ],
            user_data=user_data,
            update_default_version=True,
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=args.tags)
                for kind in ("instance", "volume")
            ],
            tags=args.tags,
            opts=self.child,
        )
        aws.autoscaling.Group(
            f"{name}-asg",
            min_size=settings.replicas,
            max_size=settings.replicas,
            desired_capacity=settings.replicas,
            vpc_zone_identifiers=list(args.site.subnets),
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            target_group_arns=[group.arn for group in target_groups.values()],
            health_check_type="ELB",
            health_check_grace_period=300,
            instance_refresh=aws.autoscaling.GroupInstanceRefreshArgs(strategy="Rolling"),
            tags=[
                aws.autoscaling.GroupTagArgs(key=key, value=value, propagate_at_launch=True)
                for key, value in args.tags.items()
            ],
            opts=self.child,
        )

    # --- ecs -------------------------------------------------------------------

    def _fargate_service(
        self,
        name: str,
        gateway_sg: aws.ec2.SecurityGroup,
        target_groups: dict[int, aws.lb.TargetGroup],
        listeners: list[aws.lb.Listener],
    ) -> None:
        args, settings = self.args, self.args.settings
        assert isinstance(args.site, NetworkSite), "ecs sites are network sites"
        log_group_name = f"/{args.resource_prefix}/{args.account_id}"
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name,
            retention_in_days=settings.log_retention_days,
            tags=args.tags,
            opts=self.child,
        )
        execution_role = role_with_inline_policy(
            f"{name}-execution",
            role_name=short_name(f"{args.resource_prefix}-ecs-execution", 64),
            path=args.iam_path,
            description="Starts the Akeyless Gateway task: writes its logs (managed by Pulumi)",
            trust_policy=json.dumps(ecs_execution_trust_policy(args.account_id)),
            policy=ecs_execution_policy(
                partition=args.partition,
                region=args.region,
                account_id=args.account_id,
                log_group_name=log_group_name,
            ),
            permissions_boundary_arn=args.permissions_boundary_arn,
            tags=args.tags,
            opts=self.child,
        )
        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=args.resource_prefix,
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")],
            tags=args.tags,
            opts=self.child,
        )
        task = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=args.resource_prefix,
            cpu=str(settings.cpu),
            memory=str(settings.memory_mib),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            execution_role_arn=execution_role.arn,
            task_role_arn=args.identity_role_arn,
            container_definitions=pulumi.Output.all(args.environment, log_group.name).apply(
                lambda values: json.dumps(
                    ecs_container_definitions(
                        environment=values[0],
                        image=settings.image,
                        log_group=values[1],
                        region=args.region,
                    )
                )
            ),
            tags=args.tags,
            opts=self.child,
        )
        aws.ecs.Service(
            f"{name}-service",
            cluster=cluster.arn,
            task_definition=task.arn,
            desired_count=settings.replicas,
            launch_type="FARGATE",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=list(args.site.subnets),
                security_groups=[gateway_sg.id],
                assign_public_ip=False,
            ),
            load_balancers=[
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=group.arn, container_name=CONTAINER_NAME, container_port=port
                )
                for port, group in target_groups.items()
            ],
            tags=args.tags,
            # ECS refuses a target group not yet attached to a load balancer
            # (CreateService: "does not have an associated load balancer").
            opts=pulumi.ResourceOptions(parent=self, depends_on=listeners),
        )

    # --- eks -------------------------------------------------------------------

    def _helm_release(self, name: str) -> None:
        args = self.args
        site = args.site
        if (
            args.helm_values is None
            or not isinstance(site, EksSite)
            or site.eks_cluster_name is None
        ):
            raise ValueError("an eks Gateway needs its cluster name and Helm values")
        cluster = aws.eks.get_cluster_output(
            name=site.eks_cluster_name, opts=pulumi.InvokeOptions(parent=self)
        )
        kubeconfig = pulumi.Output.all(cluster.endpoint, cluster.certificate_authorities).apply(
            lambda values: json.dumps(
                _kubeconfig(
                    cluster_name=site.eks_cluster_name or "",
                    endpoint=values[0],
                    certificate_authority=values[1][0]["data"] if values[1] else "",
                    region=args.region,
                    role_arn=args.deploy_role_arn,
                )
            )
        )
        provider = k8s.Provider(f"{name}-k8s", kubeconfig=kubeconfig, opts=self.child)
        # "By default, the provider waits until all resources are in a ready state"
        # (pulumi_kubernetes helm/v3/Release.py, skip_await): the pods' readiness
        # probe is GET /health on 8080, so the Gateway answered /health in the pod.
        release = k8s.helm.v3.Release(
            f"{name}-helm",
            name=HELM_RELEASE,
            chart=HELM_CHART,
            version=args.settings.helm_chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=HELM_REPOSITORY),
            namespace=site.eks_namespace,
            create_namespace=True,
            values=args.helm_values,
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        annotations, spec = gateway_service_spec(
            load_balancer=site.has_load_balancer,
            allowed_cidrs=args.settings.allowed_cidrs,
            certificate_arn=site.tls_certificate_arn,
        )
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=GATEWAY_SERVICE_NAME, namespace=site.eks_namespace, annotations=annotations
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


def _gateway_ports_from(
    sources: str,
    *,
    cidr_blocks: Sequence[str] | None = None,
    ipv6_cidr_blocks: Sequence[str] | None = None,
    security_groups: Sequence[pulumi.Input[str]] | None = None,
) -> list[aws.ec2.SecurityGroupIngressArgs]:
    """Ingress on each Gateway port, and only those, from the given sources."""
    return [
        aws.ec2.SecurityGroupIngressArgs(
            description=f"Gateway port {port} from {sources}",
            protocol="tcp",
            from_port=port,
            to_port=port,
            cidr_blocks=cidr_blocks,
            ipv6_cidr_blocks=ipv6_cidr_blocks,
            security_groups=security_groups,
        )
        for port in GATEWAY_PORTS
    ]


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
