"""The offline render: both examples, deterministic, secrets masked, the JSON contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from akeyless_gateway_org.cli import main
from akeyless_gateway_org.components.akeyless_sdk import load_sdk, selected
from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.records import SECRET_MASK
from akeyless_gateway_org.review.render import (
    RenderSummary,
    mask_secrets,
    render_json,
    render_markdown,
)
from tests.conftest import DISTRIBUTED_EXAMPLE, example_document, run_orgctl
from tests.test_components import rendered

RESOURCE_KEYS = {"type", "name", "parent", "provider_account", "inputs"}
SUMMARY = RenderSummary(akeyless_sdk="schema", accounts_source="file", accounts_discovered=True)


def test_render_json_contract(centralized_org: OrgDeployment) -> None:
    document = json.loads(render_json(rendered(centralized_org), SUMMARY))
    assert [s["name"] for s in document["stacks"]] == [
        "org",
        "hub",
        "member-333333333333",
        "member-444444444444",
        "member-555555555555",
    ]
    assert document["summary"] == {
        "akeyless_sdk": "schema",
        "accounts_source": "file",
        "accounts_discovered": True,
        "listed_accounts_only": False,
    }
    for stack in document["stacks"]:
        assert set(stack) == {"name", "kind", "account", "resources"}
        for resource in stack["resources"]:
            assert set(resource) == RESOURCE_KEYS
    hub = document["stacks"][1]
    role = next(r for r in hub["resources"] if r["type"] == "aws:iam/role:Role")
    assert isinstance(role["inputs"]["assumeRolePolicy"], str)  # IAM documents as JSON strings
    assert role["provider_account"] == "222222222222"


def test_render_shows_the_external_id_as_generated_at_deploy_and_secret(
    centralized_org: OrgDeployment,
) -> None:
    """``[secret]`` only for a secret that exists: the External ID is generated at deploy."""
    text = render_json(rendered(centralized_org), SUMMARY)
    generated = "<member-333333333333-external-id.external_id: known after deploy, secret>"
    assert f'\\"sts:ExternalId\\": \\"{generated}\\"' in text
    assert '\\"sts:ExternalId\\": \\"[secret]\\"' not in text
    markdown = render_markdown(rendered(centralized_org))
    assert f'"sts:ExternalId": "{generated}"' in markdown
    assert "arn:aws:iam::222222222222:role/akeyless/akeyless-gateway" in markdown


def test_mask_secrets() -> None:
    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "k"}
    assert mask_secrets({"a": secret, "b": [secret, "plain"]}) == {
        "a": SECRET_MASK,
        "b": [SECRET_MASK, "plain"],
    }


def test_cli_render_writes_both_files(tmp_path: Path) -> None:
    assert main(["render", "--config", str(DISTRIBUTED_EXAMPLE), "--out", str(tmp_path)]) == 0
    document = json.loads((tmp_path / "render.json").read_text())
    assert [s["kind"] for s in document["stacks"]] == ["org", "account", "account"]
    markdown = (tmp_path / "render.md").read_text()
    assert "## Stack `account-333333333333`" in markdown
    assert "```json" in markdown


def test_cli_render_chooses_its_akeyless_sdk_itself_in_a_bare_environment(tmp_path: Path) -> None:
    """What ``orgctl render`` meets in a process of its own: a bare environment and no
    Akeyless SDK chosen for it (the session's choice, the autouse fixture, is lifted here).

    The module entry itself, ``python -m akeyless_gateway_org``, runs as a child process in
    test_runtime's Ctrl-C test.
    """
    with selected(None):
        result = run_orgctl(
            "render", "--config", str(DISTRIBUTED_EXAMPLE), "--out", str(tmp_path), home=tmp_path
        )
    assert result.returncode == 0, result.stderr
    assert "rendered 3 stacks" in result.stdout
    assert "akeyless resources through: " in result.stdout
    document = json.loads((tmp_path / "render.json").read_text())
    assert document["summary"]["akeyless_sdk"] == load_sdk(schema_fallback=True).kind


def test_render_of_an_organizations_file_without_discover_says_only_listed_accounts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = example_document(DISTRIBUTED_EXAMPLE)
    data["discovery"] = {"source": "organizations"}
    config = tmp_path / "org.yaml"
    config.write_text(yaml.safe_dump(data))
    assert main(["render", "--config", str(config), "--out", str(tmp_path / "out")]) == 0
    stdout = capsys.readouterr().out
    assert "NOTE: the accounts come from AWS Organizations, but only the 2 account(s)" in stdout
    summary = json.loads((tmp_path / "out" / "render.json").read_text())["summary"]
    assert summary["listed_accounts_only"] is True
    assert summary["accounts_source"] == "organizations"
