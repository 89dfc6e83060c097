"""``python -m tests.engine.orgctl ARGS``: ``orgctl`` for the end-to-end runs on the real engine.

The same CLI, with one difference: it skips ``pulumi install``. That step generates
``pulumi_akeyless`` from the Akeyless Terraform provider through the ``terraform-provider``
plugin, which these machines cannot download (the CLI fails with "failed to download plugin:
terraform-provider-1.1.0"); the end-to-end runs put the schema-driven classes on PYTHONPATH
instead (tests/engine/shim), and the venv already holds every other dependency.
"""

from __future__ import annotations

import sys
from typing import Any

from akeyless_gateway_org.run import pulumi_runner


class _WithoutInstall(pulumi_runner.AutomationRunner):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**{**kwargs, "install": False})


if __name__ == "__main__":
    pulumi_runner.AutomationRunner = _WithoutInstall  # type: ignore[misc]
    from akeyless_gateway_org.cli import main

    sys.exit(main())
