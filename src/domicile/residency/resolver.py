"""Residency resolver: a subject's home jurisdiction, decided from signals.

Signals, strongest first: declared citizenship, declared residence, the phone
number's country (``phonenumbers``; +7 is shared, and a Kazakh +7 7xx number is
never taken for Russian), the IP country if the caller gives one.

Rules (conservative, PD-LOC-3; 152-FZ art. 18 part 5):

1. A STRONG signal for a country pack homes the subject there; if several packs
   hold strong signals, the strictest (lowest ``PRIORITY``) wins — so a strong RU
   signal always wins.
2. Otherwise a WEAK signal (IP) homes the subject in that pack, unless a strong
   signal names some other country (then the weak signal is outweighed).
3. Otherwise the catch-all pack (GLOBAL).

The decision carries its evidence: which signals pointed where and which rule
fired. Evidence holds countries and signal kinds only, never the phone digits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from domicile.core.errors import InputError
from domicile.jurisdictions.base import Jurisdiction, SignalKind, Strength
from domicile.jurisdictions.registry import PackRegistry
from domicile.vault.phones import phone_info

DECISION_CACHE = 4096  # distinct signal shapes remembered by a resolver


@dataclass(frozen=True)
class Signals:
    """What is known about where a subject belongs. All optional.

    ``citizenship`` may hold several countries (dual citizens); ``phones`` every
    number known for the subject (each is weighed; none replaces another).
    Country codes are validated and upper-cased on construction.
    """

    citizenship: tuple[str, ...] = ()
    residence: str | None = None
    phones: tuple[str, ...] = ()
    ip_country: str | None = None

    def __post_init__(self) -> None:
        cit = (self.citizenship,) if isinstance(self.citizenship, str) else self.citizenship
        if not isinstance(cit, tuple | list) or not all(isinstance(c, str) for c in cit):
            raise InputError("signal 'citizenship' must be a country code or a list of them")
        phones = (self.phones,) if isinstance(self.phones, str) else self.phones
        if not isinstance(phones, tuple | list) or not all(isinstance(p, str) for p in phones):
            raise InputError("signal 'phones' must be a list of phone numbers")
        object.__setattr__(self, "citizenship", tuple(dict.fromkeys(_country(c, "citizenship") for c in cit)))
        object.__setattr__(self, "phones", tuple(dict.fromkeys(p.strip() for p in phones if p.strip())))
        for name in ("residence", "ip_country"):
            value = getattr(self, name)
            if value is not None:
                if not isinstance(value, str):
                    raise InputError(f"signal {name!r} must be a country code")
                object.__setattr__(self, name, _country(value, name) if value.strip() else None)

    def with_phones(self, *phones: str) -> Signals:
        """These signals plus more phone numbers (e.g. the subject's own phone fields)."""
        return Signals(self.citizenship, self.residence, (*self.phones, *phones), self.ip_country)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (kept encrypted in the subject's record)."""
        out: dict[str, object] = {}
        if self.citizenship:
            out["citizenship"] = list(self.citizenship)
        if self.residence:
            out["residence"] = self.residence
        if self.phones:
            out["phones"] = list(self.phones)
        if self.ip_country:
            out["ip_country"] = self.ip_country
        return out

    @classmethod
    def from_mapping(cls, raw: object) -> Signals:
        """Build from a JSON-like mapping; raises InputError on a wrong shape."""
        if raw is None:
            return cls()
        if not isinstance(raw, dict):
            raise InputError("signals must be a JSON object")
        unknown = set(raw) - {"citizenship", "residence", "phone", "phones", "ip_country"}
        if unknown:
            raise InputError(f"unknown signal(s): {', '.join(sorted(unknown))}")
        phones = raw.get("phones", ())
        if raw.get("phone") is not None:
            if not isinstance(raw["phone"], str):
                raise InputError("signal 'phone' must be a string")
            phones = (*(phones if isinstance(phones, list | tuple) else (phones,)), raw["phone"])
        return cls(
            citizenship=raw.get("citizenship") or (),
            residence=raw.get("residence"),
            phones=phones,
            ip_country=raw.get("ip_country"),
        )


def _country(code: object, what: str) -> str:
    if not isinstance(code, str):
        raise InputError(f"signal {what!r} must be an ISO 3166 alpha-2 country code")
    code = code.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise InputError(f"signal {what!r} must be an ISO 3166 alpha-2 country code")
    return code


@dataclass(frozen=True)
class Evidence:
    """One signal as the resolver read it (PD-free: kind and country only)."""

    kind: SignalKind
    country: str | None
    strength: Strength | None
    pack: str | None
    note: str = ""


@dataclass(frozen=True)
class ResidencyDecision:
    """Where a subject is homed, why, and on what evidence."""

    jurisdiction: str
    rule: str
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)

    def summary(self) -> dict[str, object]:
        """A PD-free, JSON-ready account of the decision."""
        return {
            "jurisdiction": self.jurisdiction,
            "rule": self.rule,
            "evidence": [
                {"kind": e.kind.value, "country": e.country, "strength": e.strength, "pack": e.pack}
                for e in self.evidence
            ],
        }


def phone_country(number: str) -> str | None:
    """ISO country of a phone number, or None when it is not a valid number.

    ``+7 7xx`` resolves to KZ and ``+7 9xx`` to RU through libphonenumber's
    metadata, not by prefix guessing.
    """
    return phone_info(number).region


class ResidencyResolver:
    """Applies the rules above over the registered jurisdiction packs."""

    def __init__(self, packs: PackRegistry) -> None:
        self._packs = packs
        # the decision depends only on the (kind, country, note) of each signal and on the packs,
        # which never change: localize resolves millions of rows with a few hundred distinct ones
        self._decided: dict[tuple[tuple[SignalKind, str | None, str], ...], ResidencyDecision] = {}

    def _pack_for(self, country: str | None) -> type[Jurisdiction] | None:
        if country is None:
            return None
        for pack in self._packs.country_packs():
            if country in pack.COUNTRIES:
                return pack
        return None

    def _found(self, signals: Signals) -> tuple[tuple[SignalKind, str | None, str], ...]:
        found: list[tuple[SignalKind, str | None, str]] = [
            (SignalKind.CITIZENSHIP, c, "declared") for c in signals.citizenship
        ]
        if signals.residence:
            found.append((SignalKind.RESIDENCE, signals.residence, "declared"))
        for phone in signals.phones:
            country = phone_country(phone)
            found.append((SignalKind.PHONE, country, "libphonenumber" if country else "unparseable"))
        if signals.ip_country:
            found.append((SignalKind.IP, signals.ip_country, "caller-supplied"))
        return tuple(found)

    def _evidence(self, found: Sequence[tuple[SignalKind, str | None, str]]) -> list[Evidence]:
        out: list[Evidence] = []
        for kind, country, note in found:
            pack = self._pack_for(country)
            strength = pack.strength(kind) if pack else _default_strength(kind)
            out.append(Evidence(kind, country, strength, pack.CODE if pack else None, note))
        return out

    def resolve(self, signals: Signals) -> ResidencyDecision:
        """Decide the home jurisdiction of a subject from *signals*."""
        found = self._found(signals)
        decision = self._decided.get(found)
        if decision is None:
            decision = self._decide(tuple(self._evidence(found)))
            if len(self._decided) >= DECISION_CACHE:
                self._decided.clear()
            self._decided[found] = decision
        return decision

    def _decide(self, evidence: tuple[Evidence, ...]) -> ResidencyDecision:
        for pack in self._packs.country_packs():  # strictest first
            strong = [e for e in evidence if e.pack == pack.CODE and e.strength == Strength.STRONG]
            if strong:
                return ResidencyDecision(pack.CODE, f"strong:{strong[0].kind.value}", evidence)
        strong_elsewhere = any(
            e.strength == Strength.STRONG and e.country is not None and e.pack is None for e in evidence
        )
        outweighed = False
        for pack in self._packs.country_packs():
            weak = [e for e in evidence if e.pack == pack.CODE and e.strength == Strength.WEAK]
            if weak and not strong_elsewhere:
                return ResidencyDecision(pack.CODE, f"weak:{weak[0].kind.value}", evidence)
            outweighed = outweighed or bool(weak)
        rule = "outweighed-weak" if outweighed else ("catch-all" if evidence else "no-evidence")
        return ResidencyDecision(self._packs.catch_all.CODE, rule, evidence)

    def packs(self) -> Sequence[str]:
        return list(self._packs)


def _default_strength(kind: SignalKind) -> Strength:
    """Strength of a signal for a country no pack claims (it may outweigh weak ones)."""
    return Strength.WEAK if kind is SignalKind.IP else Strength.STRONG
