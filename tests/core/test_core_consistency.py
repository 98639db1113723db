"""Residency can't be bypassed, moves and rotations survive crashes and races (PD-LOC-1, PD-LOC-3, SEC-1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import phonenumbers
import pytest

from domicile.cells.runtime import SqlCell
from domicile.core.errors import InputError, StoreError, SubjectErasedError
from domicile.operations import rotate_keys, verify_audit
from domicile.residency.resolver import Signals
from domicile.service import Domicile
from domicile.tokens.service import detokenize
from domicile.vault.ledger import ErasureLedger

A = {"actor": "test", "purpose": "test.case"}


def test_a_phone_signal_never_replaces_the_subjects_own_phone(dom: Domicile) -> None:
    """A declared foreign (or garbage) phone signal cannot pull a Russian number out of RU (PD-LOC-3)."""
    for other in ("+14155550100", "garbage"):
        res = dom.put({"given_name": "Анна", "phone": "+79161234567"}, Signals(phones=(other,)), **A)
        assert res.cell == "ru-msk-1" and res.decision.rule == "strong:phone"


def test_signals_are_normalized_on_construction() -> None:
    """Library callers get the same validation as JSON callers: upper-cased ISO codes, tuples."""
    s = Signals(citizenship="ru", residence="de", ip_country=" kz ")  # type: ignore[arg-type]
    assert (s.citizenship, s.residence, s.ip_country) == (("RU",), "DE", "KZ")
    with pytest.raises(InputError):
        Signals(citizenship=("Russia",))
    with pytest.raises(InputError):
        Signals(residence=7)  # type: ignore[arg-type]


def test_declared_phone_signal_is_kept_as_evidence(dom: Domicile) -> None:
    """A phone given as a signal is stored (encrypted) so a later unrelated patch keeps the subject home."""
    from domicile.residency.rehome import update_residency

    res = dom.put({"given_name": "Lee", "phone": "+12025550123"}, **A)
    assert res.cell == "global-1"
    moved = update_residency(dom, res.subject_id, Signals(phones=("+79161234567",)), actor="test")
    assert moved.moved and moved.to_cell == "ru-msk-1"
    view = dom.patch(res.subject_id, {"given_name": "Lee Jr"}, **A)
    assert view.cell == "ru-msk-1"


def _cell_bytes(dom: Domicile, name: str) -> bytes:
    cell = dom.cell(name)
    assert isinstance(cell, SqlCell) and cell.engine.url.database
    cell.engine.dispose()
    return Path(cell.engine.url.database).read_bytes()


def test_patch_writes_new_pd_only_into_the_new_home(
    sqlite_dom: Domicile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A patch making the subject Russian never commits new PD to the old cell, even if the move fails."""
    dom = sqlite_dom
    res = dom.put({"given_name": "Ola", "phone": "+4915112345678"}, **A)
    assert res.cell == "global-1"

    def boom(self: ErasureLedger, *a: Any, **k: Any) -> Any:
        raise StoreError("disk full")

    monkeypatch.setattr(ErasureLedger, "append", boom)
    with pytest.raises(StoreError):
        dom.patch(res.subject_id, {"phone": "+79035551234"}, **A)
    monkeypatch.undo()
    assert b"79035551234" not in _cell_bytes(dom, "global-1")
    # two live copies now; the next access finishes the move and keeps the newest
    view = dom.get(res.subject_id, **A)
    assert view.cell == "ru-msk-1" and view.values["phone"] == "+79035551234"
    with dom.cell("global-1").session() as s:
        assert s.store.get_record(res.subject_id) is None
    assert b"4915112345678" not in _cell_bytes(dom, "global-1")
    dom.erase(res.subject_id, actor="test")
    for cell in dom.cells.values():
        with cell.session() as s:
            row = s.store.get_record(res.subject_id)
            assert row is None or row.wrapped_dek is None
    assert all(verify_audit(dom, c).ok for c in dom.cells)


def test_conditional_update_refuses_a_stale_row(dom: Domicile) -> None:
    """replace_record only overwrites the exact version it read; shredding always wins."""
    res = dom.put({"given_name": "X", "phone": "+79161234567"}, **A)
    cell = dom.cell(res.cell)
    cipher = dom.cipher(res.cell)
    with cell.session() as s:
        row = s.store.get_record(res.subject_id)
    assert row is not None
    dom.erase(res.subject_id, actor="test")
    with cell.session() as s:
        assert s.store.replace_record(cipher.rewrap(row, row.key_version), row) is False
    with pytest.raises(SubjectErasedError):
        dom.get(res.subject_id, **A)


