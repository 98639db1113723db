"""Assembling a gateway without the web framework (the CLI and the app factory share this).

Where things live by default, next to the cells in the data folder:

* ``<data_dir>/gateway/gateway.db`` - the gateway database (SQLite; any SQLAlchemy URL via
  ``DOMICILE_GATEWAY_DB_URL``);
* ``<data_dir>/gateway/secret.key`` - 32 random bytes keying idempotency fingerprints (0600).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from domicile.core.clock import Clock
from domicile.core.errors import ConfigError
from domicile.gateway.auth import ApiKeys
from domicile.gateway.idempotency import IdempotencyStore
from domicile.gateway.metrics import GatewayMetrics
from domicile.gateway.policy import DeskWaitClock, TransferPolicy, WaitClock
from domicile.gateway.service import Gateway
from domicile.gateway.settings import GatewaySettings
from domicile.gateway.store import GatewayStore
from domicile.gateway.transfers import TransferRecords
from domicile.service import Domicile
from domicile.settings import DomicileSettings

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


def _desk_wait(settings: GatewaySettings) -> WaitClock:
    dirs = list(settings.calendar_dirs)
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
    closed: bool = field(default=False, init=False)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.owns_store:
            self.store.close()
        if self.owns_dom:
            for cell in self.dom.cells.values():
                cell.close()


def open_runtime(
    source: DomicileSettings | Domicile,
    *,
    settings: GatewaySettings | None = None,
    store: GatewayStore | None = None,
    clock: Clock | None = None,
    wait_clock: WaitClock | None = None,
    metrics: GatewayMetrics | None = None,
) -> GatewayRuntime:
    """Build the gateway over a data folder (``DomicileSettings``) or an open :class:`Domicile`."""
    settings = settings or GatewaySettings()
    data_dir: Path | None = None
    owns_dom = False
    if isinstance(source, DomicileSettings):
        from domicile.app import open_domicile

        dom = open_domicile(source, clock=clock)
        data_dir = source.data_dir
        owns_dom = True
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
    policy = TransferPolicy(records, dom.packs, clock, wait_clock or _desk_wait(settings))
    gateway = Gateway(dom, store, keys, records, policy, clock, metrics)
    idem = IdempotencyStore(store, clock, secret, timedelta(hours=settings.idempotency_ttl_hours))
    return GatewayRuntime(dom, store, gateway, idem, settings, owns_dom, owns_store)
