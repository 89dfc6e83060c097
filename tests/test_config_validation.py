"""The org file validator: good files load, every bad input is named by its field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from akeyless_gateway_org.cli import main
from akeyless_gateway_org.config.model import OrgDeployment, SiteBase
from akeyless_gateway_org.config.validation import ConfigError, field_path, load_org_file, parse_org
from tests.conftest import DISTRIBUTED_EXAMPLE, example_document


def problems_of(data: Any) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_org(data, "test.yaml")
    return {problem.path: problem.message for problem in caught.value.problems}


def test_examples_load(centralized_org: OrgDeployment, distributed_org: OrgDeployment) -> None:
    assert centralized_org.pattern == "centralized"
    assert centralized_org.hub is not None and centralized_org.hub.account_id == "222222222222"
    assert [a.id for a in centralized_org.accounts] == [
        "333333333333",
        "444444444444",
        "555555555555",
    ]
    assert distributed_org.pattern == "distributed"
    assert len(distributed_org.accounts) == 2


def test_defaults_fill_what_is_left_out() -> None:
    org = parse_org(
        {
            "pattern": "distributed",
            "management_account_id": "111111111111",
            "akeyless": {
                "login": "api_key",
                "login_access_id": "p-deployer01",
                "allow_plaintext_gateway_login_in_lab": True,
            },
            "gateway": {"allowed_cidrs": ["10.0.0.0/8"]},
            "accounts": [
                {
                    "id": "333333333333",
                    "vpc_id": "vpc-0123abcd",
                    "subnets": {"subnet-0123abcd": "us-east-1a", "subnet-4567abcd": "us-east-1b"},
                }
            ],
        }
    )
    assert org.regions == ("us-east-1",)
    assert org.akeyless.path == "/aws-org"
    assert org.akeyless.api_url == "https://api.akeyless.io"
    assert org.akeyless.auth_method_scope == "per_account"  # distributed: never shared
    assert isinstance(org.accounts[0], SiteBase)
    assert org.accounts[0].compute == "ec2"
    assert org.gateway.least_replicas == 2 and org.gateway.image == "akeyless/gateway:5.0.1"
    assert not org.gateway.associate_public_ip and not org.gateway.allow_internet_ingress
    assert org.bootstrap_role_name == "OrganizationAccountAccessRole"
    assert org.iam.gateway_role_name == "akeyless-gateway"
    assert org.iam.path == "/akeyless/"
    assert not org.capabilities_of(org.accounts[0]).usc_secrets_manager.enabled


def test_account_capabilities_replace_defaults_one_by_one(centralized_org: OrgDeployment) -> None:
    prod, staging, data = centralized_org.accounts
    prod_caps = centralized_org.capabilities_of(prod)
    assert prod_caps.usc_secrets_manager.kms_key_arn is not None  # replaced
    assert prod_caps.dynamic_iam_user == centralized_org.default_capabilities.dynamic_iam_user
    assert centralized_org.capabilities_of(data).rotated_access_keys.access_keys == {
        "svc-etl": "AKIAIOSFODNN7EXAMPLE"
    }
    assert not centralized_org.capabilities_of(staging).rotated_access_keys.enabled


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (lambda d: d["accounts"][2].update(id="12345"), "accounts[2].id", "12-digit"),
        (lambda d: d["accounts"][0].update(id="abcdefghijkl"), "accounts[0].id", "12-digit"),
        (lambda d: d["accounts"][1].update(id=12345678901), "accounts[1].id", "quote it"),
        (lambda d: d["accounts"][1].update(id="333333333333"), "accounts[1].id", "already"),
        (lambda d: d["accounts"][0].update(id="222222222222"), "accounts[0].id", "hub account"),
        (lambda d: d.update(pattern="mesh"), "pattern", "'centralized' or 'distributed'"),
        (lambda d: d["iam"].update(gateway_role_name="x" * 65), "iam.gateway_role_name", "1-64"),
        (
            lambda d: d["iam"].update(member_role_name="bad name!"),
            "iam.member_role_name",
            "IAM role",
        ),
        (lambda d: d["iam"].update(path="akeyless"), "iam.path", "IAM path"),
        (lambda d: d["iam"].update(path="/akeyless"), "iam.path", "IAM path"),
        (
            lambda d: d.update(regions=["us-east-1", "mars-north-1"]),
            "regions[1]",
            "unknown AWS region",
        ),
        (lambda d: d.update(regions=["us-east-1", "us-east-1"]), "regions[1]", "twice"),
        (
            lambda d: d["accounts"][0]["capabilities"]["dynamic_assume_role"].update(
                role_arns=["arn:aws:iam::333333333333:user/app"]
            ),
            "accounts[0].capabilities.dynamic_assume_role.role_arns[0]",
            "role ARN",
        ),
        (
            lambda d: d["accounts"][0]["capabilities"]["dynamic_assume_role"].update(
                role_arns=["arn:aws:iam::444444444444:role/app"]
            ),
            "accounts[0].capabilities.dynamic_assume_role.role_arns[0]",
            "outside account",
        ),
        (
            lambda d: d["default_capabilities"]["dynamic_iam_user"].update(
                policy_arns=["ReadOnly"]
            ),
            "default_capabilities.dynamic_iam_user.policy_arns[0]",
            "policy ARN",
        ),
        (
            lambda d: d["accounts"][0]["capabilities"]["usc_secrets_manager"].update(
                kms_key_arn="arn:aws:kms:us-east-1:1:key/x"
            ),
            "accounts[0].capabilities.usc_secrets_manager.kms_key_arn",
            "KMS key ARN",
        ),
        (lambda d: d.update(organization_id="org-1"), "organization_id", "o-"),
        (lambda d: d.update(hubb=d["hub"]), "hubb", "unknown key"),
        (lambda d: d["accounts"][0].update(nmae="typo"), "accounts[0].nmae", "unknown key"),
        (
            lambda d: d["iam"].update(permissions_boundary_arn="arn:aws:iam::1:policy/b"),
            "iam.permissions_boundary_arn",
            "policy ARN",
        ),
        (lambda d: d.pop("hub"), "hub", "required for the centralized pattern"),
        (lambda d: d.update(accounts=[]), "accounts", "at least one"),
        (lambda d: d.update(tags={"aws:owner": "x"}), "tags.aws:owner.[key]", "reserved"),
        (
            lambda d: d["default_capabilities"].update(rotated_access_keys={"enabled": True}),
            "default_capabilities.rotated_access_keys",
            "at least one user",
        ),
        (
            lambda d: d["accounts"][2]["capabilities"]["rotated_access_keys"].update(
                access_keys={"svc-etl": "not-a-key"}
            ),
            "accounts[2].capabilities.rotated_access_keys.access_keys.svc-etl",
            "access key ID",
        ),
        (lambda d: d["akeyless"].pop("login_access_id"), "akeyless", "login_access_id"),
        (lambda d: d["akeyless"].update(path="aws-org/"), "akeyless.path", "Akeyless path"),
        (
            lambda d: d["akeyless"].update(admin_access_ids=["admin"]),
            "akeyless.admin_access_ids[0]",
            "access ID",
        ),
        (
            lambda d: d["akeyless"].update(auth_method_scope="per_region"),
            "akeyless.auth_method_scope",
            "shared",
        ),
        (
            lambda d: d["hub"].update(gateway_url="ftp://gw:8000/api/v2"),
            "hub.gateway_url",
            "https://",
        ),
        (
            lambda d: d["accounts"][0].update(gateway_url="https://gw:8000/api/v2"),
            "accounts[0].gateway_url",
            "members run no Gateway",
        ),
        (lambda d: d.pop("akeyless"), "akeyless", "required"),
    ],
)
def test_bad_input_names_its_field(mutate: Any, path: str, fragment: str) -> None:
    assert_names_the_problem(mutate, path, fragment)


def assert_names_the_problem(mutate: Any, path: str, fragment: str) -> None:
    """The example, changed by ``mutate``, is rejected with ``fragment`` at ``path``."""
    data = example_document()
    mutate(data)
    problems = problems_of(data)
    assert path in problems, problems
    assert fragment in problems[path]


def test_a_site_field_of_another_compute_kind_is_refused_at_its_path() -> None:
    """Each compute kind's site has exactly its fields; the union's tag is not in the path."""
    data = example_document(DISTRIBUTED_EXAMPLE)
    data["accounts"][1]["subnets"] = {"subnet-0a1b2c3d": "us-east-1a"}  # an eks account
    problems = problems_of(data)
    assert set(problems) == {"accounts[1].subnets"}
    assert problems["accounts[1].subnets"].startswith("not a setting when compute is eks")
    data = example_document(DISTRIBUTED_EXAMPLE)
    data["accounts"][0]["eks_cluster_name"] = "prod"  # an ecs account
    assert "compute is ecs" in problems_of(data)["accounts[0].eks_cluster_name"]


def test_the_hub_has_exactly_the_fields_of_its_compute_kind() -> None:
    data = example_document()
    data["hub"]["eks_cluster_name"] = "hub"  # the example's hub runs on ec2 (the default)
    assert problems_of(data) == {
        "hub.eks_cluster_name": "not a setting when compute is ec2 (check its spelling; "
        "see config/org.example.yaml)"
    }
    data = example_document()
    data["hub"].update(compute="eks", eks_cluster_name="hub")
    assert set(problems_of(data)) == {"hub.vpc_id", "hub.subnets"}


def test_a_centralized_member_sets_no_site_field() -> None:
    data = example_document()
    data["accounts"][1].update(compute="ec2", vpc_id="vpc-0a1b2c3d")
    problems = problems_of(data)
    assert set(problems) == {"accounts[1].compute", "accounts[1].vpc_id"}
    assert all("members run no Gateway" in message for message in problems.values())


def test_a_distributed_account_without_a_site_needs_one() -> None:
    data = example_document(DISTRIBUTED_EXAMPLE)
    data["accounts"][0] = {"id": "333333333333"}
    problems = problems_of(data)
    assert problems["accounts[0].vpc_id"] == "required when compute is ec2"
    assert "accounts[0].subnets" in problems


def test_an_unknown_compute_kind_is_named_with_the_choices() -> None:
    data = example_document(DISTRIBUTED_EXAMPLE)
    data["accounts"][0]["compute"] = "lambda"
    assert problems_of(data) == {
        "accounts[0].compute": "must be one of 'ec2', 'ecs', 'eks', got 'lambda'"
    }


def test_distributed_rejects_a_hub() -> None:
    data = example_document(DISTRIBUTED_EXAMPLE)
    data["hub"] = {"account_id": "222222222222"}
    assert "hub" in problems_of(data)


def test_all_problems_are_reported_together() -> None:
    data = example_document()
    data["accounts"][0]["id"] = "1"
    data["accounts"][2]["id"] = "2"
    data["iam"]["path"] = "nope"
    data["colour"] = "blue"
    assert set(problems_of(data)) == {"accounts[0].id", "accounts[2].id", "iam.path", "colour"}


@pytest.mark.parametrize("text", ["", "null", "- a\n- b\n", "just a string", "42"])
def test_empty_or_non_mapping_yaml(tmp_path: Path, text: str) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_org_file(path)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_org_file(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("pattern: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_org_file(broken)


def test_field_path_formatting() -> None:
    assert field_path(("accounts", 3, "id")) == "accounts[3].id"
    assert field_path(("regions", 0)) == "regions[0]"
    assert field_path(()) == ""


def test_cli_exits_2_with_the_field_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = example_document()
    data["accounts"][1]["id"] = "0123"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    assert main(["render", "--config", str(bad), "--out", str(tmp_path / "out")]) == 2
    assert "accounts[1].id" in capsys.readouterr().err  # an error line, not a traceback
    assert not (tmp_path / "out").exists()  # nothing rendered from invalid input


# --- generated invalid configs ---------------------------------------------

BAD_ACCOUNT_IDS = st.one_of(
    st.text(max_size=20).filter(lambda s: not (len(s) == 12 and s.isascii() and s.isdigit())),
    st.integers(min_value=0, max_value=10**11 - 1),
)
BAD_ROLE_NAMES = st.one_of(
    st.text(min_size=65, max_size=80, alphabet="abc"),
    st.just(""),
    st.text(min_size=1, max_size=10).filter(
        lambda s: any(not (c.isascii() and (c.isalnum() or c in "_+=,.@-")) for c in s)
    ),
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(index=st.integers(min_value=0, max_value=2), bad_id=BAD_ACCOUNT_IDS)
def test_generated_bad_account_ids_are_rejected(index: int, bad_id: Any) -> None:
    data = copy.deepcopy(example_document())
    data["accounts"][index]["id"] = bad_id
    assert f"accounts[{index}].id" in problems_of(data)


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(["gateway_role_name", "member_role_name"]), bad=BAD_ROLE_NAMES)
def test_generated_bad_role_names_are_rejected(field: str, bad: str) -> None:
    data = copy.deepcopy(example_document())
    data["iam"][field] = bad
    assert f"iam.{field}" in problems_of(data)


@settings(max_examples=60, deadline=None)
@given(key=st.text(min_size=1, max_size=15).filter(lambda k: k not in OrgDeployment.model_fields))
def test_generated_unknown_top_level_keys_are_rejected(key: str) -> None:
    data = copy.deepcopy(example_document())
    data[key] = "x"
    assert field_path((key,)) in problems_of(data)  # quoted (bounded) unless a plain name


# --- organization facts the Akeyless and IAM objects depend on -----------------------


def test_api_key_login_needs_the_deployers_access_id() -> None:
    """Every Gateway must allow the deployment from its first start (issue 12, item 7)."""
    data = example_document(DISTRIBUTED_EXAMPLE)
    data["akeyless"].pop("login_access_id")
    problems = problems_of(data)
    assert "login_access_id" in problems["akeyless"]
    assert "AKEYLESS_ACCESS_ID" in problems["akeyless"]


@pytest.mark.parametrize("region", ["us-gov-west-1", "cn-north-1"])
def test_aws_iam_login_is_refused_where_the_provider_cannot_sign_it(region: str) -> None:
    """The provider's AWS IAM login signs for the global STS endpoint only (item 9)."""
    data = example_document()
    data["regions"] = [region]
    problems = problems_of(data)
    assert "regional" in problems["akeyless.login"]
    assert "login: api_key" in problems["akeyless.login"]


