"""The jurisdiction-pack seam.

A pack says which data categories are localized, which countries' subjects it
homes, how strong each residency signal is, and the cross-border rules (data,
each with its legal source). A new country is a new pack, never a fork.
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar


class DataCategory(StrEnum):
    """Categories of personal data a field belongs to."""

    NAME = "name"
    CONTACT = "contact"
    GOVERNMENT_ID = "government_id"
    DEMOGRAPHIC = "demographic"
    LOCATION = "location"
    ONLINE_ID = "online_id"
    FINANCIAL = "financial"
    OTHER = "other"


class SignalKind(StrEnum):
    """Residency signals, in the order the resolver weighs them."""

    CITIZENSHIP = "citizenship"
    RESIDENCE = "residence"
    PHONE = "phone"
    IP = "ip"


class Strength(StrEnum):
    """How much a signal counts for a pack."""

    STRONG = "strong"
    WEAK = "weak"


@dataclass(frozen=True)
class LegalSource:
    """Where a rule comes from: the act and article, and its verification tag."""

    act: str
    article: str
    tag: str  # [V] / [P] / [U] from ru-requirements.md
    requirement_ids: tuple[str, ...] = ()

    def cite(self) -> str:
        ids = f" ({', '.join(self.requirement_ids)})" if self.requirement_ids else ""
        return f"{self.act} {self.article} {self.tag}{ids}"


@dataclass(frozen=True)
class TransferRule:
    """A cross-border transfer rule of a pack (enforced by the gateway)."""

    rule_id: str
    description: str
    source: LegalSource


@dataclass(frozen=True)
class AdequacyList:
    """Countries a pack treats as giving adequate protection, with provenance."""

    countries: frozenset[str]
    source: LegalSource
    as_of: str  # ISO date of the list version


class Jurisdiction(ABC):
    """One jurisdiction pack. Subclasses set class-level data only.

    ``COUNTRIES`` empty marks the catch-all pack (GLOBAL): it homes everyone no
    other pack claims. ``PRIORITY``: lower wins when two packs both hold a
    strong signal (the stricter law first).
    """

    CODE: ClassVar[str]
    NAME: ClassVar[str]
    COUNTRIES: ClassVar[frozenset[str]] = frozenset()
    PRIORITY: ClassVar[int] = 100
    LOCALIZED_CATEGORIES: ClassVar[frozenset[DataCategory]] = frozenset()
    LOCALIZATION_SOURCE: ClassVar[LegalSource | None] = None
    SIGNAL_STRENGTH: ClassVar[Mapping[SignalKind, Strength]] = {}
    TRANSFER_RULES: ClassVar[Sequence[TransferRule]] = ()
    ADEQUACY: ClassVar[AdequacyList | None] = None

    @classmethod
    def is_catch_all(cls) -> bool:
        return not cls.COUNTRIES

    @classmethod
    def localizes(cls, category: DataCategory) -> bool:
        """True when PD of this category must stay in the pack's home cells."""
        return category in cls.LOCALIZED_CATEGORIES

    @classmethod
    def strength(cls, kind: SignalKind) -> Strength | None:
        return cls.SIGNAL_STRENGTH.get(kind)
