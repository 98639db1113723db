"""What replaces a localized value in the source.

* ``replace: null`` -> NULL.
* ``replace: token`` on a subject-table column with a vault ``field`` whose value is valid: a token
  from the RU cell's token directory (scope ``localize``), so the global app can detokenize it
  through the gateway — e-mail fields get an e-mail-shaped token, phone fields a phone-shaped one
  (``tokens.formats``), other fields a random pointer. Re-runs reuse the directory's token.
* any other ``replace: token`` column: a deterministic token derived from the item id and the
  column under the job's namespace secret (no PD in it): ``tok:d:<cell>:<kv>:...``, or an
  e-mail-shaped ``<base32>.k<kv>@<cell>.<token domain>`` for e-mail columns.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import phonenumbers

from domicile.core.errors import InvalidTokenError
from domicile.localize.datamap import ColumnMap, Replace
from domicile.tokens.formats import (
    TokenKind,
    b32,
    deterministic_token,
    fpe_email_token,
    fpe_phone_token,
    parse_token,
    random_token,
)
from domicile.vault.fields import FieldKind, FieldSchema
from domicile.vault.phones import parse_phone, phone_info

SCOPE = "localize"
MAX_DRAWS = 20


def derived_token(ns: bytes, cell: str, kv: int, item_id: str, column: ColumnMap, domain: str) -> str:
    """The deterministic token of a column without a directory token."""
    digest = hmac.digest(ns, f"token\0{item_id}\0{column.name}".encode(), "sha256")
    if column.category == "email":
        return f"{b32(digest[:10])}.k{kv}@{cell}.{domain}"
    return deterministic_token(cell, kv, digest)


def max_token_len(cell: str, kv: int, domain: str) -> int:
    """The longest token this cell's localize can write (checked against the source's columns)."""
    return max(len(deterministic_token(cell, kv, bytes(32))), len(f"{'a' * 16}.k{kv}@{cell}.{domain}"))


def directory_kind(schema: FieldSchema, field: str) -> TokenKind:
    kind = schema.spec(field).kind
    if kind is FieldKind.EMAIL:
        return TokenKind.FPE_EMAIL
    if kind is FieldKind.PHONE:
        return TokenKind.FPE_PHONE
    return TokenKind.RANDOM


@dataclass(frozen=True)
class Wanted:
    """A directory token to draw: for which subject, field and (validated) value."""

    subject_id: str
    field: str
    value: str
    kind: TokenKind
    first: str | None = None  # a phone token drawn ahead (by the staging worker), tried first


def draw_tokens(
    wanted: Sequence[Wanted],
    cell: str,
    kv: int,
    domain: str,
    taken: Callable[[Sequence[str]], set[str]],
) -> dict[tuple[str, str], tuple[str, TokenKind]]:
    """Fresh directory tokens, unique in every cell (checked in batches, redrawn on collision)."""
    out: dict[tuple[str, str], tuple[str, TokenKind]] = {}
    todo = list(wanted)
    for _ in range(MAX_DRAWS):
        if not todo:
            return out
        drawn: dict[tuple[str, str], tuple[str, TokenKind]] = {}
        for w in todo:
            drawn[(w.subject_id, w.field)] = _draw(w, cell, kv, domain)
        # only phone tokens can clash: e-mail tokens carry 80 random bits, random ones 128
        texts = [t for t, k in drawn.values() if k is TokenKind.FPE_PHONE]
        clash = taken(texts) if texts else set()
        used = {t for t, _ in out.values()}
        retry = []
        for w in todo:
            tok, kind = drawn[(w.subject_id, w.field)]
            if tok in clash or tok in used:
                retry.append(replace(w, first=None))  # a candidate drawn ahead is offered once
            else:
                used.add(tok)
                out[(w.subject_id, w.field)] = (tok, kind)
        todo = retry
    raise InvalidTokenError("could not draw unique format-preserving tokens")


def _draw(w: Wanted, cell: str, kv: int, domain: str) -> tuple[str, TokenKind]:
    if w.kind is TokenKind.FPE_EMAIL:
        return fpe_email_token(cell, kv, domain), w.kind
    if w.kind is TokenKind.FPE_PHONE:
        token = quick_phone_token(w.value) if w.first is None else w.first
        if token is not None:
            return token, w.kind
        try:
            return fpe_phone_token(w.value), w.kind
        except InvalidTokenError:  # a numbering plan with no room for a random valid number
            pass
    return random_token(cell, kv), TokenKind.RANDOM


def quick_phone_token(e164: str, tries: int = 8) -> str | None:
    """:func:`~domicile.tokens.formats.fpe_phone_token`'s first attempts, without re-parsing text.

    The same rule (same country code, region and number type, the last seven digits random, a
    valid number), but candidates are built as ``PhoneNumber`` objects: parsing each candidate
    string cost most of the time for millions of rows. None after *tries* misses (the caller
    falls back to ``fpe_phone_token``).
    """
    orig = parse_phone(e164)  # cached: validation already parsed this text
    info = phone_info(e164)
    if orig is None or info.number_type is None:
        return None
    national = phonenumbers.national_significant_number(orig)
    if len(national) < 9 or national.startswith("0"):
        return None  # short numbers and leading zeros: the general routine handles them
    region, kind, head = info.region, info.number_type, national[:-7]
    for _ in range(tries):
        digits = head + f"{secrets.randbelow(10**7):07d}"
        if digits == national:
            continue
        cand = phonenumbers.PhoneNumber(country_code=orig.country_code, national_number=int(digits))
        # number_type is UNKNOWN for an invalid number, so a match of the original's type means valid
        if phonenumbers.region_code_for_number(cand) == region and phonenumbers.number_type(cand) == kind:
            return f"+{orig.country_code}{digits}"
    return None


def replacement(
    columns: Iterable[ColumnMap],
    *,
    ns: bytes,
    cell: str,
    kv: int,
    item_id: str,
    domain: str,
    directory: Mapping[str, str],
) -> dict[str, str | None]:
    """The values that replace a row's PD (``directory``: field -> token of this subject)."""
    out: dict[str, str | None] = {}
    for c in columns:
        if c.replace is Replace.NULL:
            out[c.name] = None
        elif c.field is not None and c.field in directory:
            out[c.name] = directory[c.field]
        else:
            out[c.name] = derived_token(ns, cell, kv, item_id, c, domain)
    return out


class TokenMark(StrEnum):
    """What a source value is, seen from one cell (tokens name their cell; phone tokens cannot)."""

    NONE = "none"  # NULL
    NOT_A_TOKEN = "not-a-token"
    OURS = "ours"  # a token naming this cell
    FOREIGN = "foreign"  # a token naming another cell
    PHONE = "phone"  # phone-shaped: a token only if the cell's directory holds it


def token_mark(value: object, cell: str) -> TokenMark:
    """Classify a source value against ``cell``'s token formats (no look-up)."""
    if value is None:
        return TokenMark.NONE
    if not isinstance(value, str) or not (value.startswith(("tok:", "+")) or "@" in value):
        return TokenMark.NOT_A_TOKEN  # no token format fits: names, dates, national numbers
    try:
        parsed = parse_token(value)
    except InvalidTokenError:
        return TokenMark.NOT_A_TOKEN
    if parsed.cell is None:
        return TokenMark.PHONE
    return TokenMark.OURS if parsed.cell == cell else TokenMark.FOREIGN
