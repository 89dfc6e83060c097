"""Pulumi entry point: read this stack's config, build the component for its kind."""

from components.program import main

main()
