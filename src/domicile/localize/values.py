"""Typed canonical JSON of source row values, and keyed digests over it.

A localized item keeps the *exact* raw values a source row held, as the database driver
returned them, so that they can be compared, restored or checksummed without loss. Plain JSON
would blur ``1`` and ``Decimal("1.00")`` or a date and its text; each non-JSON type is therefore
wrapped in a one-key object naming its type::

    None -> null         str -> "text"          int -> 12            bool -> true
    float -> {"f": "0.1"}                       Decimal -> {"n": "12.50"}   (scale kept)
    date -> {"d": "2024-01-31"}                 datetime -> {"t": "2024-01-31T09:00:00+00:00"}
    time -> {"tm": "09:00:00"}                  timedelta -> {"td": microseconds}
    bytes / memoryview -> {"x": hex}            UUID -> {"u": "..."}
    list / dict (JSON columns) -> {"j": [...] / {...}} with the same encoding inside

Keys are sorted and separators fixed, so equal values give equal bytes on every backend.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import math
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from domicile.core.errors import InputError

Value = Any


def encode_value(v: Value) -> Any:
    """One value as a JSON-ready typed form (see the module docstring)."""
    if v is None or isinstance(v, str | bool):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return {"f": repr(v) if math.isfinite(v) else str(v)}
    if isinstance(v, Decimal):
        return {"n": str(v)}
    if isinstance(v, dt.datetime):  # before date: datetime is a date
        return {"t": v.isoformat()}
    if isinstance(v, dt.date):
        return {"d": v.isoformat()}
    if isinstance(v, dt.time):
        return {"tm": v.isoformat()}
    if isinstance(v, dt.timedelta):
        return {"td": (v.days * 86_400 + v.seconds) * 1_000_000 + v.microseconds}
    if isinstance(v, bytes | bytearray | memoryview):
        return {"x": bytes(v).hex()}
    if isinstance(v, uuid.UUID):
        return {"u": str(v)}
    if isinstance(v, list | tuple):
        return {"j": [encode_value(x) for x in v]}
    if isinstance(v, Mapping):
        return {"j": {str(k): encode_value(x) for k, x in v.items()}}
    raise InputError(f"cannot localize a value of type {type(v).__name__}")


def decode_value(raw: Any) -> Value:
    """Inverse of :func:`encode_value`."""
    if raw is None or isinstance(raw, str | bool | int):
        return raw
    if isinstance(raw, dict) and len(raw) == 1:
        ((tag, body),) = raw.items()
        if tag == "f":
            return float(body)
        if tag == "n":
            return Decimal(body)
        if tag == "t":
            return dt.datetime.fromisoformat(body)
        if tag == "d":
            return dt.date.fromisoformat(body)
        if tag == "tm":
            return dt.time.fromisoformat(body)
        if tag == "td":
            return dt.timedelta(microseconds=int(body))
        if tag == "x":
            return bytes.fromhex(body)
        if tag == "u":
            return uuid.UUID(body)
        if tag == "j":
            if isinstance(body, list):
                return [decode_value(x) for x in body]
            return {k: decode_value(x) for k, x in body.items()}
    raise InputError("malformed typed value")


def dumps(obj: Any) -> bytes:
    """Canonical bytes of an already encoded object (sorted keys, no spaces, UTF-8)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical(v: Value) -> bytes:
    """Canonical typed JSON of one value (or of a list of them)."""
    return dumps(encode_value(v))


def canonical_key(values: Sequence[Value]) -> str:
    """A primary key's values as canonical text (ids, checkpoints)."""
    return dumps([encode_value(v) for v in values]).decode()


def parse_key(text: str) -> tuple[Value, ...]:
    """Inverse of :func:`canonical_key`."""
    raw = json.loads(text)
    if not isinstance(raw, list):
        raise InputError("malformed checkpoint key")
    return tuple(decode_value(x) for x in raw)


def row_payload(table: str, key: Sequence[Value], values: Mapping[str, Value]) -> bytes:
    """The plaintext of a localized item: table, primary key and the PD values, canonical."""
    return dumps(
        {
            "t": table,
            "k": [encode_value(v) for v in key],
            "v": {c: encode_value(x) for c, x in values.items()},
        }
    )


def parse_payload(data: bytes) -> tuple[str, tuple[Value, ...], dict[str, Value]]:
    """Inverse of :func:`row_payload`."""
    raw = json.loads(data)
    return (
        str(raw["t"]),
        tuple(decode_value(x) for x in raw["k"]),
        {str(c): decode_value(x) for c, x in raw["v"].items()},
    )


def keyed_digest(key: bytes, data: bytes) -> bytes:
    """HMAC-SHA256 of an item payload (never an unkeyed hash: PD values are guessable)."""
    return hmac.digest(key, b"domicile/item\0" + data, "sha256")


def fold(acc: int, digest: bytes) -> int:
    """Order-independent checksum: the sum of digests modulo 2**256."""
    return (acc + int.from_bytes(digest, "big")) % (1 << 256)
