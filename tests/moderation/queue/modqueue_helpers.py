"""Helpers for the review-queue tests: a queue over memory, SQLite or PostgreSQL, with its audit log.

SQL backends are the real thing: a data folder initialised with an RU cell on the backend under
test (plus a SQLite global cell), the moderation tables migrated into the RU cell's database, and
the RU cell's hash-chained audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TypeVar

from domicile.app import init_data_dir, open_domicile
from domicile.audit import (
    AuditRecord,
    AuditStore,
    SqlAuditStore,
    VerifyReport,
    verify_chain,
)
from domicile.cells.config import CellConfig, CellsFile, FileKeys
from domicile.core.clock import FixedClock
from domicile.desk.calendar import load_ru_calendar
from domicile.desk.clocks import load_ru_clocks
from domicile.desk.deadlines import DeadlineEngine
from domicile.moderation.actions import MemoryPlatform, MemoryTaskSink
from domicile.moderation.queue import (
    MemoryModerationSpace,
    ModerationSpace,
    QueuePolicy,
    ReviewQueue,
    SqlModerationSpace,
    space_for,
    upgrade,
)
from domicile.service import Domicile
from domicile.settings import DomicileSettings

T = TypeVar("T")
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday, 12:00 in Moscow
OWNER = "sub_" + "a" * 32
OTHER = "sub_" + "b" * 32
FIXTURES = Path(__file__).resolve().parents[3] / ".." / "shared" / "fixtures"


@cache
def deadline_engine() -> DeadlineEngine:
    """The RU deadline engine, loaded once (read-only)."""
    return DeadlineEngine(load_ru_calendar(), load_ru_clocks())


@dataclass
class QueueEnv:
    """A queue with everything a test needs to inspect."""

    queue: ReviewQueue
    space: ModerationSpace
    platform: MemoryPlatform
    sink: MemoryTaskSink
    clock: FixedClock
    audit_records: Callable[[], list[AuditRecord]]
    verify: Callable[[], VerifyReport]


def _cells(ru_url: str, global_url: str) -> CellsFile:
    return CellsFile(
        cells=[
            CellConfig(
                name="ru-msk-1", jurisdiction="RU", location="Moscow", url=ru_url,
                keys=FileKeys(path=Path("keys/ru.json")), ledger=Path("ledger/ru.jsonl"),
            ),
            CellConfig(
                name="global-1", jurisdiction="GLOBAL", location="Frankfurt", url=global_url,
                keys=FileKeys(path=Path("keys/gl.json")), ledger=Path("ledger/gl.jsonl"),
            ),
        ]
    )  # fmt: skip


def sql_domicile(tmp_path: Path, ru_url: str, clock: FixedClock) -> Domicile:
    """A Domicile whose RU cell lives at ``ru_url``, with the moderation tables migrated."""
    settings = DomicileSettings(data_dir=tmp_path / "data")
    init_data_dir(settings, _cells(ru_url, "sqlite:///cells/global-1.db"))
    dom = open_domicile(settings, clock=clock)
    space = space_for(dom)
    assert isinstance(space, SqlModerationSpace)
    upgrade(space.engine)
    return dom


def make_env(
    space: ModerationSpace, clock: FixedClock, policy: QueuePolicy | None = None, key: bytes = b"k" * 32
) -> QueueEnv:
    platform = MemoryPlatform()
    sink = MemoryTaskSink()
    queue = ReviewQueue(
        space, clock=clock, platform=platform, notifier=platform, previews=platform,
        deadlines=deadline_engine(), task_sink=sink, policy=policy,
    )  # fmt: skip

    def with_store(fn: Callable[[AuditStore], T]) -> T:
        if isinstance(space, MemoryModerationSpace):
            return fn(space.audit)
        assert isinstance(space, SqlModerationSpace)
        with space.engine.connect() as conn:
            return fn(SqlAuditStore(conn, space.location, key))

    def records() -> list[AuditRecord]:
        return with_store(lambda store: list(store.iter_records()))

    def verify() -> VerifyReport:
        return with_store(lambda store: verify_chain(store, space.location, key))

    return QueueEnv(queue, space, platform, sink, clock, records, verify)
