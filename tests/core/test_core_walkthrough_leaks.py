"""Walk-through, then a raw-byte scan: no Russian subject's PD outside the RU cell (PD-LOC-1, PD-LOC-2)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from rich.console import Console

from domicile.demo.walkthrough import ORIGINS, render, run_walkthrough
from domicile.settings import DomicileSettings
from domicile.synthetic.people import make_people

PER_ORIGIN = 4
SEED = 11


def _needles(value: str) -> list[bytes]:
    """Byte forms a value could take in a file: UTF-8, UTF-16, and digits-only for numbers."""
    forms = {value, value.lower()}
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) >= 7:
        forms.add(digits)
    out: list[bytes] = []
    for f in forms:
        out += [f.encode("utf-8"), f.encode("utf-16-le")]
    return out


def test_walkthrough_leaves_no_russian_pd_outside_the_ru_cell(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """No RU plaintext in any non-RU file, audit log or log output; the RU cell holds it only encrypted."""
    caplog.set_level(logging.DEBUG)
    data = tmp_path / "data"
    report = run_walkthrough(DomicileSettings(data_dir=data), per_origin=PER_ORIGIN, seed=SEED)
    console = Console(record=True, width=200)
    render(report, console)
    people = make_people(PER_ORIGIN * len(ORIGINS), origins=ORIGINS, seed=SEED)
    ru_people = [p for p in people if p.origin == "RU"]
    placements = {pl.subject_id: pl for pl in report.placements}
    assert sorted(pl.cell for pl in placements.values() if pl.origin == "RU") == ["ru-msk-1"] * PER_ORIGIN
    assert all(pl.cell == "global-1" for pl in placements.values() if pl.origin in ("KZ", "DE", "US"))
    assert report.erased_unreadable and all(a["ok"] for a in report.audit.values())

    ru_values = [v for p in ru_people for v in p.pd_fields().values()]
    assert len(ru_values) >= PER_ORIGIN * 8
    files = [p for p in data.rglob("*") if p.is_file()]
    ru_cell = data / "cells" / "ru-msk-1.db"
    assert ru_cell in files and (data / "cells" / "global-1.db") in files
    assert (data / "global-app" / "app.db") in files

    outputs = {"log": caplog.text.encode(), "console": console.export_text().encode()}
    blobs = {str(f.relative_to(data)): f.read_bytes() for f in files}
    # the RU cell itself: PD only encrypted (no plaintext form of any RU value)
    # every other file, the logs and the console output: no RU value at all
    leaks = [
        (where, value)
        for where, blob in {**blobs, **outputs}.items()
        for value in ru_values
        if any(n in blob for n in _needles(value))
    ]
    assert leaks == []

    # the scan can fail: a planted copy of one value in the global app database is found by the same check
    planted = data / "global-app" / "app.db"
    planted.write_bytes(planted.read_bytes() + ru_people[0].phone.encode())
    blob = planted.read_bytes()
    assert [v for v in ru_values if any(n in blob for n in _needles(v))] == [ru_people[0].phone]


def test_global_app_database_holds_only_tokens(tmp_path: Path) -> None:
    """The app's own user table holds subject ids and tokens, and every RU token names the RU cell."""
    import sqlalchemy as sa

    data = tmp_path / "data"
    report = run_walkthrough(DomicileSettings(data_dir=data), per_origin=2, seed=3)
    engine = sa.create_engine(f"sqlite:///{data / 'global-app' / 'app.db'}")
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.text("select * from app_users"))]
    engine.dispose()
    assert len(rows) == len(report.placements)
    ru_ids = {p.subject_id for p in report.placements if p.origin == "RU"}
    for row in rows:
        if row["subject_id"] in ru_ids:
            assert row["given_name_token"].startswith("tok:r:ru-msk-1:")
            assert "@ru-msk-1." in row["email_token"]
