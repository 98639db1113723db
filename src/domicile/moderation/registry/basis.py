"""Legal basis of a register entry, derived from ``entryType`` and the deciding body, as data.

The mapping below follows ru-requirements.md §5.1 (``content@entryType``), itself taken from
consumer code (the usher2 bot) and not from the official operator memo, so every row is tagged
``[P]``. It is configuration: pass another :class:`LegalBasisTable` to the parsers to override it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["DEFAULT_BASIS_RULES", "LegalBasis", "LegalBasisRule", "LegalBasisTable", "default_basis_table"]


@dataclass(frozen=True, slots=True)
class LegalBasis:
    """The statute under which an entry was listed.

    Attributes:
        law: The federal law, e.g. ``"149-FZ"``.
        article: The article, e.g. ``"15.1"`` or ``"15.1-1"``.
        label: A short English description of the regime.
        tag: Verification tag from ru-requirements.md (``V``, ``P`` or ``U``).
        requirement: The requirement ID in ru-requirements.md that governs the takedown.
    """

    law: str
    article: str
    label: str
    tag: str
    requirement: str

    def __str__(self) -> str:
        return f"{self.law} art. {self.article}"


@dataclass(frozen=True, slots=True)
class LegalBasisRule:
    """One row of the mapping: ``entry_type`` (and optionally the deciding ``org``) to a basis.

    A rule with ``org=None`` is the fallback for its entry type; a rule with an ``org`` wins
    when the decision's body equals it (case-insensitively).
    """

    entry_type: int
    basis: LegalBasis
    org: str | None = None


def _b(article: str, label: str, requirement: str = "REG-2") -> LegalBasis:
    return LegalBasis("149-FZ", article, label, "P", requirement)


DEFAULT_BASIS_RULES: tuple[LegalBasisRule, ...] = (
    LegalBasisRule(1, _b("15.1", "unified register: prohibited information")),
    LegalBasisRule(1, _b("15.1-1", "disrespect for society and the state", "PG-3"), org="Генпрокуратура"),
    LegalBasisRule(2, _b("15.2", "copyright and related rights")),
    LegalBasisRule(3, _b("15.3", "Prosecutor General: riots, extremism, fakes", "PG-1")),
    LegalBasisRule(4, _b("15.4", "information-dissemination organiser non-compliance")),
    LegalBasisRule(5, _b("15.6", "repeated copyright infringement (permanent)"), org="Мосгорсуд"),
    LegalBasisRule(5, _b("15.6-1", "mirrors of permanently blocked sites"), org="Минкомсвязь"),
    LegalBasisRule(6, _b("15.5", "personal-data law violators")),
    LegalBasisRule(7, _b("15.8", "VPN services and anonymisers")),
)


class LegalBasisTable:
    """Resolves ``(entry_type, org)`` to a :class:`LegalBasis` with two dict lookups."""

    def __init__(self, rules: Iterable[LegalBasisRule]) -> None:
        self._by_type: dict[int, LegalBasis] = {}
        self._by_type_org: dict[tuple[int, str], LegalBasis] = {}
        for rule in rules:
            if rule.org is None:
                self._by_type[rule.entry_type] = rule.basis
            else:
                self._by_type_org[(rule.entry_type, rule.org.casefold())] = rule.basis

    def resolve(self, entry_type: int | None, org: str | None) -> LegalBasis | None:
        """Return the basis for an entry, or ``None`` when the type is unknown or absent.

        Args:
            entry_type: ``content@entryType`` (``None`` for CSV mirror rows).
            org: ``decision@org``.
        """
        if entry_type is None:
            return None
        if org:
            hit = self._by_type_org.get((entry_type, org.strip().casefold()))
            if hit is not None:
                return hit
        return self._by_type.get(entry_type)


def default_basis_table() -> LegalBasisTable:
    """The table built from :data:`DEFAULT_BASIS_RULES`."""
    return LegalBasisTable(DEFAULT_BASIS_RULES)
