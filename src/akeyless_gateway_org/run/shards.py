"""Which share of a phase's stacks one shard of a run takes: a pure function of the names.

A run split over N machines (the matrix jobs of ``.github/workflows/org-deploy.yml``) runs
each phase as N shards, ``orgctl up --phase members --shard K/N``. A stack's shard is a hash
of its name modulo N, not its position in the account list, so:

- the same stack is always in the same shard for the same N, on every machine;
- adding or removing an account moves no other stack;
- the shards of a phase never overlap and together cover it (each name has one hash).

The price is balance: a hash spreads names evenly only on average (24 stacks over 3 shards
may be 7/8/9), which costs a few stacks' time on the largest shard.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Literal

from akeyless_gateway_org.errors import InvalidInput

PhaseName = Literal["org", "hub", "members"]
"""A phase by name: ``members`` holds the ``member-<id>`` or ``account-<id>`` stacks."""
PHASES: tuple[PhaseName, ...] = ("org", "hub", "members")
MAX_SHARDS = 256
"""More shards than a GitHub Actions matrix may hold (256 jobs) is a typo, not a plan."""

_SHARD = re.compile(r"([1-9][0-9]{0,2})/([1-9][0-9]{0,2})")


class InvalidShard(InvalidInput, ValueError):
    """``--shard`` is not ``K/N`` with 1 <= K <= N <= 256."""


def phase_of(kind: str) -> PhaseName:
    """The phase name of a stack kind: ``org`` (with ``enroll``), ``hub`` or ``members``."""
    if kind == "enroll":
        return "org"
    return "members" if kind in ("member", "account") else kind  # type: ignore[return-value]


def shard_of(stack: str, count: int) -> int:
    """The shard (1 to ``count``) that runs ``stack``: SHA-256 of its name, modulo ``count``.

    SHA-256 rather than ``hash()``: Python salts ``hash`` of a string per process
    (PYTHONHASHSEED), so two machines would disagree.
    """
    if count < 1:
        raise InvalidShard(f"a run has at least 1 shard, not {count}")
    digest = hashlib.sha256(stack.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based, as ``--shard 2/3`` says it)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count <= MAX_SHARDS:
            raise InvalidShard(
                f"--shard must be K/N with 1 <= K <= N <= {MAX_SHARDS}, "
                f"not {self.index}/{self.count}"
            )

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/3"`` -> ``Shard(2, 3)``; anything else raises InvalidShard naming ``--shard``."""
        match = _SHARD.fullmatch(text)
        if match is None:
            shown = text if len(text) <= 20 else text[:20] + "..."
            raise InvalidShard(f"--shard must be K/N, e.g. 2/3, not {shown!r}")
        return cls(int(match[1]), int(match[2]))

    def holds(self, stack: str) -> bool:
        """Whether this shard runs ``stack``."""
        return shard_of(stack, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
