"""A stack's Pulumi config: the settings object, its round trip, clear errors, the CLI's
rules on every stack file orgctl writes and on the README's, and Pulumi.yaml in step."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from akeyless_gateway_org.config.model import Capabilities, CapabilitySettings, OrgDeployment
from akeyless_gateway_org.config.pulumi_stack import read_stack_config
from akeyless_gateway_org.config.stack_config import (
    ACCESS_KEY_KEY,
    SETTINGS_KEY,
    AccountStackConfig,
    HubStackConfig,
    MemberStackConfig,
    OrgStackConfig,
    parse_stack_config,
    setting_docs,
    stack_settings,
    stack_variants,
)
from akeyless_gateway_org.config.stacks import StackSpec, plan_stacks, stack_name
from akeyless_gateway_org.config.validation import ConfigError
from akeyless_gateway_org.project import PROJECT_DIR
from akeyless_gateway_org.review.render import config_strings, record_program, render_stack
from akeyless_gateway_org.run.pulumi_runner import AutomationRunner
from tests.conftest import load_script
from tests.pulumi_config_rules import check_stack_config, check_stack_file, load_project

pulumi_yaml = load_script("pulumi_yaml")
PULUMI_YAML = pulumi_yaml.PULUMI_YAML
config_declarations = pulumi_yaml.config_declarations
config_section = pulumi_yaml.config_section

PROJECT = "akeyless-gateway-org"
README = PROJECT_DIR / "README.md"


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
    assert isinstance(org_stack.config, OrgStackConfig)
    assert isinstance(hub.config, HubStackConfig)
    assert isinstance(prod.config, MemberStackConfig)
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
    assert isinstance(plan[0].config, OrgStackConfig)
    assert plan[0].config.gateway_account_ids == ("333333333333", "444444444444")


def test_stack_names() -> None:
    assert stack_name("org") == "org"
    assert stack_name("member", "123456789012") == "member-123456789012"
    with pytest.raises(ValueError):
        stack_name("account")


def test_settings_round_trip_through_the_strings_the_engine_hands_over(
    centralized_org: OrgDeployment, distributed_org: OrgDeployment
) -> None:
    for spec in [*plan_stacks(centralized_org), *plan_stacks(distributed_org)]:
        as_engine_hands_it = config_strings(spec, "p")
        assert list(as_engine_hands_it) == [f"p:{SETTINGS_KEY}"]
        settings = json.loads(as_engine_hands_it[f"p:{SETTINGS_KEY}"])
        assert parse_stack_config(settings) == spec.config


def test_settings_hold_only_what_differs_from_the_defaults(
    centralized_org: OrgDeployment,
) -> None:
    hub = stack_settings(plan_stacks(centralized_org)[1].config)
    assert hub["stack_kind"] == "hub" and hub["account_id"] == "222222222222"
    assert hub["subnets"] == {
        "subnet-0a1b2c3d4e5f60001": "us-east-1a",
        "subnet-0a1b2c3d4e5f60002": "us-east-1b",
    }
    assert "iam" not in hub  # the example's IAM names are the defaults
    assert "compute" not in hub and "pulumi_organization" not in hub


def test_the_access_key_is_never_part_of_the_settings(centralized_org: OrgDeployment) -> None:
    config = plan_stacks(centralized_org)[0].config.model_copy(
        update={"akeyless_access_key": "s3cr3t-key"}
    )
    assert "s3cr3t-key" not in json.dumps(stack_settings(config))
    settings = stack_settings(config)
    assert parse_stack_config(settings, {ACCESS_KEY_KEY: "s3cr3t-key"}) == config
    with pytest.raises(ConfigError, match="config set --secret akeylessAccessKey") as caught:
        parse_stack_config({**settings, "akeyless_access_key": "s3cr3t-key"})
    assert [p.path for p in caught.value.problems] == ["settings.akeyless_access_key"]


def test_stack_config_errors_name_the_field_under_settings(
    centralized_org: OrgDeployment,
) -> None:
    settings = stack_settings(plan_stacks(centralized_org)[2].config)
    settings |= {
        "iam": {"gateway_role_name": "bad name"},
        "dynamic_iam_user": {"enabled": True, "policy_arns": ["nope"]},
        "regionz": ["us-east-1"],
        "tags": ["no-mapping"],
    }
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(settings)
    assert {p.path for p in caught.value.problems} == {
        "settings.iam.gateway_role_name",
        "settings.dynamic_iam_user.policy_arns[0]",
        "settings.regionz",
        "settings.tags",
    }
    with pytest.raises(ConfigError, match="must be an object of settings, got a list"):
        parse_stack_config(["stack_kind", "hub"])


def test_kind_and_pattern_must_agree(centralized_org: OrgDeployment) -> None:
    settings = stack_settings(plan_stacks(centralized_org)[2].config)
    del settings["hub_account_id"]
    with pytest.raises(ConfigError, match="hub_account_id"):
        parse_stack_config(settings)
    settings = stack_settings(plan_stacks(centralized_org)[1].config) | {"pattern": "distributed"}
    with pytest.raises(
        ConfigError,
        match=r"settings\.pattern: Input should be 'centralized' when stack_kind is hub",
    ):
        parse_stack_config(settings)


def refused(settings: dict[str, Any]) -> dict[str, str]:
    """The problems of ``settings`` by path, which must be refused."""
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(settings)
    return {problem.path: problem.message for problem in caught.value.problems}


def test_a_field_the_stack_kind_does_not_have_is_refused_by_name(
    centralized_org: OrgDeployment, distributed_org: OrgDeployment
) -> None:
    org_stack, hub, member, *_ = [stack_settings(s.config) for s in plan_stacks(centralized_org)]
    _, account, eks_account = [stack_settings(s.config) for s in plan_stacks(distributed_org)]
    vpc = {"vpc_id": hub["vpc_id"]}
    assert refused(member | vpc) == {
        "settings.vpc_id": "not a setting when stack_kind is member "
        "(check its spelling; see the settings comment in Pulumi.yaml)"
    }
    assert set(refused(org_stack | vpc)) == {"settings.vpc_id"}
    assert set(refused(org_stack | {"gateway": hub["gateway"]})) == {"settings.gateway"}
    assert set(refused(hub | {"dynamic_iam_user": {"enabled": True}})) == {
        "settings.dynamic_iam_user"
    }
    assert set(refused(account | {"hub_account_id": "222222222222"})) == {"settings.hub_account_id"}
    assert (
        "stack_kind is member"
        in refused(member | {"gateway_account_ids": []})["settings.gateway_account_ids"]
    )
    assert eks_account["compute"] == "eks"
    assert set(refused(eks_account | {"compute": "ecs"})) == {
        "settings.eks_cluster_name",
        "settings.eks_oidc_provider_arn",
    }


def test_a_site_field_of_another_compute_kind_is_refused_by_name(
    centralized_org: OrgDeployment,
) -> None:
    hub = stack_settings(plan_stacks(centralized_org)[1].config)
    assert "compute" not in hub  # ec2, the default
    assert refused(hub | {"eks_cluster_name": "hub"}) == {
        "settings.eks_cluster_name": "not a setting when compute is ec2 "
        "(check its spelling; see the settings comment in Pulumi.yaml)"
    }
    eks_hub = {k: v for k, v in hub.items() if k != "vpc_id"} | {
        "compute": "eks",
        "eks_cluster_name": "hub",
    }
    assert refused(eks_hub) == {
        "settings.subnets": "not a setting when compute is eks "
        "(check its spelling; see the settings comment in Pulumi.yaml)"
    }


def test_the_kind_keys_are_named_when_missing_or_unknown(
    centralized_org: OrgDeployment,
) -> None:
    hub = stack_settings(plan_stacks(centralized_org)[1].config)
    assert refused({k: v for k, v in hub.items() if k != "stack_kind"}) == {
        "settings.stack_kind": "required: one of 'org', 'hub', 'member', 'account', 'enroll'"
    }
    assert refused(hub | {"compute": "lambda"}) == {
        "settings.compute": "must be one of 'ec2', 'ecs', 'eks', got 'lambda'"
    }


def test_the_capabilities_are_declared_once() -> None:
    """The stack configs inherit the four capabilities; no model declares them again."""
    names = set(CapabilitySettings.model_fields)
    assert names == set(Capabilities.model_fields) - {"unsafe_allow_privileged_grants"}
    models: list[type[BaseModel]] = [model for _, model in stack_variants()]
    models += [Capabilities, MemberStackConfig, AccountStackConfig]
    for model in models:
        for cls in model.__mro__:
            own = (
                set(getattr(cls, "__annotations__", {})) if cls is not CapabilitySettings else set()
            )
            assert not own & names, f"{cls.__name__} declares {sorted(own & names)} again"
        if names & set(model.model_fields):
            assert issubclass(model, CapabilitySettings)


def test_pulumi_yaml_names_the_kinds_of_each_field() -> None:
    text = PULUMI_YAML.read_text()
    for line in (
        "vpc_id: string  (hub, account; ec2, ecs)",
        "eks_cluster_name: string  (hub, account; eks)",
        "dynamic_iam_user.enabled: boolean = false  (member, account)",
        "gateway_account_ids: list of string  (org)",
        "hub_account_id: string  (org, hub, member; required for member)",
        "organization_id: string  (hub)",
        "account_id*: string",  # every kind: no list
    ):
        assert re.search(rf"^  #   {re.escape(line)}$", text, re.MULTILINE), line


def test_pulumi_yaml_declares_the_settings_and_documents_every_field() -> None:
    text = PULUMI_YAML.read_text()
    assert text.endswith(config_section()), "run: python scripts/pulumi_yaml.py"
    project = yaml.safe_load(text)
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == ".venv"
    assert project["config"] == config_declarations()
    load_project(project)  # as the CLI loads it: known attributes and types only
    for doc in setting_docs():
        assert re.search(rf"^  #   {re.escape(doc.path)}\*?: ", text, re.MULTILINE), doc.path
        assert doc.description, f"{doc.path} has no description"


# --- the CLI's rules on every stack file ------------------------------------------


def _written_stack_files(org: OrgDeployment, state_dir: Path) -> list[tuple[Path, str]]:
    """Each stack's work dir and name, with the files the Automation API runner wrote."""
    runner = AutomationRunner(state_dir=state_dir)
    written = []
    for spec in plan_stacks(org):
        work_dir = runner._work_dir(spec.name)
        runner._write_config(spec)
        written.append((work_dir, spec.name))
    return written


