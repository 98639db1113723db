"""The normalized register model: entries, rejected entries and snapshots (frozen dataclasses).

One model for both sources: the official operator export ``dump.xml`` (ru-requirements.md §5.1,
ZI-1) and the community CSV mirror (§5.2, ZI-2). Fields a source lacks are ``None``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from domicile.moderation.registry.basis import LegalBasis

if TYPE_CHECKING:
    from collections.abc import Mapping

    from domicile.moderation.registry.normalize import IPAddress, IPNetwork

__all__ = ["BlockType", "Decision", "RegisterEntry", "RegisterSnapshot", "RejectedEntry"]


class BlockType(StrEnum):
    """``content@blockType`` (§5.1); absent in format 2.0 and in the CSV mirror means ``default``."""

    DEFAULT = "default"
    """URL blocking; an ``https://`` URL forces blocking of its whole host in practice."""
    DOMAIN = "domain"
    """The whole domain (that exact host name)."""
    DOMAIN_MASK = "domain-mask"
    """``*.x``: ``x`` and every name below it."""
    IP = "ip"
    """The listed addresses and subnets themselves."""


@dataclass(frozen=True, slots=True)
class Decision:
    """The decision behind an entry (``<decision date number org>``).

    Attributes:
        date: Decision date, ``None`` when the source leaves it empty.
        number: Decision number as written (may be ``"б/н"``, "no number").
        org: The deciding body (``суд``, ``ФНС``, ``Генпрокуратура``, ...).
    """

    date: date | None
    number: str
    org: str


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """One register entry (one ``<content>`` element, or one CSV mirror row).

    Attributes:
        id: ``content@id`` as a decimal string; for CSV rows ``csv:<sha1 prefix>`` of the row
            (``#2``, ``#3`` ... appended to exact duplicate rows).
        include_time: Inclusion time, aware in Europe/Moscow (the export writes naive Moscow time).
        entry_type: ``content@entryType`` (``None`` in the CSV mirror).
        urgency_type: ``content@urgencyType`` when present.
        block_type: ``content@blockType`` (inferred for CSV rows, see the CSV parser).
        entry_hash: ``content@hash`` when present (format 2.1+).
        decision: The decision behind the entry.
        urls: Listed URLs, as written in the dump.
        domains: Listed domains (``*.x`` for masks), as written in the dump.
        ips: Listed IPv4 and IPv6 addresses.
        subnets: Listed IPv4 and IPv6 networks.
        legal_basis: Derived from ``entry_type`` and ``decision.org`` (see :mod:`.basis`, ``[P]``).
        ts: ``content@ts`` (format 2.4), the entry's last-change time.
    """

    id: str
    include_time: datetime | None
    entry_type: int | None
    urgency_type: int | None
    block_type: BlockType
    entry_hash: str | None
    decision: Decision
    urls: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    ips: tuple[IPAddress, ...] = ()
    subnets: tuple[IPNetwork, ...] = ()
    legal_basis: LegalBasis | None = None
    ts: datetime | None = None

    def content_key(self) -> tuple[object, ...]:
        """The normalized content compared by diffs: every field except ``id``, ``ts`` and
        ``entry_hash``, with resources as sets (their order in the dump does not matter)."""
        return (
            self.entry_type,
            self.urgency_type,
            self.block_type,
            self.include_time,
            self.decision,
            frozenset(self.urls),
            frozenset(self.domains),
            frozenset(self.ips),
            frozenset(self.subnets),
        )

    @property
    def digest(self) -> str:
        """SHA-256 (hex) of :meth:`content_key` in a canonical text form, for storage and logs."""
        d = self.decision
        parts = [
            str(self.entry_type),
            str(self.urgency_type),
            self.block_type.value,
            self.include_time.isoformat() if self.include_time else "",
            d.date.isoformat() if d.date else "",
            d.number,
            d.org,
            "\x1e".join(sorted(self.urls)),
            "\x1e".join(sorted(self.domains)),
            "\x1e".join(sorted(str(ip) for ip in self.ips)),
            "\x1e".join(sorted(str(net) for net in self.subnets)),
        ]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class RejectedEntry:
    """A malformed entry that was skipped (and reported) instead of half-applied.

    Attributes:
        ordinal: 1-based position of the entry among the dump's entries (``<content>`` elements
            or CSV data lines).
        line: Source line (the official export is often a single line; see ``ordinal``).
        entry_id: The entry id when it could be read.
        reason: What is wrong, naming the attribute or element, never the value.
    """

    ordinal: int
    line: int | None
    entry_id: str | None
    reason: str

    def where(self) -> str:
        """A location phrase for messages: line, entry ordinal and id."""
        loc = f"line {self.line}, " if self.line is not None else ""
        ident = f" (id {self.entry_id})" if self.entry_id else ""
        return f"{loc}entry #{self.ordinal}{ident}"


@dataclass(frozen=True)
class RegisterSnapshot:
    """One parsed dump plus its metadata.

    Attributes:
        entries: Entries in dump order.
        source_format: The parser's ``NAME`` (``rkn-xml`` or ``zapret-info-csv``).
        source_path: The file parsed.
        sha256: SHA-256 of the file's bytes.
        size_bytes: Size of the file.
        update_time: ``register@updateTime`` (CSV: the ``Updated:`` header).
        update_time_urgently: ``register@updateTimeUrgently``.
        format_version: ``register@formatVersion``.
        signature: Bytes of the detached PKCS#7 signature, kept but **not verified**.
        signature_path: Where the signature was read from.
        rejected: Malformed entries skipped by the parser.
        carried_over: Ids whose previous good record was kept because the new one was malformed
            (set by :class:`~domicile.moderation.registry.holder.Register` on activation).
    """

    entries: tuple[RegisterEntry, ...]
    source_format: str
    source_path: Path | None
    sha256: str
    size_bytes: int
    update_time: datetime | None = None
    update_time_urgently: datetime | None = None
    format_version: str | None = None
    signature: bytes | None = field(default=None, repr=False)
    signature_path: Path | None = None
    rejected: tuple[RejectedEntry, ...] = ()
    carried_over: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.entries)

    @cached_property
    def by_id(self) -> Mapping[str, RegisterEntry]:
        """Entries keyed by id."""
        return {e.id: e for e in self.entries}

    @property
    def latest_update(self) -> datetime | None:
        """``max(updateTime, updateTimeUrgently)``: what pollers compare (§5.1)."""
        times = [t for t in (self.update_time, self.update_time_urgently) if t is not None]
        return max(times) if times else None

    def count_by_entry_type(self) -> Counter[int | None]:
        """Number of entries per ``entry_type``."""
        return Counter(e.entry_type for e in self.entries)

    def count_by_block_type(self) -> Counter[BlockType]:
        """Number of entries per ``block_type``."""
        return Counter(e.block_type for e in self.entries)
