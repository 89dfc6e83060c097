"""Whether a set of allowed source networks, together, admits the internet.

One function, used by the config validation (``gateway.allowed_cidrs``), by the
Gateway compute (to mark the one intended exception) and by the policy pack
(over a security group's ingress). Standard library only: the pack imports it.

The rule: collapse the networks (so overlaps count once), count the public
addresses they cover per IP version, and call the union "the internet" when
that count is more than one organization's own networks hold:

- IPv4: more than 65,536 public addresses (a /16). An organization's egress
  and office ranges are /24s to /28s; a wider union is a provider's customers,
  a cloud region's tenants, or more: anyone.
- IPv6: more than a /32's worth: the usual minimum allocation to a whole
  provider (an LIR) in the registries' IPv6 policies, room for 65,536 end sites
  of a /48 each (RFC 6177).

So ``0.0.0.0/0``, ``0.0.0.0/1`` + ``128.0.0.0/1``, ``52.0.0.0/15`` and
``2000::/3`` are the internet; ``10.0.0.0/8``, ``100.64.0.0/10`` and
``203.0.113.0/24`` are not. A count, not a prefix length, so splitting a wide
range into many narrow ones changes nothing.

Wider intended access (a partner's whole network, say) is what
``gateway.allow_internet_ingress`` and the exception tag are for: explicit and
on the one resource, never implied by a list of CIDRs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_PUBLIC_ADDRESSES = {4: 2**16, 6: 2 ** (128 - 32)}
"""Per IP version, the most public addresses an allowed-networks list may cover."""

PUBLIC_SPACE: tuple[Network, ...] = (
    ipaddress.IPv4Network("0.0.0.0/0"),
    # The only IPv6 space IANA allocates as global unicast:
    # https://www.iana.org/assignments/ipv6-address-space/
    ipaddress.IPv6Network("2000::/3"),
)

NOT_PUBLIC: tuple[Network, ...] = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        # Inside PUBLIC_SPACE and not globally reachable, from IANA's special-purpose
        # registries (https://www.iana.org/assignments/iana-ipv4-special-registry/,
        # .../iana-ipv6-special-registry/), plus multicast and the reserved 240/4,
        # which are never the source of a connection.
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "2001:db8::/32",
        "3fff::/20",
    )
)
"""Disjoint, each inside one network of PUBLIC_SPACE (tests/test_policy.py checks both)."""


def _overlap(a: Network, b: Network) -> int:
    """How many addresses two networks share: CIDR blocks nest or are disjoint."""
    nested = a.version == b.version and a.overlaps(b)
    return min(a.num_addresses, b.num_addresses) if nested else 0


def _public_count(networks: Iterable[Network]) -> int:
    return sum(
        sum(_overlap(network, public) for public in PUBLIC_SPACE)
        - sum(_overlap(network, other) for other in NOT_PUBLIC)
        for network in networks
    )


def public_addresses(networks: Iterable[Network]) -> dict[int, int]:
    """Per IP version, how many public addresses the networks cover together."""
    given = list(networks)
    ipv4 = [network for network in given if isinstance(network, ipaddress.IPv4Network)]
    ipv6 = [network for network in given if isinstance(network, ipaddress.IPv6Network)]
    # Collapsed first, so a network listed twice, or inside another, counts once.
    return {
        4: _public_count(ipaddress.collapse_addresses(ipv4)),
        6: _public_count(ipaddress.collapse_addresses(ipv6)),
    }


def admits_the_internet(cidrs: Iterable[str]) -> bool:
    """Whether these CIDR blocks together cover more public space than one organization's.

    Raises ValueError for a string that is not a CIDR block (host bits may be set,
    as AWS accepts them).
    """
    networks = [ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs]
    counts = public_addresses(networks)
    return any(counts[version] > limit for version, limit in MAX_PUBLIC_ADDRESSES.items())
