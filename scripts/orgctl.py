#!/usr/bin/env python3
"""``python scripts/orgctl.py``: the ``orgctl`` command, for a checkout whose virtualenv
has the project installed (``pip install -e .``); the same as ``.venv/bin/orgctl``."""

from akeyless_gateway_org.cli import run_command

if __name__ == "__main__":
    run_command()
