"""Cross-border transfer records: notices, kill switches and the transfer ledger.

* **Notices** (152-FZ art. 12; PD-XB-1, PD-XB-2): one row per notice filed with RKN for a
  destination country, with the filing time, the RKN reference, the recipient, the data
  categories and purposes it lists (empty = all), and the date of the recipient
  assessment that must precede it (PD-XB-1). Withdrawn notices stay, marked.
* **Kill switches** (PD-XB-5; Gov. Decree No. 24 of 16.01.2023): engaged on an RKN ban or
  restriction for a destination, with the decision reference; released only explicitly.
  History is kept (engaged/released by whom and when).
* **Ledger** (PD-LOC-2, PD-DSR-1 "cross-border transfer info"): one row per allowed
  cross-border release of PD: who (principal, role), where (destination), what (field
  names and categories, subject ids, number of values), why (purpose), when, from which
  cell, under which notice. Never a value.

Everything lives in the gateway database (:mod:`domicile.gateway.store`); the rules that
read these records are in :mod:`domicile.gateway.policy`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from domicile.core.clock import Clock, iso_utc
from domicile.core.errors import ConfigError, InputError
from domicile.gateway.countries import check_country
from domicile.gateway.errors import GatewayRecordNotFoundError
from domicile.gateway.store import GatewayStore, kill_switches, row_dict, transfer_ledger, transfer_notices
from domicile.jurisdictions.base import DataCategory, Jurisdiction
from domicile.jurisdictions.registry import PackRegistry
from domicile.service import check_actor, check_purpose

_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._:/#-]{0,99}$")
RECIPIENT_MAX = 200


def pack_for(packs: PackRegistry, code: object) -> type[Jurisdiction]:
    """The pack for a jurisdiction code given by a caller (InputError, not ConfigError, if unknown)."""
    if not isinstance(code, str):
        raise InputError("jurisdiction must be a pack code such as RU")
    try:
        return packs[code]
    except ConfigError:
        raise InputError(f"unknown jurisdiction {code[:16]!r}; known: {', '.join(packs)}") from None


def check_reference(value: object, what: str = "reference") -> str:
    """RKN references and decision numbers: 1-100 of letters, digits, space and . _ : / # -."""
    if not isinstance(value, str) or not _REFERENCE.match(value):
        raise InputError(f"{what} must be 1-100 characters of letters, digits, space and . _ : / # -")
    return value


def check_categories(values: Sequence[str]) -> tuple[str, ...]:
    """Known data categories, de-duplicated and sorted."""
    known = {c.value for c in DataCategory}
    bad = sorted({v for v in values if v not in known})
    if bad:
        raise InputError(f"unknown data categories {bad}; known: {', '.join(sorted(known))}")
    return tuple(sorted(set(values)))


def _aware(at: datetime, what: str) -> str:
    if at.tzinfo is None or at.utcoffset() is None:
        raise InputError(f"{what} must be a timezone-aware time")
    return iso_utc(at)


@dataclass(frozen=True)
class Notice:
    """A cross-border transfer notice filed with the regulator (PD-XB-2)."""

    id: int
    jurisdiction: str
    destination: str
    reference: str
    filed_at: str
    assessed_on: str | None
    recipient: str
    categories: tuple[str, ...]
    purposes: tuple[str, ...]
    recorded_by: str
    recorded_at: str
    withdrawn_at: str | None

    def missing_categories(self, wanted: Sequence[str]) -> list[str]:
        """Categories in *wanted* this notice does not list (none when it lists all)."""
        return [] if not self.categories else sorted(set(wanted) - set(self.categories))

    def covers_purpose(self, purpose: str) -> bool:
        return not self.purposes or purpose in self.purposes


@dataclass(frozen=True)
class KillSwitch:
    """A stop on transfers to one destination (PD-XB-5)."""

    id: int
    jurisdiction: str
    destination: str
    decision_ref: str
    engaged_at: str
    engaged_by: str
    released_at: str | None
    released_by: str | None

    @property
    def active(self) -> bool:
        return self.released_at is None


