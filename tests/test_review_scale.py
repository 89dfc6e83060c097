"""render.md and the PR comment a reviewer can sign: escaped values, the security settings,
the risks, and review by difference at 1,000 member accounts (sizes only: the times are
in ``benchmarks/render_bench.py``)."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.records import ResourceStep, StackRecord
from akeyless_gateway_org.review.pr_comment import MARKER, render_comment
from akeyless_gateway_org.review.render import render_markdown
from akeyless_gateway_org.review.review_document import (
    SummaryFacts,
    review_document,
    security_settings,
)
from tests.test_components import rendered

GITHUB_COMMENT_LIMIT = 65_536
"""GitHub refuses a comment body longer than this (the REST API's 422 "body is too long")."""
MEMBERS = 1_000


@pytest.fixture(scope="module")
def records(centralized_org: OrgDeployment) -> list[StackRecord]:
    return [stack.record() for stack in rendered(centralized_org)]


def _as_accounts(record: StackRecord, accounts: list[str]) -> list[StackRecord]:
    """The member record as the render makes it for each of ``accounts``: its ID
    everywhere, and a tag of its own."""
    as_json = json.dumps(dataclasses.asdict(record))  # once: the copies differ in the ID only
    copies = []
    for account in accounts:
        copied = json.loads(as_json.replace(record.account, account))
        copies.append(
            dataclasses.replace(
                record,
                name=copied["name"],
                account=account,
                resources=copied["resources"],
                steps=[ResourceStep(**step) for step in copied["steps"]],
                tags={**record.tags, "team": f"t{account[-1]}"},
            )
        )
    return copies


@pytest.fixture(scope="module")
def organization(
    records: list[StackRecord],
) -> tuple[list[StackRecord], dict[str, str | None]]:
    """org, hub, the example's odd member (its own KMS key) and 1,000 copies of a member,
    with their account names: built once (a second each), read by the tests below."""
    org, hub, template, _, odd = records
    members = _as_accounts(template, [f"{900000000000 + n}" for n in range(MEMBERS)])
    names: dict[str, str | None] = {m.account: f"workload-{n:04d}" for n, m in enumerate(members)}
    return [org, hub, *members, odd], names


def test_a_thousand_members_fit_one_review_document_with_every_difference(
    organization: tuple[list[StackRecord], dict[str, str | None]],
) -> None:
    stacks, names = organization
    markdown = review_document(stacks, [], SummaryFacts(pattern="centralized", accounts=names))
    assert markdown.count("\n") < 5_000
    assert markdown.count("\n## Stack ") == 4  # org, hub, the template, the odd member
    for stack in stacks:
        assert stack.account in markdown
    for name in names.values():
        assert f"| {name} |" in markdown  # in the stacks table and the difference table
    assert "| 900000000999 | workload-0999 | team=t9 |" in markdown  # its own tag value too
    assert "## Stack `member-555555555555`" in markdown  # differs in more: in full


def test_a_thousand_members_fit_one_pr_comment_summary_first(
    organization: tuple[list[StackRecord], dict[str, str | None]],
) -> None:
    stacks, _ = organization
    comment = render_comment(stacks)
    assert len(comment) < GITHUB_COMMENT_LIMIT
    assert comment.startswith(MARKER)
    assert comment.index("and 999 more like it") < comment.index("<details>")
    assert "Trimmed" not in comment
    for stack in stacks:
        assert stack.account in comment


def test_hostile_values_stay_values(records: list[StackRecord]) -> None:
    """An account name (org-file text) cannot end a row, hide the document or break a span."""
    hostile = "prod\r| fake | row |\n<!-- hide everything ``` `` ` @org/security-team <img src=x>"
    member = records[2]
    markdown = review_document(records, [], SummaryFacts(accounts={member.account: hostile}))
    assert "\r" not in markdown
    assert re.search(r"(?<!\\)<(!--|img)", markdown) is None  # each < escaped
    assert "prod\\\\r\\| fake \\| row \\|\\\\n\\<!-- hide" in markdown
    row = next(line for line in markdown.splitlines() if line.startswith("| `member-3"))
    assert row.count(" | ") == 7 - 1  # seven cells: the pipes inside are escaped
    comment = render_comment([dataclasses.replace(member, name=f"member {hostile}")])
    assert "<img" not in comment and "@org" not in comment
    assert comment.count("<!--") == 1  # the comment's own marker only


def test_security_settings_of_the_hub_and_an_account(records: list[StackRecord]) -> None:
    hub = dict(security_settings(records[1]))
    assert hub["load balancer hub-compute-lb"] == "internal, network"
    assert hub["Listener 8000"] == "Gateway API (v2): TCP, plain (not encrypted in transit)"
    assert hub["public IP (hub-compute-launch-template)"] == "none"
    assert hub["instance metadata (hub-compute-launch-template)"] == "IMDSv2 required, hop limit 2"
    assert hub["volume /dev/xvda (hub-compute-launch-template)"] == "encrypted, AWS-managed key"
    assert hub["image (hub-compute-launch-template)"] == (
        "akeyless/gateway:5.0.1: tag only, NOT pinned by digest"
    )
    assert hub["deployment to Gateway"].startswith("PLAIN HTTP to http://")
    assert security_settings(records[0]) == []  # the org stack runs nothing


def test_the_summary_names_the_risks(centralized_org: OrgDeployment) -> None:
    markdown = render_markdown(rendered(centralized_org))
    risks = markdown[markdown.index("### Risks to accept") : markdown.index("### Stacks")]
    assert (
        "role /akeyless/akeyless-gateway → role /akeyless/akeyless-gateway-member (trust" in risks
    )
    assert (
        "in any account of the organization (StringEquals aws:ResourceOrgID = o-a1b2c3d4e5)"
        in risks
    )
    assert "`akeyless-gateway-member: iam:ListUsers (3 stacks)`" in risks
    assert "`p-admins0exmpl`" in risks
    assert "`http://<hub-compute-lb.dnsName: known after deploy>:8000/api/v2`" in risks
