"""The narrow seam to hash matching, an adapter over :mod:`domicile.moderation.hashing`, and
the bank-to-category policy.

The pipeline needs one thing from hash matching: "given upload bytes or hashes, which bank
entries match, with bank, signal type, distance, threshold, quality, variant and label".
:class:`HashMatchSource` says exactly that; :class:`HashMatcherAdapter` implements it over
``hashing.HashMatcher`` (PDQ with dihedral variants, MD5/SHA-256, vPDQ), imported lazily.
:class:`BankPolicy` decides which category a hit points to (SN-1 categories; a bank named in
the policy, else an entry label such as ``C-CSAM``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from domicile.moderation.actions.errors import ModerationInputError
from domicile.moderation.queue.model import Detector, Evidence, EvidenceKind
from domicile.moderation.queue.policy import CSAM_CATEGORY

if TYPE_CHECKING:
    from domicile.moderation.hashing import HashBankStore

__all__ = ["BankPolicy", "HashHit", "HashMatchSource", "HashMatcherAdapter", "HashScan"]

_CATEGORY = re.compile(r"C-[A-Z][A-Z0-9-]{1,30}")
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")  # a code; other labels are not copied


@dataclass(frozen=True, slots=True)
class HashHit:
    """One bank entry matched by an upload, with its evidence.

    Attributes:
        bank: Bank name.
        signal_type: Signal type that matched (``pdq``, ``md5``, ``vpdq``...).
        entry_id: The bank entry's id.
        distance: Distance (PDQ: Hamming bits; exact types 0).
        threshold: Largest distance that matches.
        quality: The upload's hash quality, if known.
        variant: The upload's dihedral variant that matched (PDQ), if any.
        label: The entry's label (may name a category such as ``C-CSAM``), if any.
    """

    bank: str
    signal_type: str
    entry_id: int
    distance: int
    threshold: int
    quality: int | None = None
    variant: str | None = None
    label: str | None = None


@dataclass(frozen=True, slots=True)
class HashScan:
    """What matching one upload found.

    Attributes:
        hits: Matched entries, nearest first.
        signals: ``(signal type, hash)`` pairs computed from the upload.
        rejected: Signals not matched, as ``<type>:<reason>`` (e.g. ``pdq:low_quality``).
    """

    hits: tuple[HashHit, ...]
    signals: tuple[tuple[str, str], ...] = ()
    rejected: tuple[str, ...] = ()


@runtime_checkable
class HashMatchSource(Protocol):
    """Matches uploads against hash banks."""

    def scan_image(self, data: bytes) -> HashScan:
        """Hash an encoded image and match it."""
        ...

    def scan_signals(self, signals: Sequence[tuple[str, str]]) -> HashScan:
        """Match hashes computed elsewhere (e.g. on the client, or a video's vPDQ)."""
        ...


class HashMatcherAdapter:
    """:class:`HashMatchSource` over ``domicile.moderation.hashing.HashMatcher``.

    Args:
        store: The hash banks.
        **options: Passed to ``HashMatcher`` (``index_backend``, ``pdq_threshold``, ``dihedral``...).
    """

    def __init__(self, store: HashBankStore, **options: Any) -> None:
        from domicile.moderation.hashing import HashMatcher

        self.matcher = HashMatcher(store, **options)

    def scan_image(self, data: bytes) -> HashScan:
        """Hash the image (MD5/SHA-256 + PDQ with dihedral variants) and match it."""
        return self._convert(self.matcher.scan_image(data))

    def scan_signals(self, signals: Sequence[tuple[str, str]]) -> HashScan:
        """Match given ``(signal type, hash)`` pairs."""
        from domicile.moderation.hashing import ComputedHash

        return self._convert(self.matcher.match_signals([ComputedHash(t, v) for t, v in signals]))

    @staticmethod
    def _convert(scan: Any) -> HashScan:
        hits = tuple(
            HashHit(
                m.bank,
                m.signal_type,
                m.entry_id,
                m.result.distance,
                m.result.threshold,
                m.quality,
                m.variant,
                m.label,
            )
            for m in scan.matches
        )
        signals = tuple((s.signal_type, s.value) for s in scan.signals)
        rejected = tuple(f"{r.signal_type}:{r.reason}" for r in scan.rejected)
        return HashScan(hits, signals, rejected)


@dataclass(frozen=True)
class BankPolicy:
    """Which category a bank hit points to.

    Attributes:
        categories: Bank name to category code (``{"csam-rkn": "C-CSAM"}``); wins over labels.
        trust_labels: Use an entry label that is a category code (``C-...``) when the bank has none.
    """

    categories: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    trust_labels: bool = True

    def __post_init__(self) -> None:
        for bank, code in self.categories.items():
            if not _CATEGORY.fullmatch(code):
                raise ModerationInputError(f"bank {bank!r}: category must be a code such as C-CSAM")

    def category_of(self, hit: HashHit) -> str | None:
        """The category the hit points to, if any."""
        mapped = self.categories.get(hit.bank)
        if mapped is not None:
            return mapped
        label = (hit.label or "").strip().upper()
        return label if self.trust_labels and _CATEGORY.fullmatch(label) else None

    def is_csam(self, hit: HashHit) -> bool:
        """Whether the hit is in a CSAM-labelled bank (MIN-7)."""
        return self.category_of(hit) == CSAM_CATEGORY

    def evidence(self, hit: HashHit) -> Evidence:
        """The hit as case evidence."""
        return Evidence(
            EvidenceKind.HASH,
            Detector.HASH,
            category=self.category_of(hit),
            bank=hit.bank,
            signal_type=hit.signal_type,
            bank_entry_id=hit.entry_id,
            distance=hit.distance,
            threshold=hit.threshold,
            quality=hit.quality,
            variant=hit.variant,
            label=hit.label if hit.label is not None and _LABEL.fullmatch(hit.label) else None,
        )
