"""render.md as the review document: every section for every stack kind, exit codes, bytes.

Each example is rendered once per session through ``orgctl render`` (a few
seconds each); the sections are then read from the file it wrote. The pure
function ``review_document`` is also tested on small hand-made stacks for what
no example registers (separate security-group rule resources, prefix lists).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from akeyless_gateway_org.cli import main
from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.config.stacks import plan_stacks
from akeyless_gateway_org.policy.rules import Violation
from akeyless_gateway_org.records import StackRecord
from akeyless_gateway_org.review.markdown import escape
from akeyless_gateway_org.review.render import (
    RecordedResource,
    StackRender,
    after_deploy,
    render_markdown,
)
from akeyless_gateway_org.review.review_document import (
    PLACEHOLDER,
    SECTIONS,
    SummaryFacts,
    review_document,
)
from tests.conftest import CENTRALIZED_EXAMPLE, DISTRIBUTED_EXAMPLE, example_document

ROLE = "aws:iam/role:Role"
SG = "aws:ec2/securityGroup:SecurityGroup"


@dataclass(frozen=True)
class Rendered:
    """What one ``orgctl render`` run left behind."""

    source: Path
    code: int
    out: Path
    markdown: str
    document: dict[str, Any]
    stderr: str


def _render(source: Path, out: Path, capsys: pytest.CaptureFixture[str] | None = None) -> Rendered:
    code = main(["render", "--config", str(source), "--out", str(out)])
    stderr = capsys.readouterr().err if capsys is not None else ""
    markdown = (out / "render.md").read_text(encoding="utf-8") if out.exists() else ""
    document = json.loads((out / "render.json").read_text()) if out.exists() else {}
    return Rendered(source, code, out, markdown, document, stderr)


@pytest.fixture(scope="session")
def centralized(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return _render(CENTRALIZED_EXAMPLE, tmp_path_factory.mktemp("centralized"))


@pytest.fixture(scope="session")
def distributed(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return _render(DISTRIBUTED_EXAMPLE, tmp_path_factory.mktemp("distributed"))


def stack_text(markdown: str, stack: str) -> str:
    """One stack's part of the document: from its heading to the next level-2 heading."""
    start = markdown.index(f"## Stack `{stack}`\n")
    following = markdown.find("\n## ", start + 1)
    return markdown[start : following if following != -1 else None]


def section(markdown: str, stack: str, number: int) -> str:
    """Section ``number`` (1-8) of a stack."""
    text = stack_text(markdown, stack)
    start = text.index(f"### {number}. {SECTIONS[number - 1]}\n")
    following = text.find("\n### ", start + 1)
    return text[start:following]


def resources_of(rendered: Rendered, stack: str) -> list[dict[str, Any]]:
    found = [s for s in rendered.document["stacks"] if s["name"] == stack]
    assert found, stack
    resources: list[dict[str, Any]] = found[0]["resources"]
    return resources


# --- the examples -----------------------------------------------------------------


@pytest.mark.parametrize("example", ["centralized", "distributed"])
def test_summary_names_source_pattern_stacks_counts_and_policy(
    example: str, request: pytest.FixtureRequest
) -> None:
    rendered: Rendered = request.getfixturevalue(example)
    assert rendered.code == 0, rendered.stderr
    summary = rendered.markdown[: rendered.markdown.index("\n## Stack ")]
    digest = hashlib.sha256(rendered.source.read_bytes()).hexdigest()
    assert f"| Source file | `{rendered.source}` |" in summary
    assert f"| SHA-256 | `{digest}` |" in summary
    pattern = example_document(rendered.source)["pattern"]
    assert f"| Pattern | {pattern} |" in summary
    for account in example_document(rendered.source)["accounts"]:
        assert f"| {account['id']} | {account['name']} |" in summary
    stacks = rendered.document["stacks"]
    assert f"| Stacks | {len(stacks)} |" in summary
    for stack in stacks:
        assert f"| `{stack['name']}` | {stack['kind']} |" in summary
    counts = Counter(r["type"] for stack in stacks for r in stack["resources"])
    for kind, count in counts.items():
        assert f"| `{kind}` | {count} |" in summary
    assert "| Policy pack | passed: every rule holds for every resource |" in summary
    assert "Violations: none." in summary
    assert "`cross-account-trust-external-id`" in summary  # the rules checked are named


