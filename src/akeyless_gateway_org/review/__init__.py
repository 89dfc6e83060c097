"""The review side: the offline render, the review document and the PR comment.

Never imports the live side (``akeyless_gateway_org.run``); the CLI joins them.
"""
