"""Answer "is this URL, domain or IP listed, and why?" from one snapshot (ZI-3, REG-5).

Semantics (ru-requirements.md §5.1, ``content@blockType``):

* ``url-exact``: the normalized URL equals a listed URL (see :mod:`.normalize`). The scheme is
  not part of the key: a page listed as ``http://`` is the same page over ``https://``.
* ``https-host``: a listed ``https://`` URL blocks its whole host (ISPs cannot see the path and
  block the domain/SNI), so any URL on that host, and the host itself, is blocked.
* ``domain``: a ``blockType="domain"`` entry blocks that exact host name (not its subdomains).
* ``domain-mask``: ``*.x`` blocks ``x`` itself and every name below it.
* ``url-on-host``: some pages of this host are listed (``default`` entries), not the whole host.
  Reported for evidence and self-checks; ``blocking`` is false.
* ``below-domain`` (self-checks only): something under the queried domain is listed.
* ``ip-exact`` / ``ip-in-subnet``: the address equals a listed address or lies in a listed
  network (a queried network inside a listed one also counts). ``listed-in-range``: a listed
  address or longer network lies inside a queried network. IP hits block only for
  ``blockType="ip"`` entries; otherwise the address is listed as the resource's host address
  (ISPs without DPI may still block it, which is why REG-5 self-checks report it).

Hosts are compared in ASCII (punycode) form, so Cyrillic and punycode spellings match both ways.
Lookups are dict and set probes (walking up a host's labels for masks) and the prefix-length
table of :class:`~.iptable.IpIndex`; no lookup scans the entries.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cached_property

from domicile.moderation.registry.basis import LegalBasis
from domicile.moderation.registry.errors import RegisterQueryError
from domicile.moderation.registry.iptable import IpIndex
from domicile.moderation.registry.links import LinkReport, scan_links
from domicile.moderation.registry.model import BlockType, RegisterEntry, RegisterSnapshot
from domicile.moderation.registry.normalize import (
    IPAddress,
    IPNetwork,
    normalize_host,
    normalize_mask,
    normalize_url,
    parse_ip,
    parse_network,
    url_host,
    url_key,
)
from domicile.moderation.registry.selfcheck import SelfCheckReport, run_self_check

__all__ = ["Hit", "MatchResult", "MatchRule", "Matcher"]


class MatchRule(StrEnum):
    """Why a query matched (see the module docstring)."""

    URL_EXACT = "url-exact"
    HTTPS_HOST = "https-host"
    DOMAIN = "domain"
    DOMAIN_MASK = "domain-mask"
    URL_ON_HOST = "url-on-host"
    BELOW_DOMAIN = "below-domain"
    IP_EXACT = "ip-exact"
    IP_IN_SUBNET = "ip-in-subnet"
    LISTED_IN_RANGE = "listed-in-range"


@dataclass(frozen=True, slots=True)
class Hit:
    """One piece of evidence: a rule that fired against one entry.

    Attributes:
        rule: The rule that fired.
        entry: The listed entry (its decision and legal basis are the legal evidence).
        listed: The listed value that matched, normalized (URL, host, ``*.mask``, IP or CIDR).
        blocking: Whether this hit means the queried resource itself is blocked in Russia.
    """

    rule: MatchRule
    entry: RegisterEntry
    listed: str
    blocking: bool

    @property
    def entry_id(self) -> str:
        """The matching entry's id."""
        return self.entry.id

    @property
    def legal_basis(self) -> LegalBasis | None:
        """The matching entry's legal basis (``None`` for mirror rows)."""
        return self.entry.legal_basis


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The answer to one query, with all its evidence.

    Attributes:
        kind: ``url``, ``domain`` or ``ip``.
        query: The value asked about.
        normalized: Its normalized form (the lookup key).
        hits: Every rule that fired, in rule order.
        register_sha256: SHA-256 of the dump the matcher was built from.
        register_update_time: That dump's latest update time (REG-5 ``registry_snapshot_ts``).
    """

    kind: str
    query: str
    normalized: str
    hits: tuple[Hit, ...]
    register_sha256: str
    register_update_time: datetime | None = None

    @property
    def listed(self) -> bool:
        """True when any entry concerns the query."""
        return bool(self.hits)

    @property
    def blocked(self) -> bool:
        """True when some hit blocks the queried resource itself."""
        return any(h.blocking for h in self.hits)

    @property
    def entry_ids(self) -> tuple[str, ...]:
        """Ids of the matching entries, without repeats, in hit order."""
        return tuple(dict.fromkeys(h.entry.id for h in self.hits))

    @property
    def rules(self) -> frozenset[MatchRule]:
        """The rules that fired."""
        return frozenset(h.rule for h in self.hits)


_Hits = defaultdict[str, list["Hit"]]


def _labels_up(host: str) -> Iterable[str]:
    """``a.b.c`` -> ``a.b.c``, ``b.c``, ``c``."""
    yield host
    start = host.find(".")
    while start >= 0:
        yield host[start + 1 :]
        start = host.find(".", start + 1)


class Matcher:
    """An immutable index over a set of entries.

    Args:
        entries: The entries to index (typically ``snapshot.entries``).
        register_sha256: The dump's SHA-256, echoed in every result as evidence.
        update_time: The dump's latest update time, echoed likewise.

    Attributes:
        unindexed: ``(entry id, field)`` pairs whose value could not be normalized (only
            possible for entries not produced by the parsers, which validate them).
    """

    def __init__(
        self,
        entries: Iterable[RegisterEntry],
        *,
        register_sha256: str = "",
        update_time: datetime | None = None,
    ) -> None:
        self.register_sha256 = register_sha256
        self.update_time = update_time
        # Every table holds ready-made Hit objects: a lookup only concatenates lists.
        self._urls: _Hits = defaultdict(list)
        self._https_hosts: _Hits = defaultdict(list)
        self._url_hosts: _Hits = defaultdict(list)
        self._domains: _Hits = defaultdict(list)
        self._masks: _Hits = defaultdict(list)
        self._ips: IpIndex[Hit] = IpIndex()
        unindexed: list[tuple[str, str]] = []
        count = 0
        for entry in entries:
            count += 1
            self._index(entry, unindexed)
        self._ips.freeze()
        self.size = count
        self.unindexed = tuple(unindexed)

    @classmethod
    def from_snapshot(cls, snapshot: RegisterSnapshot) -> Matcher:
        """Build a matcher for every entry of ``snapshot``."""
        return cls(snapshot.entries, register_sha256=snapshot.sha256, update_time=snapshot.latest_update)

    def _index(self, entry: RegisterEntry, unindexed: list[tuple[str, str]]) -> None:
        """Index one entry; each (table, key, listed value) gets the entry at most once."""
        block = entry.block_type
        url_keys: set[str] = set()
        https_hosts: set[str] = set()
        page_hosts: set[str] = set()
        for raw in entry.urls:
            try:
                url = normalize_url(raw)
            except RegisterQueryError:
                unindexed.append((entry.id, "urls"))
                continue
            key = url_key(url)
            if key not in url_keys:
                url_keys.add(key)
                self._urls[key].append(Hit(MatchRule.URL_EXACT, entry, url, True))
            host = url_host(url)
            if url.startswith("https://"):
                if host not in https_hosts:
                    https_hosts.add(host)
                    self._https_hosts[host].append(Hit(MatchRule.HTTPS_HOST, entry, url, True))
            elif host not in page_hosts:
                page_hosts.add(host)
                self._url_hosts[host].append(Hit(MatchRule.URL_ON_HOST, entry, url, False))
        page_hosts |= https_hosts
        seen: set[str] = set()
        for raw in entry.domains:
            try:
                if block is BlockType.DOMAIN_MASK or raw.strip().startswith("*."):
                    base = normalize_mask(raw)
                    if "*." + base not in seen:
                        seen.add("*." + base)
                        self._masks[base].append(Hit(MatchRule.DOMAIN_MASK, entry, "*." + base, True))
                    continue
                host = normalize_host(raw)
            except RegisterQueryError:
                unindexed.append((entry.id, "domains"))
                continue
            if block is BlockType.DOMAIN:
                if host not in seen:
                    seen.add(host)
                    self._domains[host].append(Hit(MatchRule.DOMAIN, entry, host, True))
            elif host not in page_hosts:
                page_hosts.add(host)
                self._url_hosts[host].append(Hit(MatchRule.URL_ON_HOST, entry, host, False))
        blocking = block is BlockType.IP
        for addr in dict.fromkeys(entry.ips):
            text = socket.inet_ntoa(addr.packed) if addr.version == 4 else str(addr)  # str() is slow
            self._ips.add_address(addr, Hit(MatchRule.IP_EXACT, entry, text, blocking))
        for net in dict.fromkeys(entry.subnets):
            self._ips.add_network(net, Hit(MatchRule.IP_IN_SUBNET, entry, str(net), blocking))

    # ---- queries -------------------------------------------------------------------------

    def check(self, value: str) -> MatchResult:
        """Check a value of any kind: an IP or CIDR, a URL (has ``/``) or a domain."""
        text = value.strip()
        try:
            return self.check_ip(text)
        except RegisterQueryError:
            pass
        if "/" in text or "://" in text:
            return self.check_url(text)
        return self.check_domain(text)

    def check_url(self, url: str) -> MatchResult:
        """Is this URL listed, or blocked through its host?

        Raises:
            RegisterQueryError: The URL cannot be normalized.
        """
        normalized = normalize_url(url)
        hits = list(self._urls.get(url_key(normalized), ()))
        host = url_host(normalized)
        hits += self._host_hits(host)
        if ":" in host or host.replace(".", "").isdigit():
            with contextlib.suppress(RegisterQueryError):
                hits += self._address_hits(parse_ip(host))
        return self._result("url", url, normalized, hits)

    def check_domain(self, domain: str, *, include_subdomains: bool = False) -> MatchResult:
        """Is this host blocked (domain, mask, https URL), or are pages on it listed?

        Args:
            domain: A host name, Unicode or punycode.
            include_subdomains: Also report anything listed below it (``below-domain``).

        Raises:
            RegisterQueryError: The domain cannot be normalized.
        """
        host = normalize_host(domain)
        hits = self._host_hits(host)
        if include_subdomains:
            hits += self._below_hits(host)
        return self._result("domain", domain, host, hits)

    def check_ip(self, value: str | IPAddress | IPNetwork) -> MatchResult:
        """Is this address (or any address of this CIDR network) listed?

        Raises:
            RegisterQueryError: The value is neither an address nor a CIDR network.
        """
        query = str(value)
        target: IPAddress | IPNetwork
        if isinstance(value, str):
            target = parse_network(value) if "/" in value else parse_ip(value)
        elif isinstance(value, ipaddress.IPv6Address) and value.ipv4_mapped is not None:
            target = value.ipv4_mapped
        else:
            target = value
        if isinstance(target, ipaddress.IPv4Network | ipaddress.IPv6Network):
            hits = self._ips.containing(target)
            hits += [
                Hit(MatchRule.LISTED_IN_RANGE, h.entry, h.listed, False) for h in self._ips.within(target)
            ]
            return self._result("ip", query, str(target), hits)
        hits = self._address_hits(target)
        hits += self._host_hits(str(target))
        return self._result("ip", query, str(target), hits)

    def check_links(self, text: str) -> LinkReport:
        """Find URLs, bare domains and IPv4 addresses in free text and check each (see :mod:`.links`)."""
        return scan_links(self, text)

    def self_check(self, domains: Sequence[str] = (), ips: Sequence[str] = ()) -> SelfCheckReport:
        """REG-5: match the platform's own domains (with subdomains) and IPs or CIDRs.

        Raises:
            RegisterQueryError: An item is malformed (the message names its position).
        """
        return run_self_check(self, domains, ips)

    # ---- internals -----------------------------------------------------------------------

    def _address_hits(self, addr: IPAddress) -> list[Hit]:
        hits = list(self._ips.exact(addr))
        hits += self._ips.containing(addr)
        return hits

    def _host_hits(self, host: str) -> list[Hit]:
        hits = list(self._domains.get(host, ()))
        if self._masks:
            for suffix in _labels_up(host):
                hits += self._masks.get(suffix, ())
        hits += self._https_hosts.get(host, ())
        hits += self._url_hosts.get(host, ())
        return hits

    @cached_property
    def _below(self) -> dict[str, tuple[str, ...]]:
        """Every indexed host name keyed by each of its proper ancestors (built on first use)."""
        below: defaultdict[str, set[str]] = defaultdict(set)
        for table in (self._domains, self._masks, self._https_hosts, self._url_hosts):
            for host in table:
                for ancestor in list(_labels_up(host))[1:]:
                    below[ancestor].add(host)
        return {k: tuple(sorted(v)) for k, v in below.items()}

    def _below_hits(self, host: str) -> list[Hit]:
        hits: list[Hit] = []
        for sub in self._below.get(host, ()):
            for table in (self._domains, self._masks, self._https_hosts, self._url_hosts):
                hits += [Hit(MatchRule.BELOW_DOMAIN, h.entry, h.listed, False) for h in table.get(sub, ())]
        return hits

    def _result(self, kind: str, query: str, normalized: str, hits: list[Hit]) -> MatchResult:
        # Indexing stores each (table, key, listed value, entry) once and every rule reads its
        # own table, so hits never repeat and need no de-duplication here.
        return MatchResult(kind, query, normalized, tuple(hits), self.register_sha256, self.update_time)
