"""The domicile facade: residency-aware PD storage over cells.

Every operation runs in the home cell of the subject it concerns, in one
transaction that also appends the audit entries describing it. The global
application only ever receives subject ids and tokens.

Legal basis: 152-FZ art. 18 part 5 (PD-LOC-1): every write of a Russian
subject's PD lands first — and only — in a cell located in Russia.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from domicile.audit import AuditEvent
from domicile.cells.runtime import Cell, CellSession
from domicile.cells.store import VaultRow
from domicile.core.clock import Clock, SystemClock, iso_utc
from domicile.core.errors import (
    InputError,
    InvalidTokenError,
    NotFoundError,
    SubjectErasedError,
    SubjectNotFoundError,
    UnknownCellError,
)
from domicile.core.ids import is_subject_id, new_subject_id
from domicile.jurisdictions.registry import PackRegistry
from domicile.residency.resolver import ResidencyDecision, ResidencyResolver, Signals
from domicile.vault.fields import FieldKind, FieldSchema
from domicile.vault.records import Record, RecordCipher

REHOMED = "rehomed"
PURPOSE = re.compile(r"^[a-z][a-z0-9_.:-]{2,63}$")
ACTOR = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,63}$")


def check_purpose(purpose: str) -> str:
    """Purposes are ids (e.g. ``support.ticket``), so no PD reaches the audit log."""
    if not isinstance(purpose, str) or not PURPOSE.match(purpose):
        raise InputError("purpose must be an id of 3-64 lower-case letters, digits and . _ : -")
    return purpose


def check_actor(actor: str) -> str:
    if not isinstance(actor, str) or not ACTOR.match(actor):
        raise InputError("actor must be an id of 1-64 letters, digits and . _ : -")
    return actor


def token_fingerprint(token: str) -> str:
    """A PD-free reference to a token for the audit log (phone tokens look like numbers)."""
    return "tfp:" + hashlib.sha256(token.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class PutResult:
    subject_id: str
    cell: str
    jurisdiction: str
    decision: ResidencyDecision
    tokens: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedSubject:
    """A validated subject with its decided home, not yet written."""

    subject_id: str
    values: dict[str, str]
    signals: Signals
    decision: ResidencyDecision
    cell: str


@dataclass(frozen=True)
class SubjectView:
    subject_id: str
    cell: str
    jurisdiction: str
    values: dict[str, str]
    record_version: int


@dataclass(frozen=True)
class FindHit:
    subject_id: str
    cell: str


@dataclass(frozen=True)
class EraseResult:
    subject_id: str
    cell: str
    ledger_seq: int
    tokens_dead: int


class Domicile:
    """PD storage across residency cells. Build with :func:`domicile.app.open_domicile`."""

    def __init__(
        self,
        cells: Sequence[Cell],
        packs: PackRegistry,
        schema: FieldSchema | None = None,
        token_domain: str = "tokens.domicile.example",
        clock: Clock | None = None,
    ) -> None:
        self.cells: dict[str, Cell] = {c.name: c for c in cells}
        self.packs = packs
        self.schema = schema or FieldSchema()
        self.token_domain = token_domain
        self.clock = clock or SystemClock()
        self.resolver = ResidencyResolver(packs)
        self._ciphers = {c.name: RecordCipher(c.name, c.keys, self.schema) for c in cells}
        self._home: dict[str, Cell] = {}
        for cell in cells:
            packs[cell.jurisdiction]  # unknown jurisdiction -> ConfigError
            self._home.setdefault(cell.jurisdiction, cell)

    # -- plumbing ---------------------------------------------------------------
    def cell(self, name: str) -> Cell:
        try:
            return self.cells[name]
        except KeyError:
            raise UnknownCellError(f"unknown cell {name!r}; configured: {', '.join(self.cells)}") from None

    def cipher(self, cell: str) -> RecordCipher:
        return self._ciphers[cell]

    def home_cell(self, jurisdiction: str) -> Cell:
        try:
            return self._home[jurisdiction]
        except KeyError:
            raise UnknownCellError(f"no cell is configured for jurisdiction {jurisdiction}") from None

    def now(self) -> str:
        return iso_utc(self.clock.now())

    def locate(self, subject_id: str) -> tuple[Cell, VaultRow]:
        """The cell holding *subject_id* and its row (erased rows included)."""
        if not is_subject_id(subject_id):
            raise InputError("not a subject id (expected sub_ followed by 32 hex digits)")
        live: list[tuple[Cell, VaultRow]] = []
        dead: list[tuple[Cell, VaultRow]] = []
        for cell in self.cells.values():
            with cell.session() as s:
                row = s.store.get_record(subject_id)
            if row is not None:
                (live if row.wrapped_dek is not None else dead).append((cell, row))
        if len(live) > 1:
            return self._reconcile(subject_id, live)
        if live or dead:
            return (live or dead)[0]
        raise SubjectNotFoundError(f"subject {subject_id} not found in any cell")

    def _reconcile(self, subject_id: str, live: list[tuple[Cell, VaultRow]]) -> tuple[Cell, VaultRow]:
        """Finish an interrupted move: keep the newest copy, ledger and purge the others."""
        keep = max(live, key=lambda cr: cr[1].record_version)
        for cell, row in live:
            if cell is keep[0]:
                continue
            cell.ledger.append(subject_id, REHOMED, self.now(), row.record_version)
            with cell.session() as s:
                self.purge(s, subject_id)
                s.audit.append(
                    [
                        self._event(
                            "domicile", "residency.reconcile", "residency", subject_id, kept=keep[0].name
                        )
                    ]
                )
        return keep

    @staticmethod
    def _event(
        actor: str, action: str, purpose: str, subject: str | None, outcome: str = "ok", **details: Any
    ) -> AuditEvent:
        return AuditEvent(
            actor=actor, action=action, purpose=purpose, outcome=outcome, subject_ref=subject, details=details
        )

    def resolve(self, values: Mapping[str, str], signals: Signals) -> ResidencyDecision:
        """Home jurisdiction from declared signals plus every phone number of the subject."""
        own = [values[s.name] for s in self.schema if s.kind is FieldKind.PHONE and s.name in values]
        return self.resolver.resolve(signals.with_phones(*own))

    # -- writes -----------------------------------------------------------------
    def put(
        self,
        values: Mapping[str, object],
        signals: Signals | None = None,
        *,
        actor: str,
        purpose: str,
        issue_tokens: bool = True,
    ) -> PutResult:
        """Store a new subject's PD in its home cell; return its id and tokens."""
        return self.put_many(
            [(values, signals or Signals())], actor=actor, purpose=purpose, issue_tokens=issue_tokens
        )[0]

    def put_many(
        self,
        items: Iterable[tuple[Mapping[str, object], Signals]],
        *,
        actor: str,
        purpose: str,
        issue_tokens: bool = False,
    ) -> list[PutResult]:
        """Store many subjects: one transaction per home cell, one audit entry per subject.

        Every item is validated before anything is written, so a bad item
        leaves every cell unchanged.
        """
        return self.store_planned(self.plan(items), actor=actor, purpose=purpose, issue_tokens=issue_tokens)

    def plan(self, items: Iterable[tuple[Mapping[str, object], Signals]]) -> list[PlannedSubject]:
        """Validate subjects and decide their home cells; writes nothing."""
        planned: list[PlannedSubject] = []
        for raw, signals in items:
            values = self.schema.validate(raw)
            decision = self.resolve(values, signals)
            home = self.home_cell(decision.jurisdiction).name
            planned.append(PlannedSubject(new_subject_id(), values, signals, decision, home))
        return planned

    def store_planned(
        self, planned: Sequence[PlannedSubject], *, actor: str, purpose: str, issue_tokens: bool = False
    ) -> list[PutResult]:
        """Encrypt, index, audit and insert subjects planned by :meth:`plan` (PD-LOC-1)."""
        check_actor(actor)
        check_purpose(purpose)
        now = self.now()
        by_cell: dict[str, list[PlannedSubject]] = {}
        for p in planned:
            by_cell.setdefault(p.cell, []).append(p)
        out: dict[str, PutResult] = {}
        try:
            self._store_groups(by_cell, out, actor=actor, purpose=purpose, issue_tokens=issue_tokens, now=now)
        except BaseException:
            self._undo_puts(out, actor)
            raise
        return [out[p.subject_id] for p in planned]

    def _undo_puts(self, done: Mapping[str, PutResult], actor: str) -> None:
        """Remove subjects committed by a put batch that failed in a later cell (never returned)."""
        for subject_id, result in done.items():
            with self.cells[result.cell].session() as s:
                self.purge(s, subject_id)
                s.audit.append([self._event(actor, "subject.put.undo", "registration", subject_id)])

    def _store_groups(
        self,
        by_cell: Mapping[str, list[PlannedSubject]],
        out: dict[str, PutResult],
        *,
        actor: str,
        purpose: str,
        issue_tokens: bool,
        now: str,
    ) -> None:
        for cell_name, group in by_cell.items():
            cell = self.cells[cell_name]
            cipher = self.cipher(cell_name)
            rows, index, events = [], [], []
            for p in group:
                rows.append(
                    cipher.seal(
                        p.subject_id, p.decision.jurisdiction, Record(p.values, _signals_dict(p.signals)), now
                    )
                )
                index.extend(cipher.index_rows(p.subject_id, p.values))
                events.append(
                    self._event(
                        actor,
                        "subject.put",
                        purpose,
                        p.subject_id,
                        fields=",".join(sorted(p.values)),
                        jurisdiction=p.decision.jurisdiction,
                        rule=p.decision.rule,
                    )
                )
            results: dict[str, PutResult] = {}
            with cell.session() as s:
                s.store.insert_records(rows)
                s.store.insert_index(index)
                s.audit.append(events)
                for p in group:
                    tokens = (
                        self._issue_default_tokens(s, p.subject_id, p.values, now) if issue_tokens else {}
                    )
                    results[p.subject_id] = PutResult(
                        p.subject_id, cell_name, p.decision.jurisdiction, p.decision, tokens
                    )
            out.update(results)  # only once the cell's transaction committed

    def _issue_default_tokens(
        self, s: CellSession, sid: str, values: Mapping[str, str], now: str
    ) -> dict[str, str]:
        from domicile.tokens.formats import TokenKind
        from domicile.tokens.service import default_kind, issue_token

        tokens = {}
        for name, value in values.items():
            kind = default_kind(self.schema.spec(name))
            try:
                tokens[name] = issue_token(self, s, sid, name, value, kind, "default", now)
            except InvalidTokenError:  # a numbering plan with no room for a random valid number
                tokens[name] = issue_token(self, s, sid, name, value, TokenKind.RANDOM, "default", now)
        return tokens

    def get(
        self, subject_id: str, fields: Sequence[str] | None = None, *, actor: str, purpose: str
    ) -> SubjectView:
        """Read (decrypt) a subject's PD in its home cell; audited with the purpose."""
        check_actor(actor)
        check_purpose(purpose)
        for f in fields or ():
            self.schema.spec(f)
        cell, _ = self.locate(subject_id)
        erased: SubjectErasedError | None = None
        with cell.session() as s:
            row = s.store.get_record(subject_id)
            if row is None:
                raise SubjectNotFoundError(f"subject {subject_id} not found")
            try:
                record = self.cipher(cell.name).open(row)
            except SubjectErasedError as exc:
                s.audit.append([self._event(actor, "subject.get", purpose, subject_id, "erased")])
                erased = exc
            else:
                values = {k: v for k, v in record.fields.items() if not fields or k in fields}
                s.audit.append(
                    [self._event(actor, "subject.get", purpose, subject_id, fields=",".join(sorted(values)))]
                )
        if erased is not None:
            raise erased
        return SubjectView(subject_id, cell.name, row.jurisdiction, values, row.record_version)

    def patch(
        self, subject_id: str, values: Mapping[str, object], *, actor: str, purpose: str
    ) -> SubjectView:
        """Update fields; they are written first (and only) in the subject's new home cell.

        If the new values change the subject's residency (e.g. a Russian phone
        number), the merged record moves straight into the new home (PD-LOC-1).
        """
        from domicile.residency.rehome import update_residency

        check_actor(actor)
        check_purpose(purpose)
        clean = self.schema.validate(values)
        update_residency(self, subject_id, None, actor=actor, purpose=purpose, new_fields=clean)
        return self.get(subject_id, list(clean), actor=actor, purpose=purpose)

    # -- search -----------------------------------------------------------------
    def find(
        self, field_name: str, value: str, *, actor: str, purpose: str, cells: Sequence[str] | None = None
    ) -> list[FindHit]:
        """Subjects whose *field_name* equals *value*, by keyed blind index; nothing is decrypted."""
        check_actor(actor)
        check_purpose(purpose)
        spec = self.schema.spec(field_name)
        if not spec.searchable:
            raise InputError(f"field {field_name!r} is not searchable (no blind index)")
        if not isinstance(value, str) or not value.strip():
            raise InputError("search value must be a non-empty string")
        targets = [self.cell(name) for name in (cells or list(self.cells))]  # unknown cell: fail first
        try:
            self.schema.validate({field_name: value})
        except InputError:
            return []
        hits: list[FindHit] = []
        for cell in targets:
            name = cell.name
            digests = self.cipher(name).query_digests(field_name, value)
            with cell.session() as s:
                found = s.store.find_subjects(digests)
                s.audit.append(
                    [self._event(actor, "subject.find", purpose, None, field=field_name, hits=len(found))]
                )
            hits.extend(FindHit(sid, name) for sid in found)
        return hits

    # -- erasure ----------------------------------------------------------------
    def erase(self, subject_id: str, *, actor: str, reason: str = "subject-request") -> EraseResult:
        """Crypto-shred a subject: ledger first (fsync), then destroy the data key.

        152-FZ art. 21 (PD-DSR-6, PD-DSR-11): destruction. Every copy of the
        record, backups included, becomes unreadable; the ledger lets
        ``erase --replay`` repeat the shred after a backup restore.
        """
        check_actor(actor)
        check_purpose(reason)
        cell, row = self.locate(subject_id)
        if row.wrapped_dek is None:
            raise SubjectErasedError(f"subject {subject_id} is already erased")
        entry = cell.ledger.append(subject_id, reason, self.now(), row.record_version)
        with cell.session() as s:
            dead = self._shred(s, subject_id)
            s.audit.append(
                [self._event(actor, "subject.erase", reason, subject_id, ledger_seq=entry.seq, tokens=dead)]
            )
        return EraseResult(subject_id, cell.name, entry.seq, dead)

    def _shred(self, s: CellSession, subject_id: str) -> int:
        from domicile.localize.items import shred_subject_items

        s.store.shred_record(subject_id, self.now())
        s.store.delete_index(subject_id)
        shred_subject_items(s, subject_id, self.now())  # rows `domicile localize` moved home
        return len(s.store.tokens_of(subject_id))

    def replay_erasures(self, cell_name: str | None = None, *, actor: str) -> dict[str, int]:
        """Shred again every ledgered subject whose data key came back (after a restore)."""
        check_actor(actor)
        counts: dict[str, int] = {}
        for cell in [self.cell(cell_name)] if cell_name else list(self.cells.values()):
            redone = 0
            with cell.session() as s:
                for entry in cell.ledger.entries():
                    row = s.store.get_record(entry.subject_id)
                    if row is None or row.record_version > entry.upto_version:
                        continue  # gone, or written again after the entry (moved back home)
                    if entry.reason == REHOMED:
                        if not self._newer_copy_elsewhere(cell, entry.subject_id, row.record_version):
                            continue  # the only copy left (both cells restored): keep it readable
                        self.purge(s, entry.subject_id)
                    elif row.wrapped_dek is not None or row.ciphertext is not None:
                        self._shred(s, entry.subject_id)
                    else:
                        continue
                    s.audit.append(
                        [
                            self._event(
                                actor,
                                "subject.erase.replay",
                                "erasure-replay",
                                entry.subject_id,
                                reason=entry.reason,
                            )
                        ]
                    )
                    redone += 1
                s.audit.append([self._event(actor, "ledger.replay", "erasure-replay", None, redone=redone)])
            counts[cell.name] = redone
        return counts

    def _newer_copy_elsewhere(self, here: Cell, subject_id: str, version: int) -> bool:
        for cell in self.cells.values():
            if cell is here:
                continue
            with cell.session() as s:
                row = s.store.get_record(subject_id)
            if row is not None and row.record_version > version:
                return True
        return False

    @staticmethod
    def purge(s: CellSession, subject_id: str) -> None:
        """Remove every row of a subject from a cell (after it moved home elsewhere)."""
        s.store.delete_tokens(subject_id)
        s.store.delete_index(subject_id)
        s.store.delete_record(subject_id)

    def raise_if_missing(self, values: Mapping[str, str], field_name: str, subject_id: str) -> str:
        if field_name not in values:
            raise NotFoundError(f"subject {subject_id} has no value for field {field_name!r}")
        return values[field_name]


def _signals_dict(signals: Signals) -> dict[str, object]:
    return signals.to_dict()
