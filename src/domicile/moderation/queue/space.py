"""Where moderation records live, and the unit of work that writes them with their audit entries.

A :class:`ModerationSpace` yields a :class:`ModerationUnit` (case store + audit log) inside
one transaction: a case change and the audit entries describing it commit together or not at
all, and bad input leaves the previous state intact. Moderation data about Russian users'
content is RU-located (PD-LOC-1), so :func:`space_for` puts it in the Russian cell's database
(own ``mod_`` tables) and writes to that cell's hash-chained audit log.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domicile.audit import AuditStore, MemoryAuditStore, SqlAuditStore
from domicile.core.clock import Clock, SystemClock
from domicile.moderation.actions.errors import ModerationConfigError, ModerationStoreError
from domicile.moderation.queue.migrate import current_revision, require_current, upgrade
from domicile.moderation.queue.sql import SqlCaseStore
from domicile.moderation.queue.store import CaseStore, MemoryCaseStore

if TYPE_CHECKING:
    from domicile.cells.runtime import Cell
    from domicile.service import Domicile

__all__ = [
    "MemoryModerationSpace",
    "ModerationSpace",
    "ModerationUnit",
    "SqlModerationSpace",
    "init_space",
    "space_for",
    "space_for_cell",
]


@dataclass(frozen=True)
class ModerationUnit:
    """The stores of one transaction."""

    store: CaseStore
    audit: AuditStore


class ModerationSpace(ABC):
    """A place for moderation records plus the audit log that describes them.

    Attributes:
        location: Where the records live (a cell name), stated in preservation records.
    """

    location: str

    @abstractmethod
    def unit(self) -> AbstractContextManager[ModerationUnit]:
        """One transaction: commits on a clean exit, rolls back if the block raises."""


class MemoryModerationSpace(ModerationSpace):
    """Moderation records in memory; a unit that raises rolls back store and audit log.

    Args:
        audit: The audit log to write to (default: a fresh in-memory one).
        clock: Clock of a fresh audit log.
        location: Name stated as the storage location (default: the audit log's cell, or ``memory``).
    """

    def __init__(
        self,
        audit: MemoryAuditStore | None = None,
        *,
        clock: Clock | None = None,
        location: str | None = None,
    ) -> None:
        clock = clock or SystemClock()
        self.store = MemoryCaseStore()
        name = location or (audit.cell if audit is not None else "memory")
        self.audit = audit or MemoryAuditStore(name, b"moderation-memory-audit-key!", now=clock.now)
        self.location = name
        self._lock = threading.RLock()

    @contextmanager
    def unit(self) -> Iterator[ModerationUnit]:
        with self._lock:
            saved = (self.store.snapshot(), dict(self.audit.rows), self.audit.head_row)
            try:
                yield ModerationUnit(self.store, self.audit)
            except BaseException:
                self.store.restore(saved[0])
                self.audit.rows, self.audit.head_row = saved[1], saved[2]
                raise


class SqlModerationSpace(ModerationSpace):
    """Moderation records in a SQL database (SQLite or PostgreSQL).

    Args:
        engine: The database (normally the RU cell's).
        audit_factory: Builds the audit log on the unit's connection.
        location: Name stated as the storage location.
    """

    def __init__(
        self, engine: Engine, audit_factory: Callable[[sa.Connection], AuditStore], *, location: str
    ) -> None:
        self.engine = engine
        self._audit_factory = audit_factory
        self.location = location

    def check_schema(self) -> None:
        """Refuse to work on missing or outdated moderation tables.

        Raises:
            ModerationStoreError: Not initialised, or at another revision.
        """
        require_current(self.engine)

    @contextmanager
    def unit(self) -> Iterator[ModerationUnit]:
        try:
            with self.engine.begin() as conn:
                yield ModerationUnit(SqlCaseStore(conn), self._audit_factory(conn))
        except sa.exc.OperationalError as exc:
            first = str(exc.orig).strip().splitlines()[0][:200] if str(exc.orig).strip() else "error"
            raise ModerationStoreError(f"moderation database error in {self.location!r} ({first})") from None
        except sa.exc.DBAPIError as exc:
            raise ModerationStoreError(
                f"moderation database error in {self.location!r} ({type(exc.orig).__name__})"
            ) from None


def space_for_cell(cell: Cell) -> ModerationSpace:
    """The moderation space in ``cell``: its database and its audit chain.

    Raises:
        ModerationConfigError: The cell is of a kind with neither an engine nor a memory audit log.
    """
    from domicile.cells.runtime import SqlCell

    if isinstance(cell, SqlCell):
        key = cell.keys.audit_key()

        def audit(conn: sa.Connection) -> AuditStore:
            return SqlAuditStore(conn, cell.name, key, now=cell.clock.now)

        return SqlModerationSpace(cell.engine, audit, location=cell.name)
    memory_audit = getattr(cell, "audit", None)
    if isinstance(memory_audit, MemoryAuditStore):
        return MemoryModerationSpace(memory_audit, location=cell.name)
    raise ModerationConfigError(f"cell {cell.name!r} cannot hold moderation records")


def space_for(dom: Domicile, jurisdiction: str = "RU") -> ModerationSpace:
    """The moderation space in the home cell of ``jurisdiction`` (Russia by default)."""
    return space_for_cell(dom.home_cell(jurisdiction))


def init_space(dom: Domicile, jurisdiction: str = "RU") -> tuple[str, str | None] | None:
    """Create or upgrade the moderation tables (queue and hash banks) in the home cell of ``jurisdiction``.

    Safe to re-run. Returns ``(cell name, revision)``, or None when the cell keeps moderation
    records in memory (nothing to create).
    """
    space = space_for(dom, jurisdiction)
    if not isinstance(space, SqlModerationSpace):
        return None
    upgrade(space.engine)
    return space.location, current_revision(space.engine)
