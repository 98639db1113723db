"""Configuration of the review queue: clocks per source, automatic actions the pack allows.

The desk catalog of the RU pack (``desk/data/ru_desk.yaml``, ``automatic_actions``) allows one
execution without a person: ``ru.auto.csam_hash_match`` — "a bank match of a known CSAM hash is
removed at once; a person reviews afterwards" (149-FZ art. 10.6, 15.1; CC RF art. 242.1; SN-2,
MIN-7). :data:`DEFAULT_AUTOMATIC_RULES` mirrors it; the queue refuses any other automatic action.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from domicile.moderation.actions.model import ActionKind
from domicile.moderation.queue.model import CaseSource

__all__ = [
    "APPEAL_CLOCK",
    "CSAM_CATEGORY",
    "DEFAULT_AUTOMATIC_RULES",
    "DEFAULT_SOURCE_CLOCKS",
    "AutomaticRule",
    "QueuePolicy",
]

CSAM_CATEGORY = "C-CSAM"
APPEAL_CLOCK = "sn.appeal.decide"  # 3 days (SN-7), calendar days [U]
CSAM_CLOCK = "sn.selfmon.restrict_csam"  # immediately; internal target 15 min (SN-2)


@dataclass(frozen=True, slots=True)
class AutomaticRule:
    """An action the pack allows without a person, recorded as automatic.

    Attributes:
        rule_id: The pack's rule id.
        actions: The action kinds it allows.
        legal_basis: Citation.
        requirement_ids: Requirement ids in ru-requirements.md.
    """

    rule_id: str
    actions: frozenset[ActionKind]
    legal_basis: str
    requirement_ids: tuple[str, ...]


DEFAULT_AUTOMATIC_RULES: Mapping[str, AutomaticRule] = MappingProxyType(
    {
        "ru.auto.csam_hash_match": AutomaticRule(
            "ru.auto.csam_hash_match",
            frozenset({ActionKind.BLOCK_UPLOAD, ActionKind.REMOVE_GLOBAL, ActionKind.FLAG_ACCOUNT}),
            "149-FZ art. 10.6, 15.1; CC RF art. 242.1",
            ("SN-2", "MIN-7"),
        )
    }
)

#: The clock of a case's first action, by source (ids from jurisdictions/ru/data/clocks.yaml).
DEFAULT_SOURCE_CLOCKS: Mapping[CaseSource, str] = MappingProxyType(
    {
        CaseSource.DETECTOR: "sn.selfmon.restrict",  # immediately (SN-2)
        CaseSource.USER_REPORT: "sn.report.decide",  # 24 h internal target (SN-5) [U]
        CaseSource.RKN_REFERRAL: "sn.selfmon.restrict",
        CaseSource.REGISTRY_NOTICE: "reg.takedown.remove",  # 24 h (REG-2)
        CaseSource.PG_DEMAND: "pg.demand.restrict",  # immediately (PG-1)
        CaseSource.COURT: "reg.takedown.remove",
    }
)


@dataclass(frozen=True)
class QueuePolicy:
    """How the queue behaves.

    Attributes:
        automatic_rules: Automatic actions allowed, by rule id.
        source_clocks: First-action clock by case source (CSAM always uses ``sn.selfmon.restrict_csam``).
        notify_on_decision: Send the SN-6 notice as part of a restrictive decision.
        independent_appeal_review: An appeal must be decided by someone other than the original reviewer.
        require_claim: Only the reviewer who claimed a case may decide it.
        unblur_csam: Allow unblurred previews of CSAM-category cases (default: never).
        preview_max_side: Longest side of review previews, in pixels.
        preservation_days: Legal-hold length for preserved CSAM evidence (``None``: until released) ``[U]``.
    """

    automatic_rules: Mapping[str, AutomaticRule] = field(default_factory=lambda: DEFAULT_AUTOMATIC_RULES)
    source_clocks: Mapping[CaseSource, str] = field(default_factory=lambda: DEFAULT_SOURCE_CLOCKS)
    notify_on_decision: bool = True
    independent_appeal_review: bool = True
    require_claim: bool = True
    unblur_csam: bool = False
    preview_max_side: int = 256
    preservation_days: int | None = None

    def clock_for(self, source: CaseSource, category: str | None) -> str:
        """The first-action clock of a case."""
        if category == CSAM_CATEGORY:
            return CSAM_CLOCK
        return self.source_clocks[source]
