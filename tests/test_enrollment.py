"""The enroll stack: its event patterns against AWS's sample events, its exact inputs,
its render under the policy pack, and its token never in clear."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from akeyless_gateway_org.components.compute_kinds import offline_lookup
from akeyless_gateway_org.components.enrollment import (
    ACCOUNT_ID_PLACEHOLDER,
    EVENT_TYPE,
    EnrollTrigger,
    dispatch_input_template,
    enroll_triggers,
    rule_name,
)
from akeyless_gateway_org.config.model import ENROLL_REGION, AccountSelection, OrgDeployment
from akeyless_gateway_org.config.validation import ConfigError, parse_org
from akeyless_gateway_org.policy.rules import Resource, check
from akeyless_gateway_org.review import render as render_module
from akeyless_gateway_org.review.render import (
    StackRender,
    after_deploy,
    policy_violations,
    render,
)
from akeyless_gateway_org.review.review_document import SummaryFacts, review_document
from akeyless_gateway_org.run.shards import phase_of
from akeyless_gateway_org.verify.expected import expected_org
from tests.conftest import example_document, run_orgctl

SAMPLES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "organizations_events.json").read_text()
)["samples"]
"""AWS's documented Organizations events, each with its page and what was changed (the file's
``_about``); the few without a documented example are marked ``constructed``."""
SELECTED_OU = "ou-examplerootid111-exampleouid111"
"""The destination OU of the MoveAccount API reference's example (the moved samples)."""
TOKEN = "github_pat_NOT-A-REAL-TOKEN-0123456789"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:org/github-token-AbCdEf"


# --- the patterns on moto's EventBridge ------------------------------------------------
# moto implements no TestEventPattern (moto/events/models.py: ``test_event_pattern`` raises
# NotImplementedError; responses.py: ``pass``), but its PutEvents matches every rule of the
# bus with its EventPattern class and sends the target's InputTransformer output to an SQS
# target (models.py: ``Rule.send_to_targets``, ``EventPattern``; utils.py:
# ``EventTemplateParser``). So each rule gets a queue of its own, and what arrives there is
# the dispatch body GitHub would receive. (Real EventBridge refuses PutEvents with an
# ``aws.`` source; moto does not, which is what lets a documented AWS event through.)

MOTO_OPERATORS = frozenset(
    {
        "exists",
        "anything-but",
        "prefix",
        "suffix",
        "equals-ignore-case",
        "numeric",
        "cidr",
        "wildcard",
    }
)
"""The named filters moto's ``EventPattern._does_item_match_named_filter`` evaluates (moto
5.2 models.py); any other name it lets match everything, so the patterns may use only these."""


def operators(pattern: Any) -> set[str]:
    """The named filters (``{"exists": false}``...) anywhere in an event pattern."""
    if isinstance(pattern, Mapping):
        return {name for value in pattern.values() for name in operators(value)}
    if isinstance(pattern, list):
        return {
            name
            for item in pattern
            if isinstance(item, Mapping)
            for name in item  # a filter: {"<operator>": operand}
        }
    return set()


class MotoEventBridge:
    """moto's EventBridge and SQS in this process: per selection, an event bus with the enroll
    rules, each rule's target a queue of its own."""

    def __init__(self) -> None:
        self.events = boto3.client("events", region_name=ENROLL_REGION)
        self.sqs = boto3.client("sqs", region_name=ENROLL_REGION)
        self._buses: dict[str, tuple[str, dict[str, str]]] = {}

    def _bus(self, selection: AccountSelection) -> tuple[str, dict[str, str]]:
        """The bus of ``selection`` (made on first use) and its queue URL per rule."""
        key = selection.model_dump_json()
        if key not in self._buses:
            bus = f"enroll-{len(self._buses)}"
            self.events.create_event_bus(Name=bus)
            self._buses[key] = (
                bus,
                {
                    trigger.name: self._rule_to_queue(bus, trigger)
                    for trigger in enroll_triggers(selection)
                },
            )
        return self._buses[key]

    def _rule_to_queue(self, bus: str, trigger: EnrollTrigger) -> str:
        """The trigger's rule on ``bus``, as the enroll stack makes it, whose target is a new
        queue (its URL returned) instead of the API destination."""
        url: str = self.sqs.create_queue(QueueName=f"{bus}-{trigger.name}")["QueueUrl"]
        queue = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        name = rule_name(trigger.name)
        self.events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(trigger.pattern))
        transformer = {
            "InputPathsMap": {ACCOUNT_ID_PLACEHOLDER: trigger.account_id_path},
            "InputTemplate": dispatch_input_template(),
        }
        target = {"Id": "dispatch", "Arn": queue["Attributes"]["QueueArn"]}
        self.events.put_targets(
            Rule=name, EventBusName=bus, Targets=[{**target, "InputTransformer": transformer}]
        )
        return url

    def fired(self, selection: AccountSelection, sample: str) -> list[tuple[str, Any]]:
        """The enroll rules a sample event sets off, each with the account ID its dispatch
        carries."""
        event = SAMPLES[sample]["event"]
        bus, queues = self._bus(selection)
        entry = {
            "EventBusName": bus,
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]),
        }
        assert self.events.put_events(Entries=[entry])["FailedEntryCount"] == 0
        dispatched = []
        for name, url in queues.items():
            received = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
            for message in received.get("Messages", []):
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                body = json.loads(message["Body"])
                assert body["event_type"] == EVENT_TYPE, body
                dispatched.append((name, body["client_payload"]["account_id"]))
        return dispatched


