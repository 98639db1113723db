"""Helpers for the gateway tests: an app over memory or SQL cells, API keys per role and place."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from domicile.app import init_data_dir, open_domicile
from domicile.cells.config import CellConfig, CellsFile, FileKeys
from domicile.client.testing import AppTransport
from domicile.core.clock import FixedClock
from domicile.gateway.app import create_app
from domicile.gateway.authz import Role
from domicile.gateway.runtime import GatewayRuntime
from domicile.gateway.settings import GatewaySettings
from domicile.gateway.store import GatewayStore
from domicile.jurisdictions import default_registry
from domicile.service import Domicile
from domicile.settings import DomicileSettings
from domicile.testing import MemoryCell, fake_kms_provider

#: A Monday in a year the production calendar covers.
START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
RU_PERSON = {
    "given_name": "Анна",
    "family_name": "Смирнова",
    "email": "anna.smirnova@mail.ru",
    "phone": "+79161234567",
    "birth_date": "1990-04-12",
}
RU_SIGNALS = {"citizenship": ["RU"]}


@dataclass
class Env:
    """A gateway app, its runtime, and an in-process HTTP client."""

    app: Any
    runtime: GatewayRuntime
    http: httpx.Client
    transport: AppTransport
    clock: FixedClock
    keys: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def dom(self) -> Domicile:
        return self.runtime.dom

    def key(self, role: Role | str = Role.APP, location: str = "RU") -> str:
        role = Role(role)
        if (role.value, location) not in self.keys:
            bound = "rkn" if role is Role.AUTHORITY else None  # an authority key names its authority
            issued = self.runtime.gateway.keys.create(
                f"t-{role.value}-{location.lower()}", role, location, authority_type=bound
            )
            self.keys[(role.value, location)] = issued.api_key
        return self.keys[(role.value, location)]

    def auth(self, role: Role | str = Role.APP, location: str = "RU") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key(role, location)}"}

    def call(
        self, method: str, path: str, role: Role | str = Role.APP, location: str = "RU", **kwargs: Any
    ) -> httpx.Response:
        headers = {**self.auth(role, location), **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def ru_subject(self, **overrides: str) -> Any:
        """A Russian subject stored through the library, with default tokens."""
        values = {**RU_PERSON, **overrides}
        from domicile.residency.resolver import Signals

        return self.dom.put(values, Signals(citizenship=("RU",)), actor="fixture", purpose="registration")

    def notice(self, destination: str, filed: datetime | None = None, **kwargs: Any) -> Any:
        """Record a notice (by default filed a year ago, assessed first)."""
        filed = filed or (self.clock.now() - timedelta(days=365))
        kwargs.setdefault("assessed_on", (filed - timedelta(days=3)).date().isoformat())
        return self.runtime.gateway.records.record_notice(
            jurisdiction="RU",
            destination=destination,
            reference=f"RKN-{destination}-{filed:%Y%m%d}",
            filed_at=filed,
            recipient="Example Recipient Ltd",
            actor="fixture",
            **kwargs,
        )

    def close(self) -> None:
        self.http.close()
        self.transport.close()
        self.runtime.close()


def build_env(
    dom: Domicile,
    clock: FixedClock,
    *,
    store: GatewayStore | None = None,
    desk_data: DomicileSettings | None = None,
    **settings: Any,
) -> Env:
    app = create_app(dom, settings=GatewaySettings(**settings), store=store, clock=clock, desk_data=desk_data)
    transport = AppTransport(app)
    http = httpx.Client(transport=transport, base_url="http://gateway.test")
    return Env(app, app.state.runtime, http, transport, clock)


def memory_domicile(tmp_path: Path, clock: FixedClock) -> Domicile:
    cells = [
        MemoryCell("ru-msk-1", "RU", fake_kms_provider("ru-msk-1"), tmp_path / "ru.jsonl", clock),
        MemoryCell("global-1", "GLOBAL", fake_kms_provider("global-1"), tmp_path / "gl.jsonl", clock),
    ]
    return Domicile(cells, default_registry(), clock=clock)


def sql_domicile(data_dir: Path, ru_url: str, global_url: str, clock: FixedClock) -> Domicile:
    cells = []
    for name, jur, url in (("ru-msk-1", "RU", ru_url), ("global-1", "GLOBAL", global_url)):
        cells.append(
            CellConfig(
                name=name,
                jurisdiction=jur,
                location=name,
                url=url,
                keys=FileKeys(path=Path(f"keys/{name}.json")),
                ledger=Path(f"ledger/{name}.jsonl"),
            )
        )
    settings = DomicileSettings(data_dir=data_dir)
    init_data_dir(settings, CellsFile(cells=cells))
    return open_domicile(settings, clock=clock)


def subject_count(dom: Domicile) -> int:
    """Subjects stored in every cell (erased ones included)."""
    total = 0
    for cell in dom.cells.values():
        with cell.session() as s:
            total += s.store.counts().subjects
    return total


def audit_count(dom: Domicile) -> int:
    """Audit entries in every cell."""
    total = 0
    for cell in dom.cells.values():
        with cell.session() as s:
            head = s.audit.head()
            total += head.seq if head else 0
    return total
