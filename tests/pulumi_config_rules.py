"""The Pulumi CLI's stack-config rules, in pure Python: what `preview`/`up` refuse.

Before any operation the CLI merges the project's declared config into the
stack's and validates it; a stack that fails never runs its program. This
module models, from pulumi/pulumi (read at 1b5949891b3c, v3.259):

- ``pkg/workspace/config.go``: ``mergeConfig`` (a declared key of the project's
  namespace with neither ``default`` nor ``value`` is required: "Stack '<s>' is
  missing configuration value(s) ..."), ``validateStackConfigValues`` and
  ``validateStackConfigValue`` (every explicitly typed key: a ``secret: true``
  key must be a secure value, then its type is checked), ``parseConfigKey``;
- ``sdk/go/common/workspace/project.go``: ``RewriteShorthandConfigValues``,
  ``Project.Validate``, ``ValidateConfigValue`` and ``InferFullTypeName``;
- ``sdk/go/common/workspace/project.json``: ``configTypeDeclaration`` (only
  type/items/description/secret/default/value) and ``simpleConfigType``;
- ``sdk/go/common/resource/config/key.go``, ``value.go``, ``object.go``: a stack
  file's key is ``<namespace>:<name>``; a scalar becomes a plain string, a
  ``{secure: ...}`` mapping a secure value, any other mapping or list an object
  value (JSON text, re-parsed before its type is checked).

YAML is read with PyYAML (YAML 1.1; the CLI's yaml.v3 differs only on words such
as ``yes``/``on``, which no stack file here uses).

``python tests/pulumi_config_rules.py check PROJECT_DIR STACK`` checks
``PROJECT_DIR/Pulumi.<STACK>.yaml`` and prints the CLI's error, exit 255: the fake
CLI runs it where the real one validates (preview, up; refresh and destroy only
with ``--run-program``), and ``set-secret`` for ``config set --secret``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SIMPLE_TYPES = ("string", "integer", "boolean", "array", "object")
DECLARATION_ATTRIBUTES = ("type", "items", "description", "secret", "default", "value")
FAKE_CIPHERTEXT_PREFIX = "fake-v1:"
"""How the fake CLI 'encrypts' a secure value (it stands for the secrets provider)."""


class ConfigRejected(Exception):
    """The CLI would refuse the project or the stack config; the message is the CLI's."""


def fake_encrypt(plaintext: str) -> str:
    return FAKE_CIPHERTEXT_PREFIX + base64.b64encode(plaintext.encode()).decode()


def fake_decrypt(ciphertext: str) -> str:
    if not ciphertext.startswith(FAKE_CIPHERTEXT_PREFIX):
        raise ConfigRejected(f"failed to decrypt configuration value {ciphertext[:12]}...")
    return base64.b64decode(ciphertext.removeprefix(FAKE_CIPHERTEXT_PREFIX)).decode()


@dataclass(frozen=True)
class Project:
    name: str
    config: Mapping[str, Mapping[str, Any]]
    """Key -> its declaration, shorthand values rewritten to ``default``/``value``."""


def _namespaced_by_project(project_name: str, key: str) -> bool:
    return ":" not in key or key.startswith(f"{project_name}:")


def _is_primitive_or_array(value: Any) -> bool:
    return isinstance(value, (str, int, bool, list))


def load_project(document: Mapping[str, Any]) -> Project:
    """A parsed Pulumi.yaml as the CLI loads it, or ConfigRejected with its error."""
    name = document.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigRejected("project is missing a non-empty string 'name' attribute")
    declared: dict[str, Mapping[str, Any]] = {}
    for key, raw in (document.get("config") or {}).items():
        if _is_primitive_or_array(raw):  # RewriteShorthandConfigValues
            slot = "default" if _namespaced_by_project(name, key) else "value"
            raw = {slot: raw}
        if not isinstance(raw, Mapping):
            raise ConfigRejected(f"config.{key}: expected a config type declaration")
        unknown = sorted(set(raw) - set(DECLARATION_ATTRIBUTES))
        if unknown:  # project.json: configTypeDeclaration has additionalProperties: false
            raise ConfigRejected(f"config.{key}: additional properties {unknown} not allowed")
        if "type" in raw and raw["type"] not in SIMPLE_TYPES:
            raise ConfigRejected(f"config.{key}.type: must be one of {list(SIMPLE_TYPES)}")
        _validate_declaration(name, key, raw)
        declared[key] = raw
    return Project(name, declared)