@pytest.mark.parametrize("example", ["centralized", "distributed"])
def test_every_stack_shows_every_section_in_order(
    example: str, request: pytest.FixtureRequest
) -> None:
    rendered: Rendered = request.getfixturevalue(example)
    names = [stack["name"] for stack in rendered.document["stacks"]]
    headings = re.findall(r"^## Stack `([^`]+)`$", rendered.markdown, re.MULTILINE)
    assert headings == names
    for name in names:
        text = stack_text(rendered.markdown, name)
        positions = [text.index(f"### {n}. {title}\n") for n, title in enumerate(SECTIONS, 1)]
        assert positions == sorted(positions), name


def test_org_stack_shows_the_auth_method_and_the_role_rules(centralized: Rendered) -> None:
    what = section(centralized.markdown, "org", 1)
    assert "| Deploys into account | 111111111111 |" in what
    assert "none: this stack creates no AWS resource" in what
    objects = section(centralized.markdown, "org", 7)
    assert "#### AuthMethodAwsIam `/aws-org/auth/gateway`" in objects
    assert "| `boundAwsAccountIds` | `222222222222` |" in objects
    assert (
        "| `boundArns` | `arn:aws:iam::222222222222:role/akeyless/akeyless-gateway, "
        "arn:aws:sts::222222222222:assumed-role/akeyless-gateway/*` |"
    ) in objects
    assert "| item-rule | `/aws-org/*` | read, list |" in objects
    assert "| target-rule | `/aws-org/*` | read, list |" in objects


def test_hub_ec2_stack_trust_policies_rules_and_user_data(centralized: Rendered) -> None:
    what = section(centralized.markdown, "hub", 1)
    assert "| Deploys into account | 222222222222 |" in what
    assert "| Gateway compute | ec2 |" in what
    assert "role/OrganizationAccountAccessRole" in what
    trust = section(centralized.markdown, "hub", 2)
    assert "```mermaid\nflowchart LR" in trust
    assert '(["service ec2.amazonaws.com"])' in trust
    assert (
        "ArnEquals aws:PrincipalArn = arn:aws:iam::222222222222:role/akeyless/akeyless-gateway"
        in trust
    )
    # The hub may assume member roles in any account of the organization only.
    assert (
        "| role /akeyless/akeyless-gateway | call sts:AssumeRole | "
        "role /akeyless/akeyless-gateway-member | "
        "StringEquals aws:ResourceOrgID = o-a1b2c3d4e5 | yes |"
    ) in trust
    policies = section(centralized.markdown, "hub", 3)
    assert '"Sid": "AssumeMemberRoles"' in policies
    assert '```json\n{\n  "Version": "2012-10-17"' in policies  # pretty, not one line
    rules = section(centralized.markdown, "hub", 4)
    assert (
        "| SG hub-compute-lb-security-group (rule hub-compute-lb-ingress-8000-10-0-0-0-8) "
        "| ingress | tcp "
        "| 8000 | CIDR 10.0.0.0/8 |"
    ) in rules
    assert (
        "| SG hub-compute-gateway-sg | ingress | tcp | 8080 | SG hub-compute-lb-security-group |"
        in rules
    )
    assert "| SG hub-compute-gateway-sg | egress | tcp | 443 | CIDR 0.0.0.0/0 |" in rules
    template = next(
        r for r in resources_of(centralized, "hub") if r["name"] == "hub-compute-launch-template"
    )
    script = base64.b64decode(template["inputs"]["userData"]).decode()
    user_data = section(centralized.markdown, "hub", 5)
    assert f"```sh\n{script.rstrip()}\n```" in user_data
    assert "docker run" in user_data and template["inputs"]["userData"] not in user_data
    unknown = section(centralized.markdown, "hub", 8)
    assert (
        "| `hub-compute-launch-template` | `userData (decoded)` | "
        "`<org-gateway-auth-method.accessId: known after deploy>` |"
    ) in unknown


