"""Data access for the desk database: a unit of work and a narrow store over SQLAlchemy Core.

:class:`DeskDatabase.unit` is the transaction: one ``engine.begin()`` block. Work that also
writes files (sealed blobs) registers clean-up callbacks, so a failed unit leaves neither rows
nor files behind ("nothing half-created"); work to do only after the commit (deleting the
ciphertext of a crypto-shredded blob) registers ``after_commit`` callbacks. The store never
begins or commits (style rule 9) and converts rows to frozen dataclasses at the edge.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from domicile.desk.errors import DeskStoreError
from domicile.desk.models import ClockView, EventView, ItemView, RequestView
from domicile.desk.schema import (
    desk_clocks,
    desk_decisions,
    desk_events,
    desk_items,
    desk_meta,
    desk_notifications,
    desk_requests,
    desk_signers,
)

__all__ = ["DeskDatabase", "DeskStore", "Unit", "make_desk_engine"]


def make_desk_engine(url: str) -> Engine:
    """An engine for the desk URL (SQLite files: parent folder created, secure_delete, FKs on)."""
    u = sa.make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(url, connect_args={"timeout": 30})
        else:
            engine = sa.create_engine(
                url, poolclass=sa.pool.StaticPool, connect_args={"check_same_thread": False}
            )

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA secure_delete=ON")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _request_view(row: Any) -> RequestView:
    return RequestView(
        id=row["id"],
        type_id=row["type_id"],
        kind=row["kind"],
        channel=row["channel"],
        authority_type=row["authority_type"],
        authority_name=row["authority_name"],
        legal_basis=row["legal_basis"],
        decision_no=row["decision_no"],
        decision_date=row["decision_date"],
        registry_entry_no=row["registry_entry_no"],
        category=row["category"],
        state=row["state"],
        priority=row["priority"],
        subject_id=row["subject_id"],
        assignee=row["assignee"],
        received_at=row["received_at"],
        acknowledged_at=row["acknowledged_at"],
        closed_at=row["closed_at"],
        primary_clock=row["primary_clock"],
        due_at=row["due_at"],
        dossier_ref=row["dossier_ref"],
        auto_rule=row["auto_rule"],
        produced=row["produced"],
        created_by=row["created_by"],
        version=row["version"],
    )


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


@dataclass
class DeskStore:
    """Row-level operations inside the caller's transaction."""

    conn: Connection

    # -- meta ---------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        """A value of ``desk_meta``."""
        return self.conn.execute(sa.select(desk_meta.c.value).where(desk_meta.c.key == key)).scalar()

    def set_meta(self, key: str, value: str) -> None:
        """Insert or replace a value of ``desk_meta``."""
        done = self.conn.execute(desk_meta.update().where(desk_meta.c.key == key).values(value=value))
        if done.rowcount == 0:
            self.conn.execute(desk_meta.insert().values(key=key, value=value))

    # -- requests -------------------------------------------------------------------------
    def insert_request(self, row: Mapping[str, Any]) -> None:
        """Insert a request row."""
        self.conn.execute(desk_requests.insert().values(**row))

    def get_request(self, request_id: str) -> RequestView | None:
        """The request row, or None."""
        row = self.conn.execute(sa.select(desk_requests).where(desk_requests.c.id == request_id)).mappings()
        first = row.first()
        return _request_view(first) if first else None

    def find_by_digest(self, digest: str) -> str | None:
        """The id of the request created from raw input with this sha256, if any."""
        return self.conn.execute(
            sa.select(desk_requests.c.id).where(desk_requests.c.source_digest == digest)
        ).scalar()

    def list_requests(
        self,
        *,
        state: str | None = None,
        type_id: str | None = None,
        assignee: str | None = None,
        limit: int = 100,
        open_only: bool = False,
    ) -> list[RequestView]:
        """Requests, most urgent first (due time, then receipt)."""
        q = sa.select(desk_requests)
        if state:
            q = q.where(desk_requests.c.state == state)
        if type_id:
            q = q.where(desk_requests.c.type_id == type_id)
        if assignee:
            q = q.where(desk_requests.c.assignee == assignee)
        if open_only:
            q = q.where(desk_requests.c.state != "closed")
        q = q.order_by(desk_requests.c.due_at, desk_requests.c.received_at, desk_requests.c.id).limit(limit)
        return [_request_view(r) for r in self.conn.execute(q).mappings()]

    def update_request(self, request_id: str, expected_version: int, **values: Any) -> bool:
        """Update a request if its version is still ``expected_version`` (optimistic lock)."""
        done = self.conn.execute(
            desk_requests.update()
            .where(desk_requests.c.id == request_id, desk_requests.c.version == expected_version)
            .values(version=expected_version + 1, **values)
        )
        return done.rowcount == 1

    # -- items ----------------------------------------------------------------------------
    def insert_items(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert item rows."""
        if rows:
            self.conn.execute(desk_items.insert(), [dict(r) for r in rows])

    def items(self, request_id: str) -> list[ItemView]:
        """Items of a request, by number."""
        q = sa.select(desk_items).where(desk_items.c.request_id == request_id).order_by(desk_items.c.item_no)
        return [
            ItemView(
                r["item_no"],
                r["content_id"],
                r["account_id"],
                r["url_fp"],
                r["verdict"],
                r["outcome"],
                r["actioned_at"],
                r["reviewer"],
            )
            for r in self.conn.execute(q).mappings()
        ]

    def update_item(self, request_id: str, item_no: int, **values: Any) -> None:
        """Set fields of one item."""
        self.conn.execute(
            desk_items.update()
            .where(desk_items.c.request_id == request_id, desk_items.c.item_no == item_no)
            .values(**values)
        )

    # -- clocks ---------------------------------------------------------------------------
    def insert_clocks(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert clock rows."""
        self.conn.execute(desk_clocks.insert(), [dict(r) for r in rows])

    def clocks(self, request_id: str) -> list[ClockView]:
        """Clocks of a request, by due time."""
        q = (
            sa.select(desk_clocks)
            .where(desk_clocks.c.request_id == request_id)
            .order_by(desk_clocks.c.due_at)
        )
        return [_clock_view(r) for r in self.conn.execute(q).mappings()]

    def clock_extensions(self, request_id: str, clock_id: str) -> list[tuple[str, int]]:
        """Extensions applied to a clock: (notice sent at, working days)."""
        raw = self.conn.execute(
            sa.select(desk_clocks.c.extensions).where(
                desk_clocks.c.request_id == request_id, desk_clocks.c.clock_id == clock_id
            )
        ).scalar()
        return [(str(a), int(b)) for a, b in (_json(raw) or [])]

    def open_clocks(self) -> list[tuple[str, ClockView, str]]:
        """(request id, clock, request state) of every clock not yet met on an open request."""
        q = (
            sa.select(desk_clocks, desk_requests.c.state.label("request_state"))
            .join(desk_requests, desk_requests.c.id == desk_clocks.c.request_id)
            .where(desk_clocks.c.met_at.is_(None), desk_requests.c.state != "closed")
            .order_by(desk_clocks.c.due_at, desk_clocks.c.request_id)
        )
        return [
            (r["request_id"], _clock_view(r), r["request_state"]) for r in self.conn.execute(q).mappings()
        ]

    def meet_clocks(self, request_id: str, stops_on: str, at: str) -> list[str]:
        """Mark met every open clock of the request that stops on ``stops_on``; returns their ids."""
        ids = list(
            self.conn.execute(
                sa.select(desk_clocks.c.clock_id).where(
                    desk_clocks.c.request_id == request_id,
                    desk_clocks.c.stops_on == stops_on,
                    desk_clocks.c.met_at.is_(None),
                )
            ).scalars()
        )
        if ids:
            self.conn.execute(
                desk_clocks.update()
                .where(desk_clocks.c.request_id == request_id, desk_clocks.c.clock_id.in_(ids))
                .values(met_at=at)
            )
        return ids

    def update_clock(self, request_id: str, clock_id: str, **values: Any) -> None:
        """Set fields of one clock."""
        self.conn.execute(
            desk_clocks.update()
            .where(desk_clocks.c.request_id == request_id, desk_clocks.c.clock_id == clock_id)
            .values(**values)
        )

    # -- events ---------------------------------------------------------------------------
    def add_event(
        self,
        request_id: str,
        at: str,
        actor: str,
        action: str,
        from_state: str | None = None,
        to_state: str | None = None,
        details: Mapping[str, str | int | bool | None] | None = None,
    ) -> None:
        """Append one entry to a request's timeline."""
        self.conn.execute(
            desk_events.insert().values(
                request_id=request_id,
                at=at,
                actor=actor,
                action=action,
                from_state=from_state,
                to_state=to_state,
                details=dict(details or {}),
            )
        )

    def events(self, request_id: str) -> list[EventView]:
        """A request's timeline in order."""
        q = sa.select(desk_events).where(desk_events.c.request_id == request_id).order_by(desk_events.c.seq)
        return [
            EventView(
                r["seq"],
                r["at"],
                r["actor"],
                r["action"],
                r["from_state"],
                r["to_state"],
                _json(r["details"]),
            )
            for r in self.conn.execute(q).mappings()
        ]

    def has_event(self, request_id: str, action: str) -> bool:
        """Whether the timeline holds an event with that action."""
        q = sa.select(sa.func.count()).where(
            desk_events.c.request_id == request_id, desk_events.c.action == action
        )
        return bool(self.conn.execute(q).scalar())

    # -- decisions ------------------------------------------------------------------------
    def decision_rows(self, after_seq: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """Decision rows with seq > ``after_seq``, in order."""
        q = (
            sa.select(desk_decisions)
            .where(desk_decisions.c.seq > after_seq)
            .order_by(desk_decisions.c.seq)
            .limit(limit)
        )
        return [dict(r) for r in self.conn.execute(q).mappings()]

    def decision_row(self, seq: int) -> dict[str, Any] | None:
        """One decision row."""
        row = (
            self.conn.execute(sa.select(desk_decisions).where(desk_decisions.c.seq == seq)).mappings().first()
        )
        return dict(row) if row else None

    def last_decision_row(self, request_id: str | None = None) -> dict[str, Any] | None:
        """The newest decision (of one request, or of the whole chain)."""
        q = sa.select(desk_decisions)
        if request_id is not None:
            q = q.where(desk_decisions.c.request_id == request_id)
        row = self.conn.execute(q.order_by(desk_decisions.c.seq.desc()).limit(1)).mappings().first()
        return dict(row) if row else None

    def lock_decision_chain(self) -> None:
        """Serialize appends to the decision chain (row lock on PostgreSQL, write lock on SQLite)."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(sa.text("LOCK TABLE desk_decisions IN EXCLUSIVE MODE"))
        else:
            self.set_meta("decision_chain_lock", "1")

    def insert_decision(self, row: Mapping[str, Any]) -> None:
        """Append a decision row."""
        self.conn.execute(desk_decisions.insert().values(**row))

    def count_decisions(self) -> int:
        """How many decisions are stored."""
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(desk_decisions)).scalar() or 0)

    # -- signers --------------------------------------------------------------------------
    def signer(self, key_id: str) -> dict[str, Any] | None:
        """A registered signing key."""
        row = (
            self.conn.execute(sa.select(desk_signers).where(desk_signers.c.key_id == key_id))
            .mappings()
            .first()
        )
        return dict(row) if row else None

    def signers(self) -> list[dict[str, Any]]:
        """Every registered signing key."""
        return [
            dict(r)
            for r in self.conn.execute(sa.select(desk_signers).order_by(desk_signers.c.created_at)).mappings()
        ]

    def add_signer(self, key_id: str, signer: str, public_key: str, at: str) -> None:
        """Register a public key."""
        self.conn.execute(
            desk_signers.insert().values(key_id=key_id, signer=signer, public_key=public_key, created_at=at)
        )

    # -- notifications --------------------------------------------------------------------
    def add_notification(
        self, request_id: str, clock_id: str, level: str, notifier: str, at: str, ok: bool, error: str | None
    ) -> None:
        """Record a delivery attempt."""
        self.conn.execute(
            desk_notifications.insert().values(
                request_id=request_id,
                clock_id=clock_id,
                level=level,
                notifier=notifier,
                at=at,
                ok=ok,
                error=error,
            )
        )

    def delivered_levels(self, request_id: str, clock_id: str) -> dict[str, set[str]]:
        """Levels successfully delivered per notifier for one clock."""
        q = sa.select(desk_notifications.c.notifier, desk_notifications.c.level).where(
            desk_notifications.c.request_id == request_id,
            desk_notifications.c.clock_id == clock_id,
            desk_notifications.c.ok.is_(True),
        )
        out: dict[str, set[str]] = {}
        for notifier, level in self.conn.execute(q):
            out.setdefault(notifier, set()).add(level)
        return out

    def notifications(self, request_id: str) -> list[dict[str, Any]]:
        """Delivery attempts for a request, in order."""
        q = (
            sa.select(desk_notifications)
            .where(desk_notifications.c.request_id == request_id)
            .order_by(desk_notifications.c.id)
        )
        return [dict(r) for r in self.conn.execute(q).mappings()]


def _clock_view(r: Any) -> ClockView:
    ext = _json(r["extensions"]) or []
    return ClockView(
        r["clock_id"], r["started_at"], r["due_at"], r["stops_on"], r["met_at"], len(ext), r["amount"]
    )


@dataclass
class Unit:
    """One transaction on the desk database, with file clean-up and post-commit hooks."""

    conn: Connection
    store: DeskStore
    on_rollback: list[Callable[[], None]] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)


class DeskDatabase:
    """The desk database engine and its units of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def unit(self) -> Iterator[Unit]:
        """A transaction; on error its files are removed and the rows rolled back.

        Raises:
            DeskStoreError: the database failed (the message names the driver error class).
        """
        hooks: list[Callable[[], None]] = []
        done: list[Callable[[], None]] = []
        try:
            with self.engine.begin() as conn:
                unit = Unit(conn, DeskStore(conn), hooks, done)
                yield unit
        except BaseException as exc:
            for undo in reversed(hooks):
                with suppress(OSError):
                    undo()
            if isinstance(exc, sa.exc.OperationalError):
                first = str(exc.orig).strip().splitlines()[0][:200] if str(exc.orig).strip() else "error"
                raise DeskStoreError(f"desk database error ({first})") from None
            if isinstance(exc, sa.exc.DBAPIError):
                raise DeskStoreError(f"desk database error ({type(exc.orig).__name__})") from None
            raise
        for after in done:
            with suppress(OSError):
                after()

    @contextmanager
    def read(self) -> Iterator[DeskStore]:
        """A read-only connection (no transaction is committed)."""
        try:
            with self.engine.connect() as conn:
                yield DeskStore(conn)
        except sa.exc.DBAPIError as exc:
            raise DeskStoreError(f"desk database error ({type(exc.orig).__name__})") from None

    def close(self) -> None:
        """Release connections."""
        self.engine.dispose()
