"""Tampering with stored audit data is detected, naming the first bad seq (152-FZ art. 19; SEC-1, SEC-4).

The attacker has write access to the storage (raw SQL on the tables, or the memory
store's raw rows) and knows the algorithm, but not the audit key unless stated.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from types import SimpleNamespace
from typing import Any

import pytest
from audit_helpers import CELL, KEY, Env, event

from domicile.audit import HeadRow, canonical_bytes, entry_hash, genesis_hash, verify_chain
from domicile.audit.chain import HEAD_DOMAIN
from domicile.core.errors import AuditChainError

N = 5


def rehash(row: dict[str, Any], cell: str = CELL) -> str:
    """What an attacker without the key can compute: the entry hash of a row."""
    return entry_hash(canonical_bytes(cell, row["seq"], row["at"], SimpleNamespace(**row), row["prev_hash"]))


def bad(env: Env, **kw: Any) -> tuple[int | None, str]:
    report = verify_chain(env.store, CELL, KEY, **kw)
    assert not report.ok
    assert report.problem is not None and "\n" not in report.problem
    assert (report.head.seq if report.head else 0) == report.checked
    return report.first_bad_seq, report.problem


@pytest.fixture
def log(env: Env) -> Env:
    """A log of N entries."""
    env.store.append([event(i) for i in range(1, N + 1)])
    return env


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "svc:intruder"),
        ("action", "pd.export"),
        ("purpose", "marketing"),
        ("outcome", "denied"),
        ("subject_ref", "tok_other"),
        ("subject_ref", None),
        ("details", {"fields": "passport", "count": 3, "cross_border": True}),
        ("at", "2031-01-01T00:00:00.000000Z"),
    ],
)
def test_edited_field_is_detected(log: Env, column: str, value: Any) -> None:
    """An UPDATE of any entry field breaks that entry's hash."""
    log.raw.set(3, **{column: value})
    seq, problem = bad(log)
    assert seq == 3 and "edited" in problem


@pytest.mark.parametrize("column", ["prev_hash", "entry_hash", "mac"])
def test_edited_chain_column_is_detected(log: Env, column: str) -> None:
    """Overwriting a hash or MAC column is detected at that entry."""
    log.raw.set(3, **{column: secrets.token_hex(32)})
    assert bad(log)[0] == 3


def test_rehashed_edit_without_key_is_detected_by_mac(log: Env) -> None:
    """An edit with a correctly recomputed hash still fails: the MAC needs the key."""
    row = log.raw.row(3) | {"outcome": "denied"}
    log.raw.set(3, outcome="denied", entry_hash=rehash(row))
    seq, problem = bad(log)
    assert seq == 3 and "MAC" in problem


def test_rehashed_edit_with_a_wrong_key_is_detected(log: Env) -> None:
    """A MAC made with another key is rejected, and so is verifying with the wrong key."""
    row = log.raw.row(2) | {"actor": "svc:intruder"}
    digest = rehash(row)
    forged_mac = hmac.new(b"attacker-key-0123456789abcdef", digest.encode(), hashlib.sha256).hexdigest()
    log.raw.set(2, actor="svc:intruder", entry_hash=digest, mac=forged_mac)
    assert bad(log)[0] == 2
    assert verify_chain(log.store, CELL, b"another-key-0123456789").first_bad_seq == 1


@pytest.mark.parametrize("victim", [1, 3])
def test_deleted_entry_is_detected(log: Env, victim: int) -> None:
    """A DELETE leaves a seq gap; the missing seq is named."""
    log.raw.delete(victim)
    seq, problem = bad(log)
    assert seq == victim and "missing" in problem


def test_deleted_entry_with_renumbering_is_detected(log: Env) -> None:
    """Closing the gap after a DELETE breaks the prev_hash link at the deleted position."""
    log.raw.delete(3)
    log.raw.shift(4, -1)
    assert bad(log)[0] == 3


@pytest.mark.parametrize("at", [1, 3, N + 1])
def test_inserted_entry_is_detected(log: Env, at: int) -> None:
    """An inserted entry, linked and hashed correctly but MAC'd without the key, is named."""
    prev = genesis_hash(CELL) if at == 1 else log.raw.row(at - 1)["entry_hash"]
    log.raw.shift(at, 1)
    row = log.raw.row(at + 1 if at <= N else N) | {"seq": at, "prev_hash": prev, "actor": "svc:intruder"}
    row["entry_hash"] = rehash(row)
    row["mac"] = secrets.token_hex(32)
    log.raw.insert(row)
    assert bad(log)[0] == at


