"""Where the Pulumi project is: the one place that knows.

The Pulumi program (``__main__.py``, ``Pulumi.yaml``) lives at the root of the checkout,
beside ``components/``, ``config/`` and ``policy/``, which this package maps as its
sub-packages. A portal that installed the package elsewhere passes its checkout as
``project_dir`` instead (``AutomationRunner(project_dir=...)``).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from pathlib import Path

import yaml

# This file is src/akeyless_gateway_org/project.py in the checkout.
PROJECT_DIR = Path(__file__).resolve().parents[2]
PROGRAM = PROJECT_DIR / "__main__.py"


@functools.cache
def project_name(project_dir: Path = PROJECT_DIR) -> str:
    """The ``name:`` of ``Pulumi.yaml``: the namespace of the project's config keys.

    Read once per process: the file ships with the code, and a portal renders many times.
    """
    document = yaml.safe_load((project_dir / "Pulumi.yaml").read_text(encoding="utf-8"))
    return str(document["name"])


PROGRAM_SOURCES = (
    "Pulumi.yaml",
    "__main__.py",
    "components",
    "config",
    "policy",
    "src/akeyless_gateway_org/__init__.py",
    "src/akeyless_gateway_org/errors.py",
    "src/akeyless_gateway_org/faults.py",
    "src/akeyless_gateway_org/terminal.py",
)
"""What the Pulumi program is made of, relative to the project: its entry point and every
module it can import. The layers of ``pyproject.toml`` (import-linter) keep ``components``
and below from importing ``run``, ``review``, ``cli``, ``discovery``, ``project`` or
``records``; a test checks the program's imports stay inside this list."""
LOCKED_DEPENDENCIES = "requirements.lock"
"""The locked dependency set the program's virtualenv is installed from."""


def files_digest(root: Path, paths: Sequence[str]) -> str:
    """SHA-256 over the files at ``paths`` (folders walked, ``__pycache__`` left out) under
    ``root``, each with its relative path: a renamed, added or removed file changes it."""
    found: list[Path] = []
    for name in paths:
        path = root / name
        if path.is_dir():
            found += [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        elif path.is_file():
            found.append(path)
    hashed = hashlib.sha256()
    for path in sorted(found):
        hashed.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
        hashed.update(hashlib.sha256(path.read_bytes()).digest())
    return hashed.hexdigest()
