"""The optional ``enroll`` stack: an account coming into scope starts its own deployment.

In the management account, in us-east-1 (where Organizations' CloudTrail events reach
EventBridge), one EventBridge rule per way an account comes into scope sends a GitHub
``repository_dispatch`` (``POST /repos/{owner}/{repo}/dispatches``, event type
``enroll-account``, ``client_payload.account_id``) through an API destination;
``.github/workflows/org-deploy.yml`` checks the ID and the org file's selection and runs
that account's stacks (README.md, "Auto-enrolment").

The ways in, as the management account's EventBridge sees them:

- ``created``: ``CreateAccountResult`` with state ``SUCCEEDED``, a service event
  (detail-type ``AWS Service Event via CloudTrail``,
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html);
  the ID in ``serviceEventDetails.createAccountStatus.accountId``
  (https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateAccountStatus.html).
- ``invited``: ``InviteAccountToOrganization`` of an account ID. ``AcceptHandshake`` is
  called by the invited account, so its CloudTrail event is that account's, never the
  management account's (https://docs.aws.amazon.com/organizations/latest/APIReference/API_AcceptHandshake.html:
  "only a principal from the member account"); the dispatch therefore comes at invitation,
  and the workflow's selection check (ACTIVE members only, with discovery from
  organizations) skips an account that has not accepted yet. (Organizations now also logs
  ``AccountJoinedOrganization`` in the management account on acceptance, per the same page,
  but AWS documents no example of it, so no rule relies on its fields:
  tests/data/organizations_events.json, ``_not_documented``.)
- ``moved``: ``MoveAccount`` into an OU the selection includes (or, with only excluded
  OUs, anywhere but those). An OU nested under an included one is not matched: the rule
  knows only the IDs the org file names.

A dispatch GitHub does not take is retried for up to a day, then kept two weeks in a
dead-letter queue only these rules may send to (``dead_letter_policy``).

The token: the connection's API-key authorization, which EventBridge keeps in a Secrets
Manager secret of its own (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-target-connection.html);
this program reads it from the secret the org file names and passes it as a Pulumi
secret, so the state holds it encrypted only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from akeyless_gateway_org.components.aws_account import account_provider
from akeyless_gateway_org.components.iam_documents import PolicyDocument, permissions_boundary_arn
from akeyless_gateway_org.components.iam_role import role_with_inline_policy
from akeyless_gateway_org.config.fields import partition_of
from akeyless_gateway_org.config.model import AccountSelection
from akeyless_gateway_org.config.stack_config import EnrollStackConfig
from akeyless_gateway_org.errors import RunFailure

EVENT_TYPE = "enroll-account"
"""The ``repository_dispatch`` type ``.github/workflows/org-deploy.yml`` accepts."""
GITHUB_API = "https://api.github.com"
RESOURCE_PREFIX = "akeyless-gateway-enroll"
ACCOUNT_ID_PLACEHOLDER = "account_id"
# https://docs.github.com/en/rest/repos/repos#create-a-repository-dispatch-event
GITHUB_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600
"""The longest SQS keeps a message (MessageRetentionPeriod at most 1,209,600 s): two weeks to
notice a dispatch that never reached GitHub and send it again."""
RETRY_MAX_EVENT_AGE_SECONDS = 24 * 3600
RETRY_MAX_ATTEMPTS = 185
"""EventBridge's retry policy, at the longest it allows (and its defaults), written out so a
reviewer sees it: 24 hours and 185 attempts with exponential back-off, then the dead-letter
queue (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html)."""

_ORGANIZATIONS = {"source": ["aws.organizations"]}
_API_CALL = "AWS API Call via CloudTrail"
_SERVICE_EVENT = "AWS Service Event via CloudTrail"
_SUCCEEDED_CALL = {"errorCode": [{"exists": False}]}
"""A CloudTrail record of a refused call carries ``errorCode``; a successful one does not."""


@dataclass(frozen=True)
class EnrollTrigger:
    """One rule: the events it matches, and where in them the new account's ID is."""

    name: str
    pattern: dict[str, Any]
    account_id_path: str


def _call(event_name: str, **detail: Any) -> dict[str, Any]:
    return {
        **_ORGANIZATIONS,
        "detail-type": [_API_CALL],
        "detail": {
            "eventSource": ["organizations.amazonaws.com"],
            "eventName": [event_name],
            **_SUCCEEDED_CALL,
            **detail,
        },
    }


