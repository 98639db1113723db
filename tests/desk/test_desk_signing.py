"""Signed decisions: canonical serialization, Ed25519 signatures, the chain, and the key file."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from desk_kit import DeskKit
from hypothesis import given, settings
from hypothesis import strategies as st

from domicile.audit.events import AuditEvent, looks_like_pd_number
from domicile.desk.decisions import DecisionInput
from domicile.desk.errors import SignerKeyError
from domicile.desk.intake import Submission
from domicile.desk.schema import desk_decisions
from domicile.desk.signing import (
    GENESIS_HASH,
    KEY_ID_PREFIX,
    DecisionPayload,
    Signer,
    canonical_bytes,
    entry_hash,
    fields_text,
    items_text,
    payload_from_row,
    verify_decisions,
    verify_one,
)

SIGNER = Signer("rep:office-1", Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
payloads = st.builds(
    DecisionPayload,
    seq=st.integers(1, 10**6),
    request_id=st.uuids().map(lambda u: "rq_" + u.hex),
    decision=st.sampled_from(["approve", "partial", "reject"]),
    action=st.sampled_from(["restrict_in_country", "remove_everywhere", "none"]),
    legal_basis=texts,
    reasoning_sha256=st.binary(min_size=32, max_size=32).map(bytes.hex),
    items=st.lists(
        st.tuples(st.integers(1, 99), st.sampled_from(["act", "no_action_lawful"])), max_size=4
    ).map(tuple),
    fields=st.lists(st.sampled_from(["email", "phone", "given_name"]), max_size=3, unique=True).map(tuple),
    decided_at=st.just("2025-03-03T09:00:00.000000Z"),
    signer=st.just(SIGNER.signer),
    key_id=st.just(SIGNER.key_id),
    prev_hash=st.just(GENESIS_HASH),
)


def _row(p: DecisionPayload) -> dict[str, Any]:
    canonical = canonical_bytes(p)
    sig = SIGNER.sign(canonical)
    return {
        "seq": p.seq,
        "request_id": p.request_id,
        "decision": p.decision,
        "action": p.action,
        "legal_basis": p.legal_basis,
        "reasoning_sha256": p.reasoning_sha256,
        "items": items_text(p.items),
        "fields": fields_text(p.fields),
        "decided_at": p.decided_at,
        "signer": p.signer,
        "key_id": p.key_id,
        "prev_hash": p.prev_hash,
        "entry_hash": entry_hash(canonical, sig),
        "signature": sig.hex(),
    }


@settings(max_examples=40, deadline=None)
@given(payloads)
def test_stored_decision_round_trips_and_verifies(p: DecisionPayload) -> None:
    """A signed decision rebuilt from its stored row is the same payload and verifies."""
    row = _row(p)
    assert payload_from_row(row) == p
    assert verify_one(row, SIGNER.public_key_hex, GENESIS_HASH) is None


MUTATIONS = {
    "request_id": lambda v: "rq_" + "f" * 32 if v != "rq_" + "f" * 32 else "rq_" + "e" * 32,
    "decision": lambda v: "reject" if v != "reject" else "approve",
    "legal_basis": lambda v: v + " ",
    "reasoning_sha256": lambda v: ("0" if v[0] != "0" else "1") + v[1:],
    "items": lambda v: items_text([*json.loads(v), [100, "act"]]),
    "decided_at": lambda v: "2025-03-03T09:00:00.000001Z",
    "prev_hash": lambda v: "0" * 64,
    "signature": lambda v: ("0" if v[0] != "0" else "1") + v[1:],
}


@settings(max_examples=40, deadline=None)
@given(payloads, st.sampled_from(sorted(MUTATIONS)))
def test_any_altered_field_fails_verification(p: DecisionPayload, field: str) -> None:
    """Changing any signed field or the signature makes the decision fail verification."""
    row = _row(p)
    row[field] = MUTATIONS[field](row[field])
    assert verify_one(row, SIGNER.public_key_hex, None) is not None


class _FakeStore:
    """The two reads verify_decisions needs, over a list of rows."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def signers(self) -> list[dict[str, Any]]:
        return [{"key_id": SIGNER.key_id, "public_key": SIGNER.public_key_hex}]

    def decision_rows(self, after_seq: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["seq"] > after_seq][:limit]


def _chain(base: DecisionPayload, n: int) -> list[dict[str, Any]]:
    rows, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        row = _row(replace(base, seq=seq, prev_hash=prev))
        rows.append(row)
        prev = row["entry_hash"]
    return rows


