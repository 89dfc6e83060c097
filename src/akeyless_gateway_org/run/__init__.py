"""The live side: the org-wide run over the Pulumi Automation API, phase by phase.

Never imports the review side (``akeyless_gateway_org.review``); the CLI joins them.
"""
