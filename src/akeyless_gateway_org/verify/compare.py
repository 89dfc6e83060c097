"""The comparison: the expected picture and what the systems hold in, findings out.

Pure data: no system is called here. Each check says, for one object, what the plan (or
another system) expects and what was found; agreeing objects give nothing. Policy
documents are compared as IAM reads them, not as text: key order, a single value or a
one-element list, and the order of a list's values do not matter. External IDs are never
printed: a trust policy's ``sts:ExternalId`` shows as whose it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from akeyless_gateway_org.components.akeyless_objects import RoleRule
from akeyless_gateway_org.components.stacks import checked_url
from akeyless_gateway_org.verify.expected import (
    ExpectedOrg,
    GatewayAuth,
    GatewayRole,
    MemberRole,
    StackOutputs,
    Target,
)
from akeyless_gateway_org.verify.model import (
    AkeylessAuthMethod,
    AkeylessRole,
    AkeylessTarget,
    Finding,
    IamRole,
    Read,
    System,
    Unchecked,
    Unreadable,
)

MISSING = "(none)"
EXTERNAL_ID_KEY = "sts:ExternalId"
DENY_ONLY = frozenset({"deny"})
"""An Akeyless rule whose only capability is ``deny`` takes access away: such rules (the
account admin's "restricted rules", terraform-provider-akeyless ``akeyless/resource_role.go``,
``initRestrictedRules``) never widen what a role covers, so they are not findings."""


@dataclass(frozen=True)
class Observed:
    """What the readers answered, per object."""

    roles: Mapping[tuple[str, str], Read[IamRole]]
    """(account, role name) -> the IAM role."""
    auth_methods: Mapping[str, Read[AkeylessAuthMethod]]
    access_roles: Mapping[str, Read[AkeylessRole]]
    targets: Mapping[str, Read[AkeylessTarget]]
    stacks: Mapping[str, Read[Mapping[str, Any]]]
    """Stack -> its outputs (None: the backend has no such stack)."""


@dataclass(frozen=True)
class Comparison:
    findings: tuple[Finding, ...]
    unchecked: tuple[Unchecked, ...]
    checked: int


def canonical(value: Any) -> Any:
    """A policy document in the form IAM evaluates it: keys sorted, a one-element list as its
    element, a list's values sorted and without repeats."""
    if isinstance(value, Mapping):
        return {str(key): canonical(value[key]) for key in sorted(value)}
    if isinstance(value, (list, tuple)):
        items = {json.dumps(canonical(item), sort_keys=True): canonical(item) for item in value}
        ordered = [items[key] for key in sorted(items)]
        return ordered[0] if len(ordered) == 1 else ordered
    return value


def _text(value: Any) -> str:
    return json.dumps(canonical(value), sort_keys=True, separators=(",", ":"))


def _masked(document: Any, known: str | None, whose: str) -> Any:
    """``document`` with every ``sts:ExternalId`` value replaced by whose it is."""
    if isinstance(document, Mapping):
        return {
            key: (
                _mask_id(value, known, whose)
                if key == EXTERNAL_ID_KEY
                else _masked(value, known, whose)
            )
            for key, value in document.items()
        }
    if isinstance(document, (list, tuple)):
        return [_masked(item, known, whose) for item in document]
    return document


def _mask_id(value: Any, known: str | None, whose: str) -> Any:
    if isinstance(value, (list, tuple)):
        return [_mask_id(item, known, whose) for item in value]
    return f"[{whose}]" if known is not None and value == known else "[another External ID]"


def external_ids_in(document: Any) -> set[str]:
    """Every ``sts:ExternalId`` value a (trust) policy document requires."""
    found: set[str] = set()
    if isinstance(document, Mapping):
        for key, value in document.items():
            if key == EXTERNAL_ID_KEY:
                found |= {str(v) for v in (value if isinstance(value, (list, tuple)) else [value])}
            else:
                found |= external_ids_in(value)
    elif isinstance(document, (list, tuple)):
        for item in document:
            found |= external_ids_in(item)
    return found


def _sorted_text(values: Sequence[str]) -> str:
    return ", ".join(sorted(values)) or MISSING