def test_reordered_entries_are_detected(log: Env) -> None:
    """Swapping two entries' positions is detected at the earlier one."""
    log.raw.swap(2, 4)
    seq, problem = bad(log)
    assert seq == 2 and "prev_hash" in problem


@pytest.mark.parametrize("keep", [0, 1, 3, N - 1])
def test_truncated_tail_is_detected(log: Env, keep: int) -> None:
    """Deleting the tail is caught by the head row; the truncation point is named."""
    log.raw.delete_after(keep)
    seq, problem = bad(log)
    assert (seq == keep + 1 and "truncated" in problem) or "empty" in problem


def test_deleted_head_row_is_detected(log: Env) -> None:
    """Deleting the head row is detected; the position after the last sound entry is named."""
    log.raw.set_head(None)
    seq, problem = bad(log)
    assert seq == N + 1 and "head row is missing" in problem


def test_truncation_with_forged_head_row_is_detected(log: Env) -> None:
    """Cutting the tail and rewriting the head row without the key fails the head MAC."""
    tip = log.raw.row(3)
    log.raw.delete_after(3)
    log.raw.set_head(HeadRow(3, tip["entry_hash"], secrets.token_hex(32)))
    seq, problem = bad(log)
    assert seq == 4 and "head row MAC" in problem


def test_head_row_of_another_cell_is_rejected(log: Env) -> None:
    """A head row MAC'd for another cell (same key) does not verify here."""
    stored = log.raw.head()
    assert stored is not None
    msg = HEAD_DOMAIN + f"kz:{stored.seq}:{stored.entry_hash}".encode()
    log.raw.set_head(stored._replace(mac=hmac.new(KEY, msg, hashlib.sha256).hexdigest()))
    assert bad(log)[0] == N + 1


def test_replayed_old_head_row_needs_an_anchor(env: Env) -> None:
    """Truncation plus a replayed genuine old head row passes the head check; an anchor catches it."""
    env.store.append([event(i) for i in range(1, 4)])
    old_head = env.raw.head()
    env.store.append([event(i) for i in range(4, N + 1)])
    anchor = env.store.head()
    env.raw.delete_after(3)
    env.raw.set_head(old_head)
    assert verify_chain(env.store, CELL, KEY).ok  # the documented limit of the head row
    seq, problem = bad(env, anchor=anchor)
    assert seq == 4 and "anchored" in problem


def test_emptied_log_is_detected_by_head_or_anchor(log: Env) -> None:
    """An emptied log is caught by the head row, and with the head row gone by the anchor."""
    anchor = log.store.head()
    log.raw.delete_after(0)
    assert bad(log)[0] == 1
    log.raw.set_head(None)
    assert verify_chain(log.store, CELL, KEY).ok  # looks like a fresh cell...
    assert bad(log, anchor=anchor)[0] == 1  # ...but not to the anchor


def test_history_rewritten_with_the_key_is_caught_by_the_anchor(log: Env) -> None:
    """An attacker holding the key can rebuild a valid chain; the anchored hash still differs."""
    anchor = log.store.head()
    assert anchor is not None
    log.raw.delete_after(0)
    log.raw.set_head(None)
    log.store.append([event(i + 100) for i in range(1, N + 3)])
    assert verify_chain(log.store, CELL, KEY).ok
    seq, problem = bad(log, anchor=anchor)
    assert seq == anchor.seq and "anchored" in problem


def test_entries_appended_beyond_the_head_row_are_detected(log: Env) -> None:
    """Rows after the head row's seq are flagged even when they themselves verify."""
    stored = log.raw.head()
    log.store.append([event(N + 1)])
    log.raw.set_head(stored)
    seq, problem = bad(log)
    assert seq == N + 1 and "after the head row" in problem


def test_log_spliced_from_another_cell_is_detected(log: Env) -> None:
    """Entries copied from cell ru do not verify as cell kz's log, even under the same key."""
    kz = log.make(cell="kz")
    assert verify_chain(kz, "kz", KEY).first_bad_seq == 1


@pytest.mark.parametrize(
    ("column", "value"), [("at", "yesterday"), ("details", [1, 2]), ("actor", "x y"), ("entry_hash", "zz")]
)
def test_malformed_row_is_named(log: Env, column: str, value: Any) -> None:
    """A row that cannot be a genuine entry is reported at its seq, not raised."""
    log.raw.set(4, **{column: value})
    seq, problem = bad(log)
    assert seq == 4 and "malformed" in problem
    with pytest.raises(AuditChainError):
        verify_chain(log.store, CELL, KEY).raise_if_bad()
