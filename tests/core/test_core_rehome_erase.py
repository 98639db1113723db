"""Re-homing between cells, erasure with ledger replay after a backup restore, key rotation."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from domicile.cells.runtime import SqlCell
from domicile.cells.schema import blind_index, tokens, vault_records
from domicile.core.errors import DecryptionError, InvalidTokenError, SubjectErasedError
from domicile.operations import RotateResult, rotate_keys, verify_audit
from domicile.residency.rehome import update_residency
from domicile.residency.resolver import Signals
from domicile.service import Domicile
from domicile.tokens.service import detokenize
from domicile.vault.keys import KmsKeyProvider

A = {"actor": "test", "purpose": "test.case"}
RU_PERSON = {
    "given_name": "Мария",
    "family_name": "Соколова",
    "email": "m.sokolova@mail.ru",
    "phone": "+4915112345678",  # a German number: citizenship decides
    "passport": "4510 123456",
}


def _rows_of(dom: Domicile, cell: str, subject_id: str) -> dict[str, int]:
    with dom.cell(cell).session() as s:
        store = s.store
        rec = store.get_record(subject_id)
        return {
            "records": 0 if rec is None else 1,
            "index": len([1 for d in _all_digests(dom, cell, store, subject_id)]),
            "tokens": len(store.tokens_of(subject_id)),
        }


def _all_digests(dom: Domicile, cell: str, store: object, subject_id: str) -> list[bytes]:
    from domicile.testing import MemoryCellStore

    if isinstance(store, MemoryCellStore):
        return [d for (d, sid) in store.index if sid == subject_id]
    conn = store.conn  # type: ignore[attr-defined]
    return [
        r[0]
        for r in conn.execute(sa.select(blind_index.c.digest).where(blind_index.c.subject_id == subject_id))
    ]


def test_rehome_ru_global_ru_leaves_nothing_behind(dom: Domicile) -> None:
    """RU -> GLOBAL -> RU: each move leaves no row in the source cell; tokens follow (PD-LOC-1, PD-LOC-3)."""
    res = dom.put(RU_PERSON, Signals(citizenship=("RU",)), **A)
    assert res.cell == "ru-msk-1"
    sid = res.subject_id
    old_tokens = dict(res.tokens)

    out = update_residency(dom, sid, Signals(citizenship=("DE",), residence="DE"), actor="test")
    # stored signals merge: the old RU citizenship is replaced by the newly declared one
    assert out.moved and (out.from_cell, out.to_cell) == ("ru-msk-1", "global-1")
    assert _rows_of(dom, "ru-msk-1", sid) == {"records": 0, "index": 0, "tokens": 0}
    assert _rows_of(dom, "global-1", sid)["records"] == 1
    assert set(out.token_map) == set(old_tokens.values())
    for old in old_tokens.values():
        if not old.startswith("+"):  # structured and e-mail tokens name the old cell: now dead
            with pytest.raises(InvalidTokenError):
                detokenize(dom, old, **A)
    for new in out.token_map.values():
        assert detokenize(dom, new, **A).cell == "global-1"
    assert dom.get(sid, **A).values["family_name"] == "Соколова"

    back = update_residency(dom, sid, Signals(citizenship=("RU",)), actor="test")
    assert back.moved and back.to_cell == "ru-msk-1"
    assert _rows_of(dom, "global-1", sid) == {"records": 0, "index": 0, "tokens": 0}
    assert dom.get(sid, **A).cell == "ru-msk-1"
    assert [h.cell for h in dom.find("email", RU_PERSON["email"], **A)] == ["ru-msk-1"]
    # replaying the ledgers does not purge the subject that came back home
    dom.replay_erasures(actor="test")
    assert dom.get(sid, **A).values["passport"] == "4510 123456"
    for cell in dom.cells:
        assert verify_audit(dom, cell).ok


def test_patch_with_a_russian_phone_moves_subject_home(dom: Domicile) -> None:
    """Changing the phone to a Russian number re-homes a GLOBAL subject into RU (PD-LOC-1)."""
    res = dom.put({"given_name": "Alex", "phone": "+12025550123"}, **A)
    assert res.cell == "global-1"
    view = dom.patch(res.subject_id, {"phone": "+79161234567"}, **A)
    assert view.cell == "ru-msk-1"
    assert _rows_of(dom, "global-1", res.subject_id)["records"] == 0


def _sql_cell_file(dom: Domicile, name: str) -> Path:
    cell = dom.cell(name)
    assert isinstance(cell, SqlCell)
    db = cell.engine.url.database
    assert db is not None
    return Path(db)


def test_backup_restore_then_replay_makes_erased_subject_unreadable(
    sqlite_dom: Domicile, tmp_path: Path
) -> None:
    """Back up a cell file, erase, restore the backup, replay the ledger: unreadable again (PD-DEL-2)."""
    dom = sqlite_dom
    keep = dom.put({"given_name": "Олег", "phone": "+79031234567"}, **A)
    gone = dom.put({"given_name": "Ирина", "phone": "+79261234567", "email": "irina@mail.ru"}, **A)
    cell_file = _sql_cell_file(dom, "ru-msk-1")
    backup = tmp_path / "backup.db"
    dom.cell("ru-msk-1").close()
    shutil.copy2(cell_file, backup)

    dom.erase(gone.subject_id, actor="test")
    with pytest.raises(SubjectErasedError):
        dom.get(gone.subject_id, **A)

    dom.cell("ru-msk-1").close()
    shutil.copy2(backup, cell_file)  # restore
    assert dom.get(gone.subject_id, **A).values["given_name"] == "Ирина"  # the backup brought it back

    counts = dom.replay_erasures(actor="test")
    assert counts == {"ru-msk-1": 1, "global-1": 0}
    with pytest.raises(SubjectErasedError):
        dom.get(gone.subject_id, **A)
    with pytest.raises(SubjectErasedError):
        detokenize(dom, gone.tokens["email"], **A)
    assert dom.get(keep.subject_id, **A).values["given_name"] == "Олег"
    assert dom.replay_erasures(actor="test") == {"ru-msk-1": 0, "global-1": 0}  # idempotent


def _rotate(dom: Domicile, **kw: Any) -> RotateResult:
    """Rotate the RU cell; a KMS cell first gets its new key id listed (as in the cells file)."""
    keys = dom.cell("ru-msk-1").keys
    if isinstance(keys, KmsKeyProvider):
        kms = keys._client  # the FakeKms behind it
        keys.register(keys.current_version() + 1, kms.create_key())
        return rotate_keys(dom, "ru-msk-1", actor="test", add_version=False, **kw)
    return rotate_keys(dom, "ru-msk-1", actor="test", **kw)


def test_key_rotation_rewraps_and_reencrypts_online(dom: Domicile) -> None:
    """keys rotate: every live record moves to the new version; reads and searches keep working (SEC-1)."""
    subjects = [dom.put({"given_name": f"N{i}", "phone": f"+7916123{i:04d}"}, **A) for i in range(7)]
    erased = subjects.pop()
    dom.erase(erased.subject_id, actor="test")
    r1 = _rotate(dom, batch=3)
    assert (r1.new_version, r1.rewrapped, r1.batches) == (2, 6, 2)
    # a write during/after rotation lands on the new version
    late = dom.put({"given_name": "Late", "phone": "+79160000001"}, **A)
    r2 = _rotate(dom, batch=4, reencrypt=True)
    assert (r2.new_version, r2.rewrapped, r2.reencrypted) == (3, 7, 7)
    with dom.cell("ru-msk-1").session() as s:
        assert s.store.counts().by_key_version == {3: 7}
    for r in [*subjects, late]:
        assert dom.get(r.subject_id, **A).values["given_name"].startswith(("N", "Late"))
    assert [h.subject_id for h in dom.find("phone", "+79161230003", **A)] == [subjects[3].subject_id]
    assert (
        rotate_keys(dom, "ru-msk-1", actor="test", add_version=False).rewrapped == 0
    )  # resume: nothing left
    assert verify_audit(dom, "ru-msk-1").ok


def test_tampered_ciphertext_is_detected(sqlite_dom: Domicile) -> None:
    """An altered ciphertext fails authentication with a typed error naming no PD (SEC-1)."""
    dom = sqlite_dom
    res = dom.put({"given_name": "Пётр", "phone": "+79161234567"}, **A)
    cell = dom.cell("ru-msk-1")
    assert isinstance(cell, SqlCell)
    with cell.engine.begin() as conn:
        ct = conn.execute(
            sa.select(vault_records.c.ciphertext).where(vault_records.c.subject_id == res.subject_id)
        )
        blob = bytearray(ct.scalar_one())
        blob[20] ^= 0x01
        conn.execute(vault_records.update().values(ciphertext=bytes(blob)))
    with pytest.raises(DecryptionError) as err:
        dom.get(res.subject_id, **A)
    assert "Пётр" not in str(err.value) and res.subject_id in str(err.value)


def test_token_rows_hold_no_plaintext(sqlite_dom: Domicile) -> None:
    """The token directory maps tokens to subject ids and field names only."""
    dom = sqlite_dom
    res = dom.put({"given_name": "Семён", "phone": "+79161234567", "email": "semen@yandex.ru"}, **A)
    cell = dom.cell("ru-msk-1")
    assert isinstance(cell, SqlCell)
    with cell.engine.connect() as conn:
        dump = repr(conn.execute(sa.select(tokens)).all())
    assert res.subject_id in dump
    for value in ("Семён", "79161234567", "semen@yandex.ru"):
        assert value not in dump
