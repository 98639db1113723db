"""The one registry of signal types.

:data:`BUILTIN_SIGNAL_TYPES` lists the types shipped here; :func:`default_registry`
builds a fresh :class:`SignalTypeRegistry` from them (no global mutable state). A plugin
adds its type with :meth:`SignalTypeRegistry.register`; a name or ThreatExchange alias
claimed twice raises :class:`~.errors.DuplicateSignalTypeError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from domicile.moderation.hashing.errors import DuplicateSignalTypeError, UnknownSignalTypeError
from domicile.moderation.hashing.signal_types import Md5Signal, PdqSignal, Sha256Signal, SignalType
from domicile.moderation.hashing.vpdq import VpdqSignal

BUILTIN_SIGNAL_TYPES: tuple[type[SignalType], ...] = (PdqSignal, Md5Signal, Sha256Signal, VpdqSignal)
"""pdq, md5, sha256, vpdq (vPDQ hashing itself needs the ``vpdq`` extra)."""

_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")


class SignalTypeRegistry:
    """Signal types by name, with python-threatexchange names as aliases.

    Args:
        types: Types to register, in order.

    Raises:
        DuplicateSignalTypeError: Two types claim one name or alias.
    """

    def __init__(self, types: Iterable[type[SignalType]] = ()) -> None:
        self._by_name: dict[str, type[SignalType]] = {}
        self._aliases: dict[str, str] = {}
        for signal_type in types:
            self.register(signal_type)

    def register(self, signal_type: type[SignalType]) -> None:
        """Add a signal type.

        Raises:
            DuplicateSignalTypeError: The name or alias is already taken, or malformed.
        """
        name = getattr(signal_type, "NAME", None)
        alias = getattr(signal_type, "TX_NAME", name)
        if not (
            isinstance(name, str)
            and isinstance(alias, str)
            and _NAME.fullmatch(name)
            and _NAME.fullmatch(alias)
        ):
            raise DuplicateSignalTypeError(
                f"signal type {signal_type.__name__} needs a lower_snake_case NAME and TX_NAME"
            )
        for label in {name, alias}:
            if label in self._by_name or label in self._aliases:
                raise DuplicateSignalTypeError(f"signal type name {label!r} is already registered")
        self._by_name[name] = signal_type
        if alias != name:
            self._aliases[alias] = name

    def get(self, name: str) -> type[SignalType]:
        """Look up by our name or a ThreatExchange alias (``video_md5`` -> ``md5``).

        Raises:
            UnknownSignalTypeError: Nothing registered under that name.
        """
        key = self._aliases.get(name, name)
        try:
            return self._by_name[key]
        except KeyError:
            known = ", ".join(sorted(self._by_name))
            raise UnknownSignalTypeError(f"unknown signal type {name!r}; known: {known}") from None

    def names(self) -> tuple[str, ...]:
        """Registered names (not aliases), in registration order."""
        return tuple(self._by_name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._by_name or name in self._aliases)

    def __iter__(self) -> Iterator[type[SignalType]]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)


def default_registry() -> SignalTypeRegistry:
    """A new registry holding :data:`BUILTIN_SIGNAL_TYPES`."""
    return SignalTypeRegistry(BUILTIN_SIGNAL_TYPES)