@pytest.fixture(scope="module")
def eventbridge() -> Iterator[MotoEventBridge]:
    with mock_aws():
        yield MotoEventBridge()


ORGANIZATIONS_SELECTION = AccountSelection(source="organizations", include_ous=(SELECTED_OU,))


def test_every_sample_cites_its_page_and_says_what_changed() -> None:
    for name, sample in SAMPLES.items():
        assert sample["documented_at"].startswith("https://docs.aws.amazon.com/"), name
        assert sample["archived_source"].startswith("https://github.com/awsdocs/"), name
        assert sample["changes"], name
    documented = sorted(name for name, sample in SAMPLES.items() if not sample.get("constructed"))
    assert {"created", "created_failed", "invited", "create_ou"} <= set(documented)


def test_the_patterns_use_only_operators_moto_evaluates() -> None:
    selections = (
        ORGANIZATIONS_SELECTION,
        AccountSelection(source="organizations", exclude_ous=(SELECTED_OU,)),
    )
    used = {name for s in selections for t in enroll_triggers(s) for name in operators(t.pattern)}
    assert used == {"exists", "anything-but"}
    assert used <= MOTO_OPERATORS


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        # Documented by AWS (tests/data/organizations_events.json says where).
        ("created", [("created", "444455556666")]),
        # The page's invitation names account 111111111111 as the target (its handshake
        # lists 222222222222 as the invited party: the page's own inconsistency). The rule
        # dispatches the request's target; the workflow then checks the ID is in scope.
        ("invited", [("invited", "111111111111")]),
        ("created_failed", []),
        ("create_account_call", []),  # the call only starts the workflow: wait for its result
        ("attach_policy_refused", []),
        ("close_account", []),
        ("close_account_result", []),
        ("create_ou", []),
        # Constructed from documented pieces (no documented example: the data file's
        # _not_documented).
        ("moved_into_selected", [("moved", "333333333333")]),
        ("invited_by_email", []),
        ("invited_refused", []),
        ("moved_elsewhere", []),
    ],
)
def test_each_sample_event_fires_only_its_rule_with_the_account_id(
    eventbridge: MotoEventBridge, sample: str, expected: list[tuple[str, str]]
) -> None:
    assert eventbridge.fired(ORGANIZATIONS_SELECTION, sample) == expected


def test_moves_follow_the_selection(eventbridge: MotoEventBridge) -> None:
    # The file lists the accounts: no move rule.
    assert [t.name for t in enroll_triggers(AccountSelection())] == ["created", "invited"]
    # Only excluded OUs: a move anywhere else brings the account in.
    excluding = AccountSelection(source="organizations", exclude_ous=(SELECTED_OU,))
    assert eventbridge.fired(excluding, "moved_elsewhere") == [("moved", "333333333333")]
    assert eventbridge.fired(excluding, "moved_into_selected") == []


def test_the_dispatch_body_is_what_the_workflow_reads() -> None:
    # EventBridge replaces "<account_id>" (quoted: a JSON string) with the input path's value.
    body = json.loads(dispatch_input_template().replace("<account_id>", "333333333333"))
    assert body == {"event_type": EVENT_TYPE, "client_payload": {"account_id": "333333333333"}}
    workflow = (Path(__file__).parents[1] / ".github/workflows/org-deploy.yml").read_text()
    assert f"types: [{EVENT_TYPE}]" in workflow


# --- the stack in the plan, the render and the policy pack ------------------------------


def enrolled_org() -> OrgDeployment:
    data = example_document()
    data["accounts"] = data["accounts"][:1]
    data["discovery"] = {"source": "organizations", "include_ous": [SELECTED_OU]}
    data["enrollment"] = {
        "github": {"repository": "example-org/akeyless-gateway-org", "token_secret_arn": SECRET_ARN}
    }
    return parse_org(data)