def test_erase_during_rotation_is_not_undone(memory_dom: Domicile, monkeypatch: pytest.MonkeyPatch) -> None:
    """An erase that commits between the rotation's read and write stays erased (no lost update).

    Memory cells let a second writer commit inside the open batch; SQLite would serialize the two.
    """
    dom = memory_dom
    victims = [
        dom.put({"given_name": f"V{i}", "phone": f"+7916555{i:04d}"}, **A).subject_id for i in range(4)
    ]
    cipher = dom.cipher("ru-msk-1")
    original = cipher.rewrap
    erased: list[str] = []

    def rewrap_and_race(row: Any, to_version: int) -> Any:
        if not erased:
            erased.append(row.subject_id)
            dom.erase(row.subject_id, actor="racer")  # commits while the rotation batch is open
        return original(row, to_version)

    monkeypatch.setattr(cipher, "rewrap", rewrap_and_race)
    keys = dom.cell("ru-msk-1").keys
    from domicile.vault.keys import KmsKeyProvider

    assert isinstance(keys, KmsKeyProvider)
    keys.register(2, keys._client.create_key())  # type: ignore[attr-defined]
    result = rotate_keys(dom, "ru-msk-1", actor="test", add_version=False)
    assert result.rewrapped == 3
    with pytest.raises(SubjectErasedError):
        dom.get(erased[0], **A)
    assert {dom.get(v, **A).subject_id for v in victims if v != erased[0]} == set(victims) - set(erased)


def test_put_batch_failing_in_a_later_cell_leaves_nothing(sqlite_dom: Domicile) -> None:
    """A batch is all or nothing across cells: subjects already committed elsewhere are removed again."""
    dom = sqlite_dom
    cell = dom.cell("global-1")
    real = cell.session

    @contextmanager
    def broken() -> Iterator[Any]:
        raise StoreError("cell 'global-1': database error (unreachable)")
        yield  # pragma: no cover

    cell.session = broken  # type: ignore[method-assign]
    with pytest.raises(StoreError):
        dom.put_many(
            [
                ({"given_name": "Ru", "phone": "+79161230000"}, Signals()),
                ({"given_name": "Us", "phone": "+12025550123"}, Signals()),
            ],
            actor="test",
            purpose="registration",
            issue_tokens=True,
        )
    cell.session = real  # type: ignore[method-assign]
    with dom.cell("ru-msk-1").session() as s:
        assert s.store.counts().subjects == 0
    assert dom.find("phone", "+79161230000", **A) == []
    assert verify_audit(dom, "ru-msk-1").ok


@pytest.mark.parametrize("number", ["+12684601234", "+2250701234567", "+37251234567", "+85291234567"])
def test_put_accepts_every_valid_number_and_tokens_keep_format(dom: Domicile, number: str) -> None:
    """Numbering plans with a narrow range still get a valid format-preserving token (or a pointer)."""
    res = dom.put({"given_name": "N", "phone": number}, **A)
    token = res.tokens["phone"]
    if token.startswith("+"):
        orig, tok = phonenumbers.parse(number), phonenumbers.parse(token)
        assert phonenumbers.is_valid_number(tok)
        assert phonenumbers.region_code_for_number(tok) == phonenumbers.region_code_for_number(orig)
    assert detokenize(dom, token, **A).value == phonenumbers.format_number(
        phonenumbers.parse(number), phonenumbers.PhoneNumberFormat.E164
    )


def test_deterministic_tokens_stand_for_values_not_people(dom: Domicile) -> None:
    """Documented: a deterministic token survives an erase while another subject shares the value."""
    from domicile.tokens.formats import TokenKind
    from domicile.tokens.service import tokenize

    a = dom.put({"given_name": "Same", "phone": "+79161110001"}, **A)
    b = dom.put({"given_name": "Same", "phone": "+79161110002"}, **A)
    ta = tokenize(dom, a.subject_id, "given_name", TokenKind.DETERMINISTIC, "joins", **A)
    tokenize(dom, b.subject_id, "given_name", TokenKind.DETERMINISTIC, "joins", **A)
    dom.erase(a.subject_id, actor="test")
    back = detokenize(dom, ta, **A)
    assert back.value == "Same" and back.subject_id == b.subject_id
    dom.erase(b.subject_id, actor="test")
    with pytest.raises(SubjectErasedError):
        detokenize(dom, ta, **A)


def test_ledger_tolerates_a_torn_last_line(tmp_path: Path) -> None:
    """A crash mid-write leaves half a line; it is ignored and cut off by the next append (PD-DEL-2)."""
    ledger = ErasureLedger(tmp_path / "l.jsonl", "ru-msk-1")
    ledger.append("sub_" + "1" * 32, "subject-request", "t1", 1)
    with (tmp_path / "l.jsonl").open("a") as fh:
        fh.write('{"at": "2026')
    assert [e.seq for e in ledger.entries()] == [1]
    ledger.append("sub_" + "2" * 32, "subject-request", "t2", 1)
    assert [e.seq for e in ledger.entries()] == [1, 2]
