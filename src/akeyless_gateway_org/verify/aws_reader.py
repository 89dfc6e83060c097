"""Reads the IAM roles ``verify`` checks, with boto3, through each account's preview role.

Never the bootstrap (admin) role: in every account the org file's ``preview_role_name``
(read-only, the role a live preview uses) is assumed, with the caller's own credentials,
and only these read actions are called (README, "orgctl verify"):
``sts:AssumeRole`` (on the preview roles), then ``iam:GetRole``, ``iam:ListRolePolicies``,
``iam:GetRolePolicy`` and ``iam:ListAttachedRolePolicies``. boto3 honours
``AWS_ENDPOINT_URL`` (so an emulator works) and hands policy documents over parsed:
IAM returns them URL-encoded JSON, which botocore decodes (``botocore/handlers.py``,
``json_decode_policies``).
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
import botocore.exceptions

from akeyless_gateway_org.components.aws_account import bootstrap_role_arn
from akeyless_gateway_org.verify.model import IamRole, ReadFailed

SESSION_NAME = "akeyless-gateway-verify"


class Boto3IamReader:
    """An :class:`~akeyless_gateway_org.verify.model.AwsReader` over boto3.

    ``session``: whose credentials assume the preview roles (default: boto3's own chain).
    Thread-safe: clients are made under a lock from one session (boto3 sessions are not
    thread-safe, its clients are: boto3 docs, "Multithreading or multiprocessing with
    clients"), so the service models load once.
    """

    def __init__(
        self,
        *,
        preview_role_name: str,
        partition: str,
        region: str,
        session: boto3.session.Session | None = None,
    ) -> None:
        self.preview_role_name = preview_role_name
        self.partition = partition
        self.region = region
        self._session = session or boto3.session.Session()
        self._lock = threading.Lock()
        self._sts: Any = None

    def _iam(self, account_id: str) -> Any:
        # The preview role sits at path "/" like the bootstrap role (same ARN rule).
        arn = bootstrap_role_arn(self.partition, account_id, self.preview_role_name)
        with self._lock:
            if self._sts is None:
                self._sts = self._session.client("sts", region_name=self.region)
        credentials = self._sts.assume_role(RoleArn=arn, RoleSessionName=SESSION_NAME)[
            "Credentials"
        ]
        with self._lock:
            return self._session.client(
                "iam",
                region_name=self.region,
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
            )

    def role(self, account_id: str, role_name: str) -> IamRole | None:
        where = (
            f"the IAM role {role_name} of account {account_id} "
            f"(through the preview role {self.preview_role_name})"
        )
        try:
            iam = self._iam(account_id)
            try:
                role = iam.get_role(RoleName=role_name)["Role"]
            except iam.exceptions.NoSuchEntityException:
                return None
            names = [
                name
                for page in iam.get_paginator("list_role_policies").paginate(RoleName=role_name)
                for name in page["PolicyNames"]
            ]
            inline = {
                name: iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
                for name in names
            }
            attached = tuple(
                policy["PolicyArn"]
                for page in iam.get_paginator("list_attached_role_policies").paginate(
                    RoleName=role_name
                )
                for policy in page["AttachedPolicies"]
            )
        except botocore.exceptions.ClientError as error:
            details = error.response.get("Error", {})
            raise ReadFailed(
                f"cannot read {where}: {details.get('Code')}: {details.get('Message')}"
            ) from None
        except botocore.exceptions.BotoCoreError as error:  # no credentials, no connection
            raise ReadFailed(f"cannot read {where}: {error}") from None
        return IamRole(
            arn=role["Arn"],
            trust_policy=role.get("AssumeRolePolicyDocument") or {},
            boundary_arn=(role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
            inline_policies=inline,
            attached_policy_arns=attached,
        )
