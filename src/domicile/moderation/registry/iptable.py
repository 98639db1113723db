"""An index of listed IP addresses and CIDR networks (IPv4 and IPv6) with sub-linear lookups.

* address in a listed network: one dict lookup per distinct prefix length present (at most 33
  for IPv4, 129 for IPv6), masking the address to each length, so cost does not grow with the
  number of networks;
* listed addresses and networks inside a queried network: binary search (:mod:`bisect`) over
  sorted integer starts. CIDR networks are aligned, so a network whose start lies inside the
  query and whose prefix is at least as long is contained in it.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from typing import Generic, TypeVar

from domicile.moderation.registry.normalize import IPAddress, IPNetwork

__all__ = ["IpIndex"]

T = TypeVar("T")
_BITS = {4: 32, 6: 128}


def _as_v4(addr: IPAddress) -> IPAddress:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


class IpIndex(Generic[T]):
    """Maps listed addresses and networks to payloads (register entries)."""

    def __init__(self) -> None:
        self._exact: dict[tuple[int, int], list[T]] = defaultdict(list)
        self._nets: dict[tuple[int, int, int], list[T]] = defaultdict(list)
        self._prefixes: dict[int, list[int]] = {4: [], 6: []}
        self._exact_sorted: dict[int, list[int]] = {4: [], 6: []}
        self._net_starts: dict[int, list[int]] = {4: [], 6: []}
        self._net_sorted: dict[int, list[tuple[int, int, int]]] = {4: [], 6: []}
        self._dirty = False

    def add_address(self, addr: IPAddress, payload: T) -> None:
        """List one address."""
        addr = _as_v4(addr)
        self._exact[(addr.version, int(addr))].append(payload)
        self._dirty = True

    def add_network(self, net: IPNetwork, payload: T) -> None:
        """List one network."""
        key = (net.version, net.prefixlen, int(net.network_address))
        self._nets[key].append(payload)
        self._dirty = True

    def _build(self) -> None:
        for version in (4, 6):
            self._prefixes[version] = sorted({p for v, p, _ in self._nets if v == version})
            self._exact_sorted[version] = sorted(i for v, i in self._exact if v == version)
            bits = _BITS[version]
            spans = sorted(
                (start, start + (1 << (bits - plen)) - 1, plen)
                for v, plen, start in self._nets
                if v == version
            )
            self._net_sorted[version] = spans
            self._net_starts[version] = [s for s, _, _ in spans]
        self._dirty = False

    def freeze(self) -> None:
        """Build the sorted views; called once after the last ``add_*`` (lookups call it too)."""
        if self._dirty:
            self._build()

    def exact(self, addr: IPAddress) -> Sequence[T]:
        """Payloads listing exactly this address."""
        addr = _as_v4(addr)
        return self._exact.get((addr.version, int(addr)), ())

    def containing(self, addr: IPAddress | IPNetwork) -> list[T]:
        """Payloads of listed networks that contain an address (or a whole query network)."""
        self.freeze()
        if isinstance(addr, ipaddress.IPv4Network | ipaddress.IPv6Network):
            version, value, limit = addr.version, int(addr.network_address), addr.prefixlen
        else:
            addr = _as_v4(addr)
            version, value, limit = addr.version, int(addr), _BITS[addr.version]
        bits = _BITS[version]
        found: list[T] = []
        for plen in self._prefixes[version]:
            if plen > limit:
                break
            masked = value >> (bits - plen) << (bits - plen) if plen else 0
            found.extend(self._nets.get((version, plen, masked), ()))
        return found

    def within(self, net: IPNetwork) -> list[T]:
        """Payloads of listed addresses, and of strictly longer networks, inside ``net``."""
        self.freeze()
        version = net.version
        lo, hi = int(net.network_address), int(net.broadcast_address)
        found: list[T] = []
        ints = self._exact_sorted[version]
        for value in ints[bisect_left(ints, lo) : bisect_right(ints, hi)]:
            found.extend(self._exact[(version, value)])
        starts = self._net_starts[version]
        for start, end, plen in self._net_sorted[version][bisect_left(starts, lo) : bisect_right(starts, hi)]:
            if end <= hi and plen > net.prefixlen:
                found.extend(self._nets[(version, plen, start)])
        return found
