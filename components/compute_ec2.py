"""EC2 compute: an Auto Scaling group of Amazon Linux 2023 instances running the Gateway's image.

A launch template (the AMI from its public SSM parameter, IMDSv2 required with hop limit 2,
an encrypted gp3 root volume, no public IP unless asked, user data that runs the pinned image
with Docker, publishing the Gateway's ports) and an Auto Scaling group over the subnets, behind
the internal load balancer of :mod:`gateway_network`: a fixed size, or a target-tracking policy
on average CPU. The instances run as the Gateway identity's instance profile.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from akeyless_gateway_org.components.compute_base import (
    EC2_TYPE,
    ComputeInputs,
    GatewayComputeComponent,
    gateway_size,
)
from akeyless_gateway_org.components.gateway_network import GatewayNetwork, GatewayNetworkArgs
from akeyless_gateway_org.components.gateway_runtime import AL2023_AMI_PARAMETER, ec2_user_data
from akeyless_gateway_org.config.model import Autoscaling, Ec2Site


@dataclass(frozen=True)
class Ec2GatewayArgs:
    """Inputs of :class:`Ec2Gateway`."""

    network: GatewayNetworkArgs
    """The load balancer in front, and the subnets the instances run in."""
    image: str
    """The Gateway's container image (a pinned release)."""
    instance_profile_name: pulumi.Input[str]
    """The Gateway identity's instance profile."""
    environment: pulumi.Output[Mapping[str, str]]
    """The container's environment (``gateway_runtime.gateway_environment``)."""
    size: int | Autoscaling = 2
    """A fixed number of instances, or the bounds and CPU target of target tracking."""
    instance_type: str = "t3.medium"
    root_volume_gib: int = 30
    associate_public_ip: bool = False
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.size, int) and self.size < 1:
            raise ValueError(f"an EC2 Gateway needs at least one instance, got {self.size}")


class Ec2Gateway(GatewayComputeComponent):
    """The Gateway on an Auto Scaling group behind an internal NLB. Output ``host``."""

    host: pulumi.Output[str]

    def __init__(
        self, name: str, args: Ec2GatewayArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(EC2_TYPE, name, opts)
        child = pulumi.ResourceOptions(parent=self)
        network = GatewayNetwork(name, args.network, target_type="instance", parent=self)
        image, services = args.image, args.network.services
        user_data = args.environment.apply(
            lambda environment: base64.b64encode(
                ec2_user_data(environment, image, services).encode()
            ).decode()
        )
        template = aws.ec2.LaunchTemplate(
            f"{name}-launch-template",
            image_id=f"resolve:ssm:{AL2023_AMI_PARAMETER}",
            instance_type=args.instance_type,
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
                        volume_size=args.root_volume_gib,
                        volume_type="gp3",
                        delete_on_termination="true",
                    ),
                )
            ],
            network_interfaces=[
                aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                    associate_public_ip_address=str(args.associate_public_ip).lower(),
                    security_groups=[network.gateway_security_group.id],
                )
            ],
            user_data=user_data,
            update_default_version=True,
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=args.tags)
                for kind in ("instance", "volume")
            ],
            tags=args.tags,
            opts=child,
        )
        size = args.size
        least, most = (size, size) if isinstance(size, int) else (size.min, size.max)
        group = aws.autoscaling.Group(
            f"{name}-asg",
            min_size=least,
            max_size=most,
            # Target tracking sets the desired capacity; left out, the group starts at
            # min_size and an update never resets what scaling chose (pulumi-aws
            # autoscaling.Group, desired_capacity: "Number of Amazon EC2 instances that
            # should be running in the group", defaulting to min_size).
            desired_capacity=size if isinstance(size, int) else None,
            vpc_zone_identifiers=list(args.network.subnets),
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            target_group_arns=[group.arn for group in network.target_groups.values()],
            health_check_type="ELB",
            health_check_grace_period=300,
            instance_refresh=aws.autoscaling.GroupInstanceRefreshArgs(strategy="Rolling"),
            tags=[
                aws.autoscaling.GroupTagArgs(key=key, value=value, propagate_at_launch=True)
                for key, value in args.tags.items()
            ],
            opts=child,
        )
        if isinstance(size, Autoscaling):
            # Target tracking on the group's average CPU (EC2 Auto Scaling User Guide,
            # "Target tracking scaling policies", predefined metric ASGAverageCPUUtilization).
            aws.autoscaling.Policy(
                f"{name}-cpu-target",
                autoscaling_group_name=group.name,
                policy_type="TargetTrackingScaling",
                target_tracking_configuration=aws.autoscaling.PolicyTargetTrackingConfigurationArgs(
                    predefined_metric_specification=aws.autoscaling.PolicyTargetTrackingConfigurationPredefinedMetricSpecificationArgs(
                        predefined_metric_type="ASGAverageCPUUtilization"
                    ),
                    target_value=float(size.target_cpu_percent),
                ),
                opts=child,
            )
        self.host = network.host
        self.register_outputs({"host": self.host})


def ec2_gateway(
    name: str, site: Ec2Site, inputs: ComputeInputs, opts: pulumi.ResourceOptions
) -> Ec2Gateway:
    """The EC2 Gateway of ``site`` (``vpc_id``, ``subnets``, ``tls_certificate_arn``)."""
    if inputs.instance_profile_name is None:
        raise ValueError("an EC2 Gateway needs the identity's instance profile")
    settings = inputs.settings
    return Ec2Gateway(
        name,
        Ec2GatewayArgs(
            network=GatewayNetworkArgs.of_site(
                site, settings, resource_prefix=inputs.resource_prefix, tags=inputs.tags
            ),
            image=settings.image,
            instance_profile_name=inputs.instance_profile_name,
            environment=inputs.environment(),
            size=gateway_size(settings),
            instance_type=settings.instance_type,
            root_volume_gib=settings.root_volume_gib,
            associate_public_ip=settings.associate_public_ip,
            tags=inputs.tags,
        ),
        opts,
    )
