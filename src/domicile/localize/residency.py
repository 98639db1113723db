"""Is a source row's subject homed in the jurisdiction? (PD-LOC-3, 152-FZ art. 18 part 5)

A subject-table row is resolved by the residency resolver from its ``residency`` columns and its
phone fields. Most rows of a global database are not the jurisdiction's: a row with no signal
that *could* name it (an international number with another calling code, no matching country
column) is rejected without parsing anything. A dependent row is home iff the subject at the end
of its owner chain is in the cell (:mod:`domicile.localize.owners`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import phonenumbers

from domicile.core.errors import InputError
from domicile.localize.datamap import ColumnMap, TableMap
from domicile.localize.fingerprints import canonical as canonical_form
from domicile.localize.plan import Row, TablePlan, text_of
from domicile.residency.resolver import ResidencyResolver, Signals
from domicile.service import Domicile
from domicile.vault.fields import FieldKind, FieldSchema
from domicile.vault.phones import phone_info

_COUNTRY = re.compile(r"^\s*[A-Za-z]{2}\s*$")


class HomeTest:
    """Residency of subject-table rows, and the validated vault values of a row.

    Holds only the field schema, the resolver and the jurisdiction's countries, so it can be
    sent to a worker process (:mod:`~domicile.localize.prep`).
    """

    def __init__(
        self, schema: FieldSchema, resolver: ResidencyResolver, jurisdiction: str, countries: Iterable[str]
    ) -> None:
        self.schema, self.resolver, self.jurisdiction = schema, resolver, jurisdiction
        self.countries = frozenset(countries)
        self.codes = tuple(
            sorted({str(phonenumbers.country_code_for_region(c)) for c in self.countries}) or ("",)
        )
        self._phone_fields: dict[str, bool] = {}

    @classmethod
    def for_dom(cls, dom: Domicile, jurisdiction: str) -> HomeTest:
        return cls(dom.schema, dom.resolver, jurisdiction, dom.packs[jurisdiction].COUNTRIES)

    def is_phone_field(self, name: str | None) -> bool:
        if name is None:
            return False
        if name not in self._phone_fields:
            self._phone_fields[name] = self.schema.spec(name).kind is FieldKind.PHONE
        return self._phone_fields[name]

    def subject_row(self, plan: TablePlan, r: Row) -> bool:
        """Whether a subject-table row is homed here (sets ``r.signals`` when it is)."""
        signals = self.resolve(plan.table, plan.replaced, r.raw)
        if signals is None:
            return False
        r.signals = signals
        return True

    def resolve(self, t: TableMap, replaced: Sequence[ColumnMap], raw: Mapping[str, Any]) -> Signals | None:
        """The residency signals of a subject-table row homed here; None when it is not."""
        raw_phones = [text_of(raw[c]) for c in t.residency.phones]
        raw_phones += [text_of(raw[c.name]) for c in replaced if self.is_phone_field(c.field)]
        res = t.residency
        countries = [raw[c] if c else None for c in (res.citizenship, res.residence, res.ip_country)]
        if not self._may_name_home(raw_phones, countries):
            return None  # no signal can name the jurisdiction: the resolver cannot home it here
        phones = [phone_text(p) for p in raw_phones if p]
        signals = _signals([p for p in phones if p], *countries)
        return signals if self.resolver.resolve(signals).jurisdiction == self.jurisdiction else None

    def _may_name_home(self, phones: list[str | None], countries: list[Any]) -> bool:
        """Whether any country column or phone could name the jurisdiction (cheap checks only)."""
        home = self.countries
        for c in countries:
            if isinstance(c, str) and (c in home or c.strip().upper() in home):
                return True
        return any(self._may_be_home_phone(p) for p in phones if p)

    def _may_be_home_phone(self, text: str) -> bool:
        """False only for an international number whose calling code is not the jurisdiction's."""
        t = text.lstrip()
        if not t.startswith("+"):
            return True  # national format: parsed with the RU numbering plan
        head = t[1:5]
        if not head.isdigit():  # "+7 (916) ...": the code's digits among the first four characters
            head = "".join(filter(str.isdigit, head))
        return head.startswith(self.codes)

    def validated(self, plan: TablePlan, r: Row) -> dict[str, str]:
        """The row's values of vault fields that pass validation (others stay in the item only)."""
        return self.values(plan.replaced, r.raw)

    def values(self, replaced: Sequence[ColumnMap], raw: Mapping[str, Any]) -> dict[str, str]:
        """:meth:`validated` of a raw row."""
        out: dict[str, str] = {}
        for c in replaced:
            text = text_of(raw[c.name])
            if c.field is None or text is None:
                continue
            if self.is_phone_field(c.field):
                text = phone_text(text) or text
            try:
                out.update(self.schema.validate({c.field: text}))
            except InputError:
                continue
        return out


def phone_text(v: Any) -> str | None:
    """A phone value the resolver and validation accept: international as is, national via the RU plan."""
    text = text_of(v)
    if not text:
        return None
    if phone_info(text).e164 is not None:
        return text  # parsed once: the resolver and validation hit phone_info's cache
    return canonical_form("phone", text)


def _signals(phones: list[str], citizenship: Any, residence: Any, ip_country: Any) -> Signals:
    """Residency signals from source columns; a malformed country code is ignored, not fatal."""
    kwargs: dict[str, Any] = {}
    for name, v in (("citizenship", citizenship), ("residence", residence), ("ip_country", ip_country)):
        if isinstance(v, str) and _COUNTRY.match(v):
            kwargs[name] = v
    return Signals(phones=tuple(phones), **kwargs)
