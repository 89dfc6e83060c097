"""A stack's flat Pulumi config: round trip, clear errors, and Pulumi.yaml in step."""

from __future__ import annotations

import pytest
import yaml

from config.model import OrgDeployment
from config.stack_config import flat_keys, flatten, parse_stack_config
from config.stacks import plan_stacks, stack_name
from config.validation import ConfigError
from scripts.pulumi_yaml import PULUMI_YAML, config_declarations
from scripts.render import config_strings


def test_plan_centralized(centralized_org: OrgDeployment) -> None:
    plan = plan_stacks(centralized_org)
    assert [(s.name, s.kind, s.phase, s.account_id) for s in plan] == [
        ("org", "org", 0, "111111111111"),
        ("hub", "hub", 1, "222222222222"),
        ("member-333333333333", "member", 2, "333333333333"),
        ("member-444444444444", "member", 2, "444444444444"),
        ("member-555555555555", "member", 2, "555555555555"),
    ]
    org_stack, hub, prod, _, data = plan
    assert org_stack.config.gateway_account_ids == ("222222222222",)
    assert hub.config.capabilities.dynamic_iam_user.enabled is False  # the hub only hops
    assert prod.config.hub_account_id == "222222222222"
    assert data.config.regions == ("eu-west-1",)
    assert prod.config.tags == {
        "owner": "platform-security",
        "managed-by": "pulumi",
        "environment": "prod",
    }


def test_plan_distributed(distributed_org: OrgDeployment) -> None:
    plan = plan_stacks(distributed_org)
    assert [(s.name, s.phase) for s in plan] == [
        ("org", 0),
        ("account-333333333333", 1),
        ("account-444444444444", 1),
    ]
    assert plan[0].config.gateway_account_ids == ("333333333333", "444444444444")


def test_stack_names() -> None:
    assert stack_name("org") == "org"
    assert stack_name("member", "123456789012") == "member-123456789012"
    with pytest.raises(ValueError):
        stack_name("account")


def test_flat_config_round_trips_through_pulumi_strings(centralized_org: OrgDeployment) -> None:
    for spec in plan_stacks(centralized_org):
        as_engine_hands_it = {
            key.split(":", 1)[1]: value for key, value in config_strings(spec, "p").items()
        }
        assert all(isinstance(v, str) for v in as_engine_hands_it.values())
        assert parse_stack_config(as_engine_hands_it) == spec.config


def test_flat_key_names() -> None:
    names = [key.name for key in flat_keys()]
    assert "iamGatewayRoleName" in names
    assert "dynamicIamUserPolicyArns" in names
    assert "uscSecretsManagerKmsKeyArn" in names
    assert len(names) == len(set(names))


def test_stack_config_errors_name_the_flat_key(centralized_org: OrgDeployment) -> None:
    flat = flatten(plan_stacks(centralized_org)[2].config)
    flat |= {
        "iamGatewayRoleName": "bad name",
        "dynamicIamUserPolicyArns": '["nope"]',
        "regionz": "us-east-1",
        "tags": '["no-equals-sign"]',
    }
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(flat)
    paths = {p.path for p in caught.value.problems}
    assert paths == {"regionz", "tags"}  # first the keys and shapes
    del flat["regionz"], flat["tags"]
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(flat)
    assert {p.path for p in caught.value.problems} == {
        "iamGatewayRoleName",
        "dynamicIamUserPolicyArns[0]",
    }


def test_kind_and_pattern_must_agree(centralized_org: OrgDeployment) -> None:
    flat = flatten(plan_stacks(centralized_org)[2].config)
    del flat["hubAccountId"]
    with pytest.raises(ConfigError, match="hubAccountId"):
        parse_stack_config(flat)
    flat = flatten(plan_stacks(centralized_org)[1].config) | {"pattern": "distributed"}
    with pytest.raises(ConfigError, match="centralized pattern"):
        parse_stack_config(flat)


def test_pulumi_yaml_declares_every_stack_setting() -> None:
    project = yaml.safe_load(PULUMI_YAML.read_text())
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == ".venv"
    declared = project["config"]
    assert declared == config_declarations(), "run: python -m scripts.pulumi_yaml"
    for name, entry in declared.items():
        assert entry["type"] in {"string", "boolean", "integer", "array"}, name
        assert entry["description"], f"{name} has no description"
