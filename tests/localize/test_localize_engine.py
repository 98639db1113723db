"""``localize``: RU rows move to the RU cell verified, the rest stays byte for byte (PD-LOC-1..3)."""

from __future__ import annotations

from pathlib import Path

import localize_kit as kit
import pytest
import sqlalchemy as sa

from domicile.cells.schema import localized_index, localized_items
from domicile.core.errors import IntegrityError
from domicile.localize.engine import localize
from domicile.localize.items import ItemCipher
from domicile.localize.leakscan import leakscan
from domicile.localize.source import open_source
from domicile.localize.values import parse_payload


def _setup(tmp_path: Path, url: str) -> tuple[kit.Snapshot, kit.Domicile]:
    kit.make_source(url)
    original = kit.snapshot(url)
    kit.init_data(tmp_path / "data")
    return original, kit.open_dom(tmp_path / "data")


def test_localize_moves_ru_rows_and_rerun_changes_nothing(db_url: str, tmp_path: Path) -> None:
    """SQLite and PostgreSQL sources: RU rows copied and replaced, others untouched; re-run writes nothing."""
    original, dom = _setup(tmp_path, db_url)
    dm = kit.datamap()
    engine = open_source(db_url)
    try:
        report = localize(dom, engine, dm, batch_size=7)
        ru = kit.check_converged(dom, db_url, original, dm)
        for name, t in report.tables.items():
            assert (t.moved, t.skipped_non_ru) == (len(ru[name]), len(original[name]) - len(ru[name]))
            assert t.source_checksum == t.cell_checksum == report.cell_items_checksum[name]
        assert report.state == "finished" and report.moved == sum(len(v) for v in ru.values()) > 0
        before, snap = kit.cell_state(dom), kit.snapshot(db_url)
        again = localize(dom, engine, dm, batch_size=7)
        assert kit.cell_state(dom) == before and kit.snapshot(db_url) == snap
        assert again.moved == 0
        assert {n: t.already_done for n, t in again.tables.items()} == {n: len(v) for n, v in ru.items()}
        found = leakscan(dom, db_url, dm=dm)
        assert found.clean, [(f.table, f.column, f.row, f.kind) for f in found.findings]
    finally:
        engine.dispose()
        kit.close(dom)


def test_tokens_detokenize_to_the_original_values(tmp_path: Path) -> None:
    """Directory tokens written into the source resolve, through the vault, to the moved values."""
    from domicile.tokens.service import detokenize

    url = f"sqlite:///{tmp_path / 'src.db'}"
    original, dom = _setup(tmp_path, url)
    engine = open_source(url)
    try:
        localize(dom, engine, kit.datamap(), batch_size=50)
        after = kit.snapshot(url)
        cols = kit.columns_of(url, "users")
        ru = kit.expected_ru(original, url)["users"]
        key = sorted(ru)[0]
        for col in ("email", "given_name", "passport"):
            token = after["users"][key][cols.index(col)]
            got = detokenize(dom, token, actor="test", purpose="support.ticket")
            assert got.value == original["users"][key][cols.index(col)]
    finally:
        engine.dispose()
        kit.close(dom)


def test_dry_run_reports_and_writes_nothing(tmp_path: Path) -> None:
    """--dry-run counts what would move; source rows and every cell table stay as they were."""
    url = f"sqlite:///{tmp_path / 'src.db'}"
    original, dom = _setup(tmp_path, url)
    before = kit.cell_state(dom)
    engine = open_source(url)
    try:
        report = localize(dom, engine, kit.datamap(), batch_size=9, dry_run=True)
    finally:
        engine.dispose()
    ru = kit.expected_ru(original, url)
    assert {n: t.moved for n, t in report.tables.items()} == {n: len(v) for n, v in ru.items()}
    assert report.state == "dry-run"
    assert kit.snapshot(url) == original and kit.cell_state(dom) == before
    kit.close(dom)


def test_erase_shreds_localized_items(tmp_path: Path) -> None:
    """Erasing a localized subject shreds its items in every table and drops their fingerprints."""
    url = f"sqlite:///{tmp_path / 'src.db'}"
    _original, dom = _setup(tmp_path, url)
    engine = open_source(url)
    try:
        localize(dom, engine, kit.datamap(), batch_size=20)
    finally:
        engine.dispose()
    cell = dom.home_cell("RU")
    user_items = [i for i in kit.live_items(dom) if i.source_table == "users"]
    sid = user_items[0].subject_id
    assert sid is not None
    mine = [i.item_id for i in kit.live_items(dom) if i.subject_id == sid]
    assert len(mine) == 4  # users, orders, support_tickets, payments
    dom.erase(sid, actor="test")
    with cell.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(sa.select(localized_items).where(localized_items.c.item_id.in_(mine))).all()
        fps = conn.execute(sa.select(localized_index).where(localized_index.c.item_id.in_(mine))).all()
    assert fps == [] and all(
        r.wrapped_dek is None and r.ciphertext is None and r.digest is None for r in rows
    )
    assert {i.item_id for i in kit.live_items(dom)}.isdisjoint(mine)
    kit.close(dom)


