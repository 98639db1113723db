"""Assembling a gateway without the web framework (the CLI and the app factory share this).

Where things live by default, next to the cells in the data folder:

* ``<data_dir>/gateway/gateway.db`` - the gateway database (SQLite; any SQLAlchemy URL via
  ``DOMICILE_GATEWAY_DB_URL``);
* ``<data_dir>/gateway/secret.key`` - 32 random bytes keying idempotency fingerprints (0600).

The runtime also opens the regulator desk (``init_desk`` + ``open_desk`` over the same
:class:`Domicile`; it needs a data folder), the moderation review queue and the hash matcher
(in the Russian cell; with a data folder their tables are created, like the desk's). Any may be
unavailable - no data folder, no RU cell, an unmigrated schema - and the
gateway still starts: :meth:`GatewayRuntime.desk_or_raise` / :meth:`queue_or_raise` then raise
:class:`~domicile.gateway.errors.NotReadyError` (503) with the reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from domicile.core.clock import Clock
from domicile.core.errors import ConfigError, DomicileError
from domicile.gateway.auth import ApiKeys
from domicile.gateway.errors import NotReadyError
from domicile.gateway.idempotency import IdempotencyStore
from domicile.gateway.metrics import GatewayMetrics
from domicile.gateway.policy import DeskWaitClock, TransferPolicy, WaitClock
from domicile.gateway.service import Gateway
from domicile.gateway.settings import GatewaySettings
from domicile.gateway.store import GatewayStore
from domicile.gateway.transfers import TransferRecords
from domicile.service import Domicile
from domicile.settings import DomicileSettings

if TYPE_CHECKING:
    from domicile.desk.service import Desk
    from domicile.moderation.hashing.matcher import HashMatcher
    from domicile.moderation.queue.service import ReviewQueue

SECRET_BYTES = 32


def gateway_db_url(settings: GatewaySettings, data_dir: Path | None) -> str:
    """The configured URL, else a SQLite file in the data folder, else in-memory SQLite."""
    if settings.db_url:
        return settings.db_url
    if data_dir is not None:
        return f"sqlite:///{data_dir / 'gateway' / 'gateway.db'}"
    return "sqlite://"


def load_or_create_secret(path: Path) -> bytes:
    """Read the idempotency secret, creating it (mode 0600) on first use."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = os.urandom(SECRET_BYTES)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise ConfigError(f"cannot read the gateway secret file {path} ({type(exc).__name__})") from None
    if len(data) < 16:
        raise ConfigError(f"gateway secret file {path} is too short (need at least 16 bytes)")
    return data


def _desk_wait(settings: GatewaySettings, data_dir: Path | None = None) -> WaitClock:
    """The cross-border wait clock: packaged calendar years, then ``calendar_dirs``, then the data
    folder's ``calendar/`` (where ``domicile desk calendar add|provisional`` installs years)."""
    dirs = list(settings.calendar_dirs)
    if data_dir is not None and (data_dir / "calendar").is_dir():
        dirs.append(data_dir / "calendar")
    if not dirs:
        return DeskWaitClock()

    def factory() -> object:
        from domicile.desk.calendar import load_ru_calendar
        from domicile.desk.clocks import load_ru_clocks
        from domicile.desk.deadlines import DeadlineEngine

        return DeadlineEngine(load_ru_calendar(extra_dirs=dirs), load_ru_clocks())

    return DeskWaitClock(engine_factory=factory)


@dataclass
class GatewayRuntime:
    """A ready gateway service and what it was built from (close it when done)."""

    dom: Domicile
    store: GatewayStore
    gateway: Gateway
    idempotency: IdempotencyStore
    settings: GatewaySettings
    owns_dom: bool = False
    owns_store: bool = False
    desk: Desk | None = None
    desk_error: str = "the regulator desk is not configured"
    queue: ReviewQueue | None = None
    queue_error: str = "the moderation queue is not configured"
    matcher: HashMatcher | None = None
    matcher_error: str = "the hash banks are not configured"
    closed: bool = field(default=False, init=False)

    def desk_or_raise(self) -> Desk:
        """The open desk; :class:`NotReadyError` (503) with the reason when it did not open."""
        if self.desk is None:
            raise NotReadyError(f"regulator desk unavailable: {self.desk_error}")
        return self.desk

    def queue_or_raise(self) -> ReviewQueue:
        """The review queue; :class:`NotReadyError` (503) with the reason when it did not open."""
        if self.queue is None:
            raise NotReadyError(f"moderation queue unavailable: {self.queue_error}")
        return self.queue

    def matcher_or_raise(self) -> HashMatcher:
        """The hash matcher over the banks; :class:`NotReadyError` (503) with the reason when unavailable."""
        if self.matcher is None:
            raise NotReadyError(f"hash banks unavailable: {self.matcher_error}")
        return self.matcher

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.desk is not None:
            self.desk.close_resources()
        if self.owns_store:
            self.store.close()
        if self.owns_dom:
            for cell in self.dom.cells.values():
                cell.close()


