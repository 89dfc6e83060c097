"""ECS compute: a Fargate service in the private subnets, behind the internal load balancer.

A cluster, a task definition (Fargate size from ``config/fargate_sizes.py``; task role = the
Gateway identity; the Gateway's ports), a log group with retention, an execution role that may
only write that log group (and pull a private ECR image from its one repository), and a service
created after its listeners: a fixed task count, or Application Auto Scaling tracking the
service's average CPU.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from akeyless_gateway_org.components.aws_names import short_name
from akeyless_gateway_org.components.compute_base import (
    ECS_TYPE,
    ComputeInputs,
    GatewayComputeComponent,
    gateway_size,
)
from akeyless_gateway_org.components.gateway_network import GatewayNetwork, GatewayNetworkArgs
from akeyless_gateway_org.components.gateway_runtime import (
    CONTAINER_NAME,
    ecs_container_definitions,
)
from akeyless_gateway_org.components.iam_documents import (
    ecs_execution_policy,
    ecs_execution_trust_policy,
)
from akeyless_gateway_org.components.iam_role import role_with_inline_policy
from akeyless_gateway_org.config.fargate_sizes import fargate_size_problem
from akeyless_gateway_org.config.fields import private_ecr_repository
from akeyless_gateway_org.config.model import Autoscaling, EcsSite


@dataclass(frozen=True)
class EcsGatewayArgs:
    """Inputs of :class:`EcsGateway`."""

    network: GatewayNetworkArgs
    """The load balancer in front, and the subnets the tasks run in."""
    image: str
    task_role_arn: pulumi.Input[str]
    """The Gateway identity: the task's role."""
    environment: pulumi.Output[Mapping[str, str]]
    """The container's environment (``gateway_runtime.gateway_environment``)."""
    account_id: str
    region: str
    partition: str
    size: int | Autoscaling = 2
    """A fixed number of tasks, or the bounds and CPU target of Application Auto Scaling."""
    cpu: int = 1024
    memory_mib: int = 2048
    log_retention_days: int = 30
    resource_prefix: str = "akeyless-gateway"
    """Physical-name prefix of the log group, execution role, cluster and task family."""
    iam_path: str = "/"
    permissions_boundary_arn: str | None = None
    """Of the execution role."""
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.size, int) and self.size < 1:
            raise ValueError(f"an ECS Gateway needs at least one task, got {self.size}")
        if problem := fargate_size_problem(self.cpu, self.memory_mib):
            raise ValueError(problem)


class EcsGateway(GatewayComputeComponent):
    """The Gateway as a Fargate service behind an internal NLB. Output ``host``."""

    host: pulumi.Output[str]

    def __init__(
        self, name: str, args: EcsGatewayArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(ECS_TYPE, name, opts)
        child = pulumi.ResourceOptions(parent=self)
        network = GatewayNetwork(name, args.network, target_type="ip", parent=self)
        log_group_name = f"/{args.resource_prefix}/{args.account_id}"
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name,
            retention_in_days=args.log_retention_days,
            tags=args.tags,
            opts=child,
        )
        execution_role = role_with_inline_policy(
            f"{name}-execution",
            role_name=short_name(f"{args.resource_prefix}-ecs-execution", 64),
            path=args.iam_path,
            description="Starts the Akeyless Gateway task: pulls its image, writes its logs "
            "(managed by Pulumi)",
            trust_policy=json.dumps(ecs_execution_trust_policy(args.account_id)),
            policy=ecs_execution_policy(
                partition=args.partition,
                region=args.region,
                account_id=args.account_id,
                log_group_name=log_group_name,
                image_repository=private_ecr_repository(args.image),
            ),
            permissions_boundary_arn=args.permissions_boundary_arn,
            tags=args.tags,
            opts=child,
        )
        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=args.resource_prefix,
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")],
            tags=args.tags,
            opts=child,
        )
        image, region, services = args.image, args.region, args.network.services
        task = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=args.resource_prefix,
            cpu=str(args.cpu),
            memory=str(args.memory_mib),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            execution_role_arn=execution_role.arn,
            task_role_arn=args.task_role_arn,
            container_definitions=pulumi.Output.all(args.environment, log_group.name).apply(
                lambda values: json.dumps(
                    ecs_container_definitions(
                        environment=values[0],
                        image=image,
                        log_group=values[1],
                        region=region,
                        services=services,
                    )
                )
            ),
            tags=args.tags,
            opts=child,
        )
        size = args.size
        service = aws.ecs.Service(
            f"{name}-service",
            cluster=cluster.arn,
            task_definition=task.arn,
            desired_count=size if isinstance(size, int) else size.min,
            launch_type="FARGATE",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=list(args.network.subnets),
                security_groups=[network.gateway_security_group.id],
                assign_public_ip=False,
            ),
            load_balancers=[
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=group.arn, container_name=CONTAINER_NAME, container_port=port
                )
                for port, group in network.target_groups.items()
            ],
            tags=args.tags,
            # ECS refuses a target group not yet attached to a load balancer
            # (CreateService: "does not have an associated load balancer").
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=network.listeners,
                # Scaling owns the task count once the service exists: an update must not
                # reset it (pulumi-aws ecs/service.py, "Ignoring Changes to Desired Count":
                # "ignore any changes to that count caused externally (e.g., Application
                # Auto Scaling)").
                ignore_changes=None if isinstance(size, int) else ["desiredCount"],
            ),
        )
        if isinstance(size, Autoscaling):
            _cpu_target_tracking(name, cluster, service, size, child)
        self.host = network.host
        self.register_outputs({"host": self.host})


