"""``render.md``: the review document a security reviewer signs, as a pure function.

:func:`review_document` takes the rendered stacks' records (``records.StackRecord``,
their resources as ``render.json`` has them, secrets already masked by
``review.render.mask_secrets``: nothing here sees a secret), the policy pack's
violations and a few facts about the source, and returns Markdown. At the top a
summary: the source file and its SHA-256, the pattern, the risks to accept
(:func:`risks`), every stack and the template it is shown as, the resources by type
and the policy result with every violation. Then each template's stack in full
(``review.templates``: stacks that differ only in their account's values are shown
once, followed by the table of what each account fills in), always in this order:

1. what the stack is and which account it deploys into, and its security settings
   (:data:`SECURITY_SETTINGS`);
2. the trust graph: who may assume which role, across accounts, on which conditions;
3. every identity policy;
4. the security-group rules (inline and separate rule resources);
5. the EC2 user data, decoded;
6. the container environment (ECS) and the Helm values (EKS);
7. every Akeyless object with its properties;
8. what is known only after deploy.

A section with nothing to show says so, so a reviewer knows it was looked at.
Every value reaches the Markdown through ``review.markdown`` (escaped, on its line).
The output depends only on the input: the same render gives the same bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import shlex
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from akeyless_gateway_org.config.model import OrgDeployment
from akeyless_gateway_org.policy.documents import policy_document
from akeyless_gateway_org.policy.rules import RULES, Violation
from akeyless_gateway_org.records import SECRET_MASK, StackRecord
from akeyless_gateway_org.review.gateway_edge import gateway_edge_rows
from akeyless_gateway_org.review.markdown import Markup, code, code_block, escape, table
from akeyless_gateway_org.review.templates import by_template, differences

"""What ``scripts.render.mask_secrets`` puts in place of a secret."""

PLACEHOLDER = re.compile(
    r"<([^<>]+)\.([A-Za-z_][A-Za-z0-9_]*): (known after deploy|set by the operator)(, secret)?>"
)
"""The render's stand-in for a value that does not exist before deploy
(``review.render.after_deploy``, ``OPERATOR_SECRET``): ``<resource.prop: known after
deploy>``, or ``<...: set by the operator>`` for a secret the operator sets on the
stack; ``, secret`` at the end: the value will be kept secret once it exists."""
SECRET_PLACEHOLDER_MARK = ", secret"

ROLE_TYPE = "aws:iam/role:Role"
SECURITY_GROUP_TYPE = "aws:ec2/securityGroup:SecurityGroup"
# The separate rule resources of pulumi_aws 7 and their wire names
# (site-packages/pulumi_aws/vpc/security_group_ingress_rule.py,
# .../vpc/security_group_egress_rule.py, .../ec2/security_group_rule.py).
VPC_INGRESS_RULE_TYPE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
VPC_EGRESS_RULE_TYPE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
EC2_RULE_TYPE = "aws:ec2/securityGroupRule:SecurityGroupRule"
LAUNCH_TEMPLATE_TYPE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE_TYPE = "aws:ec2/instance:Instance"
TASK_DEFINITION_TYPE = "aws:ecs/taskDefinition:TaskDefinition"
HELM_RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
AKEYLESS_ROLE_TYPE = "akeyless:index/role:Role"
PROVIDER_PREFIX = "pulumi:providers:"
AKEYLESS_PREFIX = "akeyless:"
DYNAMIC_STEP_PREFIX = "pulumi-python:dynamic/"
TRUST_POLICY_KEY = "assumeRolePolicy"
YAML_WIDTH = 1_000_000
ACCOUNT_ID = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
ASSUME_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML")

STACK_PURPOSE = {
    "org": "The organization stack: the Akeyless authentication method(s) the Gateways "
    "log in with and the access role(s) that say what they may see.",
    "hub": "The hub stack (centralized pattern): the organization's one Gateway, its "
    "compute and its IAM identity, in the hub account.",
    "member": "A member stack (centralized pattern): the role the hub Gateway assumes in "
    "this account, only with the External ID Akeyless generates for this account's "
    "Target, and the account's Akeyless Target and secrets.",
    "account": "An account stack (distributed pattern): a Gateway in this account acting "
    "only on this account, its compute and IAM identity, and the account's Akeyless "
    "Target and secrets.",
    "enroll": "The enroll stack (optional, management account, us-east-1): EventBridge rules "
    "on the Organizations events that bring an account into scope, each sending a GitHub "
    "repository_dispatch (enroll-account) through an API destination whose token EventBridge "
    "keeps in Secrets Manager, with a role that may only invoke that destination.",
}

SECTIONS = (
    "What this stack is",
    "Trust graph",
    "Identity policies",
    "Security-group rules",
    "EC2 user data",
    "Container environment and Helm values",
    "Akeyless objects",
    "Known only after deploy",
)
"""The per-stack sections, in the order every stack shows them."""


# --- the input -----------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryFacts:
    """What the summary says about where the render came from; every field optional."""

    source_path: str | None = None
    source_sha256: str | None = None
    pattern: str | None = None
    accounts: Mapping[str, str | None] = field(default_factory=dict)
    """Account ID -> name, as the deployment selected them."""
    sdk_source: str | None = None
    """Which module supplied the Akeyless resource classes."""
    listed_accounts_only: bool | None = None
    """True: the accounts were taken from the file, not discovered in AWS Organizations."""


def summary_facts(source: Path, org: OrgDeployment, **extra: Any) -> SummaryFacts:
    """The facts of an org file: its path as given, its SHA-256, pattern and accounts."""
    return SummaryFacts(
        source_path=str(source),
        source_sha256=hashlib.sha256(source.read_bytes()).hexdigest(),
        pattern=org.pattern,
        accounts={account.id: account.name for account in org.accounts},
        **extra,
    )


# --- small readers ------------------------------------------------------------------


def _embedded_json(value: Any) -> Any:
    """A JSON object or array given as text (IAM documents, container definitions), parsed."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return None


