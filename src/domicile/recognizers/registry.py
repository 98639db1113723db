"""The one place recognizers are registered.

Built-in packs are listed in :data:`BUILTIN_PACKS` (country code -> manifest).
Third-party packs are discovered through the entry point group
``domicile.recognizers``: each entry point loads either a :class:`Recognizer`
subclass or a sequence of them (a pack manifest), e.g. in the plugin's
``pyproject.toml``::

    [project.entry-points."domicile.recognizers"]
    kz = "domicile_kz.recognizers:RECOGNIZERS"

Names must be unique within a registry; a clash raises
:class:`DuplicateRecognizerError` naming both classes.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from importlib.metadata import entry_points

from domicile.recognizers import generic, ru
from domicile.recognizers.base import Recognizer
from domicile.recognizers.errors import (
    DuplicateRecognizerError,
    RecognizerError,
    RecognizerPluginError,
    UnknownRecognizerError,
)
from domicile.recognizers.ru.dates import BirthDateRecognizer

ENTRY_POINT_GROUP = "domicile.recognizers"

#: Built-in packs by country code ("*" = generic).
BUILTIN_PACKS: Mapping[str, tuple[type[Recognizer], ...]] = {
    "RU": ru.RECOGNIZERS,
    "*": generic.RECOGNIZERS,
}


def _check_class(cls: object, where: str) -> type[Recognizer]:
    if not (inspect.isclass(cls) and issubclass(cls, Recognizer)) or inspect.isabstract(cls):
        raise RecognizerPluginError(f"{where}: {cls!r} is not a concrete Recognizer subclass")
    for attr in ("NAME", "COUNTRY_CODE", "CATEGORY"):
        if not isinstance(getattr(cls, attr, None), str) or not getattr(cls, attr):
            raise RecognizerPluginError(f"{where}: {cls.__name__}.{attr} must be a non-empty string")
    return cls


def load_plugins(group: str = ENTRY_POINT_GROUP) -> tuple[type[Recognizer], ...]:
    """Load recognizer classes advertised in an entry point group.

    Args:
        group: Entry point group name.

    Returns:
        The classes, in entry point order.

    Raises:
        RecognizerPluginError: An entry point fails to import or gives
            something other than a Recognizer subclass or a sequence of them.
    """
    found: list[type[Recognizer]] = []
    for ep in entry_points(group=group):
        where = f"entry point {ep.name!r} in group {group!r}"
        try:
            obj = ep.load()
        except Exception as exc:  # any import-time failure of a third-party package
            raise RecognizerPluginError(f"{where} failed to load: {type(exc).__name__}") from exc
        items: Sequence[object] = obj if isinstance(obj, (list, tuple)) else (obj,)
        found.extend(_check_class(item, where) for item in items)
    return tuple(found)


class RecognizerRegistry:
    """An immutable set of recognizer instances with unique names."""

    def __init__(self, recognizers: Iterable[Recognizer]) -> None:
        """Register recognizers.

        Raises:
            DuplicateRecognizerError: Two recognizers share a ``NAME``.
            RecognizerError: An object is not a Recognizer.
        """
        by_name: dict[str, Recognizer] = {}
        for rec in recognizers:
            if not isinstance(rec, Recognizer):
                raise RecognizerError(f"not a Recognizer: {type(rec).__name__}")
            if rec.NAME in by_name:
                other = type(by_name[rec.NAME]).__name__
                raise DuplicateRecognizerError(
                    f"recognizer name {rec.NAME!r} is used by both {other} and {type(rec).__name__}"
                )
            by_name[rec.NAME] = rec
        self._by_name = by_name

    @classmethod
    def default(
        cls,
        countries: Iterable[str] | None = None,
        *,
        plugins: bool = False,
        today: date | None = None,
    ) -> RecognizerRegistry:
        """The built-in packs (and optionally entry point plugins).

        Args:
            countries: Pack codes to include, e.g. ``("RU", "*")``; all by default.
            plugins: Also load the ``domicile.recognizers`` entry point group.
            today: Reference date for birth-date plausibility (default: today).

        Raises:
            UnknownRecognizerError: A requested country has no built-in pack.
            DuplicateRecognizerError: A plugin reuses a built-in name.
        """
        codes = list(BUILTIN_PACKS) if countries is None else list(countries)
        unknown = [c for c in codes if c not in BUILTIN_PACKS]
        if unknown:
            raise UnknownRecognizerError(
                f"no built-in recognizer pack for {unknown}; have {list(BUILTIN_PACKS)}"
            )
        classes = [c for code in codes for c in BUILTIN_PACKS[code]]
        if plugins:
            classes.extend(load_plugins())
        instances: list[Recognizer] = [
            BirthDateRecognizer(today) if c is BirthDateRecognizer else c() for c in classes
        ]
        return cls(instances)

    def __iter__(self) -> Iterator[Recognizer]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def names(self) -> tuple[str, ...]:
        """Registered names, in registration order."""
        return tuple(self._by_name)

    def categories(self) -> tuple[str, ...]:
        """Data categories covered, sorted."""
        return tuple(sorted({r.CATEGORY for r in self}))

    def get(self, name: str) -> Recognizer:
        """The recognizer called ``name``.

        Raises:
            UnknownRecognizerError: No such name.
        """
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownRecognizerError(f"no recognizer named {name!r}") from None
