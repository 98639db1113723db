"""The example sign-up/profile service: its database never holds a Russian user's PD (PD-LOC-1, PD-LOC-5)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from shortvideo_signup.app import PROFILE_FIELDS, create_signup_app

from domicile.app import init_data_dir
from domicile.client import DomicileClient
from domicile.client.testing import AppTransport
from domicile.gateway.app import create_app
from domicile.gateway.authz import Role
from domicile.settings import DomicileSettings
from domicile.synthetic.people import Origin, SyntheticPerson, make_people

ORIGINS: tuple[Origin, ...] = ("RU", "KZ", "DE", "US")


@dataclass
class World:
    gateway_app: Any
    app: httpx.Client
    app_db: Path
    data_dir: Path
    people: list[SyntheticPerson]
    users: dict[str, str]  # email -> user id
    closers: list[Any]


def _needles(value: str) -> list[bytes]:
    """Forms a value could take in a file: UTF-8, UTF-16, digits only for numbers."""
    forms = {value, value.lower()}
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) >= 7:
        forms.add(digits)
    return [f.encode(enc) for f in forms for enc in ("utf-8", "utf-16-le")]


def _profile(person: SyntheticPerson) -> dict[str, str]:
    return {k: v for k, v in person.pd_fields().items() if k in PROFILE_FIELDS}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised embedded default (SQLite cells, key files), copied by each test."""
    data = tmp_path_factory.mktemp("template") / "domicile-data"
    init_data_dir(DomicileSettings(data_dir=data))
    return data


@pytest.fixture(scope="module")
def people() -> list[SyntheticPerson]:
    return make_people(len(ORIGINS) + 1, origins=ORIGINS, seed=5)  # two Russians, one of each other


@pytest.fixture
def world(tmp_path: Path, template: Path, people: list[SyntheticPerson]) -> Iterator[World]:
    """The gateway on the embedded default, the app located in Germany, five sign-ups."""
    data = tmp_path / "domicile-data"
    shutil.copytree(template, data)
    settings = DomicileSettings(data_dir=data)
    gateway_app = create_app(settings)
    runtime = gateway_app.state.runtime
    app_key = runtime.gateway.keys.create("shortvideo-signup", Role.APP, "DE").api_key
    gw = DomicileClient("http://gateway", app_key, transport=AppTransport(gateway_app))
    app_db = tmp_path / "app" / "app.db"
    app_db.parent.mkdir()
    service = create_signup_app(gw, f"sqlite:///{app_db}")
    service_transport = AppTransport(service)
    client = httpx.Client(transport=service_transport, base_url="http://app")
    users = {}
    for i, p in enumerate(people):
        body = {**_profile(p), "citizenship": p.citizenship, "residence": p.residence}
        response = client.post("/signup", json=body, headers={"Idempotency-Key": f"signup-{i}"})
        assert response.status_code == 201, response.text
        users[p.email] = response.json()["user_id"]
    w = World(gateway_app, client, app_db, data, people, users, [])
    yield w
    client.close()
    service_transport.close()
    gw.close()
    service.state.engine.dispose()
    runtime.close()


def _leaks(path: Path, people: list[SyntheticPerson]) -> list[tuple[str, str]]:
    blob = path.read_bytes()
    return [
        (p.origin, v) for p in people for v in _profile(p).values() if any(n in blob for n in _needles(v))
    ]


def test_app_database_holds_tokens_only(world: World) -> None:
    """No PD of any user - Russian or not - in the app's database file; RU users live in the RU cell."""
    assert _leaks(world.app_db, world.people) == []
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{world.app_db}")
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.text("select * from users"))]
    engine.dispose()
    assert len(rows) == len(world.people)
    cells = {row["home_cell"] for row in rows}
    assert cells == {"ru-msk-1", "global-1"}
    ru_rows = [r for r in rows if r["home_cell"] == "ru-msk-1"]
    assert len(ru_rows) == 2 and all(
        r["email_token"].endswith("@ru-msk-1.tokens.domicile.example") for r in ru_rows
    )
    # the scan can fail: a planted value is found
    planted = world.app_db.read_bytes() + world.people[0].phone.encode()
    assert any(n in planted for n in _needles(world.people[0].phone))


def test_gateway_database_holds_no_pd_either(world: World) -> None:
    """No file of the data folder (gateway database included) holds RU PD in plaintext: cells encrypt it."""
    ru = [p for p in world.people if p.origin == "RU"]
    for f in sorted(world.data_dir.rglob("*")):
        if f.is_file():
            assert _leaks(f, ru) == [], f


def test_profile_of_a_russian_user_needs_the_transfer_rules(world: World) -> None:
    """From Germany: 451 naming ru.xb.notice until the DPO records a notice; then values, ledgered."""
    ru = next(p for p in world.people if p.origin == "RU")
    us = next(p for p in world.people if p.origin == "US")
    assert world.app.get(f"/users/{world.users[us.email]}/profile").json() == _profile(us)
    refused = world.app.get(f"/users/{world.users[ru.email]}/profile")
    assert refused.status_code == 451 and "ru.xb.notice" in refused.json()["detail"]
    records = world.gateway_app.state.runtime.gateway.records
    records.record_notice(
        jurisdiction="RU",
        destination="DE",
        reference="RKN-2026-17",
        filed_at=datetime.now(UTC) - timedelta(days=1),
        recipient="ShortVideo GmbH",
        assessed_on=(datetime.now(UTC) - timedelta(days=5)).date().isoformat(),
        actor="dpo",
    )
    shown = world.app.get(f"/users/{world.users[ru.email]}/profile")
    assert shown.status_code == 200 and shown.json() == _profile(ru)
    (entry,) = records.ledger()
    assert (
        entry.destination == "DE"
        and entry.purpose == "profile.view"
        and entry.principal == "shortvideo-signup"
    )
    assert _leaks(world.app_db, world.people) == []  # shown, never stored


def test_edit_rehomes_and_delete_erases(world: World) -> None:
    """A Kazakh user's new Russian number re-homes them to the RU cell (tokens swapped); delete erases."""
    kz = next(p for p in world.people if p.origin == "KZ")
    user_id = world.users[kz.email]
    assert world.app.get("/users/lookup", params={"email": kz.email}).json() == {"user_id": user_id}
    assert world.app.get(f"/users/{user_id}/profile").status_code == 200  # GLOBAL: no transfer rules
    edited = world.app.patch(f"/users/{user_id}/profile", json={"fields": {"phone": "+79161112233"}})
    assert edited.json() == {"user_id": user_id, "home_cell": "ru-msk-1", "moved": True}
    refused = world.app.get(f"/users/{user_id}/profile")  # now a Russian subject: a transfer from DE
    assert refused.status_code == 451 and "ru.xb.notice" in refused.json()["detail"]
    assert world.app.delete(f"/users/{user_id}").status_code == 200
    assert world.app.get(f"/users/{user_id}/profile").status_code == 404
    assert world.app.get("/users/lookup", params={"email": kz.email}).status_code == 404
    assert _leaks(world.app_db, world.people) == []
    assert _leaks(world.app_db, [kz]) == [] and b"+79161112233" not in world.app_db.read_bytes()
