"""Keep the ``config:`` section of ``Pulumi.yaml`` in step with :class:`StackConfig`.

``python -m scripts.pulumi_yaml`` rewrites the section from the model; the tests
fail when the file and the model disagree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from config.stack_config import flat_keys

PULUMI_YAML = Path(__file__).resolve().parent.parent / "Pulumi.yaml"
CONFIG_MARKER = "\nconfig:\n"


def config_declarations() -> dict[str, dict[str, Any]]:
    """Each stack setting's Pulumi declaration: type, description, default, secret."""
    declarations: dict[str, dict[str, Any]] = {}
    for key in flat_keys():
        entry: dict[str, Any] = {"type": key.type, "description": key.description}
        if key.type == "array":
            entry["items"] = {"type": "string"}
        if key.secret:
            entry["secret"] = True
        if key.default not in (None, []):
            entry["default"] = key.default
        declarations[key.name] = entry
    return declarations


def rewrite(path: Path = PULUMI_YAML) -> None:
    head = path.read_text(encoding="utf-8").split(CONFIG_MARKER)[0]
    body = yaml.safe_dump(config_declarations(), sort_keys=False, width=100)
    indented = "".join(f"  {line}\n" for line in body.splitlines())
    path.write_text(f"{head}{CONFIG_MARKER}{indented}", encoding="utf-8")


if __name__ == "__main__":
    rewrite()
