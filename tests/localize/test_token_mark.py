"""``token_mark`` tells a source value's token kind without a look-up, fast for non-tokens (PD-LOC-1).

The fast path (no token format starts like a name or a date) must answer exactly what the full
parse answers, for tokens of every kind and for anything else.
"""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from domicile.core.errors import InvalidTokenError
from domicile.localize.tokens import TokenMark, token_mark
from domicile.tokens.formats import deterministic_token, fpe_email_token, parse_token, random_token

CELL = "ru-msk-1"


def _reference(value: object, cell: str) -> TokenMark:
    if value is None:
        return TokenMark.NONE
    try:
        parsed = parse_token(value)
    except InvalidTokenError:
        return TokenMark.NOT_A_TOKEN
    if parsed.cell is None:
        return TokenMark.PHONE
    return TokenMark.OURS if parsed.cell == cell else TokenMark.FOREIGN


_TOKENS = st.one_of(
    st.builds(random_token, st.sampled_from([CELL, "gl-1"]), st.integers(1, 9)),
    st.builds(lambda c: deterministic_token(c, 1, os.urandom(32)), st.sampled_from([CELL, "gl-1"])),
    st.builds(lambda c: fpe_email_token(c, 2, "tokens.example"), st.sampled_from([CELL, "gl-1"])),
    st.from_regex(r"\+[0-9]{7,15}", fullmatch=True),
)
_VALUES = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.emails(),
    st.from_regex(r"(tok:|\+|[a-z2-7]{16}\.k)[ -~]{0,40}", fullmatch=True),
    st.integers(),
    _TOKENS,
)


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_token_mark_equals_the_full_parse(value: object) -> None:
    assert token_mark(value, CELL) == _reference(value, CELL)


def test_token_mark_examples() -> None:
    assert token_mark(random_token(CELL, 1), CELL) is TokenMark.OURS
    assert token_mark(random_token("gl-1", 1), CELL) is TokenMark.FOREIGN
    assert token_mark("+79161234567", CELL) is TokenMark.PHONE
    assert token_mark("Иван", CELL) is TokenMark.NOT_A_TOKEN
    assert token_mark("ivan@example.ru", CELL) is TokenMark.NOT_A_TOKEN
    assert token_mark(None, CELL) is TokenMark.NONE
