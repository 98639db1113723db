"""The one place jurisdiction packs are registered.

Built-in packs are listed here; third-party packs are discovered through the
``domicile.jurisdictions`` entry-point group (each entry point names a
:class:`~domicile.jurisdictions.base.Jurisdiction` subclass). Duplicate codes
raise :class:`~domicile.core.errors.ConfigError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from importlib.metadata import entry_points

from domicile.core.errors import ConfigError
from domicile.jurisdictions.base import Jurisdiction
from domicile.jurisdictions.global_ import GlobalPack
from domicile.jurisdictions.ru import RussiaPack

BUILTIN: tuple[type[Jurisdiction], ...] = (RussiaPack, GlobalPack)
ENTRY_POINT_GROUP = "domicile.jurisdictions"


class PackRegistry(Mapping[str, type[Jurisdiction]]):
    """Jurisdiction packs by code, in priority order."""

    def __init__(self, packs: Iterable[type[Jurisdiction]]) -> None:
        by_code: dict[str, type[Jurisdiction]] = {}
        for pack in packs:
            code = getattr(pack, "CODE", "")
            if not code or not code.isupper():
                raise ConfigError(f"jurisdiction pack {pack.__name__} has no upper-case CODE")
            if code in by_code:
                raise ConfigError(f"duplicate jurisdiction pack code {code!r}")
            by_code[code] = pack
        catch_all = [p for p in by_code.values() if p.is_catch_all()]
        if len(catch_all) != 1:
            raise ConfigError("exactly one catch-all jurisdiction pack (no COUNTRIES) is required")
        self._packs = dict(sorted(by_code.items(), key=lambda kv: (kv[1].PRIORITY, kv[0])))

    def __getitem__(self, code: str) -> type[Jurisdiction]:
        try:
            return self._packs[code.upper()]
        except KeyError:
            raise ConfigError(f"unknown jurisdiction {code!r}; known: {', '.join(self._packs)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._packs)

    def __len__(self) -> int:
        return len(self._packs)

    @property
    def catch_all(self) -> type[Jurisdiction]:
        return next(p for p in self._packs.values() if p.is_catch_all())

    def country_packs(self) -> list[type[Jurisdiction]]:
        """Packs that claim specific countries, strictest first."""
        return [p for p in self._packs.values() if not p.is_catch_all()]


def default_registry(discover: bool = True) -> PackRegistry:
    """Built-in packs plus those installed under the entry-point group."""
    packs: list[type[Jurisdiction]] = list(BUILTIN)
    if discover:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            loaded = ep.load()
            if not (isinstance(loaded, type) and issubclass(loaded, Jurisdiction)):
                raise ConfigError(f"entry point {ep.name!r} is not a Jurisdiction subclass")
            packs.append(loaded)
    return PackRegistry(packs)
