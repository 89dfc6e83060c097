"""``orgctl verify``: do AWS, Akeyless and the Pulumi state agree, account by account?

- ``expected``: the picture from the org file, by the components' own pure functions;
- ``model``: the records the readers produce and the findings;
- ``compare``: expected and observed in, findings out (pure);
- ``aws_reader`` (boto3, through each account's read-only preview role) and
  ``akeyless_reader`` (the official ``akeyless`` SDK): the edges;
- ``check.verify_org``: reads, then compares. The Pulumi state is read through the
  runner's ``outputs`` (``run.protocol.StackRunner``), passed in by the caller.
"""
