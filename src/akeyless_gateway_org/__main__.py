"""``python -m akeyless_gateway_org``: the ``orgctl`` command."""

from akeyless_gateway_org.cli import run_command

run_command()
