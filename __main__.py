"""Pulumi entry point: read this stack's config, build the component for its kind."""

from akeyless_gateway_org.components.program import main

main()
