"""The review queue's store: a narrow ABC exchanging frozen dataclasses, and a memory backend.

Public methods are ``@final``: they check their arguments, convert records to plain rows
(ISO-8601 UTC text for instants, enum values, JSON-ready dicts) and call four protected hooks
(``_insert``, ``_update``, ``_select``, ``_next_seq``), so a backend only moves rows. Stores
never begin or commit a transaction: the unit of work (:mod:`.space`) does. Updates use
optimistic locking on ``version`` (:class:`~domicile.moderation.actions.errors.ConcurrentUpdateError`).
"""

from __future__ import annotations

import copy
import dataclasses
import threading
import types
import typing
from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar, final

from domicile.core.clock import iso_utc
from domicile.moderation.actions.errors import (
    ConcurrentUpdateError,
    ModerationInputError,
    ModerationStoreError,
)
from domicile.moderation.queue.model import (
    AccountFlag,
    Appeal,
    AppealState,
    Case,
    CaseState,
    Evidence,
    HotlineDraft,
    NoticeRecord,
    PreservationRecord,
    TaskRecord,
    TaskStatus,
    Transition,
)

__all__ = ["CaseStore", "MemoryCaseStore", "Row", "from_row", "to_row"]

Row = dict[str, Any]
R = TypeVar("R")

#: table name -> (record class, key column or None for append-only tables)
TABLES: dict[str, tuple[type[Any], str | None]] = {
    "mod_cases": (Case, "case_id"),
    "mod_transitions": (Transition, None),
    "mod_appeals": (Appeal, "appeal_id"),
    "mod_notices": (NoticeRecord, None),
    "mod_tasks": (TaskRecord, "task_id"),
    "mod_preservation": (PreservationRecord, None),
    "mod_hotline_drafts": (HotlineDraft, None),
    "mod_account_flags": (AccountFlag, None),
}


def _parse_ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


_SPECS: dict[type[Any], tuple[tuple[str, Any], ...]] = {}


def _spec(cls: type[Any]) -> tuple[tuple[str, Any], ...]:
    """``(field name, base type)`` pairs, with ``X | None`` reduced to ``X`` (cached per class)."""
    known = _SPECS.get(cls)
    if known is not None:
        return known
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
            args = [a for a in typing.get_args(hint) if a is not type(None)]
            hint = args[0] if len(args) == 1 else hint
        out.append((f.name, hint))
    _SPECS[cls] = tuple(out)
    return _SPECS[cls]


def to_row(record: Any) -> Row:
    """A record as a plain row (instants as ISO UTC text, enums as values, JSON-ready values)."""
    row: Row = {}
    for name, hint in _spec(type(record)):
        value = getattr(record, name)
        if value is None:
            row[name] = None
        elif hint is datetime:
            row[name] = iso_utc(value)
        elif isinstance(value, StrEnum):
            row[name] = value.value
        elif isinstance(value, Mapping):
            row[name] = dict(value)
        elif isinstance(value, tuple):
            row[name] = [list(v) if isinstance(v, tuple) else v for v in value]
        else:
            row[name] = value
    return row


def from_row(cls: type[R], row: Mapping[str, Any]) -> R:
    """Inverse of :func:`to_row`.

    Raises:
        ModerationStoreError: A stored row does not convert (names the table field).
    """
    kwargs: dict[str, Any] = {}
    for name, hint in _spec(cls):
        value = row.get(name)
        try:
            if value is None:
                kwargs[name] = None
            elif hint is datetime:
                kwargs[name] = _parse_ts(value)
            elif isinstance(hint, type) and issubclass(hint, StrEnum):
                kwargs[name] = hint(value)
            elif typing.get_origin(hint) is tuple:
                kwargs[name] = tuple(tuple(v) if isinstance(v, list) else v for v in value)
            elif typing.get_origin(hint) in (Mapping, dict) or hint is Mapping:
                kwargs[name] = dict(value)
            else:
                kwargs[name] = value
        except (ValueError, TypeError) as exc:
            raise ModerationStoreError(f"stored {cls.__name__} has a malformed field {name!r}") from exc
    return cls(**kwargs)


