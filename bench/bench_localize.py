"""Localize throughput vs a raw copy of the same columns, in one run (issue 4).

A ``users`` table of N rows (default 1,000,000; ``--rows``) in a throwaway PostgreSQL database,
people from RU, KZ, UA, DE and US (``--ru-share`` of them Russian; default 0.2, the synthetic
mix). Measured, each on a fresh copy of the source (``CREATE DATABASE ... TEMPLATE``):

* ``localize`` with the RU cell on SQLite (temp folder) and on PostgreSQL: resolve every row,
  copy RU rows into the cell (vault record, item, fingerprints, blind index, tokens, audit),
  read back and verify, replace them in the source with tokens;
* baseline ``raw_copy``: SELECT in batches + ``executemany`` INSERT (SQLAlchemy) of the same
  columns into another PostgreSQL database, at each of ``--raw-batches`` (default 1000, 2000, 5000
  rows), the fastest taken as the baseline; and ``copy``: PostgreSQL COPY out and in.

Ratios are localize rows/s over baseline rows/s (target >= 0.25 against ``raw_copy``). ``--workers``
passes localize's staging workers (default: its own choice, one worker for a table this size on a
machine with two or more cores).
Prints one JSON line last. Needs PostgreSQL at 127.0.0.1:5432 (``DOMICILE_BENCH_PG``).

    python bench/bench_localize.py --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from domicile.app import init_data_dir, open_domicile
from domicile.cells.config import CellConfig, CellsFile, FileKeys
from domicile.localize.datamap import parse_datamap
from domicile.localize.engine import localize
from domicile.localize.source import open_source
from domicile.settings import DomicileSettings
from domicile.synthetic.people import make_people

ADMIN = os.environ.get("DOMICILE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
COLUMNS = (
    "id",
    "email",
    "phone",
    "given_name",
    "family_name",
    "birth_date",
    "country",
    "status",
    "created_at",
)
DDL = """CREATE TABLE users (
  id bigint PRIMARY KEY, email varchar(120), phone varchar(64), given_name varchar(100),
  family_name varchar(100), birth_date date, country char(2), status varchar(16), created_at timestamptz)"""
MAP = """\
format: domicile.datamap/1
tables:
  users:
    primary_key: [id]
    subject: {key: id}
    residency: {phones: [phone], residence: country}
    columns:
      id: {category: null}
      country: {category: null}
      email: {category: email, field: email}
      phone: {category: phone, field: phone}
      given_name: {category: person_name, field: given_name}
      family_name: {category: person_name, field: family_name}
      birth_date: {category: birth_date, field: birth_date, replace: 'null'}