@pytest.mark.parametrize("example", ["centralized_org", "distributed_org"])
def test_every_stack_file_orgctl_writes_passes_the_clis_config_rules(
    example: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    org: OrgDeployment = request.getfixturevalue(example)
    written = _written_stack_files(org, tmp_path)
    assert len(written) == len(plan_stacks(org))
    for work_dir, stack in written:
        check_stack_file(work_dir, stack)  # raises ConfigRejected with the CLI's message


def readme_stack_files() -> dict[str, dict[str, Any]]:
    """The hand-written ``Pulumi.<stack>.yaml`` blocks of the README, by stack name."""
    blocks = re.findall(r"```yaml\n# Pulumi\.([\w-]+)\.yaml\n(.*?)```", README.read_text(), re.S)
    return {stack: yaml.safe_load(body) for stack, body in blocks}


def test_the_readme_shows_a_stack_file_for_every_stack_kind() -> None:
    files = readme_stack_files()
    kinds = {
        document["config"][f"{PROJECT}:{SETTINGS_KEY}"]["stack_kind"] for document in files.values()
    }
    assert kinds == {"org", "hub", "member", "account"}


@pytest.mark.parametrize("stack", sorted(readme_stack_files()))
def test_the_readme_stack_files_pass_the_clis_rules_and_the_programs(stack: str) -> None:
    document = readme_stack_files()[stack]
    project = load_project(yaml.safe_load(PULUMI_YAML.read_text()))
    check_stack_config(project, stack, document["config"])
    config = parse_stack_config(document["config"][f"{PROJECT}:{SETTINGS_KEY}"])
    assert stack_name(config.stack_kind, config.account_id) == stack
    # And the program builds the stack from it: a first preview, nothing deployed yet.
    spec = StackSpec(stack, config.stack_kind, 0, config.account_id, config)
    assert render_stack(spec, PROJECT, earlier_outputs={}, preview=True).resources


# --- the program's read side ------------------------------------------------------


def read_in_program(config: dict[str, str], secret_keys: tuple[str, ...] = ()) -> Any:
    """What ``read_stack_config`` returns, or the ConfigError it raises, under the mocks."""
    captured: dict[str, Any] = {}

    def program() -> None:
        try:
            captured["read"] = read_stack_config()
        except ConfigError as error:
            captured["read"] = error

    record_program(program, project=PROJECT, stack="org", config=config, secret_keys=secret_keys)
    return captured["read"]


def test_the_program_reads_the_settings_and_a_secure_access_key(
    centralized_org: OrgDeployment,
) -> None:
    spec = plan_stacks(centralized_org)[0]
    config = config_strings(spec, PROJECT) | {f"{PROJECT}:{ACCESS_KEY_KEY}": "s3cr3t"}
    read = read_in_program(config, secret_keys=(f"{PROJECT}:{ACCESS_KEY_KEY}",))
    assert read == spec.config.model_copy(update={"akeyless_access_key": "s3cr3t"})


def test_the_program_refuses_a_plain_access_key_and_unknown_keys(
    centralized_org: OrgDeployment,
) -> None:
    config = config_strings(plan_stacks(centralized_org)[0], PROJECT)
    error = read_in_program(
        config | {f"{PROJECT}:{ACCESS_KEY_KEY}": "s3cr3t", f"{PROJECT}:stackKind": "org"}
    )
    assert isinstance(error, ConfigError)
    assert {p.path for p in error.problems} == {ACCESS_KEY_KEY, "stackKind"}
    assert "s3cr3t" not in str(error) and "config set --secret" in str(error)
    missing = read_in_program({})
    assert isinstance(missing, ConfigError)
    assert [p.path for p in missing.problems] == [SETTINGS_KEY]
