"""Batches applied in a database thread while the next is staged (PD-LOC-1..3).

The pipeline must change nothing but speed: steps in batch order, one at a time, errors
surfacing and stopping the run, per-batch counters merged exactly once, phone tokens unique even
when a batch is drawn before the previous one committed, and the same cell and source as a
run without the thread.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import localize_kit as kit
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from domicile.cells.schema import tokens
from domicile.localize import tokens as tokens_mod
from domicile.localize.checkpoint import TableProgress
from domicile.localize.engine import localize
from domicile.localize.pipeline import Applier, per_thread
from domicile.localize.source import open_source
from domicile.localize.values import fold


def test_applier_runs_steps_in_order_one_at_a_time_in_another_thread() -> None:
    log: list[tuple[int, str]] = []
    running = threading.Semaphore(1)
    caller = threading.get_ident()

    def step(i: int) -> None:
        assert running.acquire(blocking=False), "two steps ran at once"
        try:
            time.sleep(0.002)
            log.append((i, "other" if threading.get_ident() != caller else "caller"))
        finally:
            running.release()

    with Applier(True) as applier:
        for i in range(20):
            applier.submit(lambda i=i: step(i))
    assert [i for i, _ in log] == list(range(20))
    assert {where for _, where in log} == {"other"}


def test_applier_without_pipeline_runs_each_step_at_once() -> None:
    log: list[int] = []
    caller = threading.get_ident()
    with Applier(False) as applier:
        applier.submit(lambda: log.append(threading.get_ident()))
        assert log == [caller]


def test_applier_error_surfaces_at_the_next_submit_and_stops_later_steps() -> None:
    ran: list[int] = []

    def boom() -> None:
        raise RuntimeError("step 1 failed")

    with pytest.raises(RuntimeError, match="step 1 failed"), Applier(True) as applier:
        applier.submit(lambda: ran.append(0))
        applier.submit(boom)
        applier.submit(lambda: ran.append(2))  # waits for boom: raises before submitting
        applier.submit(lambda: ran.append(3))
    assert ran == [0]


def test_applier_error_of_the_last_step_surfaces_on_leaving() -> None:
    def boom() -> None:
        raise ValueError("last step failed")

    with pytest.raises(ValueError, match="last step failed"), Applier(True) as applier:
        applier.submit(boom)


def test_per_thread_engines(tmp_path: Path) -> None:
    file_engine = sa.create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    memory_engine = sa.create_engine("sqlite://")
    try:
        assert per_thread(file_engine)
        assert not per_thread(memory_engine)  # one connection per thread = one database per thread
        assert not per_thread(None)  # a memory cell has no engine
    finally:
        file_engine.dispose()
        memory_engine.dispose()


_BATCH = st.fixed_dictionaries(
    {
        "seen": st.integers(0, 50),
        "moved": st.integers(0, 50),
        "skipped_non_ru": st.integers(0, 50),
        "erased": st.integers(0, 5),
        "digests": st.lists(st.binary(min_size=32, max_size=32), max_size=4),
        "superseded": st.lists(st.binary(min_size=32, max_size=32), max_size=2),
        "tokenized": st.integers(0, 9),
    }
)


def _count(tp: TableProgress, b: dict[str, object]) -> None:
    for name in ("seen", "moved", "skipped_non_ru", "erased"):
        setattr(tp, name, getattr(tp, name) + b[name])  # type: ignore[operator]
    for d in b["digests"]:  # type: ignore[attr-defined]
        tp.add_checksums(d, d[::-1])
    for d in b["superseded"]:  # type: ignore[attr-defined]
        tp.supersede(d)
    tp.column("email").tokenized += b["tokenized"]  # type: ignore[operator]


@settings(max_examples=60, deadline=None)
@given(st.lists(_BATCH, max_size=8))
def test_merging_batch_counters_equals_counting_in_place(batches: list[dict[str, object]]) -> None:
    direct, merged = TableProgress(), TableProgress()
    for b in batches:
        _count(direct, b)
        one = TableProgress()
        _count(one, b)
        merged.merge(one)
    if batches:
        direct.column("email")
        merged.column("email")
    assert merged == direct
    expected = 0
    for b in batches:
        for d in b["digests"]:  # type: ignore[attr-defined]
            expected = fold(expected, d)
    assert int(merged.source_checksum, 16) == expected


def test_pipelined_run_equals_a_run_without_the_thread(tmp_path: Path) -> None:
    """Same source afterwards, same cell contents (counts) and the same report counters."""
    on = kit.run_outcome(tmp_path / "on", 11, batch_size=7, pipeline=True)
    off = kit.run_outcome(tmp_path / "off", 11, batch_size=7, pipeline=False)
    assert on == off


def test_phone_tokens_stay_unique_when_a_batch_is_drawn_before_the_last_one_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every first draw offers the same phone token: only one subject may keep it."""
    real = tokens_mod.quick_phone_token
    asked: set[str] = set()
    offered: list[str] = []

    def same_first(e164: str, tries: int = 8) -> str | None:
        if e164 in asked or not e164.startswith("+79"):  # RU mobiles
            return real(e164, tries)
        asked.add(e164)
        offered.append("+79160000001")  # a valid mobile number, offered to everyone first
        return offered[-1]

    monkeypatch.setattr(tokens_mod, "quick_phone_token", same_first)
    url = f"sqlite:///{tmp_path / 'src.db'}"
    kit.make_source(url, rows=120, seed=5)
    kit.init_data(tmp_path / "data")
    dom = kit.open_dom(tmp_path / "data")
    engine = open_source(url)
    try:
        localize(dom, engine, kit.datamap(), batch_size=4)
        cell = dom.cells["ru-msk-1"]
        with cell.engine.connect() as c:  # type: ignore[attr-defined]
            rows = c.execute(sa.select(tokens.c.token).where(tokens.c.field == "phone")).all()
    finally:
        engine.dispose()
        kit.close(dom)
    phones = [r[0] for r in rows]
    assert len(offered) > 2 and len(phones) > 10  # several subjects across batches were offered it
    assert len(phones) == len(set(phones))
    assert phones.count("+79160000001") == 1
