"""The staging worker process computes exactly what the engine would (PD-LOC-1..3).

Residency, ids, payload, validated values, leak fingerprints and blind-index rows from
:class:`~domicile.localize.prep.Preparer` equal the in-process path; a run with a worker equals a
run without; a dead worker is a clean error; a killed engine leaves no worker behind.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import localize_kit as kit
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domicile.core.errors import InputError, StoreError
from domicile.localize import prep as prep_mod
from domicile.localize.engine import localize
from domicile.localize.faults import FaultPlan
from domicile.localize.items import ItemCipher
from domicile.localize.plan import Row, RunContext, build_plan
from domicile.localize.prep import Fingerprinter, Preparer, PrepPool, PrepTable, auto_workers
from domicile.localize.residency import HomeTest
from domicile.localize.source import open_source, reflect
from domicile.vault.keys import KeyPurpose


def _context(dom: kit.Any) -> RunContext:
    cell = dom.home_cell("RU")
    kv = cell.keys.current_version()
    return RunContext(
        dom=dom,
        cell=cell,
        jurisdiction="RU",
        job="j",
        actor="t",
        faults=FaultPlan.from_env(),
        dry_run=False,
        kv=kv,
        items=ItemCipher(cell.name, cell.keys),
        cipher=dom.cipher(cell.name),
        ns=b"n" * 32,
    )


def test_preparer_equals_the_in_process_path(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'src.db'}"
    kit.make_source(url, rows=150, seed=9)
    kit.init_data(tmp_path / "data")
    dom = kit.open_dom(tmp_path / "data")
    engine = open_source(url)
    try:
        ctx = _context(dom)
        dm = kit.datamap()
        infos = reflect(engine)
        home = HomeTest.for_dom(dom, "RU")
        fp_key = ctx.cell.keys.secret(ctx.kv, KeyPurpose.BLIND_INDEX)
        plans = [
            build_plan(engine.dialect, dm, t, infos) for t in dm.localizable() if t.subject and t.subject.key
        ]
        tables = {p.name: PrepTable(p.table, p.replaced, p.subject_key or "", tuple(p.src.pk)) for p in plans}
        preparer = pickle.loads(  # what the worker gets (spawn pickles it)
            pickle.dumps(
                Preparer(ctx.ns, home, Fingerprinter(fp_key, ctx.kv), ctx.cipher.blind_index(ctx.kv), tables)
            )
        )
        local_fp = Fingerprinter(fp_key, ctx.kv)
        homes = 0
        for plan in plans:
            with engine.connect() as conn:
                raws = plan.src.read_batch(conn, None, 10_000)
            preps = preparer.batch(plan.name, raws)
            assert len(preps) == len(raws)
            for raw, got in zip(raws, preps, strict=True):
                r = Row(raw, plan.src.key_of(raw), plan, ctx)
                is_home = home.subject_row(plan, r)
                assert (got is not None) == is_home
                if got is None:
                    continue
                homes += 1
                assert (got.item_id, got.subject_id, got.ckey) == (r.item_id, r.subject_id, r.ckey)
                assert got.payload == r.payload
                assert got.signals == r.signals
                assert got.values == home.validated(plan, r)
                assert got.fingerprints == local_fp.row(plan.replaced, r.item_id, raw)
                assert got.index == ctx.cipher.index_rows(r.subject_id or "", got.values, ctx.kv)
                for f, token in got.phone_tokens.items():
                    assert token != got.values[f] and token.startswith("+")
        assert homes > 10
    finally:
        engine.dispose()
        kit.close(dom)


def test_a_run_with_a_worker_equals_a_run_without(tmp_path: Path) -> None:
    with_worker = kit.run_outcome(tmp_path / "with", 13, batch_size=8, workers=1)
    without = kit.run_outcome(tmp_path / "without", 13, batch_size=8, workers=0)
    assert with_worker == without


def test_workers_out_of_range_are_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'src.db'}"
    kit.make_source(url, rows=5)
    kit.init_data(tmp_path / "data")
    dom = kit.open_dom(tmp_path / "data")
    engine = open_source(url)
    try:
        with pytest.raises(InputError, match="workers"):
            localize(dom, engine, kit.datamap(), workers=9)
    finally:
        engine.dispose()
        kit.close(dom)


def test_auto_workers_only_for_large_tables() -> None:
    assert auto_workers(None) == 0
    assert auto_workers(prep_mod.AUTO_MIN_ROWS - 1) == 0
    assert auto_workers(prep_mod.AUTO_MIN_ROWS) == (1 if (os.cpu_count() or 1) >= 2 else 0)


def _die(table: str, rows: list[kit.Any]) -> list[kit.Any]:
    os._exit(3)


def test_a_dead_worker_is_a_clean_error_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if sys.platform != "linux":
        pytest.skip("the patched worker function reaches the worker only when it is forked")
    monkeypatch.setattr(prep_mod, "_prepare", _die)
    url = f"sqlite:///{tmp_path / 'src.db'}"
    kit.make_source(url, rows=40)
    original = kit.snapshot(url)
    kit.init_data(tmp_path / "data")
    dom = kit.open_dom(tmp_path / "data")
    engine = open_source(url)
    try:
        with pytest.raises(StoreError, match="staging worker process died"):
            localize(dom, engine, kit.datamap(), batch_size=10, workers=1)
        assert kit.cell_state(dom).counts["localized_items"] == 0
    finally:
        engine.dispose()
        kit.close(dom)
    assert kit.snapshot(url) == original


def test_a_killed_engine_leaves_no_worker_behind(tmp_path: Path) -> None:
    """kill -9 of the process that started the pool: the worker notices and exits."""
    script = textwrap.dedent(
        """
        import os, signal, sys
        from domicile.localize.prep import PrepPool, Preparer
        pool = PrepPool(Preparer(b"", None, None, None, {}))  # type: ignore[arg-type]
        pids = list(pool.executor.submit(os.getpid).result() for _ in range(1))
        print(pids[0], flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert proc.returncode == -9, proc.stderr
    worker = int(proc.stdout.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(worker):
        time.sleep(0.1)
    assert not _alive(worker)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


def test_prep_pool_error_names_no_value() -> None:
    """The worker error carries no PD: only that the worker died."""
    fut: kit.Any = __import__("concurrent.futures").futures.Future()
    from concurrent.futures.process import BrokenProcessPool

    fut.set_exception(BrokenProcessPool("boom with +79161234567"))
    with pytest.raises(StoreError) as err:
        PrepPool.result(fut)
    assert "+7916" not in str(err.value)


_digest = st.binary(min_size=16, max_size=16)


@given(
    fp_digests=st.lists(_digest, max_size=10),
    ix_digests=st.lists(_digest, max_size=6),
    odd=st.sampled_from(["none", "fp_owner", "fp_length", "ix_version", "empty_digest"]),
)
def test_row_prep_pickles_back_equal(fp_digests: list[bytes], ix_digests: list[bytes], odd: str) -> None:
    """PD-LOC-1: what the worker sends arrives unchanged, packed or (an unusual shape) as it is."""
    from domicile.cells.store import IndexRow
    from domicile.localize.items import FingerprintRow
    from domicile.localize.prep import RowPrep
    from domicile.residency.resolver import Signals

    fps = [FingerprintRow(d, "it_1", 2) for d in fp_digests]
    ix = [IndexRow(d, "sub_1", 2) for d in ix_digests]
    if odd == "fp_owner" and fps:
        fps[-1] = FingerprintRow(fps[-1].digest, "it_other", 2)
    elif odd == "fp_length" and fps:
        fps[0] = FingerprintRow(b"\x01" * 20, "it_1", 2)
    elif odd == "ix_version" and ix:
        ix[-1] = IndexRow(ix[-1].digest, "sub_1", 3)
    elif odd == "empty_digest":
        fps.append(FingerprintRow(b"", "it_1", 2))
    prep = RowPrep(
        "[1]", "it_1", "sub_1", Signals(residence="RU"), {"email": "a@b.ru"}, b"{}", fps, ix, {"phone": "+7"}
    )
    back = pickle.loads(pickle.dumps(prep))
    assert back == prep
    assert all(type(f) is FingerprintRow for f in back.fingerprints)
    assert all(type(i) is IndexRow for i in back.index)
