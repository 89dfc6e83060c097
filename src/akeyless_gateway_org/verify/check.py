"""``verify_org``: read what the plan names from AWS, Akeyless and the Pulumi state, compare.

Read-only: the readers only read (see their modules for the exact calls). Reads run in a
small thread pool, each object once; a read that fails makes that object "unchecked" and
the others still run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import boto3

from akeyless_gateway_org.config.fields import partition_of
from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.errors import InvalidInput, RunFailure
from akeyless_gateway_org.verify.akeyless_reader import AkeylessSdkReader
from akeyless_gateway_org.verify.aws_reader import Boto3IamReader
from akeyless_gateway_org.verify.compare import Observed, compare
from akeyless_gateway_org.verify.expected import expected_org
from akeyless_gateway_org.verify.model import (
    AkeylessReader,
    AwsReader,
    Read,
    StateReader,
    Unreadable,
    VerifyResult,
)

_T = TypeVar("_T")
READ_THREADS = 8


def _read(call: Callable[[], _T | None]) -> Read[_T]:
    try:
        return call()
    except RunFailure as error:  # ReadFailed, the runner's StackFailed, Akeyless API errors
        return Unreadable(str(error))


def _outputs(state: StateReader, stack: str, existing: Read[list[str]]) -> Read[Mapping[str, Any]]:
    if isinstance(existing, Unreadable):
        return existing
    if existing is None or stack not in existing:
        return None
    return _read(lambda: state.outputs(stack))


def verify_org(
    org: OrgDeployment,
    *,
    aws: AwsReader,
    akeyless: AkeylessReader,
    state: StateReader,
    threads: int = READ_THREADS,
) -> VerifyResult:
    """Whether AWS, Akeyless and the Pulumi state agree with the plan for every account of
    ``org`` (its ``accounts`` as given: resolve a discovery first) and with each other."""
    expected = expected_org(org)
    roles = [(r.account_id, r.args.role_name) for r in expected.gateway_roles] + [
        (r.account_id, r.args.role_name) for r in expected.member_roles
    ]
    auth_names = [auth.plan.auth_method_name for auth in expected.auths]
    role_names = [auth.plan.role_name for auth in expected.auths]
    target_names = [target.name for target in expected.targets]
    existing = _read(state.existing_stacks)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        role_reads = {key: pool.submit(_read, lambda k=key: aws.role(*k)) for key in roles}
        auth_reads = {
            n: pool.submit(_read, lambda n=n: akeyless.auth_method(n)) for n in auth_names
        }
        access_reads = {n: pool.submit(_read, lambda n=n: akeyless.role(n)) for n in role_names}
        target_reads = {n: pool.submit(_read, lambda n=n: akeyless.target(n)) for n in target_names}
        stack_reads = {
            s.stack: pool.submit(_outputs, state, s.stack, existing) for s in expected.stacks
        }
        observed = Observed(
            roles={key: future.result() for key, future in role_reads.items()},
            auth_methods={key: future.result() for key, future in auth_reads.items()},
            access_roles={key: future.result() for key, future in access_reads.items()},
            targets={key: future.result() for key, future in target_reads.items()},
            stacks={key: future.result() for key, future in stack_reads.items()},
        )
    result = compare(expected, observed)
    return VerifyResult(expected.accounts, result.findings, result.unchecked, result.checked)


class PreviewRoleMissing(InvalidInput):
    """``verify`` reads AWS only through a read-only role, and the org file names none."""


def aws_reader_for(
    org: OrgDeployment, session: boto3.session.Session | None = None
) -> Boto3IamReader:
    """The AWS reader of ``org``: its ``preview_role_name`` in every account, never the
    bootstrap role; ``session``'s credentials (default: boto3's chain) assume it."""
    if org.preview_role_name is None:
        raise PreviewRoleMissing(
            "verify reads AWS through the read-only role the org file names in "
            "preview_role_name, and it names none (the bootstrap role is never used to verify)"
        )
    region = org.regions[0]
    return Boto3IamReader(
        preview_role_name=org.preview_role_name,
        partition=partition_of(region),
        region=region,
        session=session,
    )


def akeyless_reader_for(org: OrgDeployment, access_key: str | None = None) -> AkeylessSdkReader:
    """The Akeyless reader of ``org``: ``akeyless.api_url``, logged in as
    ``akeyless.login_access_id`` (``api_key``: with ``access_key``)."""
    settings = org.akeyless
    if settings.login_access_id is None:  # validation requires it; a model built by hand may not
        raise InvalidInput("verify logs in to Akeyless as akeyless.login_access_id: set it")
    return AkeylessSdkReader(
        api_url=settings.api_url,
        login=settings.login,
        access_id=settings.login_access_id,
        access_key=access_key,
    )
