"""Bank management shared by the CLI and the HTTP API: open the banks, import, summarise, explain.

:func:`bank_store_for` puts the banks in the Russian cell's database next to the review queue
(``mod_hash_*`` tables; ``domicile moderation init`` creates them). :func:`import_text` reads a
whole file in one of the ThreatExchange formats (or a vPDQ per-frame file) and adds it in one
transaction: a bad line or undecodable bytes raise one typed error and store nothing.
:func:`match_lines` renders a scan with its evidence for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from domicile.moderation.hashing.banks import BankEntry, HashBank, HashBankStore, InMemoryHashBankStore
from domicile.moderation.hashing.errors import BankFormatError
from domicile.moderation.hashing.formats import BankFormat, import_bank, import_vpdq_frames

if TYPE_CHECKING:
    from domicile.moderation.hashing.matcher import ScanResult
    from domicile.service import Domicile

__all__ = [
    "IMPORT_FORMATS",
    "VPDQ_FRAMES",
    "BankSummary",
    "bank_store_for",
    "decode_text",
    "import_text",
    "match_lines",
    "summarize",
]

#: A vPDQ per-frame file (``frame_number,quality,hash,timestamp``): one video, one entry.
VPDQ_FRAMES = "vpdq-frames"
IMPORT_FORMATS = (*(f.value for f in BankFormat), VPDQ_FRAMES)


@dataclass(frozen=True, slots=True)
class BankSummary:
    """A bank with its number of entries."""

    bank: HashBank
    entries: int


def bank_store_for(dom: Domicile, jurisdiction: str = "RU") -> HashBankStore:
    """The hash banks in the home cell of ``jurisdiction`` (schema must be current).

    A SQL cell gives a :class:`~.sql.SqlHashBankStore` on its engine; a memory cell (tests,
    demos) an :class:`InMemoryHashBankStore` that lives as long as the process.

    Raises:
        ModerationStoreError: The moderation tables are missing or outdated.
    """
    from domicile.cells.runtime import SqlCell

    cell = dom.home_cell(jurisdiction)
    if isinstance(cell, SqlCell):
        from domicile.moderation.hashing.sql import SqlHashBankStore
        from domicile.moderation.queue.migrate import require_current

        require_current(cell.engine)
        return SqlHashBankStore(cell.engine)
    return InMemoryHashBankStore()


def summarize(store: HashBankStore) -> tuple[BankSummary, ...]:
    """Every bank with its entry count, by name."""
    return tuple(BankSummary(b, store.count(b.name)) for b in store.list_banks())


def decode_text(data: bytes, what: str = "bank file") -> str:
    """Bytes of a bank file as text (UTF-8, an optional BOM dropped).

    Raises:
        BankFormatError: The bytes are not UTF-8 (names the byte offset).
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BankFormatError(f"{what} is not UTF-8 text (bad byte at offset {exc.start})") from None


def import_text(
    store: HashBankStore,
    bank: str,
    text: str,
    fmt: str,
    *,
    skip_other_types: bool = False,
    content_id: str | None = None,
    label: str | None = None,
) -> tuple[BankEntry, ...]:
    """Add a whole file to ``bank`` in one transaction (all or nothing).

    Args:
        store: The banks.
        bank: Bank name.
        text: The file's text.
        fmt: One of :data:`IMPORT_FORMATS`.
        skip_other_types: Skip lines of other signal types instead of failing.
        content_id: For ``vpdq-frames``: the video's content id.
        label: For ``vpdq-frames``: its label.

    Raises:
        BankNotFoundError: No such bank.
        BankFormatError: Unknown format or a malformed line (nothing is added).
    """
    if fmt == VPDQ_FRAMES:
        return (import_vpdq_frames(store, bank, text, content_id=content_id, label=label),)
    if fmt not in IMPORT_FORMATS:
        raise BankFormatError(f"unknown bank format {fmt[:40]!r}; one of {', '.join(IMPORT_FORMATS)}")
    return import_bank(store, bank, text, fmt, skip_other_types=skip_other_types)


def match_lines(scan: ScanResult) -> list[str]:
    """A scan for people: one line per match with its evidence, then rejected signals."""
    lines = [f"{len(scan.matches)} match(es)" + (f" in {', '.join(scan.banks())}" if scan.matched else "")]
    for m in scan.matches:
        r = m.result
        parts = [
            f"bank {m.bank}",
            f"entry {m.entry_id}",
            f"{m.signal_type} distance {r.distance}/{r.threshold}",
        ]
        if m.content_id:
            parts.append(f"content {m.content_id}")
        if m.label:
            parts.append(f"label {m.label}")
        if m.quality is not None:
            parts.append(f"quality {m.quality}")
        if m.variant:
            parts.append(f"variant {m.variant}")
        if r.query_match_percent is not None and r.compared_match_percent is not None:
            parts.append(f"frames {r.query_match_percent:.0f}%/{r.compared_match_percent:.0f}%")
        lines.append("  " + ", ".join(parts))
    for rej in scan.rejected:
        extra = f" (quality {rej.quality} < {rej.minimum})" if rej.quality is not None else ""
        lines.append(f"  not matched: {rej.signal_type} {rej.reason}{extra}")
    return lines
