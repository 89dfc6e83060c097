"""The schema-driven Akeyless SDK rejects what the real provider would reject."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

from akeyless_gateway_org.components.akeyless_sdk import (
    PROVIDER_SDK_HINT,
    MissingProviderSdk,
    SchemaError,
    load_schema,
    load_sdk,
    schema_sdk,
    selected,
)
from akeyless_gateway_org.config.stacks import plan_stacks
from akeyless_gateway_org.config.validation import load_org_file
from akeyless_gateway_org.project import PROJECT_DIR, project_name
from akeyless_gateway_org.review.render import config_strings, record_program, render
from tests.conftest import CENTRALIZED_EXAMPLE, DISTRIBUTED_EXAMPLE

sdk = schema_sdk().module


def test_every_schema_resource_and_type_has_a_class() -> None:
    schema = load_schema()
    for spec in [*schema["resources"].values(), *schema["types"].values()]:
        assert hasattr(sdk, spec["python_class"]), spec["python_class"]
    assert hasattr(sdk, "Provider")


def _names_used(path: Path) -> set[str]:
    """Every ``pulumi_akeyless.<Name>`` the file uses."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "pulumi_akeyless"
    }


def test_the_schema_has_every_class_the_components_use() -> None:
    used = set().union(*(_names_used(path) for path in (PROJECT_DIR / "components").glob("*.py")))
    assert {"Provider", "TargetAws", "RoleRuleArgs"} <= used  # the scan sees the components
    assert {name for name in used if not hasattr(sdk, name)} == set()


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


def test_provider_2_0_0_inputs_the_old_hand_written_schema_missed_are_accepted() -> None:
    """Deprecated in 2.0.0 but still there; GatewayAllowedAccess's optional computed inputs."""
    sdk.DynamicSecretAws("d", name="/d", secure_access_bastion_issuer="/issuer")
    sdk.Role("r", name="/r", assoc_auth_methods=[sdk.RoleAssocAuthMethodArgs(am_name="/am")])
    sdk.GatewayAllowedAccess("g", name="g", access_id="p-1", is_valid=True, editable=False)


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


def test_a_wrong_input_name_in_a_component_fails_the_render(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The render of an example through the schema classes catches a misspelt keyword."""
    real_target = sdk.TargetAws

    def misspelt(resource_name: str, /, **kwargs: object) -> object:
        kwargs["use_gateway_cloud_identity"] = kwargs.pop("use_gw_cloud_identity")
        return real_target(resource_name, **kwargs)

    monkeypatch.setattr(sdk, "TargetAws", misspelt)
    with pytest.raises(Exception, match=r"unknown argument.*use_gateway_cloud_identity"):
        render(load_org_file(DISTRIBUTED_EXAMPLE), schema_sdk())


def test_without_the_generated_sdk_the_render_falls_back_to_the_schema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pulumi_akeyless", None)  # import fails as if absent
    chosen = load_sdk(schema_fallback=True)
    assert chosen.kind == "schema"
    assert "akeyless-cdktf==2.0.0" in chosen.describe()
    with pytest.raises(MissingProviderSdk, match="pulumi install"):
        load_sdk(schema_fallback=False)


def test_the_pulumi_program_without_the_generated_sdk_says_run_pulumi_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``pulumi up`` runs the program with nothing selected: no fallback, a clear error."""
    from akeyless_gateway_org.components.program import main

    monkeypatch.setitem(sys.modules, "pulumi_akeyless", None)
    spec = plan_stacks(load_org_file(CENTRALIZED_EXAMPLE))[0]
    project = project_name()
    config = config_strings(spec, project)
    with selected(None), pytest.raises(Exception, match="pulumi install") as raised:
        record_program(main, project=project, stack=spec.name, config=config)
    assert PROVIDER_SDK_HINT in str(raised.value)


def test_the_schema_module_installed_as_pulumi_akeyless_is_still_reported_as_schema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a real-engine test's shim does: the program then imports the schema classes."""
    monkeypatch.setitem(sys.modules, "pulumi_akeyless", schema_sdk().module)
    assert load_sdk(schema_fallback=False).kind == "schema"
