"""Frozen result types shared by signal types, the index, banks and the matcher.

Every decision carries its evidence (style rule 13): a :class:`MatchResult` says which
signal type compared, the distance and the threshold it was held to.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Outcome of comparing two signals of one type.

    Attributes:
        signal_type: Name of the signal type that compared (``pdq``, ``md5``...).
        match: Whether the pair counts as a match under ``threshold``.
        distance: PDQ: Hamming distance (0-256). Exact types: 0 when equal, else 1.
            vPDQ: ``round(100 - min(query%, compared%))``, the share of unmatched
            frames on the worse side.
        threshold: The largest distance that still matches (PDQ 31, exact 0).
        query_match_percent: vPDQ only: % of the query's frames found in the other.
        compared_match_percent: vPDQ only: % of the other's frames found in the query.
    """

    signal_type: str
    match: bool
    distance: int
    threshold: int
    query_match_percent: float | None = None
    compared_match_percent: float | None = None


@dataclass(frozen=True, slots=True)
class ComputedHash:
    """A hash computed from content, with the hasher's quality when it has one.

    Attributes:
        signal_type: Name of the signal type.
        value: Normalized hash text.
        quality: PDQ / vPDQ quality 0-100 (vPDQ: mean over frames); None for exact hashes.
    """

    signal_type: str
    value: str
    quality: int | None = None
