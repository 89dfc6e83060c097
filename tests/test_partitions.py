"""GovCloud and China: the render of a whole org there satisfies every rule of this round."""

from __future__ import annotations

import json

import pytest
import yaml

from akeyless_gateway_org.components.aws_names import name_problems
from akeyless_gateway_org.config.validation import parse_org
from akeyless_gateway_org.review.render import policy_violations, render
from tests.conftest import DISTRIBUTED_EXAMPLE

AUTH_METHOD = "akeyless:index/authMethodAwsIam:AuthMethodAwsIam"


@pytest.mark.parametrize(
    ("partition", "region", "sts"),
    [
        ("aws-us-gov", "us-gov-west-1", "https://sts.us-gov-west-1.amazonaws.com"),
        ("aws-cn", "cn-north-1", "https://sts.cn-north-1.amazonaws.com.cn"),
    ],
)
def test_the_distributed_example_moved_to_another_partition_renders_clean(
    partition: str, region: str, sts: str
) -> None:
    text = DISTRIBUTED_EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("arn:aws:", f"arn:{partition}:").replace("us-east-1", region)
    data = yaml.safe_load(text)
    # The provider's own aws_iam login signs for the global STS only: api_key there.
    data["akeyless"]["login"] = "api_key"
    stacks = render(parse_org(data, f"{partition}.yaml"))
    assert policy_violations(stacks) == []
    resources = [resource for stack in stacks for resource in stack.resources]
    assert [problem for r in resources for problem in name_problems(r.type, r.name, r.inputs)] == []
    arns = [
        value
        for r in resources
        for value in json.dumps(r.inputs).split('"')
        if value.startswith("arn:")
    ]
    assert arns and all(arn.startswith(f"arn:{partition}:") for arn in arns)
    assert {r.inputs["stsUrl"] for r in resources if r.type == AUTH_METHOD} == {sts}
