"""The PR comment, from recorded preview results and from the offline render."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pulumi.automation.events import StepEventMetadata

from akeyless_gateway_org.cli import main
from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.records import ResourceStep, StackRecord
from akeyless_gateway_org.review.pr_comment import MARKER, MAX_CHARS, render_comment
from akeyless_gateway_org.run.pulumi_runner import step_of
from tests.conftest import CENTRALIZED_EXAMPLE, orgctl_with_fake
from tests.fake_pulumi import install_fake_pulumi
from tests.test_components import rendered


def policy(*actions: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
        }
    )


def StackPreview(  # reads like the record it makes
    name: str,
    account: str,
    status: Any,
    changes: dict[str, int],
    steps: list[ResourceStep] | None = None,
    error: str | None = None,
) -> StackRecord:
    """A live run's record of a stack, as the orchestrator fills it."""
    return StackRecord(
        name,
        name.split("-")[0],
        account,
        0,
        status=status,
        changes=changes,
        steps=steps or [],
        error=error,
    )


def step_from_event(metadata: dict[str, Any]) -> ResourceStep:
    """The step the runner keeps of an engine ``resourcePreEvent`` (its JSON metadata)."""
    return step_of(StepEventMetadata.from_json(metadata))


def event(
    op: str,
    name: str,
    diffs: list[str],
    old: dict[str, Any],
    new: dict[str, Any],
    type_: str = "aws:iam/rolePolicy:RolePolicy",
) -> dict[str, Any]:
    """A recorded ``resourcePreEvent`` metadata, as the engine writes it."""
    return {
        "op": op,
        "urn": f"urn:pulumi:member-1::akeyless-gateway-org::{type_}::{name}",
        "type": type_,
        "diffs": diffs,
        "old": {"inputs": old},
        "new": {"inputs": new},
    }


RECORDED = [
    StackPreview("org", "111111111111", "succeeded", {"same": 4}),
    StackPreview("hub", "222222222222", "succeeded", {"same": 16}),
    StackPreview(
        "member-333333333333",
        "333333333333",
        "succeeded",
        {"update": 1, "replace": 1, "same": 8},
        [
            step_from_event(
                event(
                    "update",
                    "member-policy",
                    ["policy"],
                    {"policy": policy("iam:CreateUser")},
                    {"policy": policy("iam:CreateUser", "iam:DeleteUser")},
                )
            ),
            step_from_event(
                event(
                    "create-replacement",
                    "member-role",
                    ["assumeRolePolicy", "name"],
                    {"name": "old-name", "assumeRolePolicy": "[secret]"},
                    {"name": "new-name", "assumeRolePolicy": "[secret]"},
                    "aws:iam/role:Role",
                )
            ),
        ],
    ),
    StackPreview(
        "member-444444444444",
        "444444444444",
        "failed",
        {},
        error="error: update failed: AccessDenied assuming OrganizationAccountAccessRole",
    ),
]


def test_summary_first_then_details_of_changing_stacks_only() -> None:
    comment = render_comment(RECORDED)
    assert comment.startswith(MARKER)
    table = comment.index("| stack | account |")
    assert table < comment.index("<details>")
    for stack in RECORDED:
        assert f"| `{stack.name}` |" in comment
    assert comment.count("<details>") == 2  # the changing stack and the failed one
    assert "No changes: `org`, `hub`." in comment
    assert "| `member-333333333333` | 333333333333 | 0 | 1 | 0 | 1 | succeeded |" in comment
    assert "❌ failed" in comment and "AccessDenied" in comment


def test_an_iam_policy_change_reads_as_a_json_diff() -> None:
    comment = render_comment(RECORDED)
    assert '    +        "iam:DeleteUser"' in comment
    assert '    -        "iam:CreateUser"' in comment
    assert "```diff" in comment


def test_replacements_and_plain_properties_show_old_and_new() -> None:
    comment = render_comment(RECORDED)
    assert "- `± replace` `aws:iam/role:Role` **member-role**" in comment
    assert "`name`: `old-name` → `new-name`" in comment


