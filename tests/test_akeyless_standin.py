"""The schema-checked stand-in rejects what the real provider would reject."""

from __future__ import annotations

import json

import pytest

from scripts.render import record_program
from tests.akeyless_standin import SchemaError, build_standin, load_schema

sdk = build_standin()


def test_every_schema_resource_and_type_has_a_class() -> None:
    schema = load_schema()
    for spec in [*schema["resources"].values(), *schema["types"].values()]:
        assert hasattr(sdk, spec["python_class"]), spec["python_class"]
    assert hasattr(sdk, "Provider")


def test_registers_the_real_token_with_wire_names() -> None:
    resources = record_program(
        lambda: sdk.TargetAws(
            "target",
            name="/org/aws/333333333333/target",
            access_key_id="unused",
            use_gw_cloud_identity=True,
            role_arn="arn:aws:iam::333333333333:role/x",
            generate_external_id=True,
        ),
        project="t",
        stack="t",
        config={},
    )
    (target,) = resources.resources
    assert target.type == "akeyless:index/targetAws:TargetAws"
    assert target.raw_inputs == {
        "name": "/org/aws/333333333333/target",
        "accessKeyId": "unused",
        "useGwCloudIdentity": True,
        "roleArn": "arn:aws:iam::333333333333:role/x",
        "generateExternalId": True,
    }


def test_nested_args_become_wire_dicts() -> None:
    resources = record_program(
        lambda: sdk.Role(
            "role",
            name="/org/gateways",
            rules=[
                sdk.RoleRuleArgs(
                    capabilities=["read", "list"], path="/org/*", rule_type="item-rule"
                )
            ],
        ),
        project="t",
        stack="t",
        config={},
    )
    assert resources.resources[0].raw_inputs["rules"] == [
        {"capabilities": ["read", "list"], "path": "/org/*", "ruleType": "item-rule"}
    ]
    assert json.dumps(resources.resources[0].raw_inputs)


def test_unknown_argument_is_rejected() -> None:
    with pytest.raises(SchemaError, match="use_gateway_identity"):
        sdk.TargetAws("t", name="n", access_key_id="x", use_gateway_identity=True)


def test_missing_required_argument_is_rejected() -> None:
    with pytest.raises(SchemaError, match="bound_aws_account_ids"):
        sdk.AuthMethodAwsIam("am", name="/org/am")
    with pytest.raises(SchemaError, match="path"):
        sdk.RoleRuleArgs(capabilities=["read"])


def test_provider_accepts_only_schema_logins() -> None:
    with pytest.raises(SchemaError, match="password"):
        sdk.Provider("p", password="x")
