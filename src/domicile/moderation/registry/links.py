"""Find links in user text (comments, messages) and check them against the register.

Used to filter links shown to viewers in Russia: :meth:`LinkReport.redacted` replaces every
*blocked* link (see :attr:`MatchResult.blocked`) with a placeholder. Three kinds are found:
URLs (``http://``, ``https://`` or starting with ``www.``), bare domains (``example.com``,
``пример.рф``; an e-mail address is not a link) and bare IPv4 addresses. A bare domain or
address is checked as the URL of its root page. Candidates that cannot be normalized are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domicile.moderation.registry.errors import RegisterQueryError

if TYPE_CHECKING:
    from domicile.moderation.registry.matcher import Matcher, MatchResult

__all__ = ["FoundLink", "LinkReport"]

_URL_RE = re.compile(r"(?:\bhttps?://|(?<![\w.@/-])www\.)[^\s<>\"'«»`]+", re.IGNORECASE)
_DOMAIN_RE = re.compile(
    r"(?<![\w@./:-])(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?:xn--[a-z0-9-]{2,59}|[^\W\d_]{2,63})(?![\w-]|\.[\w-])",
    re.IGNORECASE,
)
_IPV4_RE = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_TRAILING = ".,;:!?'\")]}»…"


@dataclass(frozen=True, slots=True)
class FoundLink:
    """One link found in the text.

    Attributes:
        start: Offset of its first character in the text.
        end: Offset just past its last character.
        text: The link as written.
        kind: ``url``, ``domain`` or ``ip``.
        result: The matcher's answer for it.
    """

    start: int
    end: int
    text: str
    kind: str
    result: MatchResult


@dataclass(frozen=True, slots=True)
class LinkReport:
    """Every link found in a text, each with its evidence."""

    links: tuple[FoundLink, ...]

    @property
    def hits(self) -> tuple[FoundLink, ...]:
        """Links with any register hit."""
        return tuple(link for link in self.links if link.result.listed)

    @property
    def blocked(self) -> tuple[FoundLink, ...]:
        """Links whose resource is blocked in Russia."""
        return tuple(link for link in self.links if link.result.blocked)

    def redacted(self, text: str, placeholder: str = "[link unavailable in Russia]") -> str:
        """``text`` with every blocked link replaced by ``placeholder``.

        Args:
            text: The text the report was made from.
            placeholder: The replacement.
        """
        out: list[str] = []
        pos = 0
        for link in self.blocked:
            out.append(text[pos : link.start])
            out.append(placeholder)
            pos = link.end
        out.append(text[pos:])
        return "".join(out)


def _trim(candidate: str) -> str:
    while candidate and candidate[-1] in _TRAILING:
        if candidate[-1] == ")" and candidate.count("(") >= candidate.count(")"):
            break
        candidate = candidate[:-1]
    return candidate


def scan_links(matcher: Matcher, text: str) -> LinkReport:
    """Extract links from ``text`` and check each with ``matcher`` (linear in the text length)."""
    found: list[FoundLink] = []
    taken: list[tuple[int, int]] = []
    for m in _URL_RE.finditer(text):
        link = _trim(m.group())
        if not link:
            continue
        url = link if "://" in link else "http://" + link
        try:
            result = matcher.check_url(url)
        except RegisterQueryError:
            continue
        found.append(FoundLink(m.start(), m.start() + len(link), link, "url", result))
        taken.append((m.start(), m.end()))

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for kind, pattern in (("ip", _IPV4_RE), ("domain", _DOMAIN_RE)):
        for m in pattern.finditer(text):
            if not free(m.start(), m.end()):
                continue
            try:
                result = matcher.check_url(f"http://{m.group()}/")
            except RegisterQueryError:
                continue
            found.append(FoundLink(m.start(), m.end(), m.group(), kind, result))
            taken.append((m.start(), m.end()))
    found.sort(key=lambda link: link.start)
    return LinkReport(tuple(found))