def test_secrets_stay_masked() -> None:
    comment = render_comment(RECORDED)
    assert "`assumeRolePolicy`: `[secret]` → `[secret]`" in comment


def test_no_changes_at_all_is_one_table_and_one_line() -> None:
    quiet = [StackPreview(f"member-{n}", str(n), "succeeded", {"same": 3}) for n in range(3)]
    comment = render_comment(quiet)
    assert "<details>" not in comment
    assert "3 stacks: 0 with changes, 3 without, 0 failed." in comment


def test_the_cap_trims_details_never_the_summary() -> None:
    big_policy = policy(*(f"iam:Action{n}" for n in range(60)))
    stacks = [
        StackPreview(
            f"member-{n:012d}",
            f"{n:012d}",
            "succeeded",
            {"create": 1},
            [
                ResourceStep(
                    "create", "aws:iam/rolePolicy:RolePolicy", f"p{n}", new={"policy": big_policy}
                )
            ],
        )
        for n in range(400)
    ]
    comment = render_comment(stacks)
    assert len(comment) <= MAX_CHARS
    for stack in stacks:
        assert f"| `{stack.name}` |" in comment  # every row of the summary
    assert "> Trimmed: the details of" in comment
    kept = comment.count("<details>")
    assert 0 < kept < 400
    assert f"the details of {400 - kept} stack(s)" in comment


def test_desired_state_from_the_render_of_the_example(centralized_org: OrgDeployment) -> None:
    records = [stack.record() for stack in rendered(centralized_org)]
    comment = render_comment(records, title="desired state")
    assert len(comment) <= MAX_CHARS
    assert comment.count("<details>") == 5
    assert "akeyless-gateway-member" in comment
    generated = "<member-333333333333-external-id.external_id: known after deploy, secret>"
    assert f'"sts:ExternalId": "{generated}"' in comment  # generated at deploy, kept secret
    assert "akeyless-gateway:centralized:Member" not in comment  # components left out


def test_cli_render_and_preview_write_the_comment(tmp_path: Path) -> None:
    out, desired = tmp_path / "out", tmp_path / "desired.md"
    args = ["render", "--config", str(CENTRALIZED_EXAMPLE), "--out", str(out)]
    assert main([*args, "--pr-comment", str(desired)]) == 0
    assert desired.read_text().startswith(MARKER)
    fake = install_fake_pulumi(tmp_path / "cli")
    previewed = orgctl_with_fake(
        "preview", fake, tmp_path, "--pr-comment", str(tmp_path / "preview.md")
    )
    assert previewed.returncode == 0, previewed.stderr
    comment = (tmp_path / "preview.md").read_text()
    assert "## Akeyless Gateway: org-wide preview" in comment
    assert "- `+ create` `aws:iam/role:Role` **hub-role**" in comment  # from engine events


def test_values_cannot_break_out_of_their_code_into_markdown() -> None:
    # A value from a pull request that closes a plain `...` span and adds an image
    # (which GitHub would fetch) and a fake heading.
    evil = "x` ![pixel](https://evil.example/p.png) `y"
    step = ResourceStep(
        "update",
        "aws:ec2/securityGroup:SecurityGroup",
        "sg ![n](https://evil.example/n.png)",
        old={"description": "ok"},
        new={"description": evil},
        diffs=["description"],
    )
    failed = StackPreview(
        "hub", "222222222222", "failed", {}, error="boom ```\n![e](https://evil.example/e.png)"
    )
    comment = render_comment(
        [StackPreview("org", "111111111111", "succeeded", {"update": 1}, [step]), failed]
    )
    line = next(line for line in comment.splitlines() if "description" in line)
    assert "``x` ![pixel](https://evil.example/p.png) `y``" in line  # one code span, whole
    assert "**sg !\\[n\\](https://evil.example/n.png)**" in comment  # no link without [...]
    error_block = comment[comment.index("**Error:**") :]
    assert error_block.splitlines()[2] == "````"  # longer than the ``` inside the error
    assert "![e](https://evil.example/e.png)" in error_block.split("````")[1]  # inside the block
