"""The model of the CLI's config rules (tests/pulumi_config_rules.py) behaves like
pulumi/pulumi pkg/workspace/config.go and its tests (config_project_test.go)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.pulumi_config_rules import (
    ConfigRejected,
    check_stack_config,
    fake_encrypt,
    load_project,
)


def project(config: str) -> Any:
    return load_project(yaml.safe_load(f"name: test\nruntime: python\nconfig:\n{config}"))


def rejected(config: str, stack: dict[str, Any] | None) -> str:
    with pytest.raises(ConfigRejected) as caught:
        check_stack_config(project(config), "dev", stack)
    return str(caught.value)


def test_a_declared_key_without_default_is_required() -> None:
    declared = "  a: {type: string}\n  b: {type: integer}\n  c: {type: string}\n"
    assert (
        rejected(declared, None) == "Stack 'dev' is missing configuration values 'a', 'b' and 'c'"
    )
    assert rejected(declared, {"test:a": "x", "test:c": "y"}) == (
        "Stack 'dev' is missing configuration value 'b'"
    )
    check_stack_config(project(declared), "dev", {"test:a": "x", "test:b": 1, "test:c": "y"})


def test_a_default_or_a_shorthand_value_makes_a_key_optional() -> None:
    check_stack_config(project("  a: {type: string, default: x}\n  b: 3\n"), "dev", {})


def test_another_namespace_needs_no_value_on_the_stack() -> None:
    check_stack_config(project("  aws:region: {value: us-east-1}\n"), "dev", {})
    with pytest.raises(ConfigRejected, match="should not define a type"):
        project("  aws:region: {type: string, value: us-east-1}\n")


def test_a_secret_key_must_be_secure_even_with_a_default() -> None:
    # TestStackConfigSecretIsCorrectlyValidated, and a default is merged in as plain text.
    declared = "  importantNumber: {type: integer, secret: true}\n"
    secure = {"test:importantNumber": {"secure": fake_encrypt("20")}}
    check_stack_config(project(declared), "dev", secure)
    assert rejected(declared, {"test:importantNumber": 20}) == (
        "Stack 'dev' with configuration key 'importantNumber' must be encrypted as it's secret"
    )
    with_default = "  k: {type: string, secret: true, default: ''}\n"
    assert "must be encrypted" in rejected(with_default, {})


def test_values_are_checked_against_their_declared_type() -> None:
    declared = (
        "  n: {type: integer}\n  b: {type: boolean}\n  o: {type: object}\n"
        "  l: {type: array, items: {type: string}}\n"
    )
    good = {"test:n": "42", "test:b": True, "test:o": {"k": [1]}, "test:l": ["x", "y"]}
    check_stack_config(project(declared), "dev", good)
    assert rejected(declared, good | {"test:n": "4.5"}).endswith(
        "key 'n' must be of type 'integer'"
    )
    assert rejected(declared, good | {"test:b": "yes please"}).endswith("of type 'boolean'")
    assert rejected(declared, good | {"test:o": ["k"]}).endswith("of type 'object'")
    assert rejected(declared, good | {"test:o": "{}"}).endswith("of type 'object'")
    assert rejected(declared, good | {"test:l": ["x", 1]}).endswith("of type 'array<string>'")


def test_a_string_key_takes_any_scalar_as_text() -> None:
    check_stack_config(project("  s: {type: string}\n"), "dev", {"test:s": 123456789012})


def test_stack_keys_must_carry_a_namespace() -> None:
    assert "configuration keys should be of the form" in rejected("  a: 1\n", {"a": "x"})


def test_the_project_file_is_checked_as_the_cli_loads_it() -> None:
    with pytest.raises(ConfigRejected, match="additional properties"):
        project("  a: {type: object, properties: {x: {type: string}}}\n")
    with pytest.raises(ConfigRejected, match="must be one of"):
        project("  a: {type: map}\n")
    with pytest.raises(ConfigRejected, match="'items' attribute"):
        project("  a: {type: array}\n")
    with pytest.raises(ConfigRejected, match="not of the expected type 'integer'"):
        project("  a: {type: integer, default: many}\n")
