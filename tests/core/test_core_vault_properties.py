"""Round trips of the vault and tokens, on memory, SQLite and PostgreSQL cells."""

from __future__ import annotations

import phonenumbers
import pytest
from core_strategies import email_strategy, fields_strategy, phone_strategy
from email_validator import validate_email
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domicile.core.errors import SubjectErasedError
from domicile.residency.resolver import Signals
from domicile.service import Domicile
from domicile.tokens.formats import TokenKind, parse_token
from domicile.tokens.service import detokenize, tokenize
from domicile.vault.fields import FieldKind, normalize

PROPS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
A = {"actor": "test", "purpose": "test.case"}


def _same(kind: FieldKind, a: str, b: str) -> bool:
    return normalize(kind, a) == normalize(kind, b) if kind is FieldKind.PHONE else a == b


@PROPS
@given(values=fields_strategy(), citizen=st.sampled_from(["RU", "KZ", "DE", "US"]))
def test_put_then_get_returns_the_same_values(dom: Domicile, values: dict[str, str], citizen: str) -> None:
    """put -> get returns every stored value (PD-LOC-1: stored and read in the home cell)."""
    res = dom.put(values, Signals(citizenship=(citizen,)), **A)
    view = dom.get(res.subject_id, **A)
    assert set(view.values) == set(values)
    for name, value in values.items():
        assert _same(dom.schema.spec(name).kind, view.values[name], value)
    assert view.cell == res.cell


@PROPS
@given(values=fields_strategy(), scope=st.sampled_from(["default", "analytics", "dedup-1"]))
def test_tokenize_detokenize_round_trips_for_every_kind(
    dom: Domicile, values: dict[str, str], scope: str
) -> None:
    """Every token kind resolves back to its value; each names its cell (or is found by lookup)."""
    values = {**values, "email": values.get("email", "x@example.org")}
    res = dom.put(values, **A)
    cases = [
        ("given_name", TokenKind.RANDOM),
        ("given_name", TokenKind.DETERMINISTIC),
        ("phone", TokenKind.FPE_PHONE),
        ("email", TokenKind.FPE_EMAIL),
        ("phone", TokenKind.DETERMINISTIC),
    ]
    for field_name, kind in cases:
        token = tokenize(dom, res.subject_id, field_name, kind, scope, **A)
        parsed = parse_token(token)
        assert parsed.kind is kind
        assert parsed.cell in (res.cell, None)
        back = detokenize(dom, token, **A)
        assert back.cell == res.cell
        fkind = dom.schema.spec(field_name).kind
        if kind is TokenKind.DETERMINISTIC:
            # a deterministic token stands for the normalized value, shared by every subject holding
            # it: it may resolve to another subject's spelling of it ('a' for 'A')
            assert normalize(fkind, back.value) == normalize(fkind, values[field_name])
            continue
        assert back.subject_id == res.subject_id
        assert _same(fkind, back.value, values[field_name])


@PROPS
@given(values=fields_strategy())
def test_deterministic_tokens_join_equal_values(dom: Domicile, values: dict[str, str]) -> None:
    """Deterministic tokens of equal values in one field and scope are equal; other scopes differ."""
    a = dom.put(values, **A)
    b = dom.put(values, **A)
    ta = tokenize(dom, a.subject_id, "given_name", TokenKind.DETERMINISTIC, "joins", **A)
    tb = tokenize(dom, b.subject_id, "given_name", TokenKind.DETERMINISTIC, "joins", **A)
    other = tokenize(dom, a.subject_id, "given_name", TokenKind.DETERMINISTIC, "other", **A)
    if a.cell == b.cell:
        assert ta == tb
    assert other != ta


@PROPS
@given(values=fields_strategy())
def test_after_erase_get_and_detokenize_fail_typed(dom: Domicile, values: dict[str, str]) -> None:
    """Erasure by crypto-shredding: get and every token fail with SubjectErasedError (PD-DSR-6)."""
    res = dom.put(values, **A)
    assert res.tokens
    dom.erase(res.subject_id, actor="test")
    with pytest.raises(SubjectErasedError):
        dom.get(res.subject_id, **A)
    for token in res.tokens.values():
        with pytest.raises(SubjectErasedError):
            detokenize(dom, token, **A)
    assert dom.find("phone", values["phone"], **A) == []


@PROPS
@given(phone=phone_strategy(), email=email_strategy())
def test_format_preserving_tokens_pass_the_same_validation(dom: Domicile, phone: str, email: str) -> None:
    """FPE tokens pass the original's checks: a valid number of the same region and type; a valid e-mail."""
    res = dom.put({"given_name": "Test", "phone": phone, "email": email}, **A)
    tok_phone, tok_email = res.tokens["phone"], res.tokens["email"]
    orig = phonenumbers.parse(phone, None)
    tok = phonenumbers.parse(tok_phone, None)
    assert phonenumbers.is_valid_number(orig) and phonenumbers.is_valid_number(tok)
    assert phonenumbers.region_code_for_number(tok) == phonenumbers.region_code_for_number(orig)
    assert phonenumbers.number_type(tok) == phonenumbers.number_type(orig)
    assert tok_phone != phonenumbers.format_number(orig, phonenumbers.PhoneNumberFormat.E164)
    validate_email(email, check_deliverability=False)
    validate_email(tok_email, check_deliverability=False)
    assert tok_email.endswith("@" + res.cell + "." + dom.token_domain)
    assert email.lower() not in tok_email