def test_member_stack_trust_needs_the_external_id_generated_at_deploy(
    centralized: Rendered,
) -> None:
    """The External ID does not exist before deploy: it shows as the placeholder of the step
    that generates it, marked secret, never as ``[secret]``, and is listed in section 8."""
    stack = "member-333333333333"
    assert "| Deploys into account | 333333333333 (workloads-prod) |" in section(
        centralized.markdown, stack, 1
    )
    trust = section(centralized.markdown, stack, 2)
    external_id = "<member-333333333333-external-id.external_id: known after deploy, secret>"
    assert (
        "| role /akeyless/akeyless-gateway | sts:AssumeRole | "
        "role /akeyless/akeyless-gateway-member | StringEquals sts:ExternalId = "
        f"{escape(external_id)} | yes |"
    ) in trust
    assert f'"sts:ExternalId": "{external_id}"' in trust  # the trust policy in full
    assert (
        f"| `member-333333333333-access-role` | `assumeRolePolicy` | `{external_id}` | "
        "generated at deploy | yes |"
    ) in section(centralized.markdown, stack, 8)
    objects = section(centralized.markdown, stack, 7)
    assert "#### TargetAws `/aws-org/aws/333333333333/target`" in objects
    assert "| `useGwCloudIdentity` | `true` |" in objects
    assert "| `generateExternalId` | `true` |" in objects
    assert "#### DynamicSecretAws `/aws-org/aws/333333333333/dynamic/assume-role`" in objects
    assert "| `awsRoleArns` | `arn:aws:iam::333333333333:role/app-readonly` |" in objects
    rotated = section(centralized.markdown, "member-555555555555", 7)
    assert "| `apiId` | `AKIAIOSFODNN7EXAMPLE` |" in rotated
    assert "| `rotationInterval` | `30` |" in rotated
    unknown = section(centralized.markdown, stack, 8)
    assert "`<member-333333333333-target.id: known after deploy>`" in unknown
    assert "= [secret]" not in section(centralized.markdown, stack, 2)  # it does not exist yet


def test_distributed_ecs_stack_shows_the_container_environment(distributed: Rendered) -> None:
    stack = "account-333333333333"
    assert "| Gateway compute | ecs |" in section(distributed.markdown, stack, 1)
    trust = section(distributed.markdown, stack, 2)
    assert '(["service ecs-tasks.amazonaws.com"])' in trust
    assert "StringEquals aws:SourceAccount = 333333333333" in trust
    rules = section(distributed.markdown, stack, 4)
    assert (
        "| SG account-333333333333-compute-lb-security-group "
        "(rule account-333333333333-compute-lb-ingress-"
        "8000-10-0-0-0-8) | ingress | tcp | 8000 | CIDR 10.0.0.0/8 |"
    ) in (rules)
    workloads = section(distributed.markdown, stack, 6)
    task = next(r for r in resources_of(distributed, stack) if r["name"].endswith("-compute-task"))
    for variable in json.loads(task["inputs"]["containerDefinitions"])[0]["environment"]:
        assert f"| `{variable['name']}` | `{variable['value']}` |" in workloads
    assert "image `akeyless/gateway:5.0.1`" in workloads
    unknown = section(distributed.markdown, stack, 8)
    assert "`<org-gateway-333333333333-auth-method.accessId: known after deploy>`" in unknown
    assert "This stack runs no EC2 instance." in section(distributed.markdown, stack, 5)


