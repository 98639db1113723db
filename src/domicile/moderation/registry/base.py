"""The parser seam: one small ABC per dump format, plus the options every parser takes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domicile.core.errors import ConfigError, RegisterFormatError
from domicile.moderation.registry.basis import LegalBasisTable, default_basis_table
from domicile.moderation.registry.model import RegisterSnapshot, RejectedEntry

__all__ = ["DumpParser", "MalformedEntryError", "ParseOptions", "moscow_tz"]


def moscow_tz() -> tzinfo:
    """Europe/Moscow from the system tz database or the ``tzdata`` package.

    Raises:
        ConfigError: No tz database is installed.
    """
    try:
        return ZoneInfo("Europe/Moscow")
    except ZoneInfoNotFoundError as exc:  # pragma: no cover - depends on the host
        raise ConfigError("no tz database for Europe/Moscow: pip install tzdata") from exc


@dataclass(frozen=True)
class ParseOptions:
    """How a parser treats malformed entries and derives the legal basis.

    Attributes:
        strict: When true, one malformed entry fails the whole dump with
            :class:`~domicile.core.errors.RegisterFormatError`. By default it is skipped and
            reported in :attr:`RegisterSnapshot.rejected` (the consumer practice in
            ru-requirements.md §5.1); either way an entry is applied whole or not at all.
        basis: The ``entryType``/``org`` to legal-basis table (configurable data, ``[P]``).
    """

    strict: bool = False
    basis: LegalBasisTable = field(default_factory=default_basis_table)


class MalformedEntryError(Exception):
    """Internal: one entry is malformed. Never escapes a parser."""

    def __init__(self, reason: str, entry_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.entry_id = entry_id


class DumpParser(ABC):
    """Turns one dump file into a :class:`RegisterSnapshot`, streaming.

    Subclasses declare ``NAME`` and implement :meth:`sniff` and :meth:`parse`. They raise
    :class:`~domicile.core.errors.RegisterFormatError` naming the line and column or byte
    offset for a malformed file, and never return a partial snapshot.
    """

    NAME: ClassVar[str]

    def __init__(self, options: ParseOptions | None = None) -> None:
        self.options = options or ParseOptions()

    @classmethod
    @abstractmethod
    def sniff(cls, head: bytes) -> bool:
        """Whether the first bytes of a file look like this parser's format."""

    @abstractmethod
    def parse(self, path: Path) -> RegisterSnapshot:
        """Parse the file at ``path``.

        Raises:
            RegisterFormatError: The file is malformed (or, in strict mode, one entry is).
            RegisterSourceError: The file cannot be read.
        """

    def _reject(self, name: str, rejected: list[RejectedEntry], item: RejectedEntry) -> None:
        """Record a malformed entry, or fail the dump in strict mode."""
        if self.options.strict:
            raise RegisterFormatError(f"{name}: {item.where()}: {item.reason}")
        rejected.append(item)
