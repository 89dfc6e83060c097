"""The stand-ins' table of forced-new properties covers every property this program sets.

tests/engine/standin_rules.py classifies each registered property as replaced or updated in
place by the real provider; a type or property the program starts to set without a row
there would silently update in place in every engine test.
"""

from __future__ import annotations

from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.validation import parse_org
from tests.conftest import example_document
from tests.engine.standin_rules import ALL_SET_PROPERTIES, REPLACE_ON, replaced_properties
from tests.test_components import rendered

PROGRAM_ONLY = ("akeyless-gateway:", "pulumi:providers:", "pulumi-python:dynamic/")
"""Components, providers and dynamic resources: no stand-in serves them."""


def enrolled_centralized() -> OrgDeployment:
    """The centralized example with the optional enroll stack (README.md, "Auto-enrolment"),
    its selection such that every rule, the move one too, is made."""
    secret = "arn:aws:secretsmanager:us-east-1:111111111111:secret:github-token-AbCdEf"
    return parse_org(
        example_document()
        | {
            "discovery": {"source": "organizations", "exclude_ous": ["ou-ab12-abcdefgh"]},
            "enrollment": {"github": {"repository": "o/r", "token_secret_arn": secret}},
        }
    )


def test_every_registered_property_is_classified(distributed_org: OrgDeployment) -> None:
    unclassified = sorted(
        f"{resource.type}.{name}"
        for org in (enrolled_centralized(), distributed_org)
        for render in rendered(org)
        for resource in render.resources
        if not resource.type.startswith(PROGRAM_ONLY)
        for name in resource.raw_inputs
        if name not in ALL_SET_PROPERTIES.get(resource.type, ())
    )
    assert unclassified == []
    assert set(REPLACE_ON) <= set(ALL_SET_PROPERTIES)


def test_a_forced_new_property_is_a_replacement_and_another_is_not() -> None:
    group = "aws:lb/targetGroup:TargetGroup"
    old = {"vpcId": "vpc-1", "port": 8000, "tags": {"a": "1"}}
    assert replaced_properties(group, old, {**old, "vpcId": "vpc-2"}) == ["vpcId"]
    assert replaced_properties(group, old, {**old, "tags": {"a": "2"}}) == []
    service = "kubernetes:core/v1:Service"
    named = {"metadata": {"name": "gw", "labels": {"a": "1"}}}
    assert replaced_properties(service, named, {"metadata": {"name": "gw2"}}) == ["metadata.name"]
    assert replaced_properties(service, named, {"metadata": {"name": "gw"}}) == []