def _validate_declaration(project: str, key: str, declaration: Mapping[str, Any]) -> None:
    """``Project.Validate`` for one config key."""
    typed = "type" in declaration
    if "default" in declaration and "value" in declaration:
        raise ConfigRejected(
            f"project config '{key}' cannot have both a 'default' and 'value' attribute"
        )
    if _namespaced_by_project(project, key):
        if typed and declaration["type"] == "array" and "items" not in declaration:
            raise ConfigRejected(
                f"The configuration key '{key}' declares an array "
                "but does not specify the underlying type via the 'items' attribute"
            )
        if typed and "default" in declaration:
            items = declaration.get("items")
            if not valid_config_value(declaration["type"], items, declaration["default"]):
                raise ConfigRejected(
                    f"The default value specified for configuration key '{key}' is not of the "
                    f"expected type '{full_type_name(declaration['type'], items)}'"
                )
        return
    if typed:
        raise ConfigRejected(
            f"Configuration key '{key}' is not namespaced by the project "
            "and should not define a type"
        )
    if "default" in declaration:
        raise ConfigRejected(
            f"Configuration key '{key}' is not namespaced by the project and should not define "
            "a default value. Did you mean to use the 'value' attribute instead of 'default'?"
        )
    if "value" not in declaration:
        raise ConfigRejected(
            f"Configuration key '{key}' is namespaced and must provide an attribute 'value'"
        )


def full_type_name(type_name: str, items: Mapping[str, Any] | None) -> str:
    if items is not None:
        return f"array<{full_type_name(items['type'], items.get('items'))}>"
    return type_name


def valid_config_value(type_name: str, items: Mapping[str, Any] | None, value: Any) -> bool:
    """``ValidateConfigValue``: JSON numbers arrive as floats, stack scalars as strings."""
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int) or (isinstance(value, float) and value == math.trunc(value)):
            return True
        if isinstance(value, str):
            try:
                int(value, 10)  # strconv.Atoi: optional sign, decimal digits
            except ValueError:
                return False
            return value.strip() == value and "_" not in value
        return False
    if type_name == "boolean":
        return value in ("true", "false") or isinstance(value, bool)
    if type_name == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or items is None:
        return False
    return all(valid_config_value(items["type"], items.get("items"), item) for item in value)


@dataclass(frozen=True)
class StackValue:
    """A stack file's value as ``config.Value``: its (decrypted) text, secure, object."""

    text: str
    secure: bool
    object: bool


def _is_secure(raw: Any) -> bool:
    return isinstance(raw, dict) and len(raw) == 1 and isinstance(raw.get("secure"), str)


def _decrypted(raw: Any, decrypt: Callable[[str], str]) -> Any:
    if _is_secure(raw):
        return decrypt(raw["secure"])
    if isinstance(raw, dict):
        return {str(key): _decrypted(value, decrypt) for key, value in raw.items()}
    if isinstance(raw, list):
        return [_decrypted(value, decrypt) for value in raw]
    return raw


def _contains_secure(raw: Any) -> bool:
    if _is_secure(raw):
        return True
    if isinstance(raw, dict):
        return any(_contains_secure(value) for value in raw.values())
    if isinstance(raw, list):
        return any(_contains_secure(value) for value in raw)
    return False


def stack_value(raw: Any, decrypt: Callable[[str], str]) -> StackValue:
    """``unmarshalObject`` then ``MarshalString`` (object.go), decrypted as ``Value(dec)``."""
    if _is_secure(raw):
        return StackValue(decrypt(raw["secure"]), secure=True, object=False)
    if isinstance(raw, bool):
        return StackValue("true" if raw else "false", secure=False, object=False)
    if isinstance(raw, (int, float)):
        return StackValue(json.dumps(raw), secure=False, object=False)
    if isinstance(raw, str):
        return StackValue(raw, secure=False, object=False)
    # Mappings, lists and null are object values: JSON text.
    return StackValue(
        json.dumps(_decrypted(raw, decrypt)), secure=_contains_secure(raw), object=True
    )


def parse_key(key: str) -> tuple[str, str]:
    """``config.ParseKey``: ``<namespace>:<name>`` (or the old ``<ns>:config:<name>``)."""
    parts = key.split(":")
    if len(parts) == 2:
        return parts[0], parts[1]
    if len(parts) == 3 and parts[1] == "config":
        return parts[0], parts[2]
    raise ConfigRejected(
        f"could not parse {key} as a configuration key "
        "(configuration keys should be of the form `<namespace>:<name>`)"
    )


def _missing_message(stack: str, keys: list[str]) -> str:
    keys = sorted(keys)
    if len(keys) == 1:
        listed = f"'{keys[0]}'"
    else:
        listed = ", ".join(f"'{key}'" for key in keys[:-2])
        listed += (", " if keys[:-2] else "") + f"'{keys[-2]}' and '{keys[-1]}'"
    plural = "values" if len(keys) > 1 else "value"
    return f"Stack '{stack}' is missing configuration {plural} {listed}"