@settings(max_examples=40, deadline=None)
@given(payloads, st.integers(2, 8), st.data())
def test_chain_verification_names_the_first_bad_decision(base: DecisionPayload, n: int, data: Any) -> None:
    """Altering, removing or relinking decision k is reported there (a lost tail needs the audit check)."""
    rows = _chain(base, n)
    assert verify_decisions(_FakeStore(rows)).ok  # type: ignore[arg-type]
    k = data.draw(st.integers(1, n - 1))
    altered = [dict(r) for r in rows]
    altered[k - 1]["legal_basis"] += "!"
    assert verify_decisions(_FakeStore(altered)).first_bad_seq == k  # type: ignore[arg-type]
    removed = rows[: k - 1] + rows[k:]
    report = verify_decisions(_FakeStore(removed))  # type: ignore[arg-type]
    assert report.first_bad_seq == k + 1 and "gap" in (report.problem or "")
    relinked = [dict(r) for r in rows]
    relinked[k]["prev_hash"] = GENESIS_HASH
    assert verify_decisions(_FakeStore(relinked)).first_bad_seq == k + 1  # type: ignore[arg-type]


def test_key_file_round_trip_and_damage(tmp_path: Path) -> None:
    """The key file is 0600, loads back to the same key, refuses overwrite, and rejects a mismatched key."""
    path = tmp_path / "k" / "rep.json"
    made = Signer.create(path, "rep:office-1")
    assert path.stat().st_mode & 0o777 == 0o600
    loaded = Signer.load(path)
    assert (loaded.key_id, loaded.public_key_hex) == (made.key_id, made.public_key_hex)
    with pytest.raises(SignerKeyError, match="already exists"):
        Signer.create(path, "rep:office-1")
    body = json.loads(path.read_text())
    body["public_key"] = "00" * 32
    path.write_text(json.dumps(body))
    with pytest.raises(SignerKeyError, match="does not match"):
        Signer.load(path)
    path.write_text("{not json")
    with pytest.raises(SignerKeyError, match="malformed"):
        Signer.load(path)
    with pytest.raises(SignerKeyError, match="not found"):
        Signer.load(tmp_path / "missing.json")
    with pytest.raises(SignerKeyError):
        Signer.create(tmp_path / "x.json", "Иван Петров")


def test_deleted_last_decision_is_caught_by_the_audit_cross_check(kit: DeskKit) -> None:
    """Deleting the newest decision keeps the chain valid but the RU audit log still lists it."""
    desk = kit.desk
    for _ in range(2):
        rid = desk.submit(
            Submission(type="register_takedown", authority_type="rkn", items=({"content_id": "c"},)),
            channel="api",
            actor="svc:x",
        ).request_id
        desk.triage(rid, actor="staff:x")
        desk.start_review(rid, actor="staff:x")
        desk.decide(rid, DecisionInput("approve", "149-FZ art. 15.1", "Основание"), actor="rep:office-1")
    assert desk.verify().ok
    with desk.db.unit() as unit:
        unit.conn.execute(desk_decisions.delete().where(desk_decisions.c.seq == 2))
    result = desk.verify()
    assert result.decisions.ok and not result.ok
    assert result.audit_problem == "decision 2 is in the RU audit log but missing from the desk database"


def test_key_id_is_never_a_digit_string() -> None:
    """A key id whose hex happens to be all digits is still accepted by the audit log (SEC-4).

    The audit log refuses digit strings that look like phone numbers. About one bare 16-hex id
    in 1,900 is all digits; CI once drew one and the desk refused to register the key.
    """
    made = Signer("rep:office-1", Ed25519PrivateKey.generate())
    assert made.key_id.startswith(KEY_ID_PREFIX) and len(made.key_id) <= 32
    unlucky = KEY_ID_PREFIX + "9047978664535580"
    assert looks_like_pd_number("9047978664535580")
    assert not looks_like_pd_number(unlucky)
    event = AuditEvent(
        actor="admin",
        action="desk.signer.register",
        purpose="desk.decisions",
        outcome="ok",
        details={"key_id": unlucky, "signer": "rep:office-1"},
    )
    assert event.details["key_id"] == unlucky


def test_key_file_with_a_legacy_key_id_still_loads(tmp_path: Path) -> None:
    """A key file written before the ``ed25519:`` prefix loads; a wrong legacy id is still refused."""
    path = tmp_path / "rep.json"
    made = Signer.create(path, "rep:office-1")
    body = json.loads(path.read_text())
    body["key_id"] = made.key_id.removeprefix(KEY_ID_PREFIX)
    path.write_text(json.dumps(body))
    assert Signer.load(path).key_id == made.key_id
    body["key_id"] = "0" * 16
    path.write_text(json.dumps(body))
    with pytest.raises(SignerKeyError, match="does not match"):
        Signer.load(path)