def _open_desk(data: DomicileSettings | None, dom: Domicile, clock: Clock) -> tuple[Desk | None, str]:
    """The desk of the data folder over *dom*, or None and why not (the gateway starts anyway)."""
    if data is None:
        return None, "the desk needs a data folder (create the app from DomicileSettings)"
    try:
        from domicile.desk.runtime import init_desk, open_desk

        init_desk(data)
        return open_desk(data, dom=dom, clock=clock), ""
    except (DomicileError, OSError, ImportError) as exc:
        message = exc.message if isinstance(exc, DomicileError) else type(exc).__name__
        return None, message


def _open_queue(
    dom: Domicile, clock: Clock, *, init: bool = False, desk: Desk | None = None
) -> tuple[ReviewQueue | None, str]:
    """The review queue in the Russian cell (schema current), or None and why not.

    With ``init`` (the gateway owns a data folder, as ``serve`` does) the moderation tables are
    created or upgraded first, like the desk's.
    """
    try:
        if init:
            from domicile.moderation.queue import init_space

            init_space(dom)
        from domicile.moderation.actions import RecordOnlyPlatform
        from domicile.moderation.queue import ReviewQueue, SqlModerationSpace, space_for

        space = space_for(dom)
        if isinstance(space, SqlModerationSpace):
            space.check_schema()
        platform = RecordOnlyPlatform()
        sink = None
        if desk is not None:  # takedown tasks go to the desk's intake (its clocks, ledger, escalation)
            from domicile.moderation.actions.desk_sink import DeskTaskSink

            sink = DeskTaskSink(desk)
        return ReviewQueue(space, clock=clock, platform=platform, notifier=platform, task_sink=sink), ""
    except (DomicileError, ImportError) as exc:
        message = exc.message if isinstance(exc, DomicileError) else type(exc).__name__
        return None, message


def _open_matcher(dom: Domicile) -> tuple[HashMatcher | None, str]:
    """The hash matcher over the banks in the Russian cell (schema current), or None and why not."""
    try:
        from domicile.moderation.hashing import HashMatcher
        from domicile.moderation.hashing.manage import bank_store_for

        return HashMatcher(bank_store_for(dom)), ""
    except (DomicileError, ImportError) as exc:
        message = exc.message if isinstance(exc, DomicileError) else type(exc).__name__
        return None, message


def open_runtime(
    source: DomicileSettings | Domicile,
    *,
    settings: GatewaySettings | None = None,
    store: GatewayStore | None = None,
    clock: Clock | None = None,
    wait_clock: WaitClock | None = None,
    metrics: GatewayMetrics | None = None,
    desk_data: DomicileSettings | None = None,
) -> GatewayRuntime:
    """Build the gateway over a data folder (``DomicileSettings``) or an open :class:`Domicile`.

    ``desk_data`` is the data folder holding the desk (``desk.yaml``, its database, blobs, the
    representative's key); it defaults to ``source`` when that is a data folder.
    """
    settings = settings or GatewaySettings()
    data_dir: Path | None = None
    owns_dom = False
    if isinstance(source, DomicileSettings):
        from domicile.app import open_domicile

        dom = open_domicile(source, clock=clock)
        data_dir = source.data_dir
        owns_dom = True
        desk_data = desk_data or source
    else:
        dom = source
    clock = clock or dom.clock
    owns_store = store is None
    try:
        store = store or GatewayStore.open(gateway_db_url(settings, data_dir))
        if settings.secret_file is not None:
            secret = load_or_create_secret(settings.secret_file)
        elif data_dir is not None:
            secret = load_or_create_secret(data_dir / "gateway" / "secret.key")
        else:
            secret = os.urandom(SECRET_BYTES)
    except BaseException:
        if owns_dom:
            for cell in dom.cells.values():
                cell.close()
        raise
    keys = ApiKeys(store, clock)
    records = TransferRecords(store, dom.packs, clock)
    policy = TransferPolicy(records, dom.packs, clock, wait_clock or _desk_wait(settings, data_dir))
    gateway = Gateway(dom, store, keys, records, policy, clock, metrics)
    idem = IdempotencyStore(store, clock, secret, timedelta(hours=settings.idempotency_ttl_hours))
    runtime = GatewayRuntime(dom, store, gateway, idem, settings, owns_dom, owns_store)
    runtime.desk, runtime.desk_error = _open_desk(desk_data, dom, clock)
    runtime.queue, runtime.queue_error = _open_queue(
        dom, clock, init=desk_data is not None, desk=runtime.desk
    )
    runtime.matcher, runtime.matcher_error = _open_matcher(dom)
    return runtime
