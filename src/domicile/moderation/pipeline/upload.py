"""The moderation pipeline: hash matches and the register turned into actions and cases.

* :meth:`ModerationPipeline.screen_upload` matches an upload against the hash banks (SN-1,
  detector ``hash``). A hit in a CSAM-labelled bank is blocked and removed everywhere at once,
  the account flagged, the evidence preserved and a hotline-report draft written, all recorded
  as the automatic action the pack allows (``ru.auto.csam_hash_match``; MIN-7, SN-2; a person
  reviews afterwards). Any other hit is held pending review (SN-2: restricted immediately) and
  queued with its evidence. No hit: the upload is allowed.
* :meth:`ModerationPipeline.filter_for_viewer` hides register-blocked links from viewers in
  Russia (:mod:`.links`); :meth:`ModerationPipeline.self_check` turns REG-5 hits on the
  platform's own assets into 24 h takedown tasks (:mod:`.selfcheck`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from domicile.moderation.actions.errors import ModerationInputError
from domicile.moderation.actions.model import ActionKind, GeoScope
from domicile.moderation.actions.tasks import TaskKind
from domicile.moderation.pipeline.hashes import BankPolicy, HashMatchSource, HashScan
from domicile.moderation.pipeline.links import FilteredText, LinkFilter
from domicile.moderation.pipeline.selfcheck import ContentResolver, SelfCheckOutcome, self_check_tasks
from domicile.moderation.queue.model import Case, CaseSource, Evidence
from domicile.moderation.queue.policy import CSAM_CATEGORY
from domicile.moderation.queue.service import ReviewQueue
from domicile.moderation.queue.views import AutomaticCase
from domicile.moderation.registry import Register

__all__ = ["CSAM_RULE", "ModerationPipeline", "ScreenResult", "Verdict"]

CSAM_RULE = "ru.auto.csam_hash_match"
CSAM_BASIS = "149-FZ art. 10.6, 15.1; CC RF art. 242.1"
CSAM_ACTIONS = (ActionKind.BLOCK_UPLOAD, ActionKind.REMOVE_GLOBAL, ActionKind.FLAG_ACCOUNT)


class Verdict(StrEnum):
    """What happens to the upload."""

    ALLOW = "allow"
    HELD = "held"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class ScreenResult:
    """The outcome of screening one upload, with its evidence.

    Attributes:
        verdict: Allow, held for review, or blocked.
        scan: What hash matching found (hits with distance and quality, rejected signals).
        evidence: The hits as case evidence.
        case: The case opened, if any.
        automatic: The automatic-action records (CSAM), if any.
    """

    verdict: Verdict
    scan: HashScan
    evidence: tuple[Evidence, ...]
    case: Case | None = None
    automatic: AutomaticCase | None = None


class ModerationPipeline:
    """Ties hash matches and the register to the review queue.

    Args:
        queue: The review queue.
        hashes: Hash matching (e.g. :class:`~.hashes.HashMatcherAdapter`).
        banks: Bank-to-category policy.
        register: The register holder, for link filtering and self-checks.
        resolver: Maps listed platform URLs to content (self-checks).
        actor: Service id written to the records.
    """

    def __init__(
        self,
        queue: ReviewQueue,
        hashes: HashMatchSource,
        *,
        banks: BankPolicy | None = None,
        register: Register | None = None,
        resolver: ContentResolver | None = None,
        actor: str = "svc:moderation",
    ) -> None:
        self.queue = queue
        self.hashes = hashes
        self.banks = banks or BankPolicy()
        self.register = register
        self.resolver = resolver
        self.actor = actor

    def screen_upload(
        self,
        content_ref: str,
        *,
        owner_ref: str | None = None,
        image: bytes | None = None,
        signals: Sequence[tuple[str, str]] = (),
        published: bool = False,
    ) -> ScreenResult:
        """Match an upload and act on the result (see the module docstring).

        Args:
            content_ref: The upload's content id.
            owner_ref: The uploader's pseudonymous subject id.
            image: The encoded image, if it is one (hashed here).
            signals: Hashes computed elsewhere, ``(signal type, hash)``, e.g. a video's vPDQ.
            published: Whether the content is already live (a hold then restricts it in Russia
                only; an unpublished upload is held everywhere).

        Raises:
            ModerationInputError: Neither ``image`` nor ``signals`` was given.
            MediaDecodeError: The image cannot be decoded (when a PDQ bank is enabled).
        """
        if image is None and not signals:
            raise ModerationInputError("screen_upload needs an image or precomputed signals")
        scan = self.hashes.scan_image(image) if image is not None else HashScan((), (), ())
        if signals:
            extra = self.hashes.scan_signals(signals)
            scan = HashScan(
                tuple(sorted((*scan.hits, *extra.hits), key=lambda h: (h.distance, h.bank, h.entry_id))),
                (*scan.signals, *extra.signals),
                (*scan.rejected, *extra.rejected),
            )
        if not scan.hits:
            return ScreenResult(Verdict.ALLOW, scan, ())
        evidence = tuple(self.banks.evidence(h) for h in scan.hits)
        csam = [e for e in evidence if e.category == CSAM_CATEGORY]
        if csam:
            automatic = self.queue.open_automatic_case(
                content_ref, evidence=[*csam, *(e for e in evidence if e not in csam)], rule_id=CSAM_RULE,
                actions=CSAM_ACTIONS, actor=self.actor, reason_code=CSAM_CATEGORY, category=CSAM_CATEGORY,
                owner_ref=owner_ref, legal_basis=CSAM_BASIS, upload_signals=scan.signals,
                content_sha256=hashlib.sha256(image).hexdigest() if image is not None else None,
                task_kind=TaskKind.CSAM_DETECTION, hotline_draft=True,
            )  # fmt: skip
            return ScreenResult(Verdict.BLOCKED, scan, evidence, automatic.case, automatic)
        category = next((e.category for e in evidence if e.category is not None), None)
        case = self.queue.open_case(
            content_ref, source=CaseSource.DETECTOR, evidence=evidence, actor=self.actor,
            reason_code=category or "hash_match", owner_ref=owner_ref, category=category,
            hold_scope=GeoScope.RU if published else GeoScope.GLOBAL,
        )  # fmt: skip
        return ScreenResult(Verdict.HELD, scan, evidence, case)

    def filter_for_viewer(self, text: str, viewer_country: str) -> FilteredText:
        """Hide register-blocked links from a viewer in Russia (see :mod:`.links`).

        Raises:
            RegisterNotLoadedError: No register is configured or loaded.
        """
        return LinkFilter(self._register()).filter(text, viewer_country)

    def self_check(self, domains: Sequence[str] = (), ips: Sequence[str] = ()) -> SelfCheckOutcome:
        """REG-5 self-check: a 24 h takedown task per hit on the platform's assets."""
        return self_check_tasks(
            self.queue,
            self._register().matcher,
            domains=domains,
            ips=ips,
            actor=self.actor,
            resolver=self.resolver,
        )

    def _register(self) -> Register:
        if self.register is None:
            from domicile.moderation.registry import RegisterNotLoadedError

            raise RegisterNotLoadedError("no register is configured for this pipeline")
        return self.register