def _moves_into_scope(selection: AccountSelection) -> dict[str, Any] | None:
    """The ``destinationParentId`` filter of a move into scope, or None (no move changes it)."""
    if selection.source != "organizations":
        return None  # the file lists the accounts: an OU never brings one in
    if selection.include_ous:
        kept = [ou for ou in selection.include_ous if ou not in selection.exclude_ous]
        return {"destinationParentId": kept} if kept else None
    if selection.exclude_ous:
        return {"destinationParentId": [{"anything-but": list(selection.exclude_ous)}]}
    return None  # every OU is in scope: a move does not bring an account in


def enroll_triggers(selection: AccountSelection) -> list[EnrollTrigger]:
    """The rules of the enroll stack for the org file's selection (module docstring)."""
    triggers = [
        EnrollTrigger(
            "created",
            {
                **_ORGANIZATIONS,
                "detail-type": [_SERVICE_EVENT],
                "detail": {
                    "eventSource": ["organizations.amazonaws.com"],
                    "eventName": ["CreateAccountResult"],
                    "serviceEventDetails": {"createAccountStatus": {"state": ["SUCCEEDED"]}},
                },
            },
            "$.detail.serviceEventDetails.createAccountStatus.accountId",
        ),
        EnrollTrigger(
            "invited",
            _call(
                "InviteAccountToOrganization", requestParameters={"target": {"type": ["ACCOUNT"]}}
            ),
            "$.detail.requestParameters.target.id",
        ),
    ]
    if (moved := _moves_into_scope(selection)) is not None:
        triggers.append(
            EnrollTrigger(
                "moved",
                _call("MoveAccount", requestParameters=moved),
                "$.detail.requestParameters.accountId",
            )
        )
    return triggers


def dispatch_input_template() -> str:
    """The body of the dispatch, ``<account_id>`` filled in by the input transformer.

    In quotes, so EventBridge inserts the value as a JSON string
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html).
    """
    body = {"event_type": EVENT_TYPE, "client_payload": {"account_id": "<account_id>"}}
    return json.dumps(body, separators=(",", ":"))


def dispatch_endpoint(repository: str) -> str:
    """GitHub's endpoint creating a ``repository_dispatch`` event on ``owner/name``."""
    return f"{GITHUB_API}/repos/{repository}/dispatches"


def rule_name(trigger: str) -> str:
    return f"{RESOURCE_PREFIX}-{trigger}"


def rule_arn(partition: str, region: str, account_id: str, trigger: str) -> str:
    """A rule of the default event bus (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html)."""
    return f"arn:{partition}:events:{region}:{account_id}:rule/{rule_name(trigger)}"


def invoke_trust_policy(account_id: str, rule_arns: list[str]) -> PolicyDocument:
    """EventBridge may assume the role only for this account's enroll rules (confused deputy:
    https://docs.aws.amazon.com/eventbridge/latest/userguide/cross-service-confused-deputy-prevention.html)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EventBridgeEnrollRules",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnEquals": {"aws:SourceArn": rule_arns},
                },
            }
        ],
    }


def dead_letter_policy(queue_arn: str, rule_arns: list[str]) -> PolicyDocument:
    """The dead-letter queue's resource policy: EventBridge may send to it only for this
    account's enroll rules (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html,
    "Granting permissions to the dead-letter queue")."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EventBridgeEnrollRulesDeadLetters",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arns}},
            }
        ],
    }


