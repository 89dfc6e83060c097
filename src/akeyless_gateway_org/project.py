"""Where the Pulumi project is: the one place that knows.

The Pulumi program (``__main__.py``, ``Pulumi.yaml``) lives at the root of the checkout,
beside ``components/``, ``config/`` and ``policy/``, which this package maps as its
sub-packages. A portal that installed the package elsewhere passes its checkout as
``project_dir`` instead (``AutomationRunner(project_dir=...)``).
"""

from __future__ import annotations

import functools
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
