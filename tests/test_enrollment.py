"""The enroll stack: its event patterns against AWS's sample events, its exact inputs,
its render under the policy pack, and its token never in clear."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from akeyless_gateway_org.components.compute_kinds import offline_lookup
from akeyless_gateway_org.components.enrollment import (
    EVENT_TYPE,
    dispatch_input_template,
    enroll_triggers,
    event_field,
)
from akeyless_gateway_org.config.model import AccountSelection, OrgDeployment
from akeyless_gateway_org.config.validation import parse_org
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
from tests.conftest import example_document

EVENTS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "organizations_events.json").read_text()
)
SELECTED_OU = "ou-ab12-selected1"
TOKEN = "github_pat_NOT-A-REAL-TOKEN-0123456789"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:org/github-token-AbCdEf"


# --- a faithful matcher of the operators the patterns use ------------------------------
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html and
# eb-create-pattern-operators.html: a pattern's leaf is an array of alternatives; a field
# matches if its value (or, for an array value, any element) equals one of them; a
# pattern field absent from the event never matches, except {"exists": false};
# {"anything-but": [...]} matches a present value equal to none of them.


def _leaf_matches(alternatives: list[Any], present: bool, value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    for alternative in alternatives:
        if isinstance(alternative, Mapping):
            ((operator, operand),) = alternative.items()
            if operator == "exists":
                if present is operand:
                    return True
            elif operator == "anything-but":
                excluded = operand if isinstance(operand, list) else [operand]
                if present and all(v not in excluded for v in values):
                    return True
            else:
                raise AssertionError(f"operator {operator} not modelled")
        elif present and alternative in values:
            return True
    return False


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    for key, expected in pattern.items():
        present = isinstance(event, Mapping) and key in event and event[key] is not None
        value = event.get(key) if isinstance(event, Mapping) else None
        if isinstance(expected, Mapping):
            if not (present and isinstance(value, Mapping) and matches(expected, value)):
                return False
        elif not _leaf_matches(expected, present, value):
            return False
    return True


def test_the_matcher_follows_the_documented_operators() -> None:
    assert matches({"a": ["x"]}, {"a": "x"}) and not matches({"a": ["x"]}, {"a": "y"})
    assert matches({"a": ["x"]}, {"a": ["y", "x"]})  # any element of an array
    assert not matches({"a": ["x"]}, {})  # absent never matches
    assert matches({"e": [{"exists": False}]}, {}) and not matches(
        {"e": [{"exists": False}]}, {"e": "1"}
    )
    assert matches({"a": [{"anything-but": ["x"]}]}, {"a": "y"})
    assert not matches({"a": [{"anything-but": ["x"]}]}, {"a": "x"})
    assert not matches({"a": [{"anything-but": ["x"]}]}, {})  # anything-but needs the field


ORGANIZATIONS_SELECTION = AccountSelection(source="organizations", include_ous=(SELECTED_OU,))


def fired(selection: AccountSelection, event: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The triggers that match ``event``, each with the account ID its input path selects."""
    return [
        (trigger.name, event_field(event, trigger.account_id_path))
        for trigger in enroll_triggers(selection)
        if matches(trigger.pattern, event)
    ]


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("created", [("created", "333333333333")]),
        ("invited", [("invited", "444444444444")]),
        ("moved_into_selected", [("moved", "555555555555")]),
        ("created_failed", []),
        ("invited_by_email", []),
        ("moved_elsewhere", []),
        ("moved_refused", []),
        ("unrelated", []),
    ],
)
def test_each_sample_event_fires_only_its_rule_with_the_account_id(
    sample: str, expected: list[tuple[str, str]]
) -> None:
    assert fired(ORGANIZATIONS_SELECTION, EVENTS[sample]) == expected


def test_moves_follow_the_selection() -> None:
    # The file lists the accounts: no move rule.
    assert [t.name for t in enroll_triggers(AccountSelection())] == ["created", "invited"]
    # Only excluded OUs: a move anywhere else brings the account in.
    excluding = AccountSelection(source="organizations", exclude_ous=(SELECTED_OU,))
    assert fired(excluding, EVENTS["moved_elsewhere"]) == [("moved", "555555555555")]
    assert fired(excluding, EVENTS["moved_into_selected"]) == []


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
    assert len([v for v in check(policy) if v.rule == "events-invoke-scoped"]) == 2
    assert len([v for v in check(role) if v.rule == "events-invoke-scoped"]) == 2


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