def test_row_changed_after_localization_is_localized_again(tmp_path: Path) -> None:
    """An app writes new PD into a localized row: the next run copies it again and replaces it."""
    url = f"sqlite:///{tmp_path / 'src.db'}"
    original, dom = _setup(tmp_path, url)
    dm = kit.datamap()
    engine = open_source(url)
    try:
        localize(dom, engine, dm, batch_size=25)
        ru = sorted(kit.expected_ru(original, url)["users"])
        uid = int(ru[0].strip("[]"))
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE users SET email = 'new.address@example.ru' WHERE id = :i"), {"i": uid}
            )
        report = localize(dom, engine, dm, batch_size=25)
        assert report.tables["users"].relocalized == 1
        with engine.connect() as conn:
            email = conn.execute(sa.text("SELECT email FROM users WHERE id = :i"), {"i": uid}).scalar()
        assert email != "new.address@example.ru"
        cell = dom.home_cell("RU")
        cipher = ItemCipher(cell.name, cell.keys)
        item = next(
            i
            for i in kit.live_items(dom)
            if i.source_table == "users" and parse_payload(cipher.open(i))[1] == (uid,)
        )
        assert parse_payload(cipher.open(item))[2]["email"] == "new.address@example.ru"
        assert dom.get(item.subject_id or "", ["email"], actor="t", purpose="support.ticket").values == {
            "email": "new.address@example.ru"
        }
    finally:
        engine.dispose()
        kit.close(dom)


def test_tampered_copy_stops_before_the_source_is_touched(tmp_path: Path) -> None:
    """A copy that does not read back equal is an IntegrityError; that batch's source rows stay."""
    url = f"sqlite:///{tmp_path / 'src.db'}"
    original, dom = _setup(tmp_path, url)
    real = ItemCipher.open

    def flip(self: ItemCipher, row: kit.ItemRow) -> bytes:
        return real(self, row).replace(b'"v":', b'"v":{"x":1},"w":', 1)

    engine = open_source(url)
    try:
        ItemCipher.open = flip  # type: ignore[method-assign]
        with pytest.raises(IntegrityError, match="differs from its source row"):
            localize(dom, engine, kit.datamap(), batch_size=60)
    finally:
        ItemCipher.open = real  # type: ignore[method-assign]
        engine.dispose()
    assert kit.snapshot(url) == original
    assert kit.cell_state(dom).counts["localized_items"] > 0  # copied, but never trusted
    kit.close(dom)


@pytest.mark.postgres
def test_postgres_cells(pg_databases: kit.Any, tmp_path: Path) -> None:
    """The RU cell on PostgreSQL: same convergence, and a re-run changes nothing."""
    url = f"sqlite:///{tmp_path / 'src.db'}"
    kit.make_source(url)
    original = kit.snapshot(url)
    kit.init_data(tmp_path / "data", kit.cells_file(pg_databases.create("ru"), pg_databases.create("gl")))
    dom = kit.open_dom(tmp_path / "data")
    dm = kit.datamap()
    engine = open_source(url)
    try:
        localize(dom, engine, dm, batch_size=11)
        kit.check_converged(dom, url, original, dm)
        before = kit.cell_state(dom)
        localize(dom, engine, dm, batch_size=11)
        assert kit.cell_state(dom) == before
    finally:
        engine.dispose()
        kit.close(dom)


