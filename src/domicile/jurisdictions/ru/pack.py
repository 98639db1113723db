"""The Russia pack: localization and cross-border data with legal sources.

Localization: 152-FZ art. 18 part 5 (PD-LOC-1..3) — recording, systematization,
accumulation, storage, updating and extraction of Russian citizens' PD use
databases located in Russia; the Russian database is primary and receives
every change first. Where citizenship is unknown, RU-located users are treated
as Russian (PD-LOC-3, market practice [U]); a +7 number is Russian only when
``phonenumbers`` places it in RU (Kazakhstan shares +7).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from typing import ClassVar

import yaml

from domicile.jurisdictions.base import (
    AdequacyList,
    DataCategory,
    Jurisdiction,
    LegalSource,
    SignalKind,
    Strength,
    TransferRule,
)

LOCALIZATION = LegalSource("152-FZ", "art. 18 part 5", "[V]", ("PD-LOC-1", "PD-LOC-2"))


def _load_adequacy() -> AdequacyList:
    raw = yaml.safe_load(
        resources.files("domicile.jurisdictions.ru").joinpath("adequacy.yaml").read_text("utf-8")
    )
    return AdequacyList(
        countries=frozenset(str(c).upper() for c in raw["countries"]),
        source=LegalSource(raw["act"], raw["article"], raw["tag"], tuple(raw["requirement_ids"])),
        as_of=str(raw["as_of"]),
    )


class RussiaPack(Jurisdiction):
    """RU: every PD category of Russian subjects is localized in RU cells."""

    CODE: ClassVar[str] = "RU"
    NAME: ClassVar[str] = "Russian Federation"
    COUNTRIES: ClassVar[frozenset[str]] = frozenset({"RU"})
    PRIORITY: ClassVar[int] = 10
    LOCALIZED_CATEGORIES: ClassVar[frozenset[DataCategory]] = frozenset(DataCategory)
    LOCALIZATION_SOURCE: ClassVar[LegalSource | None] = LOCALIZATION
    SIGNAL_STRENGTH: ClassVar[Mapping[SignalKind, Strength]] = {
        SignalKind.CITIZENSHIP: Strength.STRONG,
        SignalKind.RESIDENCE: Strength.STRONG,  # PD-LOC-3: ru_located
        SignalKind.PHONE: Strength.STRONG,  # PD-LOC-3: +7 RU prefix (not KZ)
        SignalKind.IP: Strength.WEAK,  # PD-LOC-3: RU IP when nothing stronger
    }
    TRANSFER_RULES: ClassVar[Sequence[TransferRule]] = (
        TransferRule(
            "ru.xb.assessment",
            "Assess each recipient before the first transfer of a kind",
            LegalSource("152-FZ", "art. 12", "[V]", ("PD-XB-1",)),
        ),
        TransferRule(
            "ru.xb.notice",
            "A cross-border transfer notice listing the destination must be filed",
            LegalSource("152-FZ", "art. 12", "[V]", ("PD-XB-2",)),
        ),
        TransferRule(
            "ru.xb.wait",
            "Non-adequate destinations wait 10 working days after the notice",
            LegalSource("152-FZ", "art. 12", "[V]", ("PD-XB-3",)),
        ),
        TransferRule(
            "ru.xb.ban",
            "A Roskomnadzor ban or restriction stops transfers to that destination",
            LegalSource("Gov. Decree No. 24 of 16.01.2023", "", "[V]", ("PD-XB-5",)),
        ),
        TransferRule(
            "ru.remote-access",
            "Remote access from abroad to the RU database is itself a transfer",
            LegalSource("152-FZ", "art. 18 part 5 (RKN position)", "[U]", ("PD-LOC-2",)),
        ),
    )
    ADEQUACY: ClassVar[AdequacyList | None] = _load_adequacy()
