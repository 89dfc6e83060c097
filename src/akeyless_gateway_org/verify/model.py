"""What ``orgctl verify`` reads and reports, as plain data.

The readers (``aws_reader``, ``akeyless_reader``, and the runner's ``outputs`` for the
Pulumi state) turn what each system answers into the ``Iam*``/``Akeyless*`` records
below; ``compare`` turns those and the plan into :class:`Finding` records. Nothing
here talks to a system.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol, TypeAlias, TypeVar

from akeyless_gateway_org.components.akeyless_objects import RoleRule
from akeyless_gateway_org.errors import RunFailure

System = Literal["aws", "akeyless", "pulumi"]
Verdict = Literal["agree", "disagree", "incomplete"]


class ReadFailed(RunFailure):
    """A system could not be read (credentials, permissions, network); the message says which
    object, where and why, never a secret."""


# --- what the systems hold ------------------------------------------------------


@dataclass(frozen=True)
class IamRole:
    """An IAM role as ``iam:GetRole`` and its policy listings describe it."""

    arn: str
    trust_policy: Mapping[str, Any]
    boundary_arn: str | None
    inline_policies: Mapping[str, Mapping[str, Any]]
    """Inline policy name -> its document."""
    attached_policy_arns: tuple[str, ...]
    """Managed policies attached to the role (this program attaches none)."""


@dataclass(frozen=True)
class AkeylessAuthMethod:
    """An AWS IAM auth method as ``get-auth-method`` describes it."""

    name: str
    access_id: str
    bound_account_ids: tuple[str, ...]
    bound_arns: tuple[str, ...]
    sts_url: str | None


@dataclass(frozen=True)
class AkeylessRole:
    """An access role as ``get-role`` describes it."""

    name: str
    rules: tuple[RoleRule, ...]
    auth_method_names: tuple[str, ...]
    """The auth methods associated with the role."""


@dataclass(frozen=True)
class AkeylessTarget:
    """A Target as ``target-get-details`` describes it (AWS fields empty for another type)."""

    name: str
    target_type: str
    uses_gateway_identity: bool
    role_arn: str | None
    external_id: str | None
    """The generated External ID, when the Target has one; never printed."""


@dataclass(frozen=True)
class Unreadable:
    """An object that could not be read: the reason, from the reader's :class:`ReadFailed`."""

    reason: str


T = TypeVar("T")
Read: TypeAlias = T | Unreadable | None
"""What a reader answered for one object: the object, None when it does not exist, or why it
could not be read."""


class AwsReader(Protocol):
    """Reads IAM roles in the organization's accounts; raises :class:`ReadFailed`."""

    def role(self, account_id: str, role_name: str) -> IamRole | None:
        """The role ``role_name`` of ``account_id``, or None when there is none."""


class AkeylessReader(Protocol):
    """Reads Akeyless objects by their full names; raises :class:`ReadFailed`."""

    def auth_method(self, name: str) -> AkeylessAuthMethod | None: ...

    def role(self, name: str) -> AkeylessRole | None: ...

    def target(self, name: str) -> AkeylessTarget | None: ...


class StateReader(Protocol):
    """The deployment's Pulumi state: ``run.protocol.StackRunner`` is one (after ``prepare``)."""

    def existing_stacks(self) -> list[str]:
        """The short names of the project's stacks in the backend."""

    def outputs(self, stack: str) -> Mapping[str, Any]:
        """The stack's outputs, each secret one as ``[secret]``; raises ``RunFailure``."""


# --- what verify reports ---------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One disagreement: in ``account_id``, ``system`` holds ``object`` with ``property``
    ``found`` where the plan (and the other systems) say ``expected``."""

    account_id: str
    system: System
    object: str
    property: str
    expected: str
    found: str

    def as_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Unchecked:
    """An object that could not be checked, and why."""

    account_id: str
    system: System
    object: str
    reason: str

    def as_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class VerifyResult:
    """Every finding and every object that could not be checked, for ``accounts``."""

    accounts: tuple[str, ...]
    findings: tuple[Finding, ...]
    unchecked: tuple[Unchecked, ...]
    checked: int
    """How many objects were compared (roles, auth methods, access roles, Targets, stacks)."""

    @property
    def verdict(self) -> Verdict:
        """``incomplete`` when something could not be checked (its findings still listed),
        else ``disagree`` when anything differs, else ``agree``."""
        if self.unchecked:
            return "incomplete"
        return "disagree" if self.findings else "agree"

    def as_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "accounts": list(self.accounts),
            "checked": self.checked,
            "findings": [finding.as_json() for finding in self.findings],
            "unchecked": [item.as_json() for item in self.unchecked],
        }
