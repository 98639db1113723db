"""Batch tokenize and detokenize over a :class:`~domicile.service.Domicile`.

Framework-free library code the HTTP routes call (and the benchmark calls in-process).
Both work in one transaction per cell instead of one per value, with the same audit
entries as :func:`domicile.tokens.service.tokenize` / ``detokenize`` (one per value,
in the subject's home cell, with actor and purpose; 152-FZ art. 19, SEC-4).

Input is checked whole before anything is written or decrypted: a bad item raises one
:class:`~domicile.core.errors.InputError` naming its index, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from domicile.audit import AuditEvent
from domicile.cells.runtime import Cell
from domicile.cells.store import TokenRow, VaultRow
from domicile.core.errors import InputError, InvalidTokenError, SubjectErasedError, SubjectNotFoundError
from domicile.core.ids import is_subject_id
from domicile.service import Domicile, check_actor, check_purpose, token_fingerprint
from domicile.tokens.formats import TokenKind, parse_token
from domicile.tokens.service import check_scope, default_kind, issue_token
from domicile.vault.fields import FieldKind

MAX_BATCH = 1000
OK, ERASED, NOT_FOUND = "ok", "erased", "not_found"


@dataclass(frozen=True)
class TokenRequest:
    """Issue a token for one field of one stored subject (``kind`` None: the field's default)."""

    subject_id: str
    field: str
    kind: TokenKind | None = None
    scope: str = "default"


@dataclass(frozen=True)
class IssuedToken:
    subject_id: str
    field: str
    token: str
    kind: TokenKind
    scope: str
    cell: str


@dataclass(frozen=True)
class ResolvedToken:
    """Where a token points, found through the cells' token directories (nothing decrypted)."""

    index: int
    token: str
    cell: str | None
    jurisdiction: str | None
    rows: tuple[TokenRow, ...]

    @property
    def found(self) -> bool:
        return bool(self.rows)

    @property
    def field(self) -> str | None:
        return self.rows[0].field if self.rows else None


@dataclass(frozen=True)
class RevealedValue:
    """A detokenized value, or why there is none (``erased``, ``not_found``)."""

    token: str
    status: str
    value: str | None = None
    field: str | None = None
    subject_id: str | None = None
    cell: str | None = None
    jurisdiction: str | None = None


def _check_size(n: int, what: str) -> None:
    if n < 1:
        raise InputError(f"{what}: at least one item is required")
    if n > MAX_BATCH:
        raise InputError(f"{what}: at most {MAX_BATCH} items per call, got {n}")


def locate_many(dom: Domicile, subject_ids: Sequence[str]) -> dict[str, tuple[Cell, VaultRow]]:
    """The cell and current row of each live subject (one session per cell).

    Raises:
        SubjectNotFoundError / SubjectErasedError: naming the first subject that is missing or erased.
    """
    wanted = list(dict.fromkeys(subject_ids))
    found: dict[str, tuple[Cell, VaultRow]] = {}
    live_in: dict[str, int] = {}
    erased: set[str] = set()
    for cell in dom.cells.values():
        with cell.session() as s:
            for sid in wanted:
                row = s.store.get_record(sid)
                if row is None:
                    continue
                if row.wrapped_dek is None:
                    erased.add(sid)
                    continue
                live_in[sid] = live_in.get(sid, 0) + 1
                found[sid] = (cell, row)
    for sid in wanted:
        if live_in.get(sid, 0) > 1:  # an interrupted move: let the facade reconcile it
            cell, row = dom.locate(sid)
            found[sid] = (cell, row)
        if sid not in found:
            if sid in erased:
                raise SubjectErasedError(f"subject {sid} is erased")
            raise SubjectNotFoundError(f"subject {sid} not found in any cell")
    return found


#: Called once per jurisdiction involved, with the data categories concerned, before any write.
AuthorizeHook = Callable[[str, frozenset[str]], None]


def tokenize_many(
    dom: Domicile,
    requests: Sequence[TokenRequest],
    *,
    actor: str,
    purpose: str,
    authorize: AuthorizeHook | None = None,
) -> list[IssuedToken]:
    """Issue (or reuse) tokens for many (subject, field) pairs; results in request order.

    Args:
        dom: The facade.
        requests: What to tokenize (1..1000).
        actor: Who asks (audit).
        purpose: Why (audit).
        authorize: Raises to refuse; called per jurisdiction after validation, before writes.
    """
    check_actor(actor)
    check_purpose(purpose)
    _check_size(len(requests), "tokenize")
    kinds: list[TokenKind] = []
    for i, r in enumerate(requests):
        where = f"items[{i}]"
        if not is_subject_id(r.subject_id):
            raise InputError(f"{where}: not a subject id (expected sub_ followed by 32 hex digits)")
        try:
            spec = dom.schema.spec(r.field)
            check_scope(r.scope)
        except InputError as exc:
            raise type(exc)(f"{where}: {exc.message}") from None
        kind = r.kind or default_kind(spec)
        if kind is TokenKind.FPE_PHONE and spec.kind is not FieldKind.PHONE:
            raise InputError(f"{where}: field {r.field!r} is not a phone number; fpe-phone tokens need one")
        if kind is TokenKind.FPE_EMAIL and spec.kind is not FieldKind.EMAIL:
            raise InputError(
                f"{where}: field {r.field!r} is not an e-mail address; fpe-email tokens need one"
            )
        kinds.append(kind)
    located = locate_many(dom, [r.subject_id for r in requests])
    by_cell: dict[str, list[int]] = {}
    needs: dict[str, set[str]] = {}
    for i, r in enumerate(requests):
        cell = located[r.subject_id][0]
        by_cell.setdefault(cell.name, []).append(i)
        needs.setdefault(cell.jurisdiction, set()).add(dom.schema.spec(r.field).category.value)
    if authorize is not None:
        for jurisdiction, categories in needs.items():
            authorize(jurisdiction, frozenset(categories))

    values: dict[str, dict[str, str]] = {}  # subject -> fields (phase 1: decrypt and check, no writes)
    for cell_name, idxs in by_cell.items():
        cipher = dom.cipher(cell_name)
        for i in idxs:
            sid = requests[i].subject_id
            if sid not in values:
                values[sid] = cipher.open(located[sid][1]).fields
            if requests[i].field not in values[sid]:
                raise InputError(f"items[{i}]: subject {sid} has no value for field {requests[i].field!r}")

    out: dict[int, IssuedToken] = {}
    now = dom.now()
    for cell_name, idxs in by_cell.items():  # phase 2: one transaction per cell
        with dom.cell(cell_name).session() as s:
            events = []
            for i in idxs:
                r, kind = requests[i], kinds[i]
                value = values[r.subject_id][r.field]
                token = issue_token(dom, s, r.subject_id, r.field, value, kind, r.scope, now)
                out[i] = IssuedToken(r.subject_id, r.field, token, kind, r.scope, cell_name)
                events.append(
                    AuditEvent(
                        actor=actor,
                        action="token.issue",
                        purpose=purpose,
                        outcome="ok",
                        subject_ref=r.subject_id,
                        details={"field": r.field, "kind": kind.value},
                    )
                )
            s.audit.append(events)
    return [out[i] for i in range(len(requests))]


def resolve_tokens(dom: Domicile, tokens: Sequence[str]) -> list[ResolvedToken]:
    """Parse every token, then find its cell and directory rows (one session per cell).

    Raises:
        InvalidTokenError: naming the index of the first token that is not a token of this
            deployment (unknown format, unknown cell, foreign e-mail token domain).
    """
    _check_size(len(tokens), "detokenize")
    wanted: dict[str, list[int]] = {}  # cell name ('*' = search all) -> indexes
    for i, text in enumerate(tokens):
        try:
            parsed = parse_token(text)
        except InvalidTokenError as exc:
            raise InvalidTokenError(f"tokens[{i}]: {exc.message}") from None
        if parsed.kind is TokenKind.FPE_EMAIL and not text.endswith("." + dom.token_domain):
            raise InvalidTokenError(f"tokens[{i}]: e-mail token is not in this deployment's token domain")
        if parsed.cell is not None and parsed.cell not in dom.cells:
            raise InvalidTokenError(f"tokens[{i}]: token names cell {parsed.cell!r}, which is not configured")
        wanted.setdefault(parsed.cell or "*", []).append(i)
    rows: dict[int, tuple[str, tuple[TokenRow, ...]]] = {}
    for cell in dom.cells.values():
        idxs = wanted.get(cell.name, []) + [i for i in wanted.get("*", []) if i not in rows]
        if not idxs:
            continue
        with cell.session() as s:
            for i in idxs:
                found = s.store.get_tokens(tokens[i])
                if found:
                    rows[i] = (cell.name, tuple(found))
    out = []
    for i, text in enumerate(tokens):
        if i in rows:
            cell_name, found = rows[i]
            out.append(ResolvedToken(i, text, cell_name, dom.cells[cell_name].jurisdiction, found))
        else:
            out.append(ResolvedToken(i, text, None, None, ()))
    return out


#: Called inside each cell's transaction with the values revealed there, before it commits;
#: returns extra audit events for that transaction (raising rolls the cell back: nothing revealed).
RevealHook = Callable[[str, list[RevealedValue]], list[AuditEvent]]


def reveal(
    dom: Domicile,
    resolved: Sequence[ResolvedToken],
    *,
    actor: str,
    purpose: str,
    before_commit: RevealHook | None = None,
) -> list[RevealedValue]:
    """Decrypt the values behind resolved tokens, audited per value in each home cell.

    Args:
        dom: The facade.
        resolved: From :func:`resolve_tokens`.
        actor: Who asks (audit).
        purpose: Why (audit).
        before_commit: Per cell, after decrypting and before the cell commits (the gateway
            writes its transfer ledger here, so the ledger and the audit chain agree).
    """
    check_actor(actor)
    check_purpose(purpose)
    by_cell: dict[str, list[ResolvedToken]] = {}
    out: dict[int, RevealedValue] = {}
    for r in resolved:
        if r.cell is None:
            out[r.index] = RevealedValue(r.token, NOT_FOUND)
        else:
            by_cell.setdefault(r.cell, []).append(r)
    for cell_name, items in by_cell.items():
        cipher = dom.cipher(cell_name)
        opened: dict[str, dict[str, str] | None] = {}
        with dom.cell(cell_name).session() as s:
            events = []
            for r in items:
                result: RevealedValue | None = None
                for trow in r.rows:
                    if trow.subject_id not in opened:
                        vrow = s.store.get_record(trow.subject_id)
                        live = vrow is not None and vrow.wrapped_dek is not None
                        opened[trow.subject_id] = cipher.open(vrow).fields if live and vrow else None
                    fields = opened[trow.subject_id]
                    if fields is None or trow.field not in fields:
                        continue
                    result = RevealedValue(
                        r.token,
                        OK,
                        fields[trow.field],
                        trow.field,
                        trow.subject_id,
                        cell_name,
                        dom.cells[cell_name].jurisdiction,
                    )
                    events.append(
                        AuditEvent(
                            actor=actor,
                            action="token.detokenize",
                            purpose=purpose,
                            outcome="ok",
                            subject_ref=trow.subject_id,
                            details={
                                "field": trow.field,
                                "kind": trow.kind,
                                "token": token_fingerprint(r.token),
                            },
                        )
                    )
                    break
                if result is None:
                    result = RevealedValue(r.token, ERASED, field=r.field, cell=cell_name)
                    events.append(
                        AuditEvent(
                            actor=actor,
                            action="token.detokenize",
                            purpose=purpose,
                            outcome="erased",
                            subject_ref=r.rows[0].subject_id,
                            details={"token": token_fingerprint(r.token)},
                        )
                    )
                out[r.index] = result
            if before_commit is not None:
                events.extend(before_commit(cell_name, [out[r.index] for r in items]))
            s.audit.append(events)
    return [out[r.index] for r in resolved]
