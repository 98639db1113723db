"""Country codes as the gateway accepts them (caller locations, transfer destinations)."""

from __future__ import annotations

import phonenumbers

from domicile.core.errors import InputError

#: ISO 3166 alpha-2 codes known to libphonenumber (245 regions; enough to name a caller's country).
KNOWN_COUNTRIES: frozenset[str] = frozenset(phonenumbers.SUPPORTED_REGIONS)


def check_country(code: object, what: str = "country") -> str:
    """Return *code* upper-cased if it is a known ISO 3166 alpha-2 code, else raise InputError."""
    if not isinstance(code, str) or len(code.strip()) != 2:
        raise InputError(f"{what} must be an ISO 3166 alpha-2 country code")
    upper = code.strip().upper()
    if upper not in KNOWN_COUNTRIES:
        raise InputError(f"{what} {upper!r} is not a known ISO 3166 alpha-2 country code")
    return upper