@pytest.mark.parametrize(
    ("arn", "named"),
    [
        # Another region: the stack's provider reads secrets of us-east-1 only.
        (
            "arn:aws:secretsmanager:eu-west-1:111111111111:secret:org/github-token-AbCdEf",
            "eu-west-1",
        ),
        # Another account (a member's): the stack runs in the management account.
        (
            "arn:aws:secretsmanager:us-east-1:333333333333:secret:org/github-token-AbCdEf",
            "333333333333",
        ),
        # Another partition: us-east-1 is in aws.
        (
            "arn:aws-us-gov:secretsmanager:us-east-1:111111111111:secret:github-AbCdEf",
            "111111111111",
        ),
    ],
)
def test_a_token_secret_the_enroll_stack_cannot_read_is_refused(arn: str, named: str) -> None:
    data = example_document()
    data["enrollment"] = {"github": {"repository": "example-org/gw", "token_secret_arn": arn}}
    with pytest.raises(ConfigError) as caught:
        parse_org(data, "org.yaml")
    (problem,) = caught.value.problems
    assert problem.path == "enrollment.github.token_secret_arn"
    assert named in problem.message and "management account 111111111111 in us-east-1" in (
        problem.message
    )


def test_orgctl_names_the_token_secret_field_and_exits_2(tmp_path: Path) -> None:
    data = example_document()
    wrong = SECRET_ARN.replace("us-east-1", "us-west-2")
    data["enrollment"] = {"github": {"repository": "example-org/gw", "token_secret_arn": wrong}}
    org = tmp_path / "org.yaml"
    org.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = run_orgctl(
        "render", "--config", str(org), "--out", str(tmp_path / "out"), home=tmp_path
    )
    assert result.returncode == 2, result.stderr
    assert "enrollment.github.token_secret_arn" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def enroll_render() -> list[StackRender]:
    """The render, the secret lookup answering with a known token (render.py's offline
    lookups answer nothing for it otherwise)."""

    def with_secret(token: str) -> Any:
        if token == "aws:secretsmanager/getSecretVersion:getSecretVersion":
            return lambda args, _after: {"arn": args["secretId"], "secretString": TOKEN}
        return offline_lookup(token)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render_module, "offline_lookup", with_secret)
        return render(enrolled_org())


def enroll_stack(stacks: list[StackRender]) -> StackRender:
    (found,) = [s for s in stacks if s.spec.name == "enroll"]
    return found


def test_the_enroll_stack_is_planned_in_the_org_phase_only_when_asked(
    enroll_render: list[StackRender],
) -> None:
    stack = enroll_stack(enroll_render)
    assert (stack.spec.kind, stack.spec.phase, phase_of(stack.spec.kind)) == ("enroll", 0, "org")
    assert stack.spec.config.region == "us-east-1"
    data = example_document()
    assert "enroll" not in [
        s.spec.name for s in render(parse_org(data | {"accounts": data["accounts"][:1]}))
    ]


def _one(stack: StackRender, type_: str, name: str | None = None) -> Any:
    found = [r for r in stack.resources if r.type == type_ and (name is None or r.name == name)]
    assert len(found) == 1, [r.name for r in stack.resources]
    return found[0]


