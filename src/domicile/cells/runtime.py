"""Open cells: a configured store with its engine, keys and audit log.

:meth:`Cell.session` is the unit of work: one database transaction in which
the vault's rows and the audit entries describing them commit together.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domicile.audit import AuditStore, SqlAuditStore
from domicile.cells.config import CellConfig, FileKeys, KmsKeys, resolve_path, resolve_url
from domicile.cells.store import CellStore, SqlCellStore
from domicile.core.clock import Clock
from domicile.core.errors import ConfigError, DomicileError, StoreError, first_line
from domicile.vault.keys import KeyProvider, KmsClient, KmsKeyProvider, LocalKeyFileProvider
from domicile.vault.ledger import ErasureLedger


@dataclass
class CellSession:
    """The stores of one cell inside one transaction."""

    cell: Cell
    store: CellStore
    audit: AuditStore


class Cell(ABC):
    """A named store in one country."""

    def __init__(
        self,
        name: str,
        jurisdiction: str,
        location: str,
        keys: KeyProvider,
        ledger: ErasureLedger,
        clock: Clock,
    ) -> None:
        self.name = name
        self.jurisdiction = jurisdiction
        self.location = location
        self.keys = keys
        self.ledger = ledger
        self.clock = clock

    @abstractmethod
    def session(self) -> Any:
        """Context manager yielding a :class:`CellSession` in one transaction."""

    @property
    @abstractmethod
    def backend(self) -> str: ...

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


def make_engine(url: str) -> Engine:
    """An engine for a cell URL.

    SQLite files get ``secure_delete`` (freed pages are zeroed), ``synchronous=NORMAL`` and a
    64 MB page cache (bulk localize keeps its random-key indexes hot). A cell that ``localize``
    writes to is switched to WAL (:func:`use_wal`): with NORMAL, a commit then survives a killed
    process, and only a power cut may lose the last commits, never corrupt the file.
    """
    u = sa.make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA secure_delete=ON")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA cache_size=-65536")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def use_wal(cell: Cell) -> None:
    """Switch a SQLite cell file to write-ahead logging (persistent; a no-op for other cells).

    Bulk writers (``localize``) commit large transactions of random-key index pages: WAL writes
    each page once instead of journal + file.
    """
    engine = getattr(cell, "engine", None)
    if (
        isinstance(engine, Engine)
        and engine.dialect.name == "sqlite"
        and engine.url.database not in (None, "", ":memory:")
    ):
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")


class SqlCell(Cell):
    """A cell in a SQL database (SQLite file or PostgreSQL)."""

    def __init__(
        self,
        name: str,
        jurisdiction: str,
        location: str,
        engine: Engine,
        keys: KeyProvider,
        ledger: ErasureLedger,
        clock: Clock,
    ) -> None:
        super().__init__(name, jurisdiction, location, keys, ledger, clock)
        self.engine = engine

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[CellSession]:
        try:
            with self.engine.begin() as conn:
                yield CellSession(
                    self,
                    SqlCellStore(conn),
                    SqlAuditStore(conn, self.name, self.keys.audit_key(), now=self.clock.now),
                )
        except sa.exc.OperationalError as exc:
            raise StoreError(f"cell {self.name!r}: database error ({first_line(exc.orig)})") from None
        except sa.exc.DBAPIError as exc:
            raise StoreError(f"cell {self.name!r}: database error ({type(exc.orig).__name__})") from None

    def close(self) -> None:
        self.engine.dispose()


def key_provider(config: CellConfig, data_dir: Path, create: bool = False) -> KeyProvider:
    """Build the key source a cell's config names."""
    keys = config.keys
    if isinstance(keys, FileKeys):
        path = resolve_path(data_dir, keys.path)
        if create and not path.exists():
            return LocalKeyFileProvider.create(config.name, path)
        return LocalKeyFileProvider(config.name, path)
    assert isinstance(keys, KmsKeys)
    return KmsKeyProvider(config.name, _load_kms_client(keys.client), keys.key_ids)


def _load_kms_client(spec: str) -> KmsClient:
    module, _, attr = spec.partition(":")
    try:
        factory: Callable[[], KmsClient] = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        raise ConfigError(f"KMS client factory {spec!r} cannot be imported") from None
    return factory()


def open_sql_cell(config: CellConfig, data_dir: Path, clock: Clock, create_keys: bool = False) -> SqlCell:
    """Open one configured cell (does not touch its schema)."""
    try:
        engine = make_engine(resolve_url(data_dir, config.url))
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise ConfigError(f"cell {config.name!r}: cannot use its URL ({type(exc).__name__})") from None
    except DomicileError:
        raise
    keys = key_provider(config, data_dir, create=create_keys)
    ledger = ErasureLedger(resolve_path(data_dir, config.ledger), config.name)
    return SqlCell(config.name, config.jurisdiction, config.location, engine, keys, ledger, clock)