@dataclass(frozen=True)
class LedgerEntry:
    """One allowed cross-border release of PD (no values)."""

    id: int
    at: str
    principal: str
    role: str
    destination: str
    jurisdiction: str
    cell: str
    action: str
    purpose: str
    categories: tuple[str, ...]
    fields: tuple[str, ...]
    subjects: tuple[str, ...]
    value_count: int
    notice_id: int | None
    adequate: bool
    request_id: str


def _notice(r: Mapping[str, Any]) -> Notice:
    return Notice(
        id=int(r["id"]),
        jurisdiction=str(r["jurisdiction"]),
        destination=str(r["destination"]),
        reference=str(r["reference"]),
        filed_at=str(r["filed_at"]),
        assessed_on=None if r["assessed_on"] is None else str(r["assessed_on"]),
        recipient=str(r["recipient"]),
        categories=tuple(str(c) for c in r["categories"]),
        purposes=tuple(str(p) for p in r["purposes"]),
        recorded_by=str(r["recorded_by"]),
        recorded_at=str(r["recorded_at"]),
        withdrawn_at=None if r["withdrawn_at"] is None else str(r["withdrawn_at"]),
    )


def _switch(r: Mapping[str, Any]) -> KillSwitch:
    return KillSwitch(
        id=int(r["id"]),
        jurisdiction=str(r["jurisdiction"]),
        destination=str(r["destination"]),
        decision_ref=str(r["decision_ref"]),
        engaged_at=str(r["engaged_at"]),
        engaged_by=str(r["engaged_by"]),
        released_at=None if r["released_at"] is None else str(r["released_at"]),
        released_by=None if r["released_by"] is None else str(r["released_by"]),
    )


def _entry(r: Mapping[str, Any]) -> LedgerEntry:
    return LedgerEntry(
        id=int(r["id"]),
        at=str(r["at"]),
        principal=str(r["principal"]),
        role=str(r["role"]),
        destination=str(r["destination"]),
        jurisdiction=str(r["jurisdiction"]),
        cell=str(r["cell"]),
        action=str(r["action"]),
        purpose=str(r["purpose"]),
        categories=tuple(str(c) for c in r["categories"]),
        fields=tuple(str(f) for f in r["fields"]),
        subjects=tuple(str(s) for s in r["subjects"]),
        value_count=int(r["value_count"]),
        notice_id=None if r["notice_id"] is None else int(r["notice_id"]),
        adequate=bool(r["adequate"]),
        request_id=str(r["request_id"]),
    )


