"""Account discovery: the pure selection, and AWS Organizations through a moto server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from akeyless_gateway_org.cli import main
from akeyless_gateway_org.config.model import AccountSelection, OrgDeployment
from akeyless_gateway_org.config.validation import ConfigError, parse_org
from akeyless_gateway_org.discovery import (
    DiscoveryError,
    OrgAccount,
    resolve_accounts,
    select_accounts,
)
from tests.conftest import CENTRALIZED_EXAMPLE, example_document, run_orgctl

MANAGEMENT = "111111111111"


# --- the pure selection -------------------------------------------------------------


def candidates() -> list[OrgAccount]:
    return [
        OrgAccount("111111111111", "management"),
        OrgAccount("222222222222", "hub"),
        OrgAccount("333333333333", "prod", tags={"env": "prod"}),
        OrgAccount("444444444444", "staging", tags={"env": "staging"}),
        OrgAccount("555555555555", "closed", state="SUSPENDED"),
        OrgAccount("666666666666", "sandbox", tags={"env": "sandbox", "skip": "yes"}),
    ]


def selected(selection: dict[str, Any], **kwargs: Any) -> list[str]:
    chosen = select_accounts(
        candidates(),
        AccountSelection(source="organizations", **selection),
        management_account_id=MANAGEMENT,
        hub_account_id="222222222222",
        **kwargs,
    )
    return [a.id for a in chosen]


def test_only_active_accounts_and_never_the_hub_or_management() -> None:
    assert selected({}) == ["333333333333", "444444444444", "666666666666"]
    with_management = selected({"management_account": "include"})
    assert MANAGEMENT in with_management and "555555555555" not in with_management


def test_id_tag_and_ou_filters_combine() -> None:
    assert selected({"include_account_ids": ["333333333333", "555555555555"]}) == ["333333333333"]
    assert selected({"exclude_account_ids": ["333333333333"]}) == [
        "444444444444",
        "666666666666",
    ]
    assert selected({"include_tags": {"env": "prod"}}) == ["333333333333"]
    assert selected({"exclude_tags": {"skip": "yes"}}) == ["333333333333", "444444444444"]
    under = {"ou-ab12-aaaaaaaa": frozenset({"444444444444", "666666666666"})}
    assert selected({"include_ous": ["ou-ab12-aaaaaaaa"]}, accounts_under=under) == [
        "444444444444",
        "666666666666",
    ]
    assert selected({"exclude_ous": ["ou-ab12-aaaaaaaa"]}, accounts_under=under) == ["333333333333"]


def test_ou_and_tag_filters_need_organizations() -> None:
    with pytest.raises(ValueError, match="need source: organizations"):
        AccountSelection(include_tags={"env": "prod"})


def test_file_selection_filters_the_listed_accounts(centralized_org: OrgDeployment) -> None:
    org = centralized_org.model_copy(
        update={"discovery": AccountSelection(exclude_account_ids=("444444444444",))}
    )
    assert [a.id for a in resolve_accounts(org).accounts] == ["333333333333", "555555555555"]
    nothing = centralized_org.model_copy(
        update={"discovery": AccountSelection(include_account_ids=("999999999999",))}
    )
    with pytest.raises(DiscoveryError, match="no account matches"):
        resolve_accounts(nothing)


# --- AWS Organizations on a moto server -------------------------------------------------


@pytest.fixture
def aws(aws: str) -> str:
    """The moto server (tests/conftest.py), each test with a fresh organization."""
    boto3.client("organizations").create_organization(FeatureSet="ALL")
    return aws


def make_account(client: Any, name: str, parent: str | None = None, **tags: str) -> str:
    status = client.create_account(
        AccountName=name,
        Email=f"{name}@example.com",
        Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
    )["CreateAccountStatus"]
    account_id = str(status["AccountId"])
    if parent is not None:
        root = client.list_roots()["Roots"][0]["Id"]
        client.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parent)
    return account_id


def org_file(**discovery: Any) -> OrgDeployment:
    data: dict[str, Any] = example_document(CENTRALIZED_EXAMPLE)
    data["accounts"] = []
    data["discovery"] = {"source": "organizations", **discovery}
    return parse_org(data)


def identity_of(client: Any) -> dict[str, str]:
    """The organization's ID and management account, as the org file must name them."""
    organization = client.describe_organization()["Organization"]
    return {
        "organization_id": organization["Id"],
        "management_account_id": organization["MasterAccountId"],
    }


def test_nested_ous_tags_and_suspended_accounts(aws: str) -> None:
    client = boto3.client("organizations")
    root = client.list_roots()["Roots"][0]["Id"]
    workloads = client.create_organizational_unit(ParentId=root, Name="workloads")[
        "OrganizationalUnit"
    ]["Id"]
    prod = client.create_organizational_unit(ParentId=workloads, Name="prod")["OrganizationalUnit"][
        "Id"
    ]
    nested = make_account(client, "prod-app", prod, env="prod")
    direct = make_account(client, "shared", workloads, env="shared")
    outside = make_account(client, "outside", None, env="prod")
    closed = make_account(client, "closed", prod, env="prod")
    client.close_account(AccountId=closed)

    org = org_file(include_ous=[workloads])
    org = org.model_copy(update=identity_of(client))
    chosen = [a.id for a in resolve_accounts(org).accounts]
    assert chosen == sorted([nested, direct])  # nested OU included, suspended left out

    tagged = org_file(include_tags={"env": "prod"}).model_copy(update=identity_of(client))
    assert [a.id for a in resolve_accounts(tagged).accounts] == sorted([nested, outside])


