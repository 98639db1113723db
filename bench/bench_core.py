"""Core benchmark: vault put vs plain INSERT, blind-index lookup vs plain indexed lookup.

For each backend (SQLite file, PostgreSQL throwaway database) in the same run:

* ``put``: N subjects with 6 PD fields: the vault write path
  (``Domicile.store_planned``: AES-256-GCM envelope encryption under a fresh data
  key per subject, blind indexes on the two searchable fields, one audit entry
  per subject, inserts) vs a plain ``INSERT`` of the same plaintext rows into a
  table with the same two secondary indexes (email, phone), same batch size.
  Target ratio <= 2.0. Validation and residency resolution (``Domicile.plan``:
  phone parsing with libphonenumber, e-mail syntax) are timed apart and
  reported as ``put_full_ratio``, since the plain baseline validates nothing.
* ``lookup``: M lookups by e-mail through the keyed blind index (HMAC of the
  normalized value under every key version + indexed select) vs a plain indexed
  select on the plaintext column. Target ratio <= 1.5. The full ``find()`` call
  (which also appends an audit entry per search) is reported separately.

Usage: python bench/bench_core.py [--subjects 100000] [--lookups 2000] [--batch 5000]
       [--backends sqlite,postgresql]
Prints its figures last as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

import sqlalchemy as sa

from domicile.app import init_data_dir, open_domicile
from domicile.cells.config import CellConfig, CellsFile, FileKeys
from domicile.residency.resolver import Signals
from domicile.settings import DomicileSettings
from domicile.vault.fields import DEFAULT_FIELDS, FieldSchema

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
GIVEN = ["Анна", "Мария", "Елена", "Ольга", "Иван", "Сергей", "Алексей", "Дмитрий", "Наталья", "Павел"]
FAMILY = ["Иванова", "Петрова", "Смирнов", "Кузнецов", "Попова", "Соколов", "Лебедева", "Козлов", "Новикова"]


def people(n: int, seed: int = 1) -> list[dict[str, str]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        out.append(
            {
                "given_name": rng.choice(GIVEN),
                "family_name": rng.choice(FAMILY),
                "email": f"user{i}.{rng.randrange(10**6)}@mail.ru",
                "phone": f"+7916{i:07d}",
                "birth_date": f"{rng.randrange(1950, 2010)}-{rng.randrange(1, 13):02d}-"
                f"{rng.randrange(1, 29):02d}",
                "address": f"г. Москва, ул. Тверская, д. {rng.randrange(1, 200)}, "
                f"кв. {rng.randrange(1, 500)}",
            }
        )
    return out


def plain_table(meta: sa.MetaData) -> sa.Table:
    return sa.Table(
        "plain_users",
        meta,
        sa.Column("id", sa.String(36), primary_key=True),
        *(
            sa.Column(c, sa.String(400))
            for c in ("given_name", "family_name", "email", "phone", "birth_date", "address")
        ),
        sa.Index("ix_plain_email", "email"),
        sa.Index("ix_plain_phone", "phone"),
    )


def run_backend(
    name: str, urls: tuple[str, str, str], rows: list[dict[str, str]], lookups: int, batch: int, workdir: Path
) -> dict[str, object]:
    ru_url, gl_url, plain_url = urls
    settings = DomicileSettings(data_dir=workdir / name)
    cells = CellsFile(
        cells=[
            CellConfig(
                name="ru-msk-1",
                jurisdiction="RU",
                url=ru_url,
                keys=FileKeys(path=Path("keys/ru.json")),
                ledger=Path("ledger/ru.jsonl"),
            ),
            CellConfig(
                name="global-1",
                jurisdiction="GLOBAL",
                url=gl_url,
                keys=FileKeys(path=Path("keys/gl.json")),
                ledger=Path("ledger/gl.jsonl"),
            ),
        ]
    )
    init_data_dir(settings, cells)
    # the same two searchable fields as the baseline's two secondary indexes
    schema = FieldSchema(replace(f, searchable=f.name in ("email", "phone")) for f in DEFAULT_FIELDS)
    dom = open_domicile(settings, schema=schema)
    # baseline: plain insert of the same plaintext rows, same batches
    from domicile.cells.runtime import make_engine

    plain = make_engine(plain_url)
    meta = sa.MetaData()
    table = plain_table(meta)
    meta.create_all(plain)
    plain_rows = [{"id": uuid.uuid4().hex, **r} for r in rows]
    t0 = time.perf_counter()
    for i in range(0, len(plain_rows), batch):
        with plain.begin() as conn:
            conn.execute(table.insert(), plain_rows[i : i + batch])
    t_plain = time.perf_counter() - t0

    t_plan = t_vault = 0.0
    for i in range(0, len(rows), batch):
        t0 = time.perf_counter()
        planned = dom.plan([(r, Signals()) for r in rows[i : i + batch]])
        t1 = time.perf_counter()
        dom.store_planned(planned, actor="bench", purpose="registration")
        t_vault += time.perf_counter() - t1
        t_plan += t1 - t0

    rng = random.Random(2)
    sample = [rng.choice(rows)["email"] for _ in range(lookups)]
    t0 = time.perf_counter()
    by_email = sa.select(table.c.id).where(table.c.email == sa.bindparam("email"))
    with plain.connect() as conn:
        for email in sample:
            assert conn.execute(by_email, {"email": email}).first() is not None
    t_plain_lookup = time.perf_counter() - t0

    cell = dom.cell("ru-msk-1")
    cipher = dom.cipher("ru-msk-1")
    t0 = time.perf_counter()
    with cell.session() as s:
        for email in sample:
            assert s.store.find_subjects(cipher.query_digests("email", email))
    t_blind = time.perf_counter() - t0

    n_find = min(lookups, 500)
    t0 = time.perf_counter()
    for email in sample[:n_find]:
        assert dom.find("email", email, actor="bench", purpose="support.lookup")
    t_find = time.perf_counter() - t0
    for c in dom.cells.values():
        c.close()
    plain.dispose()
    return {
        "subjects": len(rows),
        "put_vault_s": round(t_vault, 3),
        "put_plain_s": round(t_plain, 3),
        "put_ratio": round(t_vault / t_plain, 2),
        "validate_resolve_s": round(t_plan, 3),
        "put_full_ratio": round((t_plan + t_vault) / t_plain, 2),
        "put_full_per_s": round(len(rows) / (t_plan + t_vault)),
        "lookup_blind_us": round(t_blind / lookups * 1e6, 1),
        "lookup_plain_us": round(t_plain_lookup / lookups * 1e6, 1),
        "lookup_ratio": round(t_blind / t_plain_lookup, 2),
        "find_with_audit_us": round(t_find / n_find * 1e6, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=100_000)
    ap.add_argument("--lookups", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    args = ap.parse_args()
    rows = people(args.subjects)
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="domicile-bench-") as tmp:
        work = Path(tmp)
        for backend in args.backends.split(","):
            if backend == "sqlite":
                urls = (f"sqlite:///{work}/ru.db", f"sqlite:///{work}/gl.db", f"sqlite:///{work}/plain.db")
                results["sqlite"] = run_backend("sqlite", urls, rows, args.lookups, args.batch, work)
            elif backend == "postgresql":
                admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
                names = [f"domicile_bench_{k}_{uuid.uuid4().hex[:8]}" for k in ("ru", "gl", "plain")]
                with admin.connect() as conn:
                    for n in names:
                        conn.execute(sa.text(f'CREATE DATABASE "{n}"'))
                try:
                    urls = tuple(str(sa.make_url(PG_ADMIN).set(database=n)) for n in names)
                    results["postgresql"] = run_backend(
                        "postgresql",
                        urls,
                        rows,
                        args.lookups,  # type: ignore[arg-type]
                        args.batch,
                        work,
                    )
                finally:
                    with admin.connect() as conn:
                        for n in names:
                            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)'))
                    admin.dispose()
            print(f"{backend}: {results[backend]}", file=sys.stderr)
    print(json.dumps({"bench": "core", "fields": 6, **results}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