def test_distributed_eks_stack_shows_oidc_trust_and_helm_values(distributed: Rendered) -> None:
    stack = "account-444444444444"
    assert "| Gateway compute | eks |" in section(distributed.markdown, stack, 1)
    trust = section(distributed.markdown, stack, 2)
    issuer = "oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
    assert f'["OIDC provider {issuer}"]' in trust
    assert f"StringEquals {issuer}:sub = system:serviceaccount:akeyless:akeyless-gateway" in trust
    assert f"StringEquals {issuer}:aud = sts.amazonaws.com" in trust
    workloads = section(distributed.markdown, stack, 6)
    release = next(r for r in resources_of(distributed, stack) if r["name"].endswith("-helm"))
    values = yaml.safe_load(workloads.split("```yaml\n", 1)[1].split("```", 1)[0])
    assert values == release["inputs"]["values"]
    assert "Chart `akeyless-gateway` version `3.3.0`" in workloads
    assert "This stack creates no security-group rule." in section(distributed.markdown, stack, 4)
    unknown = section(distributed.markdown, stack, 8)
    assert "`<account-444444444444-gateway-role.arn: known after deploy>`" in unknown


def test_distributed_org_stack_has_one_auth_method_per_account(distributed: Rendered) -> None:
    objects = section(distributed.markdown, "org", 7)
    for account in ("333333333333", "444444444444"):
        assert f"#### AuthMethodAwsIam `/aws-org/auth/gateway-{account}`" in objects
        assert f"| `boundAwsAccountIds` | `{account}` |" in objects
        assert f"| item-rule | `/aws-org/aws/{account}/*` | read, list |" in objects


