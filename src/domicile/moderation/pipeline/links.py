"""Filter links in comments and messages for viewers in Russia (149-FZ art. 15.1, REG-6).

The register applies in Russia only, so the filter is geo-scoped: a viewer in Russia sees each
link that the register blocks replaced by a placeholder naming the reason code; a viewer
elsewhere sees the text unchanged (the evidence still says what would be hidden, and that the
scope did not apply). Links are found and matched by the register's matcher
(:meth:`~domicile.moderation.registry.Matcher.check_links`: URLs, bare domains, IPv4 addresses).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from domicile.moderation.actions.errors import ModerationInputError
from domicile.moderation.registry import FoundLink, Matcher, Register

__all__ = ["RESTRICTED_IN", "FilteredText", "LinkFilter", "Redaction", "filter_for_viewer", "reason_code_of"]

#: Countries where register blocks apply.
RESTRICTED_IN: frozenset[str] = frozenset({"RU"})
PLACEHOLDER = "[link unavailable in Russia: {reason}]"
_COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True, slots=True)
class Redaction:
    """A blocked link and why.

    Attributes:
        start: Offset of the link in the original text.
        end: Offset just past it.
        kind: ``url``, ``domain`` or ``ip``.
        reason_code: ``reg-<article>`` from the entry's legal basis (``reg-15.1``, ``reg-15.3``...),
            or ``reg-listed`` for mirror rows without one.
        legal_basis: Citation of the law, if known.
        rules: The match rules that block it.
        entry_ids: The register entries that block it.
        applied: Whether it was hidden for this viewer (only in a country where the register applies).
    """

    start: int
    end: int
    kind: str
    reason_code: str
    legal_basis: str | None
    rules: tuple[str, ...]
    entry_ids: tuple[str, ...]
    applied: bool


@dataclass(frozen=True, slots=True)
class FilteredText:
    """The text as shown to one viewer, with the evidence.

    Attributes:
        text: The text to show.
        viewer_country: The viewer's country (ISO alpha-2).
        geo_scoped: Whether the register applies to this viewer.
        links_checked: How many links were found and checked.
        redactions: Blocked links (hidden when ``applied``).
        register_sha256: SHA-256 of the dump matched against.
    """

    text: str
    viewer_country: str
    geo_scoped: bool
    links_checked: int
    redactions: tuple[Redaction, ...]
    register_sha256: str

    @property
    def changed(self) -> bool:
        """Whether anything was hidden."""
        return any(r.applied for r in self.redactions)


def reason_code_of(link: FoundLink) -> tuple[str, str | None]:
    """``(reason code, citation)`` of the first blocking hit with a legal basis."""
    for hit in link.result.hits:
        if hit.blocking and hit.legal_basis is not None:
            return f"reg-{hit.legal_basis.article}", str(hit.legal_basis)
    return "reg-listed", None


def filter_for_viewer(
    text: str,
    viewer_country: str,
    matcher: Matcher,
    *,
    restricted_in: Collection[str] = RESTRICTED_IN,
    placeholder: str = PLACEHOLDER,
) -> FilteredText:
    """Hide register-blocked links from viewers in Russia; leave others' text unchanged.

    Args:
        text: A comment or message.
        viewer_country: The viewer's country, ISO 3166 alpha-2 (as the platform determines it,
            REG-6: RU IPs, RU-registered accounts, RU builds, VPN-detected RU users).
        matcher: The active register matcher.
        restricted_in: Countries where the register applies.
        placeholder: Replacement text; ``{reason}`` is filled with the reason code.

    Raises:
        ModerationInputError: ``text`` is not a string or the country is not two capital letters.
    """
    if not isinstance(text, str):
        raise ModerationInputError("text must be a string")
    if not isinstance(viewer_country, str) or not _COUNTRY.fullmatch(viewer_country):
        raise ModerationInputError("viewer_country must be an ISO 3166 alpha-2 code such as RU")
    scoped = viewer_country in restricted_in
    report = matcher.check_links(text)
    redactions: list[Redaction] = []
    out: list[str] = []
    pos = 0
    for link in report.blocked:
        reason, basis = reason_code_of(link)
        rules = tuple(sorted({h.rule.value for h in link.result.hits if h.blocking}))
        redactions.append(
            Redaction(link.start, link.end, link.kind, reason, basis, rules, link.result.entry_ids, scoped)
        )
        if scoped:
            out.append(text[pos : link.start])
            out.append(placeholder.format(reason=reason))
            pos = link.end
    out.append(text[pos:])
    return FilteredText(
        "".join(out), viewer_country, scoped, len(report.links), tuple(redactions), matcher.register_sha256
    )


class LinkFilter:
    """:func:`filter_for_viewer` against a register holder's active snapshot.

    Args:
        register: The register holder (its latest good snapshot is used at each call).
        restricted_in: Countries where the register applies.
    """

    def __init__(self, register: Register, *, restricted_in: Collection[str] = RESTRICTED_IN) -> None:
        self.register = register
        self.restricted_in = frozenset(restricted_in)

    def filter(self, text: str, viewer_country: str) -> FilteredText:
        """Filter ``text`` for a viewer in ``viewer_country``.

        Raises:
            RegisterNotLoadedError: No register snapshot is active (fail closed: do not show
                unfiltered text to viewers in Russia).
        """
        return filter_for_viewer(
            text, viewer_country, self.register.matcher, restricted_in=self.restricted_in
        )