def test_a_boundary_of_one_account_is_refused_for_the_others() -> None:
    """IAM bounds a role only with a policy of its own account, or AWS's (item 12)."""
    data = example_document()
    data["iam"]["permissions_boundary_arn"] = "arn:aws:iam::222222222222:policy/boundary"
    message = problems_of(data)["iam.permissions_boundary_arn"]
    assert "account 222222222222" in message and "333333333333" in message
    assert "permissions_boundary_policy_name" in message


def test_a_boundary_by_name_or_aws_managed_arn_is_accepted() -> None:
    named = example_document()
    named["iam"]["permissions_boundary_policy_name"] = "platform-boundary"
    assert parse_org(named).iam.permissions_boundary_policy_name == "platform-boundary"
    managed = example_document()
    managed["iam"]["permissions_boundary_arn"] = "arn:aws:iam::aws:policy/PowerUserAccess"
    assert parse_org(managed).iam.permissions_boundary_arn is not None
    both = named | {"iam": named["iam"] | managed["iam"]}
    assert "not both" in problems_of(both)["iam"]


def test_the_management_account_listed_but_excluded_is_named() -> None:
    """It would be dropped without a word (item 13)."""
    data = example_document()
    data["accounts"][1]["id"] = data["management_account_id"]
    data["accounts"][1].pop("capabilities")  # its role ARNs name the account it replaces
    assert "management account" in problems_of(data)["accounts[1].id"]
    data["discovery"] = {"management_account": "include"}
    assert parse_org(data).accounts[1].id == data["management_account_id"]
