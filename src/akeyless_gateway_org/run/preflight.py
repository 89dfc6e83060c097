"""Before any stack runs: does the deployment have an AWS identity at all?

Every stack's AWS provider and the Akeyless AWS IAM login sign with the deployer's
AWS credentials. Without any, a stack fails halfway (resources created, then a
provider's traceback). :func:`caller_identity` asks STS ``GetCallerIdentity``, which
needs no permission (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html),
with the credentials the run's children would find, so a run without an identity
stops before its first stack with a clear error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import boto3
import botocore.config
import botocore.exceptions

from akeyless_gateway_org.errors import RunFailure

TIMEOUTS = botocore.config.Config(connect_timeout=10, read_timeout=20, retries={"max_attempts": 2})


class AwsIdentityMissing(RunFailure):
    """The deployment has no AWS identity that STS accepts: nothing was run."""


def caller_identity(environment: Mapping[str, str]) -> str:
    """The ARN STS sees for the credentials of ``environment`` over ``os.environ``.

    The order of botocore's default chain, which the AWS provider's children and the
    Akeyless login follow too: access keys in the environment, else ``AWS_PROFILE``
    (or the default profile), else the container or instance role
    (https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html).
    ``AWS_ENDPOINT_URL_STS`` / ``AWS_ENDPOINT_URL`` are honoured as botocore does.
    Raises AwsIdentityMissing naming what is missing.
    """
    # An empty variable is an unset one, as for botocore.
    env = {name: value for name, value in {**os.environ, **environment}.items() if value}
    keys = env.get("AWS_ACCESS_KEY_ID")
    try:
        session = boto3.Session(
            aws_access_key_id=keys,
            aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY") if keys else None,
            aws_session_token=env.get("AWS_SESSION_TOKEN") if keys else None,
            profile_name=None if keys else env.get("AWS_PROFILE"),
            region_name=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        )
        client = session.client(
            "sts",
            endpoint_url=env.get("AWS_ENDPOINT_URL_STS") or env.get("AWS_ENDPOINT_URL"),
            config=TIMEOUTS,
        )
        return str(client.get_caller_identity()["Arn"])
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        raise AwsIdentityMissing(
            "no AWS identity for the deployment: STS GetCallerIdentity failed with the "
            "credentials of the run's environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            f"AWS_PROFILE, or an instance or container role): {error}. Nothing was deployed."
        ) from None