def test_an_unknown_ou_is_a_clear_error(aws: str) -> None:
    client = boto3.client("organizations")
    make_account(client, "one")
    org = org_file(include_ous=["ou-zz99-doesnotexist"]).model_copy(update=identity_of(client))
    with pytest.raises(DiscoveryError, match="unknown organizational unit 'ou-zz99-doesnotexist'"):
        resolve_accounts(org)


def test_every_page_of_list_accounts_is_read() -> None:
    """Pagination, on botocore's own stub (it checks each call against the service model).

    A thousand accounts on the emulator: ``benchmarks/orchestrator_bench.py``.
    """
    client = boto3.client(
        "organizations",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )

    def account(account_id: str) -> dict[str, str]:
        return {"Id": account_id, "Name": account_id, "State": "ACTIVE"}

    with Stubber(client) as stub:
        # resolve_accounts first checks the org file names this organization.
        organization = {"Id": "o-a1b2c3d4e5", "MasterAccountId": MANAGEMENT}
        stub.add_response("describe_organization", {"Organization": organization}, {})
        stub.add_response(
            "list_accounts", {"Accounts": [account("333333333333")], "NextToken": "page-2"}, {}
        )
        stub.add_response(
            "list_accounts", {"Accounts": [account("444444444444")]}, {"NextToken": "page-2"}
        )
        org = org_file().model_copy(
            update={"organization_id": organization["Id"], "management_account_id": MANAGEMENT}
        )
        chosen = [a.id for a in resolve_accounts(org, client).accounts]
        stub.assert_no_pending_responses()
    assert chosen == ["333333333333", "444444444444"]


def test_distributed_accounts_discovered_without_network_settings_are_named(aws: str) -> None:
    client = boto3.client("organizations")
    account = make_account(client, "gateway-account")
    data: dict[str, Any] = example_document(CENTRALIZED_EXAMPLE)
    data.update(pattern="distributed", accounts=[], discovery={"source": "organizations"})
    data.pop("hub")
    data["akeyless"]["auth_method_scope"] = "per_account"
    org = parse_org(data).model_copy(update=identity_of(client))
    with pytest.raises(ConfigError) as caught:
        resolve_accounts(org)
    paths = {problem.path: problem.message for problem in caught.value.problems}
    assert "accounts[0].vpc_id" in paths
    assert account in paths["accounts"]


def test_cli_accounts_json_against_the_emulator(aws: str, tmp_path: Path) -> None:
    client = boto3.client("organizations")
    account = make_account(client, "listed")
    data: dict[str, Any] = example_document(CENTRALIZED_EXAMPLE)
    data.update(
        accounts=[],
        discovery={"source": "organizations"},
        **identity_of(client),
    )
    config = tmp_path / "org.yaml"
    config.write_text(yaml.safe_dump(data))
    result = run_orgctl(
        "accounts",
        "--config",
        str(config),
        "--json",
        home=tmp_path,
        env={
            "AWS_ENDPOINT_URL": aws,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        },
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["source"] == "organizations"
    assert [row["id"] for row in document["accounts"]] == [account]


def test_render_discover_renders_the_accounts_organizations_selects(
    aws: str, tmp_path: Path
) -> None:
    """``render --discover`` resolves the selection as ``accounts`` does (env as boto3 reads it)."""
    client = boto3.client("organizations")
    discovered = make_account(client, "discovered")
    data: dict[str, Any] = example_document(CENTRALIZED_EXAMPLE)
    data.update(discovery={"source": "organizations"}, **identity_of(client))
    config = tmp_path / "org.yaml"
    config.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    assert main(["render", "--config", str(config), "--out", str(out), "--discover"]) == 0
    document = json.loads((out / "render.json").read_text())
    assert [s["name"] for s in document["stacks"]] == ["org", "hub", f"member-{discovered}"]
    assert document["summary"]["accounts_discovered"] is True
    assert document["summary"]["listed_accounts_only"] is False


def test_the_org_file_must_name_the_organization_it_reaches(aws: str) -> None:
    """A wrong organization_id would only show as denied hops at run time (item 13)."""
    client = boto3.client("organizations")
    make_account(client, "one")
    actual = identity_of(client)
    wrong_org = org_file().model_copy(update={**actual, "organization_id": "o-zzzzzzzzzz"})
    with pytest.raises(ConfigError) as caught:
        resolve_accounts(wrong_org)
    (problem,) = caught.value.problems
    assert problem.path == "organization_id"
    assert actual["organization_id"] in problem.message
    wrong_management = org_file().model_copy(
        update={**actual, "management_account_id": "999999999999"}
    )
    with pytest.raises(ConfigError) as caught:
        resolve_accounts(wrong_management)
    (problem,) = caught.value.problems
    assert problem.path == "management_account_id"
    assert actual["management_account_id"] in problem.message


def test_the_management_account_listed_for_settings_is_named(aws: str) -> None:
    """Listed but excluded by discovery, it would be dropped without a word (item 13)."""
    client = boto3.client("organizations")
    make_account(client, "one")
    actual = identity_of(client)
    data: dict[str, Any] = example_document(CENTRALIZED_EXAMPLE)
    data.update(actual, discovery={"source": "organizations"})
    data["accounts"] = [{"id": actual["management_account_id"]}]
    with pytest.raises(ConfigError, match="is the management account"):
        parse_org(data)
