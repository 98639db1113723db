"""Issuing and resolving tokens.

Detokenizing requires a stated purpose and is audited in the cell that holds
the subject (152-FZ art. 5 part 2 — purpose limitation; SEC-4 logging). The
cross-border rules of the subject's pack are enforced by the gateway.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domicile.cells.runtime import Cell, CellSession
from domicile.cells.store import TokenRow
from domicile.core.errors import InputError, InvalidTokenError, SubjectErasedError
from domicile.tokens.formats import (
    TokenKind,
    deterministic_token,
    fpe_email_token,
    fpe_phone_token,
    parse_token,
    random_token,
)
from domicile.vault.fields import FieldKind, FieldSpec, normalize
from domicile.vault.keys import KeyPurpose

if TYPE_CHECKING:
    from domicile.service import Domicile

SCOPE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


@dataclass(frozen=True)
class Detokenized:
    value: str
    field: str
    subject_id: str
    cell: str
    jurisdiction: str


def default_kind(spec: FieldSpec) -> TokenKind:
    """Format-preserving for phone and e-mail, random pointers for the rest."""
    if spec.kind is FieldKind.PHONE:
        return TokenKind.FPE_PHONE
    if spec.kind is FieldKind.EMAIL:
        return TokenKind.FPE_EMAIL
    return TokenKind.RANDOM


def check_scope(scope: str) -> str:
    if not scope or len(scope) > 64 or not set(scope) <= SCOPE_CHARS:
        raise InputError("token scope must be 1-64 of a-z 0-9 - _ .")
    return scope


def issue_token(
    dom: Domicile,
    s: CellSession,
    subject_id: str,
    field_name: str,
    value: str,
    kind: TokenKind,
    scope: str,
    now: str,
) -> str:
    """Create (or, for deterministic tokens, reuse) a token for one field of a subject."""
    spec = dom.schema.spec(field_name)
    cell = s.cell
    kv = cell.keys.current_version()
    if kind is TokenKind.FPE_PHONE and spec.kind is not FieldKind.PHONE:
        raise InputError(f"field {field_name!r} is not a phone number; fpe-phone tokens need one")
    if kind is TokenKind.FPE_EMAIL and spec.kind is not FieldKind.EMAIL:
        raise InputError(f"field {field_name!r} is not an e-mail address; fpe-email tokens need one")
    for existing in s.store.tokens_of(subject_id):
        same = existing.field == field_name and existing.kind == kind.value and existing.scope == scope
        if same and (kind is not TokenKind.DETERMINISTIC or existing.key_version == kv):
            return existing.token
    if kind is TokenKind.DETERMINISTIC:
        mac = hmac.new(cell.keys.secret(kv, KeyPurpose.TOKEN), digestmod="sha256")
        mac.update(f"{field_name}\0{scope}\0{normalize(spec.kind, value)}".encode())
        token = deterministic_token(cell.name, kv, mac.digest())
    else:
        token = _unique(dom, s, kind, cell, kv, value)
    s.store.insert_tokens([TokenRow(token, subject_id, field_name, kind.value, scope, kv, now)])
    return token


def _unique(dom: Domicile, s: CellSession, kind: TokenKind, cell: Cell, kv: int, value: str) -> str:
    for _ in range(20):
        if kind is TokenKind.RANDOM:
            return random_token(cell.name, kv)  # 128 random bits: no collision check needed
        if kind is TokenKind.FPE_EMAIL:
            token = fpe_email_token(cell.name, kv, dom.token_domain)
            if not s.store.get_tokens(token):
                return token
        else:
            token = fpe_phone_token(value)
            if not s.store.get_tokens(token) and not _taken_elsewhere(dom, cell, token):
                return token
    raise InvalidTokenError("could not draw a unique format-preserving token")


def _taken_elsewhere(dom: Domicile, here: Cell, token: str) -> bool:
    for cell in dom.cells.values():
        if cell is here:
            continue
        with cell.session() as s:
            if s.store.get_tokens(token):
                return True
    return False


def tokenize(
    dom: Domicile, subject_id: str, field_name: str, kind: TokenKind, scope: str, *, actor: str, purpose: str
) -> str:
    """A token for one field of a stored subject, issued by its home cell."""
    from domicile.service import check_actor, check_purpose

    check_actor(actor)
    check_purpose(purpose)
    check_scope(scope)
    dom.schema.spec(field_name)
    cell, _ = dom.locate(subject_id)
    with cell.session() as s:
        row = s.store.get_record(subject_id)
        assert row is not None
        record = dom.cipher(cell.name).open(row)
        value = dom.raise_if_missing(record.fields, field_name, subject_id)
        token = issue_token(dom, s, subject_id, field_name, value, kind, scope, dom.now())
        s.audit.append(
            [dom._event(actor, "token.issue", purpose, subject_id, field=field_name, kind=kind.value)]
        )
    return token


def detokenize(dom: Domicile, token: str, *, actor: str, purpose: str) -> Detokenized:
    """The value a token stands for; needs a purpose, and is audited."""
    from domicile.service import check_actor, check_purpose, token_fingerprint

    check_actor(actor)
    check_purpose(purpose)
    parsed = parse_token(token)
    cells = [dom.cell(parsed.cell)] if parsed.cell else list(dom.cells.values())
    if parsed.kind is TokenKind.FPE_EMAIL and not token.endswith("." + dom.token_domain):
        raise InvalidTokenError("e-mail token is not in this deployment's token domain")
    for cell in cells:
        with cell.session() as s:
            rows = s.store.get_tokens(token)
            if not rows:
                continue
            erased = 0
            for trow in rows:
                vrow = s.store.get_record(trow.subject_id)
                if vrow is None or vrow.wrapped_dek is None:
                    erased += 1
                    continue
                record = dom.cipher(cell.name).open(vrow)
                value = dom.raise_if_missing(record.fields, trow.field, trow.subject_id)
                s.audit.append(
                    [
                        dom._event(
                            actor,
                            "token.detokenize",
                            purpose,
                            trow.subject_id,
                            field=trow.field,
                            kind=trow.kind,
                            token=token_fingerprint(token),
                        )
                    ]
                )
                return Detokenized(value, trow.field, trow.subject_id, cell.name, vrow.jurisdiction)
            s.audit.append(
                [
                    dom._event(
                        actor,
                        "token.detokenize",
                        purpose,
                        rows[0].subject_id,
                        "erased",
                        token=token_fingerprint(token),
                    )
                ]
            )
        raise SubjectErasedError("the subject behind this token was erased")
    raise InvalidTokenError("token not issued by any configured cell")