class CaseStore(ABC):
    """Cases, their evidence and history, appeals, notices, tasks and CSAM records."""

    # -- cases ---------------------------------------------------------------------------
    @final
    def insert_case(self, case: Case) -> None:
        """Store a new case."""
        self._require(case, Case)
        self._insert("mod_cases", to_row(case))

    @final
    def update_case(self, case: Case, expected_version: int) -> None:
        """Replace a case whose stored version is ``expected_version`` (``case.version`` is the new one).

        Raises:
            ConcurrentUpdateError: The stored version differs (someone else changed it).
        """
        self._require(case, Case)
        if case.version != expected_version + 1:
            raise ModerationInputError("a case update must increment its version by one")
        if not self._update("mod_cases", "case_id", case.case_id, to_row(case), expected_version):
            raise ConcurrentUpdateError(f"case {case.case_id} changed since it was read; retry")

    @final
    def get_case(self, case_id: str) -> Case | None:
        """The case, or ``None``."""
        rows = self._select("mod_cases", {"case_id": case_id}, order_by=(), limit=1)
        return from_row(Case, rows[0]) if rows else None

    @final
    def list_cases(
        self,
        states: Collection[CaseState] | None = None,
        *,
        content_ref: str | None = None,
        limit: int = 100,
    ) -> list[Case]:
        """Cases (optionally in some states, or of one content), oldest detection first."""
        where: dict[str, Any] = {}
        if states is not None:
            where["state"] = tuple(s.value for s in states)
        if content_ref is not None:
            where["content_ref"] = content_ref
        rows = self._select("mod_cases", where, order_by=("detected_at", "case_id"), limit=limit)
        return [from_row(Case, r) for r in rows]

    @final
    def unactioned_cases(self, limit: int = 1000) -> list[Case]:
        """Cases whose first action clock is still running (``actioned_at`` unset)."""
        rows = self._select("mod_cases", {"actioned_at": None}, order_by=("action_due_at",), limit=limit)
        return [from_row(Case, r) for r in rows]

    # -- evidence and history -----------------------------------------------------------------
    @final
    def add_evidence(self, case_id: str, items: Sequence[Evidence]) -> None:
        """Append evidence to a case."""
        for item in items:
            self._require(item, Evidence)
            seq = self._next_seq("mod_evidence", case_id)
            row = {"case_id": case_id, "seq": seq, "kind": item.kind.value, "data": item.to_dict()}
            self._insert("mod_evidence", row)

    @final
    def evidence(self, case_id: str) -> list[Evidence]:
        """The case's evidence, in the order added."""
        rows = self._select("mod_evidence", {"case_id": case_id}, order_by=("seq",), limit=None)
        try:
            return [Evidence.from_dict(r["data"]) for r in rows]
        except (ModerationInputError, TypeError) as exc:
            raise ModerationStoreError(f"stored evidence of case {case_id} is malformed") from exc

    @final
    def add_transition(self, transition: Transition) -> None:
        """Append a history step (its ``seq`` must be the next one)."""
        self._require(transition, Transition)
        expected = self._next_seq("mod_transitions", transition.case_id)
        if transition.seq != expected:
            raise ConcurrentUpdateError(f"case {transition.case_id} history moved on; retry")
        self._insert("mod_transitions", to_row(transition))

    @final
    def next_transition_seq(self, case_id: str) -> int:
        """The seq the next history step of ``case_id`` gets."""
        return self._next_seq("mod_transitions", case_id)

    @final
    def transitions(self, case_id: str) -> list[Transition]:
        """The case's history, in order."""
        rows = self._select("mod_transitions", {"case_id": case_id}, order_by=("seq",), limit=None)
        return [from_row(Transition, r) for r in rows]

    # -- appeals ----------------------------------------------------------------------------
    @final
    def insert_appeal(self, appeal: Appeal) -> None:
        """Store a new appeal."""
        self._require(appeal, Appeal)
        self._insert("mod_appeals", to_row(appeal))

    @final
    def update_appeal(self, appeal: Appeal, expected_version: int) -> None:
        """Replace an appeal (optimistic locking as :meth:`update_case`)."""
        self._require(appeal, Appeal)
        if appeal.version != expected_version + 1:
            raise ModerationInputError("an appeal update must increment its version by one")
        if not self._update("mod_appeals", "appeal_id", appeal.appeal_id, to_row(appeal), expected_version):
            raise ConcurrentUpdateError(f"appeal {appeal.appeal_id} changed since it was read; retry")

    @final
    def get_appeal(self, appeal_id: str) -> Appeal | None:
        """The appeal, or ``None``."""
        rows = self._select("mod_appeals", {"appeal_id": appeal_id}, order_by=(), limit=1)
        return from_row(Appeal, rows[0]) if rows else None

    @final
    def appeals_of(self, case_id: str) -> list[Appeal]:
        """The case's appeals, oldest first."""
        rows = self._select("mod_appeals", {"case_id": case_id}, order_by=("received_at",), limit=None)
        return [from_row(Appeal, r) for r in rows]

    @final
    def open_appeals(self, limit: int = 1000) -> list[Appeal]:
        """Appeals awaiting a decision, soonest due first."""
        where = {"state": AppealState.OPEN.value}
        rows = self._select("mod_appeals", where, order_by=("due_at", "appeal_id"), limit=limit)
        return [from_row(Appeal, r) for r in rows]

    # -- notices, tasks, CSAM records -------------------------------------------------------------
    @final
    def add_notice(self, notice: NoticeRecord) -> None:
        """Record a sent notice."""
        self._require(notice, NoticeRecord)
        self._insert("mod_notices", to_row(notice))

    @final
    def notices(self, case_id: str) -> list[NoticeRecord]:
        """Notices of a case, in order."""
        rows = self._select(
            "mod_notices", {"case_id": case_id}, order_by=("sent_at", "notice_id"), limit=None
        )
        return [from_row(NoticeRecord, r) for r in rows]

    @final
    def insert_task(self, task: TaskRecord) -> None:
        """Record a new task."""
        self._require(task, TaskRecord)
        row = to_row(task)
        row["open_key"] = task.dedupe_key if task.status is TaskStatus.OPEN else None
        self._insert("mod_tasks", row)

    @final
    def update_task(self, task: TaskRecord, expected_version: int) -> None:
        """Replace a task (optimistic locking as :meth:`update_case`)."""
        self._require(task, TaskRecord)
        if task.version != expected_version + 1:
            raise ModerationInputError("a task update must increment its version by one")
        row = to_row(task)
        row["open_key"] = task.dedupe_key if task.status is TaskStatus.OPEN else None
        if not self._update("mod_tasks", "task_id", task.task_id, row, expected_version):
            raise ConcurrentUpdateError(f"task {task.task_id} changed since it was read; retry")

    @final
    def get_task(self, task_id: str) -> TaskRecord | None:
        """The task, or ``None``."""
        rows = self._select("mod_tasks", {"task_id": task_id}, order_by=(), limit=1)
        return from_row(TaskRecord, rows[0]) if rows else None

    @final
    def open_task_with_key(self, dedupe_key: str) -> TaskRecord | None:
        """The open task with this dedupe key, if any."""
        rows = self._select("mod_tasks", {"open_key": dedupe_key}, order_by=(), limit=1)
        return from_row(TaskRecord, rows[0]) if rows else None

    @final
    def tasks(
        self, status: TaskStatus | None = None, *, case_id: str | None = None, limit: int = 1000
    ) -> list[TaskRecord]:
        """Tasks, soonest due first."""
        where: dict[str, Any] = {}
        if status is not None:
            where["status"] = status.value
        if case_id is not None:
            where["case_id"] = case_id
        rows = self._select("mod_tasks", where, order_by=("due_at", "task_id"), limit=limit)
        return [from_row(TaskRecord, r) for r in rows]

    @final
    def add_preservation(self, record: PreservationRecord) -> None:
        """Record preserved evidence."""
        self._require(record, PreservationRecord)
        self._insert("mod_preservation", to_row(record))

    @final
    def preservation(self, case_id: str) -> list[PreservationRecord]:
        """Preservation records of a case."""
        rows = self._select("mod_preservation", {"case_id": case_id}, order_by=("preserved_at",), limit=None)
        return [from_row(PreservationRecord, r) for r in rows]

    @final
    def add_hotline_draft(self, draft: HotlineDraft) -> None:
        """Record a hotline report draft."""
        self._require(draft, HotlineDraft)
        self._insert("mod_hotline_drafts", to_row(draft))

    @final
    def hotline_drafts(self, case_id: str) -> list[HotlineDraft]:
        """Hotline drafts of a case."""
        rows = self._select("mod_hotline_drafts", {"case_id": case_id}, order_by=("created_at",), limit=None)
        return [from_row(HotlineDraft, r) for r in rows]

    @final
    def add_account_flag(self, flag: AccountFlag) -> None:
        """Flag an account."""
        self._require(flag, AccountFlag)
        self._insert("mod_account_flags", to_row(flag))

    @final
    def account_flags(self, subject_ref: str) -> list[AccountFlag]:
        """Flags of an account, oldest first."""
        rows = self._select("mod_account_flags", {"subject_ref": subject_ref}, order_by=("at",), limit=None)
        return [from_row(AccountFlag, r) for r in rows]

    # -- helpers and hooks ----------------------------------------------------------------------
    @staticmethod
    def _require(record: object, cls: type[Any]) -> None:
        if not isinstance(record, cls):
            raise ModerationInputError(f"expected a {cls.__name__}, got {type(record).__name__}")

    @abstractmethod
    def _insert(self, table: str, row: Row) -> None:
        """Insert one row."""

    @abstractmethod
    def _update(self, table: str, key_col: str, key: str, row: Row, expected_version: int) -> bool:
        """Replace the row whose key is ``key`` and version ``expected_version``; False if none."""

    @abstractmethod
    def _select(
        self, table: str, where: Mapping[str, Any], *, order_by: Sequence[str], limit: int | None
    ) -> list[Row]:
        """Rows matching ``where`` (value ``None``: IS NULL; a tuple: IN), ordered, limited."""

    @abstractmethod
    def _next_seq(self, table: str, case_id: str) -> int:
        """1 + the highest ``seq`` of ``case_id`` in ``table`` (1 when none)."""


