"""Cross-border transfer rules, evaluated per request with their evidence.

A caller located outside the subject's jurisdiction receiving that subject's PD is a
cross-border transfer (152-FZ art. 12; remote access from abroad counts, PD-LOC-2). For a
pack that declares transfer rules (the RU pack: ``ru.xb.*``), a transfer is allowed only
when, checked in this order:

1. ``<pack>.xb.ban`` - no kill switch is engaged for the destination (PD-XB-5);
2. ``<pack>.xb.notice`` - a notice naming the destination is recorded, filed no later than
   now, listing the data categories and the purpose (or all of them) (PD-XB-2);
3. ``<pack>.xb.assessment`` - that notice records the recipient assessment (PD-XB-1);
4. ``<pack>.xb.wait`` - the destination is on the pack's adequacy list (PD-XB-4), or the
   waiting period after the notice is over: 10 working days of the production calendar
   (clock ``pd.xb.wait``, PD-XB-3), computed by :class:`DeskWaitClock`. Notices filed
   before the regime began (01.03.2023, PD-XB-6) need no wait. If the wait cannot be
   computed (a calendar year is missing) the transfer is refused: fail closed.

The first failing check refuses; the decision carries every check made, the adequacy
list version and the notice used. Packs without transfer rules (GLOBAL) impose none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol

from domicile.core.clock import Clock, iso_utc
from domicile.core.errors import DeskError
from domicile.gateway.errors import EvidenceValue, TransferRefused
from domicile.gateway.transfers import Notice, TransferRecords
from domicile.jurisdictions.base import Jurisdiction, TransferRule
from domicile.jurisdictions.registry import PackRegistry

BAN, NOTICE, ASSESSMENT, WAIT, REMOTE = (
    ".xb.ban",
    ".xb.notice",
    ".xb.assessment",
    ".xb.wait",
    ".remote-access",
)

#: When each pack's notice-and-wait regime began (notices filed earlier stay valid: PD-XB-6).
REGIME_START: Mapping[str, date] = {"RU": date(2023, 3, 1)}  # 266-FZ second stage, 01.03.2023 [V]


class WaitClock(Protocol):
    """When the waiting period after a notice ends, for a pack."""

    def wait_over_at(self, jurisdiction: str, filed_at: datetime) -> datetime:
        """The instant after which transfers may start (raises DeskError when it cannot tell)."""
        ...


class DeskWaitClock:
    """The waiting period from the desk's deadline engine (production calendar + clock rule).

    Args:
        clock_ids: clock rule id per pack code (RU: ``pd.xb.wait``).
        engine_factory: builds the deadline engine on first use (loading the calendar and
            clock files is deferred until a wait is actually computed).
    """

    def __init__(
        self,
        clock_ids: Mapping[str, str] | None = None,
        engine_factory: Callable[[], object] | None = None,
    ) -> None:
        self._clock_ids = dict(clock_ids or {"RU": "pd.xb.wait"})
        self._factory = engine_factory
        self._engine: object | None = None

    def _get_engine(self) -> object:
        if self._engine is None:
            if self._factory is not None:
                self._engine = self._factory()
            else:
                from domicile.desk.calendar import load_ru_calendar
                from domicile.desk.clocks import load_ru_clocks
                from domicile.desk.deadlines import DeadlineEngine

                self._engine = DeadlineEngine(load_ru_calendar(), load_ru_clocks())
        return self._engine

    def wait_over_at(self, jurisdiction: str, filed_at: datetime) -> datetime:
        from domicile.desk.deadlines import DeadlineEngine

        clock_id = self._clock_ids.get(jurisdiction)
        if clock_id is None:
            raise DeskError(f"no waiting-period clock is configured for jurisdiction {jurisdiction}")
        engine = self._get_engine()
        assert isinstance(engine, DeadlineEngine)
        return engine.compute(clock_id, filed_at).due_at


@dataclass(frozen=True)
class CheckResult:
    """One rule checked for a transfer, and what it found (PD-free)."""

    rule: str
    passed: bool
    detail: str
    legal_source: str


@dataclass(frozen=True)
class TransferDecision:
    """Whether PD of *jurisdiction* may go to *destination*, and why."""

    allowed: bool
    controlled: bool  # False: the pack imposes no transfer rules (e.g. GLOBAL)
    jurisdiction: str
    destination: str
    purpose: str
    categories: tuple[str, ...]
    adequate: bool | None = None
    adequacy_as_of: str | None = None
    adequacy_source: str | None = None
    notice_id: int | None = None
    wait_over_at: str | None = None
    basis: str | None = None  # the pack rule that makes this access a transfer
    checks: tuple[CheckResult, ...] = field(default_factory=tuple)

    @property
    def refused_by(self) -> CheckResult | None:
        return next((c for c in self.checks if not c.passed), None)

    def evidence(self) -> dict[str, EvidenceValue]:
        """PD-free facts for a refusal body or a log line."""
        return {
            "jurisdiction": self.jurisdiction,
            "destination": self.destination,
            "purpose": self.purpose,
            "categories": list(self.categories),
            "adequate": self.adequate,
            "adequacy_as_of": self.adequacy_as_of,
            "notice_id": self.notice_id,
            "wait_over_at": self.wait_over_at,
            "basis": self.basis,
            "checks": [f"{c.rule}:{'pass' if c.passed else 'fail'}" for c in self.checks],
        }

    def raise_if_refused(self) -> None:
        """Raise :class:`TransferRefused` naming the first failing rule and its legal source."""
        bad = self.refused_by
        if bad is not None:
            raise TransferRefused(
                f"cross-border transfer {self.jurisdiction} -> {self.destination} refused: {bad.detail}",
                rule=bad.rule,
                legal_source=bad.legal_source,
                evidence=self.evidence(),
            )


def _rule(pack: type[Jurisdiction], suffix: str) -> TransferRule | None:
    return next((r for r in pack.TRANSFER_RULES if r.rule_id.endswith(suffix)), None)


class TransferPolicy:
    """Evaluates a pack's transfer rules against the recorded notices and kill switches."""

    def __init__(self, records: TransferRecords, packs: PackRegistry, clock: Clock, wait: WaitClock) -> None:
        self._records = records
        self._packs = packs
        self._clock = clock
        self._wait = wait

    def evaluate(
        self, jurisdiction: str, destination: str, categories: Sequence[str], purpose: str
    ) -> TransferDecision:
        """Decide a transfer of PD of *categories* from *jurisdiction* to *destination* for *purpose*."""
        pack = self._packs[jurisdiction]
        cats = tuple(sorted(set(categories)))
        if pack.is_catch_all() or not pack.TRANSFER_RULES or destination in pack.COUNTRIES:
            return TransferDecision(True, False, pack.CODE, destination, purpose, cats)
        adequacy = pack.ADEQUACY
        adequate = adequacy is not None and destination in adequacy.countries
        remote = _rule(pack, REMOTE)
        checks: list[CheckResult] = []
        now = self._clock.now()

        def done(notice: Notice | None = None, wait_over: str | None = None) -> TransferDecision:
            return TransferDecision(
                allowed=all(c.passed for c in checks),
                controlled=True,
                jurisdiction=pack.CODE,
                destination=destination,
                purpose=purpose,
                categories=cats,
                adequate=adequate,
                adequacy_as_of=adequacy.as_of if adequacy else None,
                adequacy_source=adequacy.source.cite() if adequacy else None,
                notice_id=notice.id if notice else None,
                wait_over_at=wait_over,
                basis=remote.rule_id if remote else None,
                checks=tuple(checks),
            )

        ban = _rule(pack, BAN)
        if ban is not None:
            switch = self._records.active_switch(pack.CODE, destination)
            if switch is not None:
                checks.append(
                    CheckResult(
                        ban.rule_id,
                        False,
                        f"a kill switch is engaged for {destination} (decision {switch.decision_ref}, "
                        f"since {switch.engaged_at})",
                        ban.source.cite(),
                    )
                )
                return done()
            checks.append(
                CheckResult(ban.rule_id, True, f"no kill switch for {destination}", ban.source.cite())
            )

        notice_rule = _rule(pack, NOTICE)
        notice: Notice | None = None
        if notice_rule is not None:
            notice, why = self._pick_notice(pack.CODE, destination, cats, purpose, iso_utc(now))
            src = notice_rule.source.cite()
            if notice is None:
                checks.append(CheckResult(notice_rule.rule_id, False, why, src))
                return done()
            checks.append(
                CheckResult(notice_rule.rule_id, True, f"notice {notice.id} ({notice.reference})", src)
            )

        assess = _rule(pack, ASSESSMENT)
        if assess is not None and notice is not None:
            if notice.assessed_on is None:
                checks.append(
                    CheckResult(
                        assess.rule_id,
                        False,
                        f"notice {notice.id} records no recipient assessment",
                        assess.source.cite(),
                    )
                )
                return done(notice)
            checks.append(
                CheckResult(assess.rule_id, True, f"assessed on {notice.assessed_on}", assess.source.cite())
            )

        wait = _rule(pack, WAIT)
        wait_over: str | None = None
        if wait is not None:
            src = wait.source.cite()
            if adequate:
                assert adequacy is not None
                checks.append(
                    CheckResult(
                        wait.rule_id, True, f"{destination} is adequate (list of {adequacy.as_of})", src
                    )
                )
            elif notice is None:
                checks.append(CheckResult(wait.rule_id, False, "no notice starts the waiting period", src))
            else:
                filed = datetime.fromisoformat(notice.filed_at.replace("Z", "+00:00")).astimezone(UTC)
                start = REGIME_START.get(pack.CODE)
                if start is not None and filed.date() < start:
                    checks.append(
                        CheckResult(
                            wait.rule_id, True, f"notice filed before {start.isoformat()} (PD-XB-6)", src
                        )
                    )
                else:
                    try:
                        over = self._wait.wait_over_at(pack.CODE, filed)
                    except DeskError as exc:
                        checks.append(
                            CheckResult(wait.rule_id, False, f"waiting period cannot be computed: {exc}", src)
                        )
                        return done(notice)
                    wait_over = iso_utc(over)
                    if now > over:
                        checks.append(
                            CheckResult(wait.rule_id, True, f"waiting period over at {wait_over}", src)
                        )
                    else:
                        checks.append(
                            CheckResult(
                                wait.rule_id,
                                False,
                                f"{destination} is not adequate and the waiting period after notice "
                                f"{notice.id} runs until {wait_over}",
                                src,
                            )
                        )
        return done(notice, wait_over)

    def _pick_notice(
        self, jurisdiction: str, destination: str, categories: Sequence[str], purpose: str, now: str
    ) -> tuple[Notice | None, str]:
        notices = self._records.notices(jurisdiction, destination, include_withdrawn=False)
        if not notices:
            return None, f"no transfer notice for {destination} is recorded"
        filed = [n for n in notices if n.filed_at <= now]
        if not filed:
            return None, f"the notice for {destination} is filed only from {notices[0].filed_at}"
        fitting = [n for n in filed if not n.missing_categories(categories) and n.covers_purpose(purpose)]
        if not fitting:
            missing = sorted({c for n in filed for c in n.missing_categories(categories)})
            if missing:
                return None, f"no notice for {destination} lists the categories {', '.join(missing)}"
            return None, f"no notice for {destination} lists the purpose {purpose}"
        fitting.sort(key=lambda n: (n.assessed_on is None, n.filed_at, n.id))
        return fitting[0], ""
