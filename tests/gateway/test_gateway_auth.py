"""API keys: stored as salted HMACs, verified in constant time, revocable; principals carry role and place."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from gateway_helpers import START
from hypothesis import given, settings
from hypothesis import strategies as st

from domicile.core.clock import FixedClock
from domicile.core.errors import InputError
from domicile.gateway.auth import ApiKeys
from domicile.gateway.authz import Role
from domicile.gateway.errors import AuthenticationError, GatewayRecordNotFoundError
from domicile.gateway.store import GatewayStore, api_keys


@pytest.fixture
def keys() -> ApiKeys:
    return ApiKeys(GatewayStore.open("sqlite://"), FixedClock(START))


def test_secret_is_never_stored(keys: ApiKeys) -> None:
    """The table holds a salt and an HMAC digest; neither the key nor its secret appears in any column."""
    issued = keys.create("signup-svc", Role.APP, "de", note="sign-up service")
    secret = issued.api_key.split(".")[1]
    with keys._store.begin() as conn:
        row = dict(conn.execute(sa.select(api_keys)).one()._mapping)
    assert secret not in repr(row) and issued.api_key not in repr(row)
    assert len(row["digest"]) == 64 and len(row["salt"]) == 32 and row["location"] == "DE"
    principal = keys.verify(issued.api_key)
    assert (principal.principal, principal.role, principal.location) == ("signup-svc", Role.APP, "DE")


def test_two_keys_with_equal_secrets_have_different_digests(keys: ApiKeys) -> None:
    """Per-key salts: equal secrets would not give equal digests (checked on the stored rows)."""
    keys.create("a-svc", Role.APP, "RU")
    keys.create("b-svc", Role.APP, "RU")
    with keys._store.begin() as conn:
        salts = [r.salt for r in conn.execute(sa.select(api_keys.c.salt))]
    assert len(set(salts)) == 2


@settings(max_examples=40, deadline=None)
@given(position=st.integers(0, 200), replacement=st.sampled_from("abcdefghijklmnopqrstuvwxyz234567._"))
def test_any_altered_key_is_refused(position: int, replacement: str) -> None:
    """Changing one character of a valid key makes it fail verification (and nothing else does)."""
    keys = ApiKeys(GatewayStore.open("sqlite://"), FixedClock(START))
    good = keys.create("svc", Role.DPO, "RU").api_key
    assert keys.verify(good).role is Role.DPO
    i = position % len(good)
    bad = good[:i] + replacement + good[i + 1 :]
    if bad == good:
        return
    with pytest.raises(AuthenticationError):
        keys.verify(bad)


def test_revocation_and_listing(keys: ApiKeys) -> None:
    """Revoked keys fail at once and are listed as revoked; unknown ids are a 404-class error."""
    issued = keys.create("svc", Role.SUPPORT_RU, "RU")
    info = keys.revoke(issued.info.key_id)
    assert info.revoked_at is not None
    with pytest.raises(AuthenticationError, match="invalid or revoked"):
        keys.verify(issued.api_key)
    assert keys.list(include_revoked=False) == []
    assert [k.key_id for k in keys.list()] == [issued.info.key_id]
    with pytest.raises(GatewayRecordNotFoundError):
        keys.revoke("aaaaaaaaaaaa")


@pytest.mark.parametrize(
    ("principal", "role", "location", "message"),
    [
        ("has space", "app", "RU", "actor"),
        ("svc", "root", "RU", "unknown role"),
        ("svc", "app", "ZZ", "not a known"),
        ("svc", "app", "RUS", "alpha-2"),
    ],
)
def test_bad_key_requests_store_nothing(
    keys: ApiKeys, principal: str, role: str, location: str, message: str
) -> None:
    """A bad principal, role or country is one InputError and no row."""
    with pytest.raises(InputError, match=message):
        keys.create(principal, role, location)
    assert keys.list() == []


@pytest.mark.parametrize("presented", [None, "", "Bearer x", "dmk_short.x", "dmk_aaaaaaaaaaaa." + "9" * 52])
def test_malformed_keys_are_refused(keys: ApiKeys, presented: str | None) -> None:
    """Missing or malformed keys raise AuthenticationError without touching other keys."""
    with pytest.raises(AuthenticationError):
        keys.verify(presented)