class TransferRecords:
    """Notices, kill switches and the ledger, persisted in the gateway database."""

    def __init__(self, store: GatewayStore, packs: PackRegistry, clock: Clock) -> None:
        self._store = store
        self._packs = packs
        self._clock = clock

    def _jurisdiction(self, code: str) -> str:
        pack = pack_for(self._packs, code)
        if pack.is_catch_all():
            raise InputError(f"jurisdiction {pack.CODE} has no home country; it has no transfer rules")
        return pack.CODE

    # -- notices ----------------------------------------------------------------------
    def record_notice(
        self,
        *,
        jurisdiction: str,
        destination: str,
        reference: str,
        filed_at: datetime,
        recipient: str,
        categories: Sequence[str] = (),
        purposes: Sequence[str] = (),
        assessed_on: str | None = None,
        actor: str,
    ) -> Notice:
        """Record a notice filed with the regulator for transfers to *destination*."""
        check_actor(actor)
        code = self._jurisdiction(jurisdiction)
        dest = check_country(destination, "destination")
        if dest in pack_for(self._packs, code).COUNTRIES:
            raise InputError(f"destination {dest} is inside jurisdiction {code}: not a cross-border transfer")
        if not isinstance(recipient, str) or not 1 <= len(recipient.strip()) <= RECIPIENT_MAX:
            raise InputError(f"recipient must be 1-{RECIPIENT_MAX} characters")
        if any(ord(c) < 32 for c in recipient):
            raise InputError("recipient must not contain control characters")
        if assessed_on is not None:
            assessed_on = _iso_date(assessed_on, "assessed_on")
        filed = _aware(filed_at, "filed_at")
        if assessed_on is not None and assessed_on > filed[:10]:
            raise InputError("assessed_on must not be after the filing date (PD-XB-1: assess first)")
        row = {
            "jurisdiction": code,
            "destination": dest,
            "reference": check_reference(reference),
            "filed_at": filed,
            "assessed_on": assessed_on,
            "recipient": recipient.strip(),
            "categories": list(check_categories(categories)),
            "purposes": sorted({check_purpose(p) for p in purposes}),
            "recorded_by": actor,
            "recorded_at": iso_utc(self._clock.now()),
            "withdrawn_at": None,
        }
        with self._store.begin() as conn:
            new_id = _new_id(conn.execute(transfer_notices.insert().values(**row)))
        return _notice({"id": new_id, **row})

    def withdraw_notice(self, notice_id: int, *, actor: str) -> Notice:
        """Mark a notice withdrawn (transfers under it stop)."""
        check_actor(actor)
        now = iso_utc(self._clock.now())
        with self._store.begin() as conn:
            conn.execute(
                transfer_notices.update()
                .where(transfer_notices.c.id == notice_id, transfer_notices.c.withdrawn_at.is_(None))
                .values(withdrawn_at=now)
            )
            row = conn.execute(sa.select(transfer_notices).where(transfer_notices.c.id == notice_id)).first()
        if row is None:
            raise GatewayRecordNotFoundError(f"no transfer notice {notice_id}")
        return _notice(row_dict(row))

    def notices(
        self,
        jurisdiction: str | None = None,
        destination: str | None = None,
        *,
        include_withdrawn: bool = True,
    ) -> list[Notice]:
        """Notices, oldest filing first."""
        q = sa.select(transfer_notices).order_by(transfer_notices.c.filed_at, transfer_notices.c.id)
        if jurisdiction:
            q = q.where(transfer_notices.c.jurisdiction == pack_for(self._packs, jurisdiction).CODE)
        if destination:
            q = q.where(transfer_notices.c.destination == check_country(destination, "destination"))
        if not include_withdrawn:
            q = q.where(transfer_notices.c.withdrawn_at.is_(None))
        with self._store.begin() as conn:
            return [_notice(row_dict(r)) for r in conn.execute(q)]

    # -- kill switches ----------------------------------------------------------------
    def engage(self, *, jurisdiction: str, destination: str, decision_ref: str, actor: str) -> KillSwitch:
        """Stop transfers to *destination* now (idempotent: an active switch is returned as is)."""
        check_actor(actor)
        code = self._jurisdiction(jurisdiction)
        dest = check_country(destination, "destination")
        ref = check_reference(decision_ref, "decision_ref")
        with self._store.begin() as conn:
            active = self._active(conn, code, dest)
            if active is not None:
                return active
            row = {
                "jurisdiction": code,
                "destination": dest,
                "decision_ref": ref,
                "engaged_at": iso_utc(self._clock.now()),
                "engaged_by": actor,
                "released_at": None,
                "released_by": None,
            }
            new_id = _new_id(conn.execute(kill_switches.insert().values(**row)))
        return _switch({"id": new_id, **row})

    def release(self, *, jurisdiction: str, destination: str, actor: str) -> KillSwitch:
        """Release the active switch for *destination*.

        Raises:
            GatewayRecordNotFoundError: no switch is engaged for it.
        """
        check_actor(actor)
        code = self._jurisdiction(jurisdiction)
        dest = check_country(destination, "destination")
        now = iso_utc(self._clock.now())
        with self._store.begin() as conn:
            active = self._active(conn, code, dest)
            if active is None:
                raise GatewayRecordNotFoundError(f"no kill switch is engaged for {code} -> {dest}")
            conn.execute(
                kill_switches.update()
                .where(kill_switches.c.id == active.id)
                .values(released_at=now, released_by=actor)
            )
        return KillSwitch(**{**active.__dict__, "released_at": now, "released_by": actor})

    def active_switch(self, jurisdiction: str, destination: str) -> KillSwitch | None:
        with self._store.begin() as conn:
            return self._active(conn, jurisdiction, destination)

    @staticmethod
    def _active(conn: sa.Connection, jurisdiction: str, destination: str) -> KillSwitch | None:
        row = conn.execute(
            sa.select(kill_switches).where(
                kill_switches.c.jurisdiction == jurisdiction,
                kill_switches.c.destination == destination,
                kill_switches.c.released_at.is_(None),
            )
        ).first()
        return None if row is None else _switch(row_dict(row))

    def kill_switches(self, *, active_only: bool = False) -> list[KillSwitch]:
        q = sa.select(kill_switches).order_by(kill_switches.c.id)
        if active_only:
            q = q.where(kill_switches.c.released_at.is_(None))
        with self._store.begin() as conn:
            return [_switch(row_dict(r)) for r in conn.execute(q)]

    # -- ledger -----------------------------------------------------------------------
    def append_ledger(
        self,
        *,
        principal: str,
        role: str,
        destination: str,
        jurisdiction: str,
        cell: str,
        action: str,
        purpose: str,
        categories: Sequence[str],
        fields: Sequence[str],
        subjects: Sequence[str],
        value_count: int,
        notice_id: int | None,
        adequate: bool,
        request_id: str,
    ) -> LedgerEntry:
        """Write one ledger entry (the caller releases the PD only after this returns)."""
        row = {
            "at": iso_utc(self._clock.now()),
            "principal": principal,
            "role": role,
            "destination": destination,
            "jurisdiction": jurisdiction,
            "cell": cell,
            "action": action,
            "purpose": purpose,
            "categories": sorted(set(categories)),
            "fields": sorted(set(fields)),
            "subjects": sorted(set(subjects)),
            "value_count": value_count,
            "notice_id": notice_id,
            "adequate": adequate,
            "request_id": request_id,
        }
        with self._store.begin() as conn:
            new_id = _new_id(conn.execute(transfer_ledger.insert().values(**row)))
        return _entry({"id": new_id, **row})

    def ledger(
        self,
        *,
        destination: str | None = None,
        jurisdiction: str | None = None,
        since: str | None = None,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[LedgerEntry]:
        """Ledger entries in order, filtered; page with ``after_id``."""
        if not 1 <= limit <= 1000:
            raise InputError("limit must be between 1 and 1000")
        q = sa.select(transfer_ledger).where(transfer_ledger.c.id > after_id).order_by(transfer_ledger.c.id)
        if destination:
            q = q.where(transfer_ledger.c.destination == check_country(destination, "destination"))
        if jurisdiction:
            q = q.where(transfer_ledger.c.jurisdiction == pack_for(self._packs, jurisdiction).CODE)
        if since:
            q = q.where(transfer_ledger.c.at >= since)
        with self._store.begin() as conn:
            return [_entry(row_dict(r)) for r in conn.execute(q.limit(limit))]

    def ledger_count(self) -> int:
        with self._store.begin() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(transfer_ledger)).scalar_one())


def _new_id(result: sa.CursorResult[Any]) -> int:
    """The autoincrement id of the row just inserted."""
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every supported backend returns it
        raise RuntimeError("the database returned no id for the inserted row")
    return int(key[0])


def _iso_date(value: str, what: str) -> str:
    from datetime import date

    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise InputError(f"{what} must be an ISO date (YYYY-MM-DD)") from None
