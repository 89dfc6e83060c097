"""The bundled Akeyless schema's property names, checked against the bridge itself.

``components/akeyless_provider_schema.json`` (generated from ``akeyless-cdktf==2.0.0``, see
``scripts/provider_schema.py``) names each input twice: the Terraform attribute and the
Pulumi property. The generated ``pulumi_akeyless`` takes the Pulumi names the bridge makes
from the Terraform ones, so a wrong one in the bundle would be an argument the real SDK
refuses. ``bridge_names`` (Go, built by ``build-bridge-names.sh``) applies the bridge's own
conversion, ``tfbridge.TerraformToPulumiNameV2``, to every attribute of the bundle.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from akeyless_gateway_org.components.akeyless_sdk import SCHEMA_FILE

BUILD_SCRIPT = Path(__file__).with_name("build-bridge-names.sh")


def _kind(spec: dict[str, Any]) -> dict[str, Any]:
    """The Terraform shape the bridge's naming reads: a list or set (pluralized unless its
    MaxItems is 1; cdktf writes a MaxItems-1 block as one object, never an array), a map,
    or a single value."""
    if spec.get("type") == "array":
        return {"kind": "list", "max_items": 0}
    if spec.get("type") == "object" and "additionalProperties" in spec:
        return {"kind": "map", "max_items": 0}
    if "$ref" in spec:
        return {"kind": "list", "max_items": 1}
    return {"kind": "scalar", "max_items": 0}


def bundled_scopes() -> dict[str, dict[str, dict[str, Any]]]:
    """scope -> Pulumi name -> its spec, for the provider, every resource and every type."""
    document = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    scopes = {"provider": document["provider"]["inputs"]}
    scopes |= {token: spec["inputs"] for token, spec in document["resources"].items()}
    scopes |= {token: spec["properties"] for token, spec in document["types"].items()}
    return scopes


def convert(bridge: Path, request: dict[str, Any]) -> dict[str, dict[str, str]]:
    result = subprocess.run(
        [str(bridge)], input=json.dumps(request), capture_output=True, text=True, check=True
    )
    names: dict[str, dict[str, str]] = json.loads(result.stdout)
    return names


@pytest.fixture(scope="module")
def bridge() -> Path:
    """``BRIDGE_NAMES_BIN``, else the build script's cached binary (built if missing)."""
    if configured := os.environ.get("BRIDGE_NAMES_BIN"):
        return Path(configured)
    result = subprocess.run(
        ["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, check=False, timeout=1800
    )
    assert result.returncode == 0, f"build-bridge-names.sh failed:\n{result.stderr[-3000:]}"
    return Path(result.stdout.strip())


def test_every_bundled_property_name_is_the_bridges(bridge: Path) -> None:
    scopes = bundled_scopes()
    names = convert(
        bridge,
        {
            scope: {spec["terraform"]: _kind(spec) for spec in properties.values()}
            for scope, properties in scopes.items()
        },
    )
    wrong = [
        f"{scope}: {spec['terraform']} -> {names[scope][spec['terraform']]}, bundled {name}"
        for scope, properties in scopes.items()
        for name, spec in properties.items()
        if names[scope][spec["terraform"]] != name
    ]
    assert sum(len(properties) for properties in scopes.values()) > 100  # the whole bundle
    assert wrong == []


def test_the_bridge_pluralizes_lists_and_camel_cases(bridge: Path) -> None:
    """The conversion's rules, so a binary that echoed its input could not pass the above."""
    attributes = {
        "api_key_login": {"kind": "list", "max_items": 0},
        "single_block": {"kind": "list", "max_items": 1},
        "bound_aws_account_id": {"kind": "scalar", "max_items": 0},
    }
    assert convert(bridge, {"s": attributes}) == {
        "s": {
            "api_key_login": "apiKeyLogins",
            "single_block": "singleBlock",
            "bound_aws_account_id": "boundAwsAccountId",
        }
    }
