"""The cross-field rules every way in shares: the org file, a stack file, a portal's request.

An org file is validated by ``config/validation.py``, a hand-written
``Pulumi.<stack>.yaml`` by the stack config models (``config/stack_config.py``), and a
portal's request carries an :class:`OrgDeployment` it may have built itself. Each of
them describes what it holds as a :class:`RuleScope` and reports what
:func:`cross_field_problems` finds, so a rule added here holds for all three.

Pure: data in, ``(field path, message)`` out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from akeyless_gateway_org.config.fields import (
    account_of_arn,
    ecr_registry_account,
    image_digest,
    plaintext_login_problem,
)
from akeyless_gateway_org.config.model import (
    AkeylessSettings,
    Capabilities,
    IamSettings,
    Pattern,
    SiteBase,
)


@dataclass(frozen=True)
class GrantScope:
    """What a Gateway may hand out in one account."""

    where: str
    """The field path of these capabilities (``accounts[2].capabilities``; empty: top level)."""
    account_id: str
    capabilities: Capabilities


@dataclass(frozen=True)
class RuleScope:
    """What one input holds, as the shared rules read it."""

    pattern: Pattern
    akeyless: AkeylessSettings
    bootstrap_role_name: str
    iam: IamSettings
    runs_hub: bool = False
    """Whether the input deploys the centralized hub (whose sts:AssumeRole needs the org ID)."""
    organization_id: str | None = None
    sites: Sequence[tuple[str, SiteBase]] = ()
    """Each Gateway the input runs, with the field path of its site (``hub.``, ``settings.``)."""
    grants: Sequence[GrantScope] = ()
    image: str | None = None
    """The Gateway image, where the input runs a Gateway."""
    registry_accounts: frozenset[str] = field(default_factory=frozenset)
    """Accounts whose private ECR registries are the organization's own: the management
    account and the hub, which every stack of the deployment knows (a stack does not know
    the other accounts, and the rule must read the same from every way in)."""

    preview_role_name: str | None = None

    @property
    def own_role_names(self) -> frozenset[str]:
        """The deployment's own roles (bootstrap, Gateway, member): never handed out."""
        iam = self.iam
        return frozenset({self.bootstrap_role_name, iam.gateway_role_name, iam.member_role_name})


def cross_field_problems(scope: RuleScope) -> list[tuple[str, str]]:
    """Every cross-field problem of ``scope``: ``(field path, message)``."""
    found: list[tuple[str, str]] = []
    if scope.runs_hub and scope.organization_id is None:
        found.append(
            (
                "organization_id",
                "required for the centralized pattern: without it the hub could assume a role "
                "of that name in any AWS account (discovery prints it: orgctl accounts)",
            )
        )
    if scope.pattern == "distributed" and scope.akeyless.auth_method_scope == "shared":
        found.append(
            (
                "akeyless.auth_method_scope",
                "the distributed pattern needs per_account: with one shared auth method every "
                "account's Gateway could read every other account's secrets",
            )
        )
    if scope.preview_role_name is not None and scope.preview_role_name == scope.bootstrap_role_name:
        found.append(
            (
                "preview_role_name",
                f"is the bootstrap role {scope.bootstrap_role_name}: a live preview runs the "
                "pull request's code and must assume a read-only role, never the deploying one",
            )
        )
    for where, site in scope.sites:
        url = site.gateway_url or f"{site.api_scheme}://<load balancer>:8000/api/v2"
        problem = plaintext_login_problem(
            url, allowed_in_lab=scope.akeyless.allow_plaintext_gateway_login_in_lab
        )
        if problem is not None:
            found.append((f"{where}tls_certificate_arn", problem))
    found += _image_problems(scope)
    for grant in scope.grants:
        found += [
            (_joined(grant.where, name), message)
            for name, message in grant.capabilities.privileged_grants(scope.own_role_names)
        ]
        for index, arn in enumerate(grant.capabilities.dynamic_assume_role.role_arns):
            if account_of_arn(arn) != grant.account_id:
                found.append(
                    (
                        _joined(grant.where, f"dynamic_assume_role.role_arns[{index}]"),
                        f"{arn} is outside account {grant.account_id}; "
                        "a Gateway assumes only roles in the account it serves",
                    )
                )
    return found


def _joined(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _image_problems(scope: RuleScope) -> list[tuple[str, str]]:
    """A private ECR image from a registry other than the organization's own (management
    account, hub) must be pinned by digest: whoever owns that registry could otherwise push
    another image under the same tag, and the Gateway runs it with its identity."""
    if scope.image is None:
        return []
    registry_account = ecr_registry_account(scope.image)
    if registry_account is None or registry_account in scope.registry_accounts:
        return []
    if image_digest(scope.image) is not None:
        return []
    return [
        (
            "gateway.image",
            f"comes from the ECR registry of account {registry_account}, not the management "
            "account's or the hub's; pin it by digest (...:5.0.1@sha256:<digest>) or mirror it "
            "there",
        )
    ]
