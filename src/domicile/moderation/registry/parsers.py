"""The one place where dump parsers are registered, and format detection by sniffing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from domicile.core.errors import ConfigError, RegisterFormatError
from domicile.moderation.registry.base import DumpParser, ParseOptions
from domicile.moderation.registry.csv_dump import CsvDumpParser
from domicile.moderation.registry.model import RegisterSnapshot
from domicile.moderation.registry.source import check_not_html, read_head
from domicile.moderation.registry.xml_dump import XmlDumpParser

__all__ = ["BUILTIN_PARSERS", "builtin_parsers", "parse_dump", "validate_parsers"]

BUILTIN_PARSERS: tuple[type[DumpParser], ...] = (XmlDumpParser, CsvDumpParser)
"""Parser classes tried in this order (the XML export first, then the CSV mirror)."""


def builtin_parsers(options: ParseOptions | None = None) -> tuple[DumpParser, ...]:
    """One instance of each built-in parser, sharing ``options``."""
    return tuple(cls(options) for cls in BUILTIN_PARSERS)


def validate_parsers(parsers: Sequence[DumpParser]) -> tuple[DumpParser, ...]:
    """Check that parser names are unique.

    Raises:
        ConfigError: Two parsers share a ``NAME``, or the list is empty.
    """
    if not parsers:
        raise ConfigError("at least one register dump parser is required")
    names = [p.NAME for p in parsers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"duplicate register parser names: {', '.join(duplicates)}")
    return tuple(parsers)


def parse_dump(
    path: Path | str,
    *,
    parsers: Sequence[DumpParser] | None = None,
    options: ParseOptions | None = None,
) -> RegisterSnapshot:
    """Detect the dump's format from its first bytes and parse it.

    Args:
        path: The dump file.
        parsers: Parsers to try in order (default: the built-ins, built with ``options``).
        options: Options for the built-in parsers (ignored when ``parsers`` is given).

    Raises:
        RegisterFormatError: Empty, HTML, of no known format, or malformed.
        RegisterSourceError: The file cannot be read.
    """
    path = Path(path)
    chosen = validate_parsers(parsers) if parsers is not None else builtin_parsers(options)
    head = read_head(path)
    if not head:
        raise RegisterFormatError(f"{path.name}: empty file (0 bytes) at line 1, offset 0")
    check_not_html(head, path.name)
    for parser in chosen:
        if parser.sniff(head):
            return parser.parse(path)
    raise RegisterFormatError(
        f"{path.name}: line 1, offset 0: not a known register format "
        f"(tried {', '.join(p.NAME for p in chosen)})"
    )