def _cpu_target_tracking(
    name: str,
    cluster: aws.ecs.Cluster,
    service: aws.ecs.Service,
    scaling: Autoscaling,
    opts: pulumi.ResourceOptions,
) -> aws.appautoscaling.Policy:
    """The service's task count between ``scaling.min`` and ``max``, tracking average CPU.

    The scalable target is ``service/<cluster>/<service>`` on ``ecs:service:DesiredCount``
    (Application Auto Scaling API, RegisterScalableTarget ``ResourceId``); the policy's
    predefined metric ``ECSServiceAverageCPUUtilization`` (Amazon ECS Developer Guide,
    "Target tracking scaling policies").
    """
    target = aws.appautoscaling.Target(
        f"{name}-scaling-target",
        service_namespace="ecs",
        scalable_dimension="ecs:service:DesiredCount",
        resource_id=pulumi.Output.concat("service/", cluster.name, "/", service.name),
        min_capacity=scaling.min,
        max_capacity=scaling.max,
        opts=opts,
    )
    return aws.appautoscaling.Policy(
        f"{name}-cpu-target",
        policy_type="TargetTrackingScaling",
        service_namespace=target.service_namespace,
        scalable_dimension=target.scalable_dimension,
        resource_id=target.resource_id,
        target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
            predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                predefined_metric_type="ECSServiceAverageCPUUtilization"
            ),
            target_value=float(scaling.target_cpu_percent),
        ),
        opts=opts,
    )


def ecs_gateway(
    name: str, site: EcsSite, inputs: ComputeInputs, opts: pulumi.ResourceOptions
) -> EcsGateway:
    """The ECS Gateway of ``site`` (``vpc_id``, ``subnets``, ``tls_certificate_arn``)."""
    settings = inputs.settings
    return EcsGateway(
        name,
        EcsGatewayArgs(
            network=GatewayNetworkArgs.of_site(
                site, settings, resource_prefix=inputs.resource_prefix, tags=inputs.tags
            ),
            image=settings.image,
            task_role_arn=inputs.identity_role_arn,
            environment=inputs.environment(),
            account_id=inputs.account_id,
            region=inputs.region,
            partition=inputs.partition,
            size=gateway_size(settings),
            cpu=settings.cpu,
            memory_mib=settings.memory_mib,
            log_retention_days=settings.log_retention_days,
            resource_prefix=inputs.resource_prefix,
            iam_path=inputs.iam_path,
            permissions_boundary_arn=inputs.permissions_boundary_arn,
            tags=inputs.tags,
        ),
        opts,
    )