def invoke_policy(api_destination_arn: str) -> PolicyDocument:
    """The only grant of the role: invoke this one API destination."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InvokeEnrollDestination",
                "Effect": "Allow",
                "Action": ["events:InvokeApiDestination"],
                "Resource": [api_destination_arn],
            }
        ],
    }


class EnrollStack(pulumi.ComponentResource):
    """The enroll stack's resources (module docstring), in the management account."""

    def __init__(
        self, name: str, config: EnrollStackConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("akeyless-gateway:org:Enroll", name, None, opts)
        partition = partition_of(config.region)
        provider = account_provider(
            f"{name}-aws",
            account_id=config.account_id,
            region=config.region,
            partition=partition,
            bootstrap_role_name=config.bootstrap_role_name,
            parent=self,
        )
        in_account = pulumi.ResourceOptions(parent=self, provider=provider)
        github = config.github
        # Read now (a synchronous invoke), not as an output: a failed read then ends the
        # program with the provider's message, which an awaited output cannot catch (the
        # Python host prints that one with its traceback).
        try:
            token = aws.secretsmanager.get_secret_version(
                secret_id=github.token_secret_arn,
                opts=pulumi.InvokeOptions(parent=self, provider=provider),
            ).secret_string
        except Exception as error:  # the SDK raises a plain Exception for a failed invoke
            raise RunFailure(
                f"cannot read the GitHub token from {github.token_secret_arn}: {error}"
            ) from None
        connection = aws.cloudwatch.EventConnection(
            f"{name}-github",
            name=f"{RESOURCE_PREFIX}-github",
            description=f"GitHub repository_dispatch to {github.repository}",
            authorization_type="API_KEY",
            auth_parameters=aws.cloudwatch.EventConnectionAuthParametersArgs(
                api_key=aws.cloudwatch.EventConnectionAuthParametersApiKeyArgs(
                    key="Authorization",
                    value=pulumi.Output.secret(token).apply(lambda value: f"Bearer {value}"),
                ),
                invocation_http_parameters=aws.cloudwatch.EventConnectionAuthParametersInvocationHttpParametersArgs(
                    headers=[
                        aws.cloudwatch.EventConnectionAuthParametersInvocationHttpParametersHeaderArgs(
                            key=key, value=value, is_value_secret=False
                        )
                        for key, value in GITHUB_HEADERS.items()
                    ]
                ),
            ),
            opts=in_account,
        )
        destination = aws.cloudwatch.EventApiDestination(
            f"{name}-dispatch",
            name=f"{RESOURCE_PREFIX}-dispatch",
            description="POST /repos/{owner}/{repo}/dispatches",
            connection_arn=connection.arn,
            http_method="POST",
            invocation_endpoint=dispatch_endpoint(github.repository),
            invocation_rate_limit_per_second=1,
            opts=in_account,
        )
        triggers = enroll_triggers(config.discovery)
        rule_arns = [
            rule_arn(partition, config.region, config.account_id, trigger.name)
            for trigger in triggers
        ]
        role = role_with_inline_policy(
            f"{name}-invoke",
            role_name=RESOURCE_PREFIX,
            path=config.iam.path,
            description="EventBridge: send the enroll dispatch to GitHub",
            trust_policy=json.dumps(invoke_trust_policy(config.account_id, rule_arns)),
            policy=None,
            permissions_boundary_arn=permissions_boundary_arn(
                partition,
                config.account_id,
                arn=config.iam.permissions_boundary_arn,
                policy_name=config.iam.permissions_boundary_policy_name,
                policy_path=config.iam.permissions_boundary_policy_path,
            ),
            tags=config.tags,
            opts=in_account,
        )
        aws.iam.RolePolicy(
            f"{name}-invoke-policy",
            name=f"{RESOURCE_PREFIX}-policy",
            role=role.name,
            policy=destination.arn.apply(lambda arn: json.dumps(invoke_policy(arn))),
            opts=in_account,
        )
        # Events GitHub never received (retries spent, or refused) wait here, not dropped.
        # SQS-managed encryption: no KMS key policy to open to EventBridge.
        dead_letters = aws.sqs.Queue(
            f"{name}-dead-letters",
            name=f"{RESOURCE_PREFIX}-dead-letters",
            message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
            tags=config.tags,
            opts=in_account,
        )
        aws.sqs.QueuePolicy(
            f"{name}-dead-letters-policy",
            queue_url=dead_letters.url,
            policy=dead_letters.arn.apply(
                lambda arn: json.dumps(dead_letter_policy(arn, rule_arns))
            ),
            opts=in_account,
        )
        for trigger in triggers:
            rule = aws.cloudwatch.EventRule(
                f"{name}-{trigger.name}",
                name=rule_name(trigger.name),
                description=f"Organizations: an account {trigger.name} into scope",
                event_pattern=json.dumps(trigger.pattern),
                tags=config.tags,
                opts=in_account,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{trigger.name}-dispatch",
                rule=rule.name,
                arn=destination.arn,
                role_arn=role.arn,
                input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
                    input_paths={ACCOUNT_ID_PLACEHOLDER: trigger.account_id_path},
                    input_template=dispatch_input_template(),
                ),
                retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                    maximum_event_age_in_seconds=RETRY_MAX_EVENT_AGE_SECONDS,
                    maximum_retry_attempts=RETRY_MAX_ATTEMPTS,
                ),
                dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(
                    arn=dead_letters.arn
                ),
                opts=in_account,
            )
        self.register_outputs({})
