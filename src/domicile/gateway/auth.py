"""API keys: hashed at rest, bound to a principal with a role and a location.

A key reads ``dmk_<key id>.<secret>``: the key id (12 base32 characters) finds the row,
the secret (256 random bits) is checked against ``HMAC-SHA256(salt, secret)`` with a
per-key random salt, compared in constant time. The secret is shown once, at creation,
and never stored. A 256-bit random secret needs no slow KDF: there is nothing to guess.

The *location* is the ISO country where the caller runs; it decides whether a request
is domestic or a cross-border transfer (152-FZ art. 12; PD-XB-2..5). A key of role
``authority`` also records the one *authority type* (``rkn``, ``mvd``...) it submits to the
regulator desk as; other roles have none.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from domicile.core.clock import Clock, iso_utc
from domicile.core.errors import InputError
from domicile.gateway.authz import Role
from domicile.gateway.countries import check_country
from domicile.gateway.errors import AuthenticationError, GatewayRecordNotFoundError
from domicile.gateway.store import GatewayStore, api_keys, row_dict
from domicile.service import check_actor

KEY_PREFIX = "dmk_"
_KEY = re.compile(r"^dmk_(?P<id>[a-z2-7]{12})\.(?P<secret>[a-z2-7]{52})$")
_KEY_ID = re.compile(r"^[a-z2-7]{12}$")
NOTE_MAX = 200


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=").lower()


def _digest(salt: bytes, secret: str) -> str:
    return hmac.new(salt, secret.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: an id for the audit log, a role and the country it runs in."""

    principal: str
    role: Role
    location: str
    key_id: str
    authority_type: str | None = None


@dataclass(frozen=True)
class ApiKeyInfo:
    """A stored key, without its secret."""

    key_id: str
    principal: str
    role: Role
    location: str
    note: str
    created_at: str
    revoked_at: str | None
    authority_type: str | None = None


@dataclass(frozen=True)
class IssuedKey:
    """A new key: ``api_key`` is the only copy of the secret; hand it over and forget it."""

    info: ApiKeyInfo
    api_key: str


def _info(row: Mapping[str, object]) -> ApiKeyInfo:
    return ApiKeyInfo(
        key_id=str(row["key_id"]),
        principal=str(row["principal"]),
        role=Role(str(row["role"])),
        location=str(row["location"]),
        note=str(row["note"]),
        created_at=str(row["created_at"]),
        revoked_at=None if row["revoked_at"] is None else str(row["revoked_at"]),
        authority_type=None if row.get("authority_type") is None else str(row["authority_type"]),
    )


def check_authority_type(role: Role, authority_type: str | None) -> str | None:
    """An ``authority`` key needs exactly one desk authority type; other roles take none."""
    if role is not Role.AUTHORITY:
        if authority_type:
            raise InputError("only an authority key has an authority type")
        return None
    from domicile.desk.models import AuthorityType

    try:
        return AuthorityType(authority_type or "").value
    except ValueError:
        known = ", ".join(a.value for a in AuthorityType)
        raise InputError(f"an authority key needs an authority type; expected one of {known}") from None


def check_note(note: str) -> str:
    """Notes are short labels (they are shown in listings), not PD."""
    if not isinstance(note, str) or len(note) > NOTE_MAX or any(ord(c) < 32 for c in note):
        raise InputError(f"note must be at most {NOTE_MAX} printable characters")
    return note


class ApiKeys:
    """Create, list, revoke and verify API keys in the gateway database."""

    def __init__(self, store: GatewayStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def create(
        self,
        principal: str,
        role: Role | str,
        location: str,
        note: str = "",
        authority_type: str | None = None,
    ) -> IssuedKey:
        """Issue a key for *principal* acting as *role* from *location*.

        Raises:
            InputError: the principal is not an id, the role or the country is unknown, or the
                authority type is missing (role ``authority``), unknown or given for another role.
        """
        check_actor(principal)
        try:
            role = Role(role)
        except ValueError:
            raise InputError(f"unknown role; expected one of {', '.join(r.value for r in Role)}") from None
        location = check_country(location, "location")
        note = check_note(note)
        bound = check_authority_type(role, authority_type)
        key_id = _b32(os.urandom(8))[:12]
        secret = _b32(os.urandom(32))
        salt = os.urandom(16)
        now = iso_utc(self._clock.now())
        row = {
            "key_id": key_id,
            "principal": principal,
            "role": role.value,
            "location": location,
            "salt": salt.hex(),
            "digest": _digest(salt, secret),
            "note": note,
            "created_at": now,
            "revoked_at": None,
            "authority_type": bound,
        }
        with self._store.begin() as conn:
            conn.execute(api_keys.insert().values(**row))
        return IssuedKey(_info(row), f"{KEY_PREFIX}{key_id}.{secret}")

    def list(self, include_revoked: bool = True) -> list[ApiKeyInfo]:
        """Every key (newest last), optionally without revoked ones."""
        query = sa.select(api_keys).order_by(api_keys.c.created_at, api_keys.c.key_id)
        if not include_revoked:
            query = query.where(api_keys.c.revoked_at.is_(None))
        with self._store.begin() as conn:
            return [_info(row_dict(r)) for r in conn.execute(query)]

    def revoke(self, key_id: str) -> ApiKeyInfo:
        """Revoke a key at once; revoking twice keeps the first time.

        Raises:
            GatewayRecordNotFoundError: no key has that id.
        """
        if not isinstance(key_id, str) or not _KEY_ID.match(key_id):
            raise InputError("key id must be 12 characters of a-z and 2-7")
        now = iso_utc(self._clock.now())
        with self._store.begin() as conn:
            conn.execute(
                api_keys.update()
                .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            row = conn.execute(sa.select(api_keys).where(api_keys.c.key_id == key_id)).first()
        if row is None:
            raise GatewayRecordNotFoundError(f"no API key {key_id}")
        return _info(row_dict(row))

    def verify(self, presented: str | None) -> Principal:
        """The principal behind a presented key.

        Raises:
            AuthenticationError: missing, malformed, unknown, wrong or revoked key (one message
                for the last three, so a caller learns nothing about which).
        """
        if not presented:
            raise AuthenticationError("missing API key: send 'Authorization: Bearer dmk_...'")
        m = _KEY.match(presented)
        if m is None:
            raise AuthenticationError("malformed API key: expected dmk_<key id>.<secret>")
        with self._store.begin() as conn:
            row = conn.execute(sa.select(api_keys).where(api_keys.c.key_id == m["id"])).first()
        if row is None:
            raise AuthenticationError("invalid or revoked API key")
        data = row_dict(row)
        ok = hmac.compare_digest(_digest(bytes.fromhex(str(data["salt"])), m["secret"]), str(data["digest"]))
        if not ok or data["revoked_at"] is not None:
            raise AuthenticationError("invalid or revoked API key")
        bound = None if data.get("authority_type") is None else str(data["authority_type"])
        return Principal(
            str(data["principal"]), Role(str(data["role"])), str(data["location"]), m["id"], bound
        )