@pytest.mark.parametrize("example", ["centralized", "distributed"])
def test_render_writes_byte_identical_files_across_runs(
    example: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    first: Rendered = request.getfixturevalue(example)
    _render(first.source, tmp_path)
    for name in ("render.json", "render.md"):
        assert (first.out / name).read_bytes() == (tmp_path / name).read_bytes(), name


# --- exit codes -----------------------------------------------------------------------


def _variant(tmp_path: Path, **changes: Any) -> Path:
    """The distributed example with one (ecs) account and ``changes``: a fast render."""
    data = example_document(DISTRIBUTED_EXAMPLE)
    data["accounts"] = data["accounts"][:1]
    data.update(changes)
    path = tmp_path / "org.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_exit_1_on_a_policy_violation_with_both_files_written_and_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No `owner` tag: every taggable resource breaks the pack's required-tags rule.
    source = _variant(tmp_path, tags={"team": "platform"})
    rendered = _render(source, tmp_path / "out", capsys)
    assert rendered.code == 1
    assert rendered.document["stacks"]  # render.json written too
    printed = re.findall(r"^policy violation: (.+)$", rendered.stderr, re.MULTILINE)
    assert printed and {line.split(":", 1)[0] for line in printed} == {"required-tags"}
    assert "policy violation: required-tags: account-333333333333/" in rendered.stderr
    assert f"| Policy pack | **FAILED: {len(printed)} violation(s)** |" in rendered.markdown
    for line in printed:  # Violation.__str__: "rule: resource (type): message"
        rule, resource = line.split(" ", 2)[:2]
        rule = rule.removesuffix(":")
        assert re.search(
            rf"\| `{re.escape(rule)}` \| `{re.escape(resource)}` \|", rendered.markdown
        )
    assert "Traceback" not in rendered.stderr


def test_exit_2_on_a_bad_org_file_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _variant(tmp_path, management_account_id="12")
    rendered = _render(source, tmp_path / "out", capsys)
    assert rendered.code == 2
    assert "management_account_id" in rendered.stderr
    assert not (tmp_path / "out").exists()


def test_exit_2_when_the_output_folder_is_not_writable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    occupied = tmp_path / "a-file"
    occupied.write_text("not a folder")
    code = main(["render", "--config", str(_variant(tmp_path)), "--out", str(occupied)])
    stderr = capsys.readouterr().err
    assert code == 2
    assert f"cannot write the render into {occupied}" in stderr and "Traceback" not in stderr


# --- the pure function on small data ---------------------------------------------------


def _resource(kind: str, resource_name: str, /, **inputs: Any) -> dict[str, Any]:
    """A ``render.json`` record in account 111111111111."""
    return {
        "type": kind,
        "name": resource_name,
        "parent": None,
        "provider_account": "111111111111",
        "inputs": inputs,
    }


def _document(*resources: dict[str, Any], **facts: Any) -> str:
    stack = StackRecord(
        name="s", kind="account", account="111111111111", phase=1, resources=list(resources)
    )
    return review_document([stack], [], SummaryFacts(**facts))


def test_placeholder_pattern_matches_the_render_marker() -> None:
    match = PLACEHOLDER.fullmatch(after_deploy("eks cluster staging", "endpoint"))
    assert match is not None and match.group(1, 2) == ("eks cluster staging", "endpoint")


def test_security_group_rules_from_separate_rule_resources_and_prefix_lists() -> None:
    group_id = after_deploy("app-sg", "id")
    markdown = _document(
        _resource(
            SG,
            "app-sg",
            description="app",
            ingress=[
                {"protocol": "tcp", "fromPort": 8000.0, "toPort": 8080.0, "prefixListIds": ["pl-1"]}
            ],
        ),
        _resource(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "from-peer",
            securityGroupId=group_id,
            ipProtocol="tcp",
            fromPort=8000.0,
            toPort=8000.0,
            referencedSecurityGroupId="sg-0peer",
            description="peer",
        ),
        _resource(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "from-v6",
            securityGroupId=group_id,
            ipProtocol="tcp",
            fromPort=8080.0,
            toPort=8080.0,
            cidrIpv6="fd00::/8",
        ),
        _resource(
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
            "to-s3",
            securityGroupId=group_id,
            ipProtocol="tcp",
            fromPort=443.0,
            toPort=443.0,
            prefixListId="pl-s3",
        ),
        _resource(
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            "all-self",
            type="egress",
            securityGroupId=group_id,
            protocol="-1",
            fromPort=0.0,
            toPort=0.0,
            self=True,
        ),
    )
    rules = section(markdown, "s", 4)
    assert "| SG app-sg | ingress | tcp | 8000-8080 | prefix list pl-1 |" in rules
    assert "| SG app-sg (rule from-peer) | ingress | tcp | 8000 | SG sg-0peer | peer |" in rules
    assert "| SG app-sg (rule from-v6) | ingress | tcp | 8080 | IPv6 CIDR fd00::/8 |" in rules
    assert "| SG app-sg (rule to-s3) | egress | tcp | 443 | prefix list pl-s3 |" in rules
    assert "| SG app-sg (rule all-self) | egress | all | all | this SG itself |" in rules


def test_a_stack_with_nothing_to_show_says_so_in_every_section() -> None:
    markdown = _document()
    assert "This stack creates no IAM role." in section(markdown, "s", 2)
    assert "This stack creates no identity policy." in section(markdown, "s", 3)
    assert "This stack creates no security-group rule." in section(markdown, "s", 4)
    assert "This stack runs no EC2 instance." in section(markdown, "s", 5)
    assert "This stack runs no container" in section(markdown, "s", 6)
    assert "This stack creates no Akeyless object." in section(markdown, "s", 7)
    assert "Nothing: every value of this stack is known before deploy." in section(markdown, "s", 8)
    assert "| Source file | (not given) |" in markdown


def test_instance_user_data_container_secrets_and_inline_policies() -> None:
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:List*"}]}
    markdown = _document(
        _resource("aws:ec2/instance:Instance", "box", userData="#!/bin/sh\necho hi\n"),
        _resource("aws:ec2/launchTemplate:LaunchTemplate", "odd", userData="not base64!"),
        _resource(
            "aws:ecs/taskDefinition:TaskDefinition",
            "task",
            containerDefinitions=json.dumps(
                [
                    {
                        "name": "app",
                        "image": "app:1",
                        "secrets": [{"name": "TOKEN", "valueFrom": "arn:aws:ssm:::parameter/t"}],
                    }
                ]
            ),
        ),
        _resource(
            ROLE,
            "role",
            name="r",
            path="/",
            inlinePolicies=[{"name": "list", "policy": json.dumps(policy)}],
            managedPolicyArns=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        ),
    )
    user_data = section(markdown, "s", 5)
    assert "```sh\n#!/bin/sh\necho hi\n```" in user_data
    assert "(not valid base64 text; as registered)\nnot base64!" in user_data
    workloads = section(markdown, "s", 6)
    assert "| `TOKEN` | `arn:aws:ssm:::parameter/t` |" in workloads
    policies = section(markdown, "s", 3)
    assert "#### `role`: `inlinePolicies[0].policy`" in policies
    assert '"Action": "s3:List*"' in policies
    assert "- `arn:aws:iam::aws:policy/ReadOnlyAccess`" in policies


def test_trust_graph_labels_escape_what_mermaid_would_parse() -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": after_deploy("peer-role", "arn")},
                "Action": "sts:AssumeRole",
                "Condition": {"StringLike": {"aws:SourceArn": 'arn:"x"|y'}},
            }
        ],
    }
    markdown = _document(_resource(ROLE, "role", name="r", assumeRolePolicy=json.dumps(trust)))
    graph = section(markdown, "s", 2).split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert "#60;peer-role.arn: known after deploy#62;" in graph
    assert "aws:SourceArn = arn:#34;x#34;#124;y" in graph
    for line in graph.splitlines():
        for label in re.findall(r'"(.*?)"[\]|)]', line):
            # The one markup a label carries: line breaks between conditions.
            assert not set(label.replace("<br/>", "")) & set('<>"|'), line
        assert line.count('"') % 2 == 0, line


