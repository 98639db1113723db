"""REG-5: periodically match the platform's own domains and IPs against the register.

A hit on a platform domain (or anything below it) or on a platform address or range (a CDN IP
listed because of a third-party site, say) is an alert, whether or not it blocks the resource
itself: see :class:`SelfCheckReport`. Run it after every load, and over
:meth:`RegisterDiff.touched_entries` for "new hits" alerts (ZI-4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from domicile.moderation.registry.errors import RegisterQueryError

if TYPE_CHECKING:
    from domicile.moderation.registry.matcher import Hit, Matcher, MatchResult

__all__ = ["SelfCheckReport"]


@dataclass(frozen=True, slots=True)
class SelfCheckReport:
    """Outcome of one self-check (REG-5 record: ``registry_snapshot_ts, hits[]``).

    Attributes:
        register_sha256: SHA-256 of the dump checked against.
        register_update_time: The dump's latest update time.
        checked_domains: How many domains were checked.
        checked_ips: How many addresses or ranges were checked.
        results: One result per checked item that has hits, in input order.
    """

    register_sha256: str
    register_update_time: datetime | None
    checked_domains: int
    checked_ips: int
    results: tuple[MatchResult, ...]

    @property
    def alert(self) -> bool:
        """True when any platform asset is concerned by the register."""
        return bool(self.results)

    @property
    def hits(self) -> tuple[Hit, ...]:
        """All hits of all results."""
        return tuple(h for r in self.results for h in r.hits)


def run_self_check(matcher: Matcher, domains: Sequence[str], ips: Sequence[str]) -> SelfCheckReport:
    """Check every domain (with subdomains) and every IP or CIDR; keep the results with hits.

    Raises:
        RegisterQueryError: An item is malformed; the message names ``domains[i]`` or ``ips[i]``.
    """
    results: list[MatchResult] = []
    for i, domain in enumerate(domains):
        try:
            result = matcher.check_domain(domain, include_subdomains=True)
        except RegisterQueryError as exc:
            raise RegisterQueryError(f"self-check domains[{i}]: {exc.message}") from None
        if result.listed:
            results.append(result)
    for i, ip in enumerate(ips):
        try:
            result = matcher.check_ip(ip)
        except RegisterQueryError as exc:
            raise RegisterQueryError(f"self-check ips[{i}]: {exc.message}") from None
        if result.listed:
            results.append(result)
    return SelfCheckReport(
        matcher.register_sha256, matcher.update_time, len(domains), len(ips), tuple(results)
    )