class _Collector:
    """Findings and unchecked objects, in the order checked."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.unchecked: list[Unchecked] = []
        self.checked = 0

    def present(self, account: str, system: System, obj: str, read: Read[Any]) -> bool:
        """Count the object; False (and why) when it was unreadable or is missing."""
        self.checked += 1
        if isinstance(read, Unreadable):
            self.unchecked.append(Unchecked(account, system, obj, read.reason))
            return False
        if read is None:
            self.findings.append(Finding(account, system, obj, "exists", "exists", "missing"))
            return False
        return True

    def differs(
        self, account: str, system: System, obj: str, prop: str, expected: str, found: str
    ) -> None:
        if expected != found:
            self.findings.append(Finding(account, system, obj, prop, expected, found))


def _role(
    out: _Collector,
    account: str,
    arn: str,
    role: IamRole,
    *,
    trust: Mapping[str, Any],
    boundary: str | None,
    policies: Mapping[str, Mapping[str, Any]],
    mask: Callable[[Any], Any] = lambda document: document,
) -> None:
    """One IAM role against what the program makes: ARN (path), trust, boundary, policies."""
    obj = f"IAM role {arn}"
    out.differs(account, "aws", obj, "ARN", arn, role.arn)
    if _text(trust) != _text(role.trust_policy):
        expected, found = _text(mask(trust)), _text(mask(role.trust_policy))
        if expected == found:  # only External IDs differ, and both were masked alike
            found += " (its External IDs differ)"
        out.differs(account, "aws", obj, "trust policy", expected, found)
    out.differs(
        account,
        "aws",
        obj,
        "permissions boundary",
        boundary or MISSING,
        role.boundary_arn or MISSING,
    )
    for name in sorted({*policies, *role.inline_policies}):
        want, have = policies.get(name), role.inline_policies.get(name)
        if want is None or have is None or _text(want) != _text(have):
            out.differs(
                account,
                "aws",
                obj,
                f"inline policy {name}",
                MISSING if want is None else _text(want),
                MISSING if have is None else _text(have),
            )
    out.differs(
        account,
        "aws",
        obj,
        "attached managed policies",
        MISSING,
        _sorted_text(role.attached_policy_arns),
    )


def _inline(role_name: str, policy: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    """The inline policy ``iam_role.role_with_inline_policy`` gives a role, if any."""
    return {} if policy is None else {f"{role_name}-policy": policy}


def _gateway_role(out: _Collector, expected: GatewayRole, observed: Observed) -> None:
    args = expected.args
    read = observed.roles.get((expected.account_id, args.role_name))
    if out.present(expected.account_id, "aws", f"IAM role {args.role_arn}", read):
        assert isinstance(read, IamRole)
        _role(
            out,
            expected.account_id,
            args.role_arn,
            read,
            trust=args.trust_policy(),
            boundary=args.permissions_boundary_arn,
            policies=_inline(args.role_name, args.policy),
        )


def _member_role(out: _Collector, expected: MemberRole, observed: Observed) -> None:
    args = expected.args
    read = observed.roles.get((expected.account_id, args.role_name))
    if not out.present(expected.account_id, "aws", f"IAM role {expected.arn}", read):
        return
    assert isinstance(read, IamRole)
    target = observed.targets.get(expected.target_name)
    held = target.external_id if isinstance(target, AkeylessTarget) else None
    found_ids = external_ids_in(read.trust_policy)
    # Without the Target's External ID (its own finding), the rest of the trust is still
    # checked, against the one External ID the role requires.
    external_id = (
        held if held is not None else (next(iter(found_ids)) if len(found_ids) == 1 else "")
    )
    whose = f"External ID of Akeyless target {expected.target_name}"
    _role(
        out,
        expected.account_id,
        expected.arn,
        read,
        trust=args.trust_policy(external_id),
        boundary=args.permissions_boundary_arn,
        policies=_inline(args.role_name, args.policy),
        mask=lambda document: _masked(document, held, whose),
    )


def _auth(out: _Collector, expected: GatewayAuth, observed: Observed) -> None:
    plan, account = expected.plan, expected.account_id
    obj = f"Akeyless auth method {plan.auth_method_name}"
    read = observed.auth_methods.get(plan.auth_method_name)
    if out.present(account, "akeyless", obj, read):
        assert isinstance(read, AkeylessAuthMethod)
        out.differs(
            account,
            "akeyless",
            obj,
            "bound account IDs",
            _sorted_text(plan.account_ids),
            _sorted_text(read.bound_account_ids),
        )
        out.differs(
            account,
            "akeyless",
            obj,
            "bound ARNs",
            _sorted_text(plan.bound_arns),
            _sorted_text(read.bound_arns),
        )
        if plan.sts_url is not None:
            out.differs(account, "akeyless", obj, "STS URL", plan.sts_url, read.sts_url or MISSING)
    obj = f"Akeyless role {plan.role_name}"
    role = observed.access_roles.get(plan.role_name)
    if out.present(account, "akeyless", obj, role):
        assert isinstance(role, AkeylessRole)
        out.differs(
            account,
            "akeyless",
            obj,
            "rules",
            _rules_text(plan.role_rules()),
            _rules_text(role.rules),
        )
        if plan.auth_method_name not in role.auth_method_names:
            out.differs(
                account,
                "akeyless",
                obj,
                "associated auth methods",
                plan.auth_method_name,
                _sorted_text(role.auth_method_names),
            )


def _rules_text(rules: Sequence[RoleRule]) -> str:
    """The rules that grant anything, one per line, in a stable order."""
    granting = {
        f"{rule.rule_type} {rule.path}: {','.join(sorted(rule.capabilities))}"
        for rule in rules
        if frozenset(rule.capabilities) != DENY_ONLY
    }
    return "; ".join(sorted(granting)) or MISSING


def _target(out: _Collector, expected: Target, observed: Observed) -> None:
    account, obj = expected.account_id, f"Akeyless target {expected.name}"
    read = observed.targets.get(expected.name)
    if not out.present(account, "akeyless", obj, read):
        return
    assert isinstance(read, AkeylessTarget)
    out.differs(account, "akeyless", obj, "type", "aws", read.target_type)
    out.differs(
        account,
        "akeyless",
        obj,
        "uses the Gateway's cloud identity",
        "yes",
        "yes" if read.uses_gateway_identity else "no",
    )
    role_arn = expected.inputs.get("role_arn")
    out.differs(
        account, "akeyless", obj, "role ARN", str(role_arn or MISSING), read.role_arn or MISSING
    )
    if expected.inputs.get("generate_external_id"):
        out.differs(
            account,
            "akeyless",
            obj,
            "generated External ID",
            "present",
            "present" if read.external_id else MISSING,
        )


def _stack(
    out: _Collector, expected: StackOutputs, observed: Observed, auths: Sequence[GatewayAuth]
) -> None:
    account, obj = expected.account_id, f"Pulumi stack {expected.stack}"
    read = observed.stacks.get(expected.stack)
    if not out.present(account, "pulumi", obj, read):
        return
    assert isinstance(read, Mapping)
    for key, value in expected.exact.items():
        out.differs(account, "pulumi", obj, f"output {key}", value, _output_text(read.get(key)))
    for key in expected.urls:
        try:
            checked_url(read.get(key, MISSING), expected.stack, key)
        except ValueError as error:
            out.differs(
                account,
                "pulumi",
                obj,
                f"output {key}",
                "a Gateway URL http(s)://<host>[:port][/path]",
                f"{_output_text(read.get(key))} ({error})",
            )
    if expected.access_ids_of:
        for output in sorted({auth.output for auth in auths}):
            of_output = [auth for auth in auths if auth.output == output]
            _access_ids(out, expected, output, read.get(output), of_output, observed)


def _access_ids(
    out: _Collector,
    expected: StackOutputs,
    output: str,
    found: Any,
    auths: Sequence[GatewayAuth],
    observed: Observed,
) -> None:
    """An org stack output mapping accounts to access IDs (``gatewayAccessIds``: the Gateways
    start with them; ``deployerAccessIds``: the account stacks log in with them): each
    account's must be its auth method's access ID as Akeyless holds it (a stale one cannot
    log in)."""
    obj = f"Pulumi stack {expected.stack}"
    mapping = found if isinstance(found, Mapping) else {}
    prop = f"output {output}"
    out.differs(
        expected.account_id,
        "pulumi",
        obj,
        f"{prop} accounts",
        _sorted_text(expected.access_ids_of),
        _sorted_text([str(k) for k in mapping]),
    )
    for auth in auths:
        method = observed.auth_methods.get(auth.plan.auth_method_name)
        if not isinstance(method, AkeylessAuthMethod):
            continue  # its own finding or unchecked entry says why
        for account in auth.plan.account_ids:
            if account in mapping:
                found_id = _output_text(mapping[account])
                out.differs(
                    account, "pulumi", obj, f"{prop}[{account}]", method.access_id, found_id
                )


def _output_text(value: Any) -> str:
    if value is None:
        return MISSING
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def compare(expected: ExpectedOrg, observed: Observed) -> Comparison:
    """Every disagreement between the plan, AWS, Akeyless and the Pulumi state."""
    out = _Collector()
    for auth in expected.auths:
        _auth(out, auth, observed)
    for gateway in expected.gateway_roles:
        _gateway_role(out, gateway, observed)
    for target in expected.targets:
        _target(out, target, observed)
    for member in expected.member_roles:
        _member_role(out, member, observed)
    for stack in expected.stacks:
        _stack(out, stack, observed, expected.auths)
    return Comparison(tuple(out.findings), tuple(out.unchecked), out.checked)
