"""Parser for the community mirror's ``dump.csv`` (github.com/zapret-info/z-i; ru-requirements.md §5.2, ZI-2).

Windows-1251, ``;``-separated, first line ``Updated: YYYY-MM-DD HH:MM:SS +0000``, then one entry a
line: ``IPs;domain;URL;org;decision number;decision date``, several IPs (or CIDR subnets) joined
with `` | ``. The mirror is unofficial and carries no entry id, ``entryType``, ``blockType``,
``urgencyType`` or inclusion time, so:

* the entry id is synthesized from the row: ``csv:`` + the first 16 hex digits of SHA-1 of the
  decoded line (``#2``, ``#3`` ... for exact duplicates), stable while the row is unchanged; an
  edited row therefore shows up in a diff as one removal plus one addition;
* the block type is inferred the way mirror consumers do: a ``*.`` domain is a ``domain-mask``,
  a URL makes it ``default`` (URL blocking), a domain without URL ``domain``, addresses alone
  ``ip``.

Use it for self-checks and early warning (REG-5) only, never as a legal notice (§5.2).
A line that does not have six fields is a format error naming the line; a row with six fields
but a bad value (IP, date, URL) follows the malformed-entry policy of :class:`ParseOptions`.
A URL containing ``;`` is recovered when the last field is still a date.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import ClassVar

from domicile.core.errors import RegisterFormatError
from domicile.moderation.registry.base import DumpParser, MalformedEntryError, ParseOptions
from domicile.moderation.registry.errors import RegisterQueryError
from domicile.moderation.registry.model import (
    BlockType,
    Decision,
    RegisterEntry,
    RegisterSnapshot,
    RejectedEntry,
)
from domicile.moderation.registry.normalize import (
    IPAddress,
    IPNetwork,
    normalize_host,
    normalize_mask,
    normalize_url,
    parse_ip,
    parse_network,
)
from domicile.moderation.registry.source import (
    ProbingReader,
    check_not_html,
    encoding_error,
    open_dump,
    read_head,
)

__all__ = ["CsvDumpParser"]

_HEADER = "Updated:"
_FIELDS = 6
_CHUNK = 1 << 20


def _lines(reader: ProbingReader) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line number, bytes without the newline)`` from a streaming reader."""
    lineno = 0
    rest = b""
    while chunk := reader.read(_CHUNK):
        parts = (rest + chunk).split(b"\n")
        rest = parts.pop()
        for part in parts:
            lineno += 1
            yield lineno, part
    if rest:
        yield lineno + 1, rest


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