class MemoryCaseStore(CaseStore):
    """Dict-backed store with the same semantics (unique keys, optimistic locking)."""

    def __init__(self) -> None:
        self.tables: dict[str, list[Row]] = {name: [] for name in (*TABLES, "mod_evidence")}
        self.lock = threading.RLock()

    def snapshot(self) -> dict[str, list[Row]]:
        """A deep copy of every table (for rollback)."""
        with self.lock:
            return copy.deepcopy(self.tables)

    def restore(self, saved: dict[str, list[Row]]) -> None:
        """Put back a :meth:`snapshot`."""
        with self.lock:
            self.tables = saved

    def _insert(self, table: str, row: Row) -> None:
        with self.lock:
            rows = self.tables[table]
            key = TABLES.get(table, (None, None))[1]
            if key is not None and any(r[key] == row[key] for r in rows):
                raise ConcurrentUpdateError(f"{table}: duplicate {key}; retry")
            open_key = row.get("open_key") if table == "mod_tasks" else None
            if open_key is not None and any(r["open_key"] == open_key for r in rows):
                raise ConcurrentUpdateError("mod_tasks: an open task with this dedupe key exists; retry")
            rows.append(copy.deepcopy(row))

    def _update(self, table: str, key_col: str, key: str, row: Row, expected_version: int) -> bool:
        with self.lock:
            rows = self.tables[table]
            for i, old in enumerate(rows):
                if old[key_col] == key and old["version"] == expected_version:
                    rows[i] = copy.deepcopy(row)
                    return True
            return False

    def _select(
        self, table: str, where: Mapping[str, Any], *, order_by: Sequence[str], limit: int | None
    ) -> list[Row]:
        def ok(row: Row) -> bool:
            for col, want in where.items():
                if isinstance(want, tuple):
                    if row.get(col) not in want:
                        return False
                elif row.get(col) != want:
                    return False
            return True

        with self.lock:
            rows = [copy.deepcopy(r) for r in self.tables[table] if ok(r)]
        rows.sort(key=lambda r: tuple("" if r.get(c) is None else r.get(c) for c in order_by))
        return rows if limit is None else rows[:limit]

    def _next_seq(self, table: str, case_id: str) -> int:
        with self.lock:
            return 1 + max((r["seq"] for r in self.tables[table] if r["case_id"] == case_id), default=0)
