"""Token kinds and their text formats.

=============  ==============================================  =========================
kind           format                                          use
=============  ==============================================  =========================
random         ``tok:r:<cell>:<kv>:<26 base32>``               pointer, no relation to value
deterministic  ``tok:d:<cell>:<kv>:<32 base32>``               same field+scope+value ->
                                                               same token (joins, dedup)
fpe-email      ``<16 base32>.k<kv>@<cell>.<token domain>``     passes e-mail validation
fpe-phone      ``+<same country code><random digits>``         a valid number of the same
                                                               region and type
=============  ==============================================  =========================

Every token names its cell and key version, except a format-preserving phone
token: a phone number has no room for them, so its cell is found through the
cells' token directories (an indexed lookup per cell) and its key version is
kept in the directory row. All tokens are lookups, never encryptions of the
value: detokenizing always goes through the vault, so crypto-shredding a
subject makes every token of it dead.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

from domicile.core.errors import InvalidTokenError

CELL_NAME = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
_STRUCTURED = re.compile(
    r"^tok:(?P<k>[rd]):(?P<cell>[a-z][a-z0-9-]{1,31}):(?P<kv>[0-9]{1,6}):(?P<p>[a-z2-7]+)$"
)
_EMAIL = re.compile(
    r"^(?P<p>[a-z2-7]{16})\.k(?P<kv>[0-9]{1,6})@(?P<cell>[a-z][a-z0-9-]{1,31})\.(?P<domain>[a-z0-9.-]+)$"
)
MAX_TOKEN_CHARS = 200


class TokenKind(StrEnum):
    RANDOM = "random"
    DETERMINISTIC = "deterministic"
    FPE_EMAIL = "fpe-email"
    FPE_PHONE = "fpe-phone"


@dataclass(frozen=True)
class ParsedToken:
    """A token's parts. ``cell`` is None for format-preserving phone tokens."""

    text: str
    kind: TokenKind
    cell: str | None
    key_version: int | None


def b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=").lower()


def random_token(cell: str, kv: int) -> str:
    return f"tok:r:{cell}:{kv}:{b32(os.urandom(16))}"


def deterministic_token(cell: str, kv: int, digest: bytes) -> str:
    return f"tok:d:{cell}:{kv}:{b32(digest[:20])}"


def fpe_email_token(cell: str, kv: int, token_domain: str) -> str:
    return f"{b32(os.urandom(10))}.k{kv}@{cell}.{token_domain}"


def fpe_phone_token(original_e164: str) -> str:
    """A random valid number with the original's region, type and length.

    The trailing digits are drawn at random (seven where the number is long
    enough, fewer for short ones), so the leading area or operator code stays
    and the result stays inside the region's numbering plan (e.g. a +1 268
    Antigua number keeps 268). InvalidTokenError when no valid number is found.
    """
    orig = phonenumbers.parse(original_e164, None)
    region = phonenumbers.region_code_for_number(orig)
    kind = phonenumbers.number_type(orig)
    national = phonenumbers.national_significant_number(orig)  # keeps an Italian-style leading zero
    spans = sorted(
        {min(7, len(national) - 2), min(5, len(national) - 2), min(4, len(national) - 1)}, reverse=True
    )
    for attempt in range(600):
        free = max(1, spans[min(attempt // 200, len(spans) - 1)])
        digits = national[:-free] + "".join(secrets.choice("0123456789") for _ in range(free))
        try:
            cand = phonenumbers.parse(f"+{orig.country_code}{digits}", None)
        except phonenumbers.NumberParseException:
            continue
        if (
            phonenumbers.is_valid_number(cand)
            and phonenumbers.region_code_for_number(cand) == region
            and phonenumbers.number_type(cand) == kind
            and phonenumbers.national_significant_number(cand) == digits
            and digits != national
        ):
            return phonenumbers.format_number(cand, phonenumbers.PhoneNumberFormat.E164)
    raise InvalidTokenError("could not draw a valid format-preserving phone token for this region")


def parse_token(text: object) -> ParsedToken:
    """Recognize a token's kind and parts; InvalidTokenError when it is none."""
    if not isinstance(text, str) or not text or len(text) > MAX_TOKEN_CHARS:
        raise InvalidTokenError("not a token: expected a non-empty string of at most 200 characters")
    if m := _STRUCTURED.match(text):
        kind = TokenKind.RANDOM if m["k"] == "r" else TokenKind.DETERMINISTIC
        return ParsedToken(text, kind, m["cell"], int(m["kv"]))
    if m := _EMAIL.match(text):
        return ParsedToken(text, TokenKind.FPE_EMAIL, m["cell"], int(m["kv"]))
    if text.startswith("+") and text[1:].isdigit() and 8 <= len(text) <= 16:
        return ParsedToken(text, TokenKind.FPE_PHONE, None, None)
    raise InvalidTokenError("unknown token format")