def _declared_key(project: Project, name: str) -> tuple[str, str]:
    """``parseConfigKey``: a declared key without namespace is the project's."""
    return parse_key(name) if ":" in name else (project.name, name)


def check_stack_config(
    project: Project,
    stack: str,
    stack_config: Mapping[str, Any] | None,
    decrypt: Callable[[str], str] = fake_decrypt,
) -> None:
    """``ValidateStackConfigAndApplyProjectConfig``: raise ConfigRejected as the CLI would."""
    merged: dict[tuple[str, str], StackValue] = {
        parse_key(str(name)): stack_value(raw, decrypt)
        for name, raw in (stack_config or {}).items()
    }
    missing = []
    for name in sorted(project.config):  # mergeConfig walks the keys sorted
        declaration = project.config[name]
        key = _declared_key(project, name)
        if key in merged:
            continue
        if "default" in declaration or "value" in declaration:
            raw = declaration.get("default", declaration.get("value"))
            merged[key] = stack_value(raw, decrypt)  # createConfigValue: plain, never secure
        elif key[0] == project.name:
            missing.append(name)
    if missing:
        raise ConfigRejected(_missing_message(stack, missing))
    for name in sorted(project.config):  # validateStackConfigValues
        declaration = project.config[name]
        if "type" not in declaration:
            continue  # only explicitly typed keys are validated, secret or not
        key = _declared_key(project, name)
        value = merged.get(key, StackValue("", secure=False, object=False))
        if declaration.get("secret") and not value.secure:
            raise ConfigRejected(
                f"Stack '{stack}' with configuration key '{name}' must be encrypted as it's secret"
            )
        content: Any = json.loads(value.text) if value.object else value.text
        items = declaration.get("items")
        if not valid_config_value(declaration["type"], items, content):
            raise ConfigRejected(
                f"Stack '{stack}' with configuration key '{name}' must be of type "
                f"'{full_type_name(declaration['type'], items)}'"
            )


def _parse(text: str) -> Any:
    """YAML; JSON (what orgctl writes) without importing a YAML parser: the fake runs
    this once per operation, and the import would be most of its cost."""
    try:
        return json.loads(text)
    except ValueError:
        import yaml

        return yaml.safe_load(text)


def _project_document(path: Path, cache_dir: Path | None) -> Any:
    """The parsed ``Pulumi.yaml``, cached as JSON by content in ``cache_dir``."""
    text = path.read_text()
    if cache_dir is None:
        return _parse(text)
    cached = cache_dir / f"project-{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"
    if cached.exists():
        return json.loads(cached.read_text())
    document = _parse(text)
    cached.write_text(json.dumps(document))
    return document


def check_stack_file(project_dir: Path, stack: str, cache_dir: Path | None = None) -> None:
    """Check ``Pulumi.<stack>.yaml`` in ``project_dir`` against its ``Pulumi.yaml``."""
    project = load_project(_project_document(project_dir / "Pulumi.yaml", cache_dir))
    path = project_dir / f"Pulumi.{stack}.yaml"
    document = _parse(path.read_text()) if path.exists() else None
    check_stack_config(project, stack, (document or {}).get("config"))


def set_secret(project_dir: Path, stack: str, key: str, plaintext: str) -> None:
    """``pulumi config set --secret KEY`` (value from stdin): a secure value in the file."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    document = (_parse(path.read_text()) if path.exists() else None) or {}
    document.setdefault("config", {})[key] = {"secure": fake_encrypt(plaintext)}
    path.write_text(json.dumps(document, indent=2, sort_keys=True))


def main(argv: list[str]) -> int:
    """``check PROJECT_DIR STACK [CACHE_DIR]`` or ``set-secret PROJECT_DIR STACK KEY``
    (the value on stdin)."""
    command, project_dir, stack = argv[1], Path(argv[2]), argv[3]
    if command == "set-secret":
        # Trailing newlines are stripped unless --raw (configSetCmd.Run).
        set_secret(project_dir, stack, argv[4], sys.stdin.read().removesuffix("\n"))
        return 0
    try:
        check_stack_file(project_dir, stack, Path(argv[4]) if len(argv) > 4 else None)
    except ConfigRejected as error:
        # The CLI wraps it: pkg/cmd/pulumi/operations/preview.go (and up, refresh, destroy).
        print(f"error: validating stack config: {error}", file=sys.stderr)
        return 255
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