@pytest.mark.postgres
def test_postgres_cell_statistics_keep_lookups_on_indexes(
    pg_databases: kit.Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PostgreSQL cell is ANALYZEd as localize grows it (geometrically) and at the end.

    Without statistics (autovacuum off or behind) the planner answers the token-clash and
    leakscan ``IN (...)`` look-ups with whole-table scans; with them, with index scans.
    """
    import domicile.localize.engine as engine_mod
    from domicile.localize.items import SqlLocalizedItemStore

    calls: list[int] = []
    real = SqlLocalizedItemStore.refresh_statistics

    def counted(self: SqlLocalizedItemStore) -> None:
        calls.append(1)
        real(self)

    monkeypatch.setattr(SqlLocalizedItemStore, "refresh_statistics", counted)
    monkeypatch.setattr(engine_mod, "STATS_MIN_ROWS", 3)
    url = f"sqlite:///{tmp_path / 'src.db'}"
    kit.make_source(url, rows=120)
    ru_url = pg_databases.create("ru")
    kit.init_data(tmp_path / "data", kit.cells_file(ru_url, pg_databases.create("gl")))
    dom = kit.open_dom(tmp_path / "data")
    engine = open_source(url)
    try:
        report = localize(dom, engine, kit.datamap(), batch_size=5)
    finally:
        engine.dispose()
        kit.close(dom)
    writing_batches = sum(t.moved for t in report.tables.values())  # an upper bound on batches that wrote
    assert 2 <= len(calls) < writing_batches  # refreshed as the cell grew, not after every batch
    cell = sa.create_engine(ru_url)
    try:
        with cell.connect() as c:
            tuples = dict(
                c.execute(
                    sa.text(
                        "SELECT relname, reltuples FROM pg_class WHERE relname IN "
                        "('tokens', 'localized_index', 'localized_items', 'blind_index', 'vault_records')"
                    )
                ).all()
            )
            grown = {"tokens", "localized_index", "localized_items", "blind_index", "vault_records"}
            assert set(tuples) == grown
            assert all(n > 0 for n in tuples.values()), tuples  # -1: never analyzed
            plan = "\n".join(
                r[0]
                for r in c.execute(
                    sa.text(
                        "EXPLAIN SELECT token FROM tokens WHERE token IN ('+79160000001', '+79160000002')"
                    )
                )
            )
            assert "rows=2 " in plan, plan  # tokens known unique: one row per probe (guessed: 0.5 % each)
    finally:
        cell.dispose()


def test_memory_cells_use_the_in_memory_item_store(tmp_path: Path) -> None:
    """The shipped memory cells work too: items land in the memory fake, erase shreds them."""
    from domicile.jurisdictions.registry import default_registry
    from domicile.localize.items import item_store
    from domicile.service import Domicile
    from domicile.testing import MemoryCell, fake_kms_provider

    url = f"sqlite:///{tmp_path / 'src.db'}"
    kit.make_source(url)
    original = kit.snapshot(url)
    cells = [
        MemoryCell("ru-msk-1", "RU", fake_kms_provider("ru-msk-1"), tmp_path / "l1"),
        MemoryCell("global-1", "GLOBAL", fake_kms_provider("global-1"), tmp_path / "l2"),
    ]
    dom = Domicile(cells, default_registry())
    engine = open_source(url)
    try:
        report = localize(dom, engine, kit.datamap(), batch_size=13)
        again = localize(dom, engine, kit.datamap(), batch_size=13)
    finally:
        engine.dispose()
    ru = kit.expected_ru(original, url)
    assert {n: t.moved for n, t in report.tables.items()} == {n: len(v) for n, v in ru.items()}
    assert again.moved == 0 and report.items_in_cell == {n: len(v) for n, v in ru.items()}
    store = cells[0].store
    sid = next(iter(store.records))
    dom.erase(sid, actor="test")
    with cells[0].session() as s:
        items = item_store(s).items.values()  # type: ignore[attr-defined]
        assert all(i.wrapped_dek is None for i in items if i.subject_id == sid)
        assert sum(1 for i in items if i.subject_id == sid) >= 1


def test_same_relative_sqlite_url_in_two_folders_is_two_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sqlite:///src.db`` in two folders names two databases: two jobs, each fully localized."""
    kit.init_data(tmp_path / "data")
    dom = kit.open_dom(tmp_path / "data")
    dm = kit.datamap()
    reports = []
    try:
        for i, seed in enumerate((3, 5)):
            folder = tmp_path / f"app{i}"
            folder.mkdir()
            monkeypatch.chdir(folder)
            kit.make_source("sqlite:///src.db", seed=seed)
            original = kit.snapshot("sqlite:///src.db")
            engine = open_source("sqlite:///src.db")
            try:
                reports.append(localize(dom, engine, dm, batch_size=7))
            finally:
                engine.dispose()
            ru = kit.expected_ru(original, "sqlite:///src.db")
            assert reports[-1].moved == sum(len(v) for v in ru.values()) > 0
            assert all(t.already_done == 0 for t in reports[-1].tables.values())
        assert reports[0].job != reports[1].job
    finally:
        kit.close(dom)


def test_a_second_job_over_a_localized_source_moves_no_tokens(db_url: str, tmp_path: Path) -> None:
    """Another job over the same database (e.g. reached as localhost instead of 127.0.0.1) finds
    this cell's tokens where the PD was, and moves nothing: no second subject per person."""
    original, dom = _setup(tmp_path, db_url)
    dm = kit.datamap()
    engine = open_source(db_url)
    try:
        first = localize(dom, engine, dm, batch_size=7)
        ru = kit.check_converged(dom, db_url, original, dm)
        before, snap = kit.cell_state(dom), kit.snapshot(db_url)
        other = localize(dom, engine, dm, batch_size=7, job="other-spelling")
        assert other.job != first.job and other.moved == 0
        assert kit.snapshot(db_url) == snap
        after = kit.cell_state(dom).counts
        for table in ("vault_records", "localized_items", "localized_index", "tokens", "blind_index"):
            assert after[table] == before.counts[table], table
        ru_with_tokens = {n: t.tokenized_elsewhere for n, t in other.tables.items()}
        assert ru_with_tokens["users"] == len(ru["users"]) > 0
        kit.check_converged(dom, db_url, original, dm)  # still one copy per RU row
    finally:
        engine.dispose()
        kit.close(dom)
