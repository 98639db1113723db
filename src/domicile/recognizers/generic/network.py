"""IP addresses (IPv4 and IPv6).

An IP address linked to a user is PD (152-FZ art. 3; CJEU C-582/14 Breyer)
and a RU IP makes a user RU-scoped (PD-LOC-3). Validated with :mod:`ipaddress`.
"""

from __future__ import annotations

import ipaddress
import re

from domicile.recognizers.base import Example, Pattern, Recognizer

_DOTTED = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
_DIGIT_DOT_DIGIT = re.compile(r"\d\.\d")
_HEX_COLON = re.compile(r"[0-9A-Fa-f:]+")


def ipv4_valid(candidate: str) -> bool | None:
    """Whether ASCII ``a.b.c.d`` is a valid, specified IPv4 address; None if not of that shape.

    The rules of :class:`ipaddress.IPv4Address` (octets 0-255, no leading
    zeros), without its exceptions.
    """
    if _DOTTED.fullmatch(candidate) is None:
        return None
    octets = candidate.split(".")
    if any(len(o) > 1 and o[0] == "0" for o in octets) or any(int(o) > 255 for o in octets):
        return False
    return candidate != "0.0.0.0"


class IpAddressRecognizer(Recognizer):
    """IPv4 dotted quads and IPv6 addresses."""

    NAME = "ip_address"
    COUNTRY_CODE = "*"
    CATEGORY = "ip_address"
    PATTERNS = (
        Pattern("ipv4", r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])", 0.5),
        Pattern("ipv6", r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])", 0.5),
    )
    CONTEXT = ("ip", "ip address", "ip-адрес", "адрес ip", "remote addr", "client ip", "host", "last_ip")

    MAY_MATCH_MONOTONE = True

    def may_match(self, value: str, digits: int) -> bool:
        """IPv4 needs three dots, four digits and ``d.d``; a valid IPv6 address ``::`` or seven colons."""
        if digits >= 4 and value.count(".") >= 3 and _DIGIT_DOT_DIGIT.search(value) is not None:
            return True
        return ":" in value and ("::" in value or value.count(":") >= 7)

    def validate(self, candidate: str) -> bool | None:
        """A valid IPv4 or IPv6 address; unspecified (``0.0.0.0``, ``::``) rejected."""
        fast = ipv4_valid(candidate)
        if fast is not None:
            return fast
        if "::" not in candidate and candidate.count(":") != 7 and _HEX_COLON.fullmatch(candidate):
            return False  # IPv6 without "::" needs exactly 8 groups (a time such as 16:26:04 has 3)
        try:
            addr = ipaddress.ip_address(candidate)
        except ValueError:
            return False
        return not addr.is_unspecified

    @classmethod
    def examples(cls) -> tuple[Example, ...]:
        """Documentation-range addresses (RFC 5737, RFC 3849)."""
        return (
            Example("192.0.2.17", True, "TEST-NET-1"),
            Example("2001:db8::8a2e:370:7334", True, "documentation prefix"),
            Example("256.1.2.3", False, "octet above 255"),
            Example("12:34:56", False, "a time, not IPv6"),
            Example("1.2.3", False, "version string"),
        )
