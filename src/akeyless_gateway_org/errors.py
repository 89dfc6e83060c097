"""The one exception tree: every error this package raises on purpose is an ``OrgError``.

Two families, told apart by who must act:

- :class:`InvalidInput`: the caller's input is wrong (the org file, a stack's
  config, a request, an option); fixing the input fixes the run. Exit status 2.
- :class:`RunFailure`: the input was fine but the run could not start or finish
  (no Pulumi CLI, a backend or an API that cannot be reached, a stack that failed).
  Exit status 1.

Exit statuses are the CLI's business: only ``akeyless_gateway_org.cli`` maps an
error to one (``exit_status``). A portal catches ``OrgError`` (or a family) and
shows ``str(error)``, which never holds a secret.
"""

from __future__ import annotations

from typing import ClassVar


class OrgError(Exception):
    """Base of every error of the Akeyless Gateway org deployment."""

    exit_status: ClassVar[int] = 1
    """The CLI's exit status for this error (read only by the CLI)."""


class InvalidInput(OrgError):
    """The caller's input is wrong; the message names what and where."""

    exit_status = 2


class RunFailure(OrgError):
    """The run could not start or finish for a reason outside the input."""

    exit_status = 1
