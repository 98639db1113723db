"""The catch-all pack: everyone no country pack claims."""

from __future__ import annotations

from typing import ClassVar

from domicile.jurisdictions.base import DataCategory, Jurisdiction


class GlobalPack(Jurisdiction):
    """GLOBAL: no localization duty of its own; PD still lives encrypted in a cell."""

    CODE: ClassVar[str] = "GLOBAL"
    NAME: ClassVar[str] = "Rest of the world"
    PRIORITY: ClassVar[int] = 1000
    LOCALIZED_CATEGORIES: ClassVar[frozenset[DataCategory]] = frozenset()