class CsvDumpParser(DumpParser):
    """Parser for the z-i mirror CSV.

    Args:
        options: Malformed-entry policy (the legal-basis table is unused: no ``entryType``).
        encoding: The file's encoding (windows-1251 for the mirror).
    """

    NAME: ClassVar[str] = "zapret-info-csv"

    def __init__(self, options: ParseOptions | None = None, *, encoding: str = "cp1251") -> None:
        super().__init__(options)
        self.encoding = encoding

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        """An ``Updated:`` header, or a first line with at least five ``;``."""
        first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0]
        return first.startswith(_HEADER.encode()) or first.count(b";") >= _FIELDS - 1

    def parse(self, path: Path) -> RegisterSnapshot:
        """Parse ``path`` into a snapshot (see the module docstring).

        Raises:
            RegisterFormatError: Empty file, HTML page, undecodable or mislabelled bytes (byte
                offset), a bad ``Updated:`` header, a line without six fields, or a malformed
                entry in strict mode.
            RegisterSourceError: The file cannot be read.
        """
        name = path.name
        check_not_html(read_head(path), name)
        entries: list[RegisterEntry] = []
        rejected: list[RejectedEntry] = []
        occurrences: dict[str, int] = {}
        update_time: datetime | None = None
        ordinal = 0
        with open_dump(path) as handle:
            reader = ProbingReader(handle)
            for lineno, raw in _lines(reader):
                try:
                    line = raw.decode(self.encoding).rstrip("\r")
                except UnicodeDecodeError:
                    raise RegisterFormatError(encoding_error(path, self.encoding)) from None
                if lineno == 1:
                    line = line.lstrip("\ufeff")
                    if line.startswith(_HEADER):
                        update_time = self._header_time(line, name)
                        continue
                if not line.strip():
                    continue
                fields = self._fields(line, lineno, name)
                ordinal += 1
                try:
                    entry = self._entry(fields, line, occurrences)
                except MalformedEntryError as problem:
                    self._reject(name, rejected, RejectedEntry(ordinal, lineno, None, problem.reason))
                else:
                    entries.append(entry)
        if self.encoding.replace("_", "-").lower() not in ("utf-8", "utf8") and reader.mislabelled_utf8():
            raise RegisterFormatError(reader.mislabel_message(name, self.encoding))
        return RegisterSnapshot(
            entries=tuple(entries),
            source_format=self.NAME,
            source_path=path,
            sha256=reader.sha256,
            size_bytes=reader.size,
            update_time=update_time,
            rejected=tuple(rejected),
        )

    @staticmethod
    def _header_time(line: str, name: str) -> datetime:
        text = line[len(_HEADER) :].strip()
        try:
            return datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")
        except ValueError:
            raise RegisterFormatError(
                f"{name}: line 1, column {len(_HEADER) + 2}: the Updated: header is not "
                "'YYYY-MM-DD HH:MM:SS +ZZZZ'"
            ) from None

    @staticmethod
    def _fields(line: str, lineno: int, name: str) -> list[str]:
        fields = line.split(";")
        if len(fields) > _FIELDS and _is_date(fields[-1]):
            fields = [fields[0], fields[1], ";".join(fields[2:-3]), *fields[-3:]]
        if len(fields) != _FIELDS:
            raise RegisterFormatError(
                f"{name}: line {lineno}: expected {_FIELDS} ';'-separated fields "
                f"(IPs;domain;URL;org;number;date), found {len(fields)}"
            )
        return fields

    @staticmethod
    def _entry(fields: list[str], line: str, occurrences: dict[str, int]) -> RegisterEntry:
        ip_field, domain, url, org, number, raw_date = (f.strip() for f in fields)
        ips: list[IPAddress] = []
        subnets: list[IPNetwork] = []
        for k, token in enumerate(ip_field.split("|"), start=1):
            item = token.strip()
            if not item:
                continue
            try:
                if "/" in item:
                    subnets.append(parse_network(item))
                else:
                    ips.append(parse_ip(item))
            except RegisterQueryError:
                raise MalformedEntryError(f"IP list item {k} is not an address or CIDR network") from None
        try:
            if domain.startswith("*."):
                normalize_mask(domain)
            elif domain:
                normalize_host(domain)
        except RegisterQueryError as exc:
            raise MalformedEntryError(f"domain field is malformed: {exc.message}") from None
        try:
            if url:
                normalize_url(url)
        except RegisterQueryError as exc:
            raise MalformedEntryError(f"URL field is malformed: {exc.message}") from None
        try:
            when = date.fromisoformat(raw_date) if raw_date else None
        except ValueError:
            raise MalformedEntryError("decision date is not YYYY-MM-DD") from None
        if domain.startswith("*."):
            block = BlockType.DOMAIN_MASK
        elif url:
            block = BlockType.DEFAULT
        elif domain:
            block = BlockType.DOMAIN
        elif ips or subnets:
            block = BlockType.IP
        else:
            raise MalformedEntryError("row lists no URL, domain or address")
        digest = hashlib.sha1(line.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]
        seen = occurrences.get(digest, 0) + 1
        occurrences[digest] = seen
        entry_id = f"csv:{digest}" if seen == 1 else f"csv:{digest}#{seen}"
        return RegisterEntry(
            id=entry_id,
            include_time=None,
            entry_type=None,
            urgency_type=None,
            block_type=block,
            entry_hash=None,
            decision=Decision(when, number, org),
            urls=(url,) if url else (),
            domains=(domain,) if domain else (),
            ips=tuple(ips),
            subnets=tuple(subnets),
        )