def _maybe_json(value: Any) -> Any:
    """``value`` parsed if it is JSON text, else as is: providers get nested inputs as JSON."""
    parsed = _embedded_json(value)
    return value if parsed is None else parsed


def _identity_documents(value: Any, prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(input path, document) for every IAM policy in the inputs but a role's trust policy.

    Found at any depth: a role policy's ``policy``, a role's ``inlinePolicies[0].policy``.
    """
    document = policy_document(value)
    if document is not None and prefix != TRUST_POLICY_KEY:
        yield prefix, document
    else:
        for path, child in _children(value, prefix):
            yield from _identity_documents(child, path)


def _children(value: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    """(input path, value) of each item of a mapping (sorted) or list; nothing otherwise."""
    if isinstance(value, dict):
        for key in sorted(value):
            yield (f"{prefix}.{key}" if prefix else str(key)), value[key]
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield f"{prefix}[{index}]", item


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [s for s in _as_list(document.get("Statement")) if isinstance(s, dict)]


def _scalar(value: Any) -> str:
    """A number as the program wrote it (the wire turns ints into floats), else str()."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _block(language: str, text: str) -> list[str]:
    return [*code_block(text, language), ""]


def _joined(parts: Iterable[object], separator: str = ", ") -> Markup:
    """Values (or markup) escaped one by one, then joined: one table cell."""
    return Markup(separator.join(escape(part) for part in parts))


def _pretty_json(document: Any) -> str:
    return json.dumps(document, indent=2)


def _account_of_arn(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None


def _decoded_user_data(resource: Mapping[str, Any]) -> str | None:
    """The user data of a launch template or an instance, as the instance reads it.

    A launch template's ``userData`` is base64 (pulumi_aws ``ec2/launch_template.py``:
    "The base64-encoded user data"); an instance has plain ``userData`` or ``userDataBase64``.
    """
    kind, inputs = resource["type"], resource["inputs"]
    if kind == INSTANCE_TYPE and inputs.get("userData"):
        return str(inputs["userData"])
    key = {LAUNCH_TEMPLATE_TYPE: "userData", INSTANCE_TYPE: "userDataBase64"}.get(kind)
    encoded = inputs.get(key) if key else None
    if not encoded or encoded == SECRET_MASK:
        return encoded or None
    try:
        return base64.b64decode(str(encoded), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return f"(not valid base64 text; as registered)\n{encoded}"


# --- the summary --------------------------------------------------------------------


def _summary(
    groups: Sequence[Sequence[StackRecord]], violations: Sequence[Violation], facts: SummaryFacts
) -> list[str]:
    stacks = [stack for group in groups for stack in group]
    template_of = {stack.name: group[0].name for group in groups for stack in group}
    resources = [resource for stack in stacks for resource in stack.resources]
    accounts = dict(facts.accounts)
    facts_rows = [
        ["Source file", code(facts.source_path) if facts.source_path else "(not given)"],
        ["SHA-256", code(facts.source_sha256) if facts.source_sha256 else "(not given)"],
        ["Pattern", facts.pattern or "(not given)"],
        ["Accounts selected", str(len(accounts)) if accounts else "(not given)"],
        ["Stacks", str(len(stacks))],
        ["Resources", str(len(resources))],
    ]
    if facts.sdk_source is not None:
        facts_rows.append(["Akeyless resource classes", facts.sdk_source])
    verdict = (
        Markup(f"**FAILED: {len(violations)} violation(s)**")
        if violations
        else "passed: every rule holds for every resource"
    )
    facts_rows.append(["Policy pack", verdict])
    lines = ["## Summary", ""]
    if facts.listed_accounts_only:
        lines += [
            "> **Only the accounts listed in the file were rendered.** The deployment "
            "selects its accounts from AWS Organizations; this render did not ask it, "
            "so accounts it would add are not reviewed here.",
            "",
        ]
    lines += table(["", ""], facts_rows)
    lines += _risks(stacks)
    lines += [
        "### Stacks",
        "",
        f"{len(groups)} distinct stack(s) shown in full; each other stack is the same "
        "template with its own account, name, regions, capabilities and tags, listed under "
        "its template (the last column).",
        "",
    ]
    lines += table(
        ["stack", "kind", "phase", "account", "name", "resources", "shown as"],
        [
            [
                code(s.name),
                s.kind,
                "" if s.phase is None else str(s.phase),
                s.account,
                accounts.get(s.account) or "",
                str(len(s.resources)),
                "in full" if template_of[s.name] == s.name else code(template_of[s.name]),
            ]
            for s in stacks
        ],
    )
    lines += ["### Resources by type", ""]
    counts = Counter(str(resource["type"]) for resource in resources)
    lines += table(["type", "count"], [[code(t), str(counts[t])] for t in sorted(counts)])
    lines += ["### Policy pack", ""]
    lines += [f"Result: {verdict}.", "", "Rules checked (`policy/rules.py`):", ""]
    lines += [f"- {code(name)}: {escape(description)}" for name, (description, _) in RULES.items()]
    lines.append("")
    if violations:
        lines += ["Violations:", ""]
        lines += table(
            ["rule", "resource", "type", "finding"],
            [[code(v.rule), code(v.resource), code(v.type), v.message] for v in violations],
        )
    else:
        lines += ["Violations: none.", ""]
    return lines


# --- the risks ----------------------------------------------------------------------


def _across(edge: _Edge) -> bool:
    return (
        None not in (edge.source.account, edge.target.account)
        and edge.source.account != edge.target.account
    )


def _wildcard_grants(stack: StackRecord) -> Iterator[str]:
    """``role: actions`` of every identity-policy statement allowing ``Resource: "*"``."""
    for resource in stack.resources:
        holder = str(resource["inputs"].get("role", resource["name"]))
        for _, document in _identity_documents(resource["inputs"]):
            for statement in _statements(document):
                if statement.get("Effect") == "Allow" and "*" in _as_list(
                    statement.get("Resource")
                ):
                    actions = ", ".join(map(str, _as_list(statement.get("Action"))))
                    yield f"{holder}: {actions}"


def _admin_access_ids(stack: StackRecord) -> Iterator[str]:
    """Access IDs given ``admin`` on a Gateway: GatewayAllowedAccess resources and the
    ``ALLOWED_ACCESS_PERMISSIONS`` of EC2 user data."""
    for resource in stack.resources:
        inputs = resource["inputs"]
        if "admin" in str(inputs.get("permissions", "")) and "accessId" in inputs:
            yield str(inputs["accessId"])
        script = _decoded_user_data(resource) or ""
        for line in script.splitlines():
            if line.startswith("ALLOWED_ACCESS_PERMISSIONS="):
                for entry in _as_list(_embedded_json(line.split("=", 1)[1])):
                    if "admin" in _as_list(entry.get("permissions")):
                        yield str(entry.get("access_id"))


def _counted(items: Iterable[str]) -> list[str]:
    """Distinct items, each with how many stacks have it when more than one."""
    counts = Counter(items)
    return [f"{item} ({counts[item]} stacks)" if counts[item] > 1 else item for item in counts]


def risks(stacks: Sequence[StackRecord]) -> list[tuple[Markup, list[str]]]:
    """What a reviewer must accept to sign: (risk, its instances); an empty list: none."""
    edges = [(stack, edge) for stack in stacks for edge in _trust_edges(stack)[0]]
    cross = [
        f"{edge.source.label} → {edge.target.label} "
        f"({'identity grant' if edge.grant else 'trust'}; "
        f"{'; '.join(edge.conditions) or 'NO CONDITION'})"
        for _, edge in edges
        if _across(edge)
    ]
    any_account = [
        f"{edge.source.label} may call {edge.action} on {edge.target.label} in any account "
        + (
            f"of the organization ({'; '.join(edge.conditions)})"
            if any("aws:ResourceOrgID" in c for c in edge.conditions)
            else "(NO organization condition: any AWS account)"
        )
        for _, edge in edges
        if edge.grant and edge.target.account == "*"
    ]
    urls = {
        str(r["inputs"].get("api_url"))
        for stack in stacks
        for r in _of_type(stack, GATEWAY_HEALTH_TYPE)
    }
    return [
        (Markup("Cross-account trust and grants"), _counted(_holes_of_accounts(cross, stacks))),
        (
            Markup("A Gateway role that may assume the member role in any account"),
            _counted(any_account),
        ),
        (
            Markup('Identity policies allowing `Resource: "*"`'),
            _counted(grant for stack in stacks for grant in _wildcard_grants(stack)),
        ),
        (
            Markup("Akeyless access IDs with admin on a Gateway"),
            _counted(access_id for stack in stacks for access_id in _admin_access_ids(stack)),
        ),
        (
            Markup("Plain-HTTP transport to a Gateway (logins and secrets in clear)"),
            sorted(url for url in urls if url.startswith("http://")),
        ),
    ]


def _holes_of_accounts(lines: Iterable[str], stacks: Sequence[StackRecord]) -> Iterator[str]:
    """Lines with member account IDs as ``{account}``: one per template, counted by stack."""
    members = {s.account for s in stacks if s.kind in ("member", "account")}
    for line in lines:
        for account in members & set(ACCOUNT_ID.findall(line)):
            line = line.replace(account, "{account}")
        yield line


def _risks(stacks: Sequence[StackRecord]) -> list[str]:
    lines = [
        "### Risks to accept",
        "",
        "What this deployment grants that a reviewer signs for; `{account}` stands for "
        "each member account.",
        "",
    ]
    for title, found in risks(stacks):
        lines += [f"- **{title}**: " + ("none" if not found else f"{len(found)}")]
        lines += [f"  - {code(item)}" for item in found]
    return [*lines, ""]


# --- 1. what the stack is -----------------------------------------------------------


def _provider_rows(resources: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """How the stack reaches each system: AWS account and role, Akeyless API, cluster."""
    rows = []
    for resource in resources:
        kind = str(resource["type"]).removeprefix(PROVIDER_PREFIX)
        if kind == resource["type"]:
            continue
        inputs = resource["inputs"]
        if kind == "aws":
            pinned = _as_list(_maybe_json(inputs.get("allowedAccountIds")))
            details = [escape(f"only account {', '.join(map(str, pinned)) or '(any)'}")]
            details += [
                Markup(f"assumes {code(str(role.get('roleArn')))}")
                for role in _as_list(_maybe_json(inputs.get("assumeRoles")))
                if isinstance(role, dict)
            ]
            details.append(escape(f"region {inputs.get('region', '(default)')}"))
        elif kind == "akeyless":
            details = [Markup(f"API {code(str(inputs.get('apiGatewayAddress', '(default)')))}")]
            for login_key, login in (("awsIamLogins", "AWS IAM"), ("apiKeyLogins", "API key")):
                for entry in _as_list(_maybe_json(inputs.get(login_key))):
                    access_id = entry.get("accessId") if isinstance(entry, dict) else entry
                    details.append(Markup(f"{login} login, access ID {code(str(access_id))}"))
            if not any(key in inputs for key in ("awsIamLogins", "apiKeyLogins")):
                details.append(
                    Markup("login from `AKEYLESS_ACCESS_ID` / `AKEYLESS_ACCESS_KEY` at deploy")
                )
        elif kind == "kubernetes":
            config = _embedded_json(inputs.get("kubeconfig")) or {}
            clusters = [c.get("name") for c in config.get("clusters", [])]
            commands = [
                " ".join([str(u["user"]["exec"]["command"]), *map(str, u["user"]["exec"]["args"])])
                for u in config.get("users", [])
                if "exec" in u.get("user", {})
            ]
            details = [escape(f"cluster {', '.join(map(str, clusters))}")]
            details += [Markup(f"token from {code(command)}") for command in commands]
        else:
            details = [
                Markup(f"{code(key)} = {code(_scalar(inputs[key]))}") for key in sorted(inputs)
            ]
        rows.append([code(str(resource["name"])), kind, _joined(details, "; ")])
    return rows


def _what_it_is(stack: StackRecord, facts: SummaryFacts) -> list[str]:
    account_name = facts.accounts.get(stack.account)
    aws_accounts = sorted(
        {
            str(r["provider_account"])
            for r in stack.resources
            if r.get("provider_account") and not str(r["type"]).startswith(PROVIDER_PREFIX)
        }
    )
    rows = [
        ["Stack", code(stack.name)],
        ["Kind", stack.kind + ("" if stack.phase is None else f" (phase {stack.phase})")],
        ["Deploys into account", stack.account + (f" ({account_name})" if account_name else "")],
        ["AWS resources in", ", ".join(aws_accounts) or "none: this stack creates no AWS resource"],
    ]
    if stack.regions:
        rows.append(["Regions", ", ".join(stack.regions)])
    if stack.compute:
        rows.append(["Gateway compute", stack.compute])
    rows.append(["Resources", str(len(stack.resources))])
    lines = [STACK_PURPOSE.get(stack.kind, escape(f"A stack of kind {stack.kind}.")), ""]
    lines += table(["", ""], rows)
    providers = _provider_rows(stack.resources)
    if providers:
        lines += ["How it reaches each system:", ""]
        lines += table(["provider", "kind", "settings"], providers)
    return lines + _security_settings_table(stack)


# --- 1b. security settings ----------------------------------------------------------
#
# One row maker per setting, each reading the stack's resources: adding a setting to
# the table is one function and one line in SECURITY_SETTINGS.

SettingRow = tuple[str, str]
"""(setting, value in words); both escaped when written (``markdown.table``)."""

LOAD_BALANCER_TYPE = "aws:lb/loadBalancer:LoadBalancer"
ECS_SERVICE_TYPE = "aws:ecs/service:Service"
GATEWAY_HEALTH_TYPE = "pulumi-python:dynamic/akeyless_gateway:GatewayHealth"


def _of_type(stack: StackRecord, kind: str) -> Iterator[Mapping[str, Any]]:
    return (r for r in stack.resources if r["type"] == kind)


def _load_balancer_settings(stack: StackRecord) -> Iterator[SettingRow]:
    for resource in _of_type(stack, LOAD_BALANCER_TYPE):
        inputs = resource["inputs"]
        # pulumi_aws lb/load_balancer.py: ``internal`` false (the default) is internet-facing.
        scheme = "internal" if inputs.get("internal") else "INTERNET-FACING"
        kind = inputs.get("loadBalancerType", "application")
        yield f"load balancer {resource['name']}", f"{scheme}, {kind}"


def _gateway_edge_settings(stack: StackRecord) -> Iterator[SettingRow]:
    """Each listener (or EKS Service port) with its TLS, the Gateway's name and
    certificate, access logs and replicas (review/gateway_edge.py)."""
    # gateway_edge's rows are lists; the table takes pairs
    yield from ((setting, value) for setting, value in gateway_edge_rows(stack.resources))


def _public_ip_settings(stack: StackRecord) -> Iterator[SettingRow]:
    for resource in _of_type(stack, LAUNCH_TEMPLATE_TYPE):
        interfaces = _as_list(resource["inputs"].get("networkInterfaces"))
        public = any(str(i.get("associatePublicIpAddress")).lower() == "true" for i in interfaces)
        yield f"public IP ({resource['name']})", "YES, instances get one" if public else "none"
    for resource in _of_type(stack, ECS_SERVICE_TYPE):
        network = resource["inputs"].get("networkConfiguration") or {}
        public = network.get("assignPublicIp") is True
        yield f"public IP ({resource['name']})", "YES, tasks get one" if public else "none"


def _instance_metadata_settings(stack: StackRecord) -> Iterator[SettingRow]:
    for resource in _of_type(stack, LAUNCH_TEMPLATE_TYPE):
        options = resource["inputs"].get("metadataOptions") or {}
        tokens = "IMDSv2 required" if options.get("httpTokens") == "required" else "IMDSv1 ALLOWED"
        hops = options.get("httpPutResponseHopLimit")
        yield (
            f"instance metadata ({resource['name']})",
            f"{tokens}, hop limit {_scalar(hops) if hops is not None else '(AWS default 1)'}",
        )


def _volume_settings(stack: StackRecord) -> Iterator[SettingRow]:
    for resource in _of_type(stack, LAUNCH_TEMPLATE_TYPE):
        for mapping in _as_list(resource["inputs"].get("blockDeviceMappings")):
            ebs = mapping.get("ebs") or {}
            encrypted = str(ebs.get("encrypted")).lower() == "true"
            key = f", KMS key {ebs['kmsKeyId']}" if ebs.get("kmsKeyId") else ", AWS-managed key"
            yield (
                f"volume {mapping.get('deviceName')} ({resource['name']})",
                f"encrypted{key}" if encrypted else "NOT ENCRYPTED",
            )


def _images(stack: StackRecord) -> Iterator[tuple[str, str]]:
    """(where, image) of every Gateway container the stack runs."""
    for resource in stack.resources:
        script = _decoded_user_data(resource)
        for line in (script or "").splitlines():
            if line.startswith("docker run "):
                yield str(resource["name"]), shlex.split(line)[-1]
        if resource["type"] == TASK_DEFINITION_TYPE:
            for container in _as_list(
                _embedded_json(resource["inputs"].get("containerDefinitions"))
            ):
                yield str(resource["name"]), str(container.get("image"))
        if resource["type"] == HELM_RELEASE_TYPE:
            values = resource["inputs"].get("values") or {}
            image = ((values.get("gateway") or {}).get("deployment") or {}).get("image") or {}
            if image:
                tag = f"@{image['digest']}" if image.get("digest") else f":{image.get('tag')}"
                yield str(resource["name"]), f"{image.get('repository')}{tag}"


def _image_settings(stack: StackRecord) -> Iterator[SettingRow]:
    for where, image in _images(stack):
        pinned = "pinned by digest" if "@sha256:" in image else "tag only, NOT pinned by digest"
        yield f"image ({where})", f"{image}: {pinned}"


def _transport_settings(stack: StackRecord) -> Iterator[SettingRow]:
    urls = {
        str(r["inputs"].get("api_url"))
        for r in _of_type(stack, GATEWAY_HEALTH_TYPE)
        if r["inputs"].get("api_url")
    }
    for url in sorted(urls):
        yield "deployment to Gateway", transport_in_words(url)


def transport_in_words(url: str) -> str:
    """How the deployment's calls to a Gateway travel, in a reviewer's words."""
    if url.startswith("https://"):
        return f"TLS (https) to {url}: the login and secrets are encrypted in transit"
    return (
        f"PLAIN HTTP to {url}: the deployer's Akeyless login and every secret written "
        "through the Gateway cross the network in clear"
    )


SECURITY_SETTINGS: tuple[Callable[[StackRecord], Iterable[SettingRow]], ...] = (
    _load_balancer_settings,
    _gateway_edge_settings,
    _public_ip_settings,
    _instance_metadata_settings,
    _volume_settings,
    _image_settings,
    _transport_settings,
)
"""The rows of every stack's "Security settings" table, in this order."""


def security_settings(stack: StackRecord) -> list[SettingRow]:
    """The stack's security settings, one row per setting per resource."""
    return [row for rows in SECURITY_SETTINGS for row in rows(stack)]


def _security_settings_table(stack: StackRecord) -> list[str]:
    rows = security_settings(stack)
    lines = ["#### Security settings", ""]
    if not rows:
        return [*lines, "None to show: this stack runs no Gateway and no load balancer.", ""]
    return [*lines, *table(["setting", "value"], rows)]


# --- 2. trust graph -----------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    label: str
    account: str | None
    """The account box the node is drawn in; None outside every account."""


@dataclass(frozen=True)
class _Edge:
    source: _Node
    target: _Node
    action: str
    conditions: tuple[str, ...]
    grant: bool
    """True: an identity policy's permission to call AssumeRole; False: the role's trust."""


def _conditions(statement: Mapping[str, Any]) -> tuple[str, ...]:
    """Each condition of a statement as ``Operator key = value, ...``."""
    found = []
    for operator, block in sorted((statement.get("Condition") or {}).items()):
        for key, value in sorted(block.items()):
            found.append(f"{operator} {key} = {', '.join(map(_scalar, _as_list(value)))}")
    return tuple(found)


def _role_label(path: str, name: str) -> str:
    return f"role {path}{name}"


def _principal_node(kind: str, principal: str) -> _Node:
    if kind == "Service":
        return _Node(f"service {principal}", None)
    if kind == "Federated":
        label = principal.split(":oidc-provider/", 1)
        return _Node(
            f"OIDC provider {label[1]}" if len(label) == 2 else f"federated {principal}",
            _account_of_arn(principal),
        )
    if principal == "*":
        return _Node("anyone (*)", None)
    account = _account_of_arn(principal)
    resource = principal.split(":", 5)[-1] if account else principal
    if resource == "root":
        return _Node(f"any principal of account {account}", account)
    if resource.startswith("role/"):
        path, _, name = resource.removeprefix("role").rpartition("/")
        return _Node(_role_label(path + "/", name), account)
    return _Node(resource, account if account and account != "*" else None)


def _role_nodes(stack: StackRecord) -> dict[str, _Node]:
    """Role name -> its node, for the roles this stack creates."""
    nodes = {}
    for resource in stack.resources:
        if resource["type"] == ROLE_TYPE:
            inputs = resource["inputs"]
            name = str(inputs.get("name", resource["name"]))
            account = resource.get("provider_account") or stack.account
            nodes[name] = _Node(_role_label(str(inputs.get("path", "/")), name), str(account))
    return nodes


def _trusted_by(role: _Node, trust: Mapping[str, Any]) -> Iterator[_Edge]:
    """The principals a trust policy lets assume ``role``: one edge per principal."""
    for statement in _statements(trust):
        principal = statement.get("Principal")
        if statement.get("Effect") != "Allow":
            continue
        if isinstance(principal, dict):
            pairs = [(kind, p) for kind, v in sorted(principal.items()) for p in _as_list(v)]
        else:
            pairs = [("AWS", principal)] if isinstance(principal, str) else []
        for kind, value in pairs:
            action = ", ".join(map(str, _as_list(statement.get("Action"))))
            yield _Edge(
                _principal_node(kind, str(value)), role, action, _conditions(statement), False
            )


def _assume_grants(holder: _Node, document: Mapping[str, Any]) -> Iterator[_Edge]:
    """The roles an identity policy lets ``holder`` call AssumeRole on."""
    for statement in _statements(document):
        actions = [str(a) for a in _as_list(statement.get("Action"))]
        assume = [a for a in actions if a in ASSUME_ACTIONS or a in ("sts:*", "*")]
        if statement.get("Effect") != "Allow" or not assume:
            continue
        for target in _as_list(statement.get("Resource")):
            yield _Edge(
                holder,
                _principal_node("AWS", str(target)),
                ", ".join(assume),
                _conditions(statement),
                True,
            )


def _trust_edges(stack: StackRecord) -> tuple[list[_Edge], list[tuple[str, str]]]:
    """The edges of the graph, and the trust policies as (role resource, text) for the record."""
    roles = _role_nodes(stack)
    edges: list[_Edge] = []
    documents: list[tuple[str, str]] = []
    for resource in stack.resources:
        inputs = resource["inputs"]
        holder = None
        if resource["type"] == ROLE_TYPE:
            holder = roles[str(inputs.get("name", resource["name"]))]
            trust = policy_document(inputs.get(TRUST_POLICY_KEY))
            text = str(inputs.get(TRUST_POLICY_KEY)) if trust is None else _pretty_json(trust)
            documents.append((str(resource["name"]), text))
            edges += _trusted_by(holder, trust) if trust is not None else []
        elif "role" in inputs:
            holder = roles.get(str(inputs["role"]))
        if holder is not None:
            for _, document in _identity_documents(inputs):
                edges += _assume_grants(holder, document)
    return edges, documents


def _mermaid_text(text: str) -> str:
    """Text inside a quoted Mermaid label: its entity codes for the characters it parses.

    Mermaid reads ``#<number>;`` as a character code (mermaid's own test page
    ``test/examples/leadingComments.html``: ``#quot;``, ``#60;``).
    """
    for char, entity in (
        ("#", "#35;"),
        ('"', "#34;"),
        ("<", "#60;"),
        (">", "#62;"),
        ("|", "#124;"),
    ):
        text = text.replace(char, entity)
    return text


def _mermaid(edges: Sequence[_Edge]) -> list[str]:
    ids: dict[_Node, str] = {}
    for edge in edges:
        for node in (edge.source, edge.target):
            ids.setdefault(node, f"n{len(ids)}")
    lines = ["flowchart LR"]
    accounts = sorted({node.account for node in ids if node.account is not None})
    for account in accounts:
        title = "any account" if account == "*" else f"account {account}"
        lines.append(f'  subgraph account_{account.replace("*", "any")}["{title}"]')
        lines += [
            f'    {ids[node]}["{_mermaid_text(node.label)}"]'
            for node in ids
            if node.account == account
        ]
        lines.append("  end")
    lines += [
        f'  {ids[node]}(["{_mermaid_text(node.label)}"])' for node in ids if node.account is None
    ]
    for edge in edges:
        label = "<br/>".join(
            _mermaid_text(part)
            for part in (("may call " if edge.grant else "") + edge.action, *edge.conditions)
        )
        arrow = "-.->" if edge.grant else "-->"
        lines.append(f'  {ids[edge.source]} {arrow}|"{label}"| {ids[edge.target]}')
    return lines


def _trust_graph(stack: StackRecord) -> list[str]:
    edges, documents = _trust_edges(stack)
    if not documents:
        return ["This stack creates no IAM role.", ""]
    lines = [
        "Solid arrows: a role's trust policy lets the principal assume it. Dashed arrows: "
        "an identity policy lets a role call AssumeRole on a role (both are needed "
        "across accounts). An External ID shows as its placeholder until Akeyless generates "
        f"it at deploy, as `{SECRET_MASK}` once it exists.",
        "",
    ]
    lines += _block("mermaid", "\n".join(_mermaid(edges)))
    lines += table(
        ["who", "may", "on", "conditions", "across accounts"],
        [
            [
                edge.source.label,
                ("call " if edge.grant else "") + edge.action,
                edge.target.label,
                "; ".join(edge.conditions) or "none",
                "yes"
                if None not in (edge.source.account, edge.target.account)
                and edge.source.account != edge.target.account
                else "no",
            ]
            for edge in edges
        ],
    )
    lines += ["Trust policies in full:", ""]
    for resource_name, document in documents:
        lines += [f"#### {code(resource_name)}: trust policy", "", *_block("json", document)]
    return lines


# --- 3. identity policies -----------------------------------------------------------


def _identity_policies(stack: StackRecord) -> list[str]:
    lines: list[str] = []
    for resource in stack.resources:
        inputs = resource["inputs"]
        for key, document in _identity_documents(inputs):
            holder = f" of role {code(inputs['role'])}" if "role" in inputs else ""
            lines += [
                f"#### {code(resource['name'])}{holder}: {code(key)}",
                "",
                f"Type {code(resource['type'])}.",
                "",
                *_block("json", _pretty_json(document)),
            ]
        attached = [
            str(arn)
            for arn in [*_as_list(inputs.get("managedPolicyArns")), inputs.get("policyArn")]
            if arn
        ]
        if attached:
            lines += [
                f"#### {code(resource['name'])}: managed policies attached",
                "",
                *[f"- {code(arn)}" for arn in attached],
                "",
            ]
    return lines or ["This stack creates no identity policy.", ""]


# --- 4. security-group rules --------------------------------------------------------


def _group_label(value: Any, groups: Mapping[str, str]) -> str:
    """A security group by its resource name when this stack creates it, else its ID."""
    text = str(value)
    match = PLACEHOLDER.fullmatch(text)
    if match and match.group(1) in groups and match.group(2) == "id":
        return f"SG {match.group(1)}"
    return f"SG {text}"


def _ports(protocol: str, low: Any, high: Any) -> str:
    if protocol in ("-1", "all"):
        return "all"
    low_text, high_text = _scalar(low), _scalar(high)
    return low_text if low_text == high_text else f"{low_text}-{high_text}"


def _peers(rule: Mapping[str, Any], groups: Mapping[str, str]) -> list[str]:
    """Every source (ingress) or destination (egress) of a rule, one per entry."""
    peers = [f"CIDR {c}" for key in ("cidrBlocks", "cidrIpv4") for c in _as_list(rule.get(key))]
    peers += [
        f"IPv6 CIDR {c}" for key in ("ipv6CidrBlocks", "cidrIpv6") for c in _as_list(rule.get(key))
    ]
    peers += [
        _group_label(g, groups)
        for key in ("securityGroups", "sourceSecurityGroupId", "referencedSecurityGroupId")
        for g in _as_list(rule.get(key))
    ]
    peers += [
        f"prefix list {p}"
        for key in ("prefixListIds", "prefixListId")
        for p in _as_list(rule.get(key))
    ]
    if rule.get("self") is True:
        peers.append("this SG itself")
    return peers or ["(none)"]


def _rule_rows(
    group: str, direction: str, rule: Mapping[str, Any], groups: Mapping[str, str]
) -> list[list[str]]:
    protocol = _scalar(rule.get("protocol", rule.get("ipProtocol", "")))
    return [
        [
            group,
            direction,
            "all" if protocol in ("-1", "all") else protocol,
            _ports(protocol, rule.get("fromPort"), rule.get("toPort")),
            peer,
            str(rule.get("description", "")),
        ]
        for peer in _peers(rule, groups)
    ]


def _security_group_rules(stack: StackRecord) -> list[str]:
    groups = {
        str(r["name"]): str(r["inputs"].get("description", ""))
        for r in stack.resources
        if r["type"] == SECURITY_GROUP_TYPE
    }
    rows: list[list[str]] = []
    for resource in stack.resources:
        inputs = resource["inputs"]
        if resource["type"] == SECURITY_GROUP_TYPE:
            for direction in ("ingress", "egress"):
                for rule in _as_list(inputs.get(direction)):
                    rows += _rule_rows(f"SG {resource['name']}", direction, rule, groups)
        elif resource["type"] in (VPC_INGRESS_RULE_TYPE, VPC_EGRESS_RULE_TYPE, EC2_RULE_TYPE):
            direction = (
                str(inputs.get("type", "ingress"))
                if resource["type"] == EC2_RULE_TYPE
                else "ingress"
                if resource["type"] == VPC_INGRESS_RULE_TYPE
                else "egress"
            )
            group = _group_label(inputs.get("securityGroupId"), groups)
            rows += _rule_rows(f"{group} (rule {resource['name']})", direction, inputs, groups)
    if not rows:
        return ["This stack creates no security-group rule.", ""]
    lines = ["One row per source (ingress) or destination (egress).", ""]
    lines += table(
        ["security group", "direction", "protocol", "ports", "source / destination", "description"],
        rows,
    )
    if groups:
        lines += table(
            ["security group", "description"],
            [[f"SG {name}", groups[name]] for name in sorted(groups)],
        )
    return lines


# --- 5. user data -------------------------------------------------------------------


def _user_data(stack: StackRecord) -> list[str]:
    lines: list[str] = []
    for resource in stack.resources:
        script = _decoded_user_data(resource)
        if script is not None:
            lines += [
                f"#### {code(resource['name'])}",
                "",
                "As the instance runs it (decoded from base64):"
                if resource["type"] == LAUNCH_TEMPLATE_TYPE
                else "As the instance runs it:",
                "",
                *_block("sh", script),
            ]
    return lines or ["This stack runs no EC2 instance.", ""]


# --- 6. container environment and Helm values ---------------------------------------


def _containers(resource: Mapping[str, Any]) -> list[str]:
    definitions = _embedded_json(resource["inputs"].get("containerDefinitions"))
    if not isinstance(definitions, list):
        raw = resource["inputs"].get("containerDefinitions")
        return [f"Container definitions (not JSON): {code(str(raw))}", ""]
    lines: list[str] = []
    for container in definitions:
        ports = ", ".join(
            f"{_scalar(p.get('containerPort'))}/{p.get('protocol', 'tcp')}"
            for p in container.get("portMappings", [])
        )
        lines += [
            f"Container {code(container.get('name'))}, image {code(container.get('image'))}"
            + (f", ports {escape(ports)}" if ports else "")
            + ".",
            "",
        ]
        environment = [
            [code(str(e.get("name"))), code(_scalar(e.get("value")))]
            for e in container.get("environment", [])
        ]
        lines += table(["variable", "value"], environment) if environment else []
        secrets = [
            [code(str(s.get("name"))), code(str(s.get("valueFrom")))]
            for s in container.get("secrets", [])
        ]
        lines += table(["secret variable", "from"], secrets) if secrets else []
        if not environment and not secrets:
            lines += ["No environment.", ""]
    return lines


def _helm(resource: Mapping[str, Any]) -> list[str]:
    inputs = resource["inputs"]
    repository = (inputs.get("repositoryOpts") or {}).get("repo", "")
    lines = [
        f"Chart {code(inputs.get('chart'))} version {code(inputs.get('version', '(latest)'))} "
        f"from {code(repository)}, release {code(inputs.get('name'))} in namespace "
        f"{code(inputs.get('namespace', 'default'))}. Values:",
        "",
    ]
    values = inputs.get("values")
    text = (
        values
        if isinstance(values, str)
        # Wide lines: a placeholder stays on one line, whole.
        else yaml.safe_dump(values or {}, sort_keys=True, width=YAML_WIDTH)
    )
    return lines + _block("yaml", text)


def _workloads(stack: StackRecord) -> list[str]:
    lines: list[str] = []
    for resource in stack.resources:
        if resource["type"] == TASK_DEFINITION_TYPE:
            lines += [
                f"#### ECS task definition {code(resource['name'])}",
                "",
                *_containers(resource),
            ]
        elif resource["type"] == HELM_RELEASE_TYPE:
            lines += [f"#### Helm release {code(resource['name'])}", "", *_helm(resource)]
    return lines or ["This stack runs no container (no ECS task definition, no Helm release).", ""]


# --- 7. Akeyless objects ------------------------------------------------------------


def _flat(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(property path, value) pairs; lists of plain values on one line."""
    if isinstance(value, dict):
        for key in sorted(value):
            yield from _flat(value[key], f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        for index, item in enumerate(value):
            yield from _flat(item, f"{prefix}[{index}]")
    elif isinstance(value, list):
        yield prefix, ", ".join(_scalar(item) for item in value) or "(empty)"
    else:
        yield prefix, _scalar(value)


def _akeyless_objects(stack: StackRecord) -> list[str]:
    lines: list[str] = []
    for resource in stack.resources:
        kind = str(resource["type"])
        is_step = kind.startswith(DYNAMIC_STEP_PREFIX) and "akeyless" in kind
        if not kind.startswith(AKEYLESS_PREFIX) and not is_step:
            continue
        inputs = dict(resource["inputs"])
        title = kind.rsplit(":", 1)[-1]
        path = f" {code(inputs['name'])}" if "name" in inputs else ""
        lines += [
            f"#### {escape(title)}{path}",
            "",
            f"Resource {code(resource['name'])}"
            + (" (a step run at deploy time through the Akeyless API)." if is_step else "."),
            "",
        ]
        rules = inputs.pop("rules", None) if kind == AKEYLESS_ROLE_TYPE else None
        properties = [[code(key), code(value)] for key, value in _flat(inputs)]
        lines += table(["property", "value"], properties) if properties else []
        if rules is not None:
            lines += table(
                ["rule type", "path", "capabilities"],
                [
                    [
                        str(rule.get("ruleType")),
                        code(str(rule.get("path"))),
                        ", ".join(map(str, rule.get("capabilities", []))),
                    ]
                    for rule in _as_list(rules)
                ],
            )
    return lines or ["This stack creates no Akeyless object.", ""]


# --- 8. known after deploy ----------------------------------------------------------


def _placeholders(value: Any, prefix: str = "") -> Iterator[tuple[str, re.Match[str]]]:
    """(input path, placeholder) for every marked placeholder, also inside JSON text."""
    if isinstance(value, str):
        for match in PLACEHOLDER.finditer(value):
            yield prefix, match
    for path, child in _children(value, prefix):
        yield from _placeholders(child, path)


def _unknowns(stack: StackRecord) -> list[str]:
    rows = []
    for resource in stack.resources:
        found = list(_placeholders(resource["inputs"]))
        script = _decoded_user_data(resource)
        if script is not None and script != resource["inputs"].get("userData"):
            found += [("userData (decoded)", match) for _, match in _placeholders(script)]
        seen: set[tuple[str, str]] = set()
        for where, match in found:
            if (where, match.group(0)) not in seen:
                seen.add((where, match.group(0)))
                origin = (
                    "generated at deploy"
                    if match.group(3) == "known after deploy"
                    else ("set by the operator (`orgctl secrets set`)")
                )
                rows.append(
                    [
                        code(str(resource["name"])),
                        code(where),
                        code(match.group(0)),
                        Markup(origin),
                        "yes" if match.group(4) else "no",
                    ]
                )
    if not rows:
        return ["Nothing: every value of this stack is known before deploy.", ""]
    return [
        "These inputs hold values that do not exist before deploy: the cloud or Akeyless "
        "generates them, or the operator sets them on the stack. The render shows a marked "
        "placeholder for each, never `[secret]`: that stands only for a secret that exists.",
        "",
        *table(["resource", "input", "placeholder", "comes from", "kept secret"], rows),
    ]


# --- the document -------------------------------------------------------------------


def _inventory(stack: StackRecord) -> list[str]:
    return table(
        ["type", "name", "parent", "account"],
        [
            [
                code(str(r["type"])),
                code(str(r["name"])),
                str(r.get("parent") or ""),
                str(r.get("provider_account") or ""),
            ]
            for r in stack.resources
        ],
    )


def _differences(group: Sequence[StackRecord], facts: SummaryFacts) -> list[str]:
    """The table of what each stack of a template fills its holes with."""
    found = differences(group, facts.accounts)
    return [
        f"### Stacks rendered from this template ({len(group)})",
        "",
        "Each is the stack above with its own account ID in every name, ARN and path, "
        "and its own regions and tags; everything else is identical "
        "(`review/templates.py`). The same for all of them:",
        "",
        *[f"- {escape(column)}: {code(value)}" for column, value in found.common],
        "",
        *table(found.header, found.rows),
    ]


def _stack(stack: StackRecord, facts: SummaryFacts) -> list[str]:
    bodies = (
        _what_it_is(stack, facts),
        _trust_graph(stack),
        _identity_policies(stack),
        _security_group_rules(stack),
        _user_data(stack),
        _workloads(stack),
        _akeyless_objects(stack),
        _unknowns(stack),
    )
    lines = [f"## Stack {code(stack.name)}", ""]
    for number, (title, body) in enumerate(zip(SECTIONS, bodies, strict=True), start=1):
        lines += [f"### {number}. {title}", "", *body]
    lines += ["### Every resource of the stack", "", *_inventory(stack)]
    return lines


def review_document(
    stacks: Sequence[StackRecord],
    violations: Sequence[Violation],
    facts: SummaryFacts | None = None,
) -> str:
    """The review document of a render: summary, then every stack's sections, then sign-off."""
    facts = facts or SummaryFacts()
    groups = by_template(stacks)
    lines = [
        "# Security review: Akeyless Gateway deployment (offline render)",
        "",
        "Generated by `orgctl render` from the organization file below, with no cloud "
        "access: this is what the deployment would create. Values marked "
        "`known after deploy` are generated at deploy, `set by the operator` are set on "
        f"the stack by its operator; `{SECRET_MASK}` stands for a secret that exists.",
        "",
        *_summary(groups, violations, facts),
    ]
    for group in groups:
        lines += _stack(group[0], facts)
        if len(group) > 1:
            lines += _differences(group, facts)
    lines += [
        "## Sign-off",
        "",
        "Reviewed the source file of the SHA-256 above and every section of every stack.",
        "",
        "- Reviewer:",
        "- Date:",
        "- Decision:",
        "",
    ]
    return "\n".join(lines)