"""


class Pg:
    """Throwaway databases on the server, dropped at the end."""

    def __init__(self) -> None:
        self.admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
        self.names: list[str] = []

    def create(self, tag: str, template: str | None = None) -> str:
        name = f"domicile_bench_{tag}_{uuid.uuid4().hex[:8]}"
        tpl = f' TEMPLATE "{template}"' if template else ""
        with self.admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"{tpl}'))
        self.names.append(name)
        return name

    def url(self, name: str) -> str:
        return str(sa.make_url(ADMIN).set(database=name).render_as_string(hide_password=False))

    def drop_all(self) -> None:
        with self.admin.connect() as c:
            for n in self.names:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)'))
        self.admin.dispose()


def fill(url: str, rows: int, ru_share: float, seed: int) -> None:
    """Write the users table with COPY: a pool of synthetic people, varied per row."""
    rng = random.Random(seed)
    pool = make_people(2000, seed=seed)
    ru = [p for p in pool if p.origin == "RU"]
    other = [p for p in pool if p.origin != "RU"]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(DDL))
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy("COPY users FROM STDIN") as cp:  # type: ignore[attr-defined]
            for i in range(1, rows + 1):
                p = rng.choice(ru) if rng.random() < ru_share else rng.choice(other)
                phone = p.phone[:-4] + f"{rng.randrange(10_000):04d}"
                local, _, domain = p.email.partition("@")
                cp.write_row(
                    (
                        i,
                        f"{local}.{i}@{domain}",
                        phone,
                        p.given_name,
                        p.family_name,
                        p.birth_date,
                        p.residence,
                        rng.choice(("active", "blocked", "pending")),
                        "2024-01-01T00:00:00+00:00",
                    )
                )
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


def raw_copy(src: str, dst: str, batch: int) -> float:
    """SELECT in batches + executemany INSERT of the same columns (SQLAlchemy)."""
    s, d = sa.create_engine(src), sa.create_engine(dst)
    with d.begin() as c:
        c.execute(sa.text(DDL))
    cols = ", ".join(COLUMNS)
    ins = sa.text(f"INSERT INTO users ({cols}) VALUES ({', '.join(':' + c for c in COLUMNS)})")
    t0 = time.perf_counter()
    last = 0
    with s.connect() as sc:
        while True:
            rows = sc.execute(
                sa.text(f"SELECT {cols} FROM users WHERE id > :a ORDER BY id LIMIT :n"),
                {"a": last, "n": batch},
            ).all()
            if not rows:
                break
            with d.begin() as dc:
                dc.execute(ins, [dict(r._mapping) for r in rows])
            last = rows[-1][0]
    elapsed = time.perf_counter() - t0
    s.dispose()
    d.dispose()
    return elapsed


def copy_copy(src: str, dst: str) -> float:
    """COPY out of the source and COPY into the destination (PostgreSQL's fastest path)."""
    s, d = sa.create_engine(src), sa.create_engine(dst)
    with d.begin() as c:
        c.execute(sa.text(DDL))
    cols = ", ".join(COLUMNS)
    t0 = time.perf_counter()
    rs, rd = s.raw_connection(), d.raw_connection()
    try:
        src_copy = rs.cursor().copy(f"COPY users ({cols}) TO STDOUT")  # type: ignore[attr-defined]
        dst_copy = rd.cursor().copy(f"COPY users ({cols}) FROM STDIN")  # type: ignore[attr-defined]
        with src_copy as out, dst_copy as inn:
            for data in out:
                inn.write(data)
        rd.commit()
    finally:
        rs.close()
        rd.close()
    elapsed = time.perf_counter() - t0
    s.dispose()
    d.dispose()
    return elapsed


def run_localize(
    src: str, data_dir: Path, cell_url: str, global_url: str, batch: int, workers: int | None = None
) -> tuple[float, int]:
    settings = DomicileSettings(data_dir=data_dir)
    cells = CellsFile(
        cells=[
            CellConfig(
                name="ru-msk-1",
                jurisdiction="RU",
                url=cell_url,
                keys=FileKeys(path=Path("keys/ru.json")),
                ledger=Path("ledger/ru.jsonl"),
            ),
            CellConfig(
                name="global-1",
                jurisdiction="GLOBAL",
                url=global_url,
                keys=FileKeys(path=Path("keys/gl.json")),
                ledger=Path("ledger/gl.jsonl"),
            ),
        ]
    )
    init_data_dir(settings, cells)
    dom = open_domicile(settings)
    engine = open_source(src)
    t0 = time.perf_counter()
    report = localize(dom, engine, parse_datamap(MAP), batch_size=batch, workers=workers)
    elapsed = time.perf_counter() - t0
    engine.dispose()
    for c in dom.cells.values():
        c.close()
    return elapsed, report.moved


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--ru-share", type=float, default=0.2)
    ap.add_argument("--batch", type=int, default=5000, help="localize --batch-size")
    ap.add_argument(
        "--raw-batches",
        default="1000,2000,5000",
        help="batch sizes of the raw copy; the fastest is the baseline (the strongest one)",
    )
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--cells", default="sqlite,postgresql", help="RU cell backends to measure")
    ap.add_argument("--workers", type=int, default=None, help="staging workers (default: localize's choice)")
    args = ap.parse_args()
    pg = Pg()
    out: dict[str, object] = {
        "bench": "localize",
        "rows": args.rows,
        "ru_share": args.ru_share,
        "batch": args.batch,
        "raw_batches": args.raw_batches,
        "workers": "auto" if args.workers is None else args.workers,
        "cpus": os.cpu_count(),
    }
    try:
        tpl = pg.create("tpl")
        t0 = time.perf_counter()
        fill(pg.url(tpl), args.rows, args.ru_share, args.seed)
        print(f"source filled in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        raw_by_batch = {
            int(b): raw_copy(pg.url(tpl), pg.url(pg.create("raw")), int(b))
            for b in args.raw_batches.split(",")
        }
        raw_s = min(raw_by_batch.values())
        out["raw_copy_s_by_batch"] = {str(b): round(v, 2) for b, v in raw_by_batch.items()}
        copy_s = copy_copy(pg.url(tpl), pg.url(pg.create("copy")))
        out.update(
            raw_copy_s=round(raw_s, 2),
            raw_copy_rows_s=round(args.rows / raw_s),
            copy_s=round(copy_s, 2),
            copy_rows_s=round(args.rows / copy_s),
        )
        print(f"raw copy {raw_s:.1f}s, COPY {copy_s:.1f}s", file=sys.stderr)
        for backend in args.cells.split(","):
            src = pg.url(pg.create("src", template=tpl))
            with tempfile.TemporaryDirectory() as tmp:
                if backend == "sqlite":
                    cell, gl = "sqlite:///cells/ru.db", "sqlite:///cells/gl.db"
                else:
                    cell, gl = pg.url(pg.create("ru")), pg.url(pg.create("gl"))
                secs, moved = run_localize(src, Path(tmp), cell, gl, args.batch, args.workers)
            rate = args.rows / secs
            out[f"localize_{backend}"] = {
                "seconds": round(secs, 2),
                "rows_s": round(rate),
                "ru_rows_moved": moved,
                "ratio_vs_raw_copy": round(rate / (args.rows / raw_s), 3),
                "ratio_vs_copy": round(rate / (args.rows / copy_s), 3),
            }
            print(f"localize ({backend} cell) {secs:.1f}s, {moved} RU rows moved", file=sys.stderr)
    finally:
        pg.drop_all()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