def test_the_enroll_stack_registers_exactly_these_inputs(enroll_render: list[StackRender]) -> None:
    stack = enroll_stack(enroll_render)
    rules = {r.name: r for r in stack.resources if r.type == "aws:cloudwatch/eventRule:EventRule"}
    assert sorted(rules) == ["enroll-created", "enroll-invited", "enroll-moved"]
    # The patterns the moto tests above run are the ones registered.
    for trigger in enroll_triggers(ORGANIZATIONS_SELECTION):
        assert json.loads(rules[f"enroll-{trigger.name}"].inputs["eventPattern"]) == trigger.pattern
    moved = json.loads(rules["enroll-moved"].inputs["eventPattern"])
    assert moved["detail"]["requestParameters"] == {"destinationParentId": [SELECTED_OU]}
    destination = _one(stack, "aws:cloudwatch/eventApiDestination:EventApiDestination")
    assert destination.inputs["invocationEndpoint"] == (
        "https://api.github.com/repos/example-org/akeyless-gateway-org/dispatches"
    )
    assert destination.inputs["httpMethod"] == "POST"
    targets = [r for r in stack.resources if r.type == "aws:cloudwatch/eventTarget:EventTarget"]
    assert {t.inputs["inputTransformer"]["inputPaths"]["account_id"] for t in targets} == {
        "$.detail.serviceEventDetails.createAccountStatus.accountId",
        "$.detail.requestParameters.target.id",
        "$.detail.requestParameters.accountId",
    }
    assert all(t.inputs["roleArn"] and t.inputs["arn"] for t in targets)
    role = _one(stack, "aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust[0]["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust[0]["Condition"]["StringEquals"] == {"aws:SourceAccount": "111111111111"}
    assert sorted(trust[0]["Condition"]["ArnEquals"]["aws:SourceArn"]) == [
        f"arn:aws:events:us-east-1:111111111111:rule/akeyless-gateway-enroll-{name}"
        for name in ("created", "invited", "moved")
    ]
    # Every target retries for a day, then leaves the event in the dead-letter queue, which
    # only these rules may send to.
    queue = _one(stack, "aws:sqs/queue:Queue")
    assert queue.inputs["sqsManagedSseEnabled"] is True
    assert queue.inputs["messageRetentionSeconds"] == 14 * 24 * 3600
    for target in targets:
        assert target.inputs["deadLetterConfig"] == {"arn": after_deploy(queue.name, "arn")}
        assert target.inputs["retryPolicy"] == {
            "maximumEventAgeInSeconds": 86400,
            "maximumRetryAttempts": 185,
        }
    queue_policy = _one(stack, "aws:sqs/queuePolicy:QueuePolicy")
    assert queue_policy.inputs["queueUrl"] == after_deploy(queue.name, "url")
    (dead_letters,) = json.loads(queue_policy.inputs["policy"])["Statement"]
    assert dead_letters["Principal"] == {"Service": "events.amazonaws.com"}
    assert dead_letters["Action"] == "sqs:SendMessage"
    assert dead_letters["Resource"] == after_deploy(queue.name, "arn")
    assert dead_letters["Condition"] == {
        "ArnEquals": {"aws:SourceArn": trust[0]["Condition"]["ArnEquals"]["aws:SourceArn"]}
    }
    grant = json.loads(_one(stack, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    (statement,) = grant["Statement"]
    assert statement["Action"] == ["events:InvokeApiDestination"]
    assert statement["Resource"] == [after_deploy(destination.name, "arn")]  # that one destination
    assert "*" not in statement["Resource"][0]


def test_the_render_with_enrollment_passes_the_policy_pack(
    enroll_render: list[StackRender],
) -> None:
    assert policy_violations(enroll_render) == []


def test_the_policy_pack_refuses_a_broad_invoke_role() -> None:
    broad = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["events:InvokeApiDestination", "events:PutEvents"],
                "Resource": ["arn:aws:events:us-east-1:111111111111:api-destination/x/*"],
            }
        ],
    }
    loose_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    policy = Resource("aws:iam/rolePolicy:RolePolicy", "p", {"policy": json.dumps(broad)})
    role = Resource(
        "aws:iam/role:Role", "r", {"assumeRolePolicy": json.dumps(loose_trust), "tags": {}}
    )
    open_queue = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"],
                "Resource": "arn:aws:sqs:us-east-1:111111111111:*",
            }
        ],
    }
    queue = Resource("aws:sqs/queuePolicy:QueuePolicy", "q", {"policy": json.dumps(open_queue)})
    assert len([v for v in check(policy) if v.rule == "events-invoke-scoped"]) == 2
    assert len([v for v in check(role) if v.rule == "events-invoke-scoped"]) == 2
    # Another action, a wildcard queue, and no rule named: three findings.
    assert len([v for v in check(queue) if v.rule == "events-invoke-scoped"]) == 3


def test_the_token_is_never_in_clear_in_the_render(enroll_render: list[StackRender]) -> None:
    stack = enroll_stack(enroll_render)
    connection = _one(stack, "aws:cloudwatch/eventConnection:EventConnection")
    # It does reach the connection (so the test can fail)...
    raw = connection.raw_inputs["authParameters"]["apiKey"]["value"]
    assert raw == f"Bearer {TOKEN}"
    # ...and nothing shown or written has it.
    shown = json.dumps([s.as_json() for s in enroll_render]) + json.dumps(
        [r.inputs for s in enroll_render for r in s.resources]
    )
    assert TOKEN not in shown
    assert TOKEN not in json.dumps(stack.spec.config.model_dump(mode="json"))


def test_the_review_document_shows_the_enroll_stack_without_the_token(
    enroll_render: list[StackRender],
) -> None:
    markdown = review_document(
        [stack.record() for stack in enroll_render],
        policy_violations(enroll_render),
        SummaryFacts(),
    )
    section = markdown[markdown.index("## Stack `enroll`") :]
    assert section.startswith("## Stack `enroll`")
    assert "The enroll stack (optional, management account, us-east-1)" in section
    assert "events:InvokeApiDestination" in section
    assert "akeyless-gateway-enroll" in section
    assert TOKEN not in markdown


def test_verify_plans_around_the_enroll_stack() -> None:
    expected = expected_org(enrolled_org())
    assert "enroll" not in [outputs.stack for outputs in expected.stacks]
    assert [outputs.stack for outputs in expected.stacks][:1] == ["org"]