def test_summary_lists_violations_and_the_optional_facts() -> None:
    stack = StackRecord(name="s", kind="org", account="111111111111", phase=0, resources=[])
    violation = Violation("required-tags", "s/lb", "aws:lb/loadBalancer:LoadBalancer", "no owner")
    markdown = review_document(
        [stack],
        [violation],
        SummaryFacts(sdk_source="schema-driven classes", listed_accounts_only=True),
    )
    summary = markdown[: markdown.index("\n## Stack ")]
    assert "| Policy pack | **FAILED: 1 violation(s)** |" in summary
    assert "| `required-tags` | `s/lb` | `aws:lb/loadBalancer:LoadBalancer` | no owner |" in summary
    assert "| Akeyless resource classes | schema-driven classes |" in summary
    assert "**Only the accounts listed in the file were rendered.**" in summary
    plain = review_document([stack], [], SummaryFacts())
    assert "Only the accounts listed" not in plain and "Akeyless resource classes" not in plain


def test_the_document_reads_only_masked_inputs(centralized_org: OrgDeployment) -> None:
    """A secret in the raw inputs (kept for tests) never reaches render.md."""
    spec = plan_stacks(centralized_org)[0]
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "{}"}},
            }
        ]
    }
    masked, raw = (
        json.dumps(trust).replace("{}", value) for value in ("[secret]", "clear-external-id")
    )
    role = RecordedResource(
        type=ROLE,
        name="role",
        parent=None,
        provider_account="111111111111",
        inputs={"assumeRolePolicy": masked},
        raw_inputs={"assumeRolePolicy": raw},
    )
    markdown = render_markdown([StackRender(spec, [role])])
    assert "clear-external-id" not in markdown
    assert "StringEquals sts:ExternalId = [secret]" in markdown
