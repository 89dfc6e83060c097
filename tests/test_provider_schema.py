"""The bundled provider schema is what ``scripts/provider_schema.py`` makes of the package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from akeyless_gateway_org.components.akeyless_sdk import SCHEMA_FILE, load_schema
from akeyless_gateway_org.project import PROJECT_DIR
from tests.conftest import load_script

provider_schema = load_script("provider_schema")
WHEEL_NAME = provider_schema.WHEEL_NAME
_Builder = provider_schema._Builder
cached_wheel = provider_schema.cached_wheel
camel_case = provider_schema.camel_case
python_name = provider_schema.python_name
resource_token = provider_schema.resource_token
schema_text = provider_schema.schema_text
token_name = provider_schema.token_name

ROLE_RULE = "akeyless:index/RoleRule:RoleRule"


@pytest.fixture(scope="module")
def wheel() -> Path:
    """The published wheel, fetched once by pip (a subprocess: the package index only)."""
    path: Path = cached_wheel(PROJECT_DIR / "build" / "provider-source")
    return path


def test_regenerating_gives_the_bundled_file_byte_for_byte(wheel: Path) -> None:
    first, second = schema_text(wheel), schema_text(wheel)
    assert first == second
    assert first == SCHEMA_FILE.read_text(encoding="utf-8")


def test_the_file_records_its_source() -> None:
    source = load_schema()["source"]
    assert source["package"] == "akeyless-cdktf==2.0.0"
    assert source["wheel"] == WHEEL_NAME
    assert source["terraform_provider"] == "registry.terraform.io/akeyless-community/akeyless 2.0.0"


def test_bridge_naming() -> None:
    """pulumi-terraform-bridge: tokens.MakeStandard, naming.TerraformToPulumiNameV2; PyName."""
    assert token_name("akeyless_target_aws") == "TargetAws"
    assert resource_token("TargetAws") == "akeyless:index/targetAws:TargetAws"
    assert camel_case("bound_aws_account_ids") == "boundAwsAccountIds"
    assert python_name("boundAwsAccountIds") == "bound_aws_account_ids"


def test_lists_are_pluralized_and_nested_types_named_as_the_bridge_does() -> None:
    schema = load_schema()
    capabilities = schema["types"][ROLE_RULE]["properties"]["capabilities"]
    assert (capabilities["terraform"], capabilities["python"]) == ("capability", "capabilities")
    logins = schema["provider"]["inputs"]["awsIamLogins"]
    assert logins["terraform"] == "aws_iam_login"
    assert logins["items"] == {
        "$ref": "#/types/akeyless:index/ProviderAwsIamLogin:ProviderAwsIamLogin"
    }
    rules = schema["resources"]["akeyless:index/role:Role"]["inputs"]["rules"]
    assert rules["items"] == {"$ref": f"#/types/{ROLE_RULE}"}
    assert "id" not in schema["resources"]["akeyless:index/role:Role"]["inputs"]


def _jsii_property(name: str, terraform: str, jsii_type: dict[str, Any]) -> dict[str, Any]:
    link = f"{{@link https://registry.terraform.io/x#{terraform} X#{terraform}}}"
    return {"name": name, "type": jsii_type, "optional": True, "docs": {"remarks": link}}


def test_a_list_whose_plural_is_taken_keeps_its_name() -> None:
    strings = {"collection": {"kind": "array", "elementtype": {"primitive": "string"}}}
    properties = _Builder({"types": {}}).properties(
        [
            _jsii_property("boundIp", "bound_ip", strings),
            _jsii_property("boundIps", "bound_ips", strings),
            _jsii_property("productType", "product_type", strings),
        ],
        "X",
    )
    assert sorted(properties) == ["boundIp", "boundIps", "productTypes"]
