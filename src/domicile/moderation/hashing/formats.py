"""Import and export of hash banks in ThreatExchange-compatible text formats.

Formats (:class:`BankFormat`):

``tx-signals``
    One ``<signal_type> <signal>`` per line, as read by python-threatexchange's
    ``LocalFileSignalExchangeAPI`` and printed by ``threatexchange hash``. Type names are
    ThreatExchange's (``pdq``, ``video_md5``, ``video_sha256``, ``vpdq``); a line with no
    known type prefix is read as a bare hash of the bank's type. No labels.
``tx-dataset-csv``
    ``threatexchange dataset -P --csv`` output: header
    ``signal_type,signal_str,collab,category,tags``; ``tags`` (space separated) becomes
    the label. Export writes the bank name as ``collab`` and ``POSITIVE_CLASS``.
``csv`` / ``tsv``
    The simple ``hash,label[,content_id]`` lists used to share datasets, with an
    optional header row starting with ``hash``. Export always writes the header.

vPDQ per-frame files (``frame_number,quality,hash,timestamp``) describe one video each;
:func:`import_vpdq_frames` adds one as a bank entry.

Imports parse and validate the whole text first; the first bad line raises
:class:`~.errors.BankFormatError` naming its line number and nothing is stored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from enum import StrEnum

from domicile.moderation.hashing.banks import BankEntry, HashBankStore, NewEntry
from domicile.moderation.hashing.errors import BankFormatError, InvalidHashError
from domicile.moderation.hashing.registry import SignalTypeRegistry
from domicile.moderation.hashing.signal_types import SignalType
from domicile.moderation.hashing.vpdq import VpdqSignal, frames_to_signal, parse_vpdq_frames

TX_DATASET_HEADER = ("signal_type", "signal_str", "collab", "category", "tags")
HASH_LABEL_HEADER = ("hash", "label", "content_id")
_POSITIVE = "POSITIVE_CLASS"


class BankFormat(StrEnum):
    """Text formats for bank import/export."""

    TX_SIGNALS = "tx-signals"
    TX_DATASET_CSV = "tx-dataset-csv"
    CSV = "csv"
    TSV = "tsv"


def _normalize(signal_type: type[SignalType], value: str, line: int) -> str:
    try:
        return signal_type.normalize(value)
    except InvalidHashError as exc:
        raise BankFormatError(exc.message, line) from None


def _parse_tx_signals(
    text: str, signal_type: type[SignalType], registry: SignalTypeRegistry, skip_other_types: bool
) -> list[NewEntry]:
    entries: list[NewEntry] = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        head, _, rest = line.partition(" ")
        if rest and head in registry:
            line_type = registry.get(head)
            if line_type is not signal_type:
                if skip_other_types:
                    continue
                raise BankFormatError(
                    f"signal type {head!r} does not match the bank's {signal_type.NAME!r}", line_no
                )
            value = rest
        else:
            value = line
        entries.append(NewEntry(_normalize(signal_type, value, line_no)))
    return entries


def _csv_rows(text: str, delimiter: str) -> Iterable[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=delimiter, strict=True)
    try:
        for row in reader:
            if row and any(cell.strip() for cell in row):
                yield reader.line_num, row
    except csv.Error as exc:
        raise BankFormatError(f"malformed CSV ({exc})", reader.line_num) from None


def _parse_tx_dataset(
    text: str, signal_type: type[SignalType], registry: SignalTypeRegistry, skip_other_types: bool
) -> list[NewEntry]:
    entries: list[NewEntry] = []
    columns: dict[str, int] | None = None
    for line_no, row in _csv_rows(text, ","):
        if columns is None:
            header = [c.strip() for c in row]
            missing = [c for c in ("signal_type", "signal_str") if c not in header]
            if missing:
                raise BankFormatError(f"header lacks column(s) {', '.join(missing)}", line_no)
            columns = {name: header.index(name) for name in header}
            continue
        if len(row) < len(columns):
            raise BankFormatError(f"expected {len(columns)} fields, got {len(row)}", line_no)
        type_name = row[columns["signal_type"]].strip()
        if type_name not in registry:
            raise BankFormatError(f"unknown signal type {type_name!r}", line_no)
        if registry.get(type_name) is not signal_type:
            if skip_other_types:
                continue
            raise BankFormatError(
                f"signal type {type_name!r} does not match the bank's {signal_type.NAME!r}", line_no
            )
        tags = row[columns["tags"]].strip() if "tags" in columns else ""
        entries.append(
            NewEntry(_normalize(signal_type, row[columns["signal_str"]], line_no), None, tags or None)
        )
    if columns is None:
        raise BankFormatError("empty file: the tx-dataset-csv header is missing")
    return entries


def _parse_hash_label(text: str, signal_type: type[SignalType], delimiter: str) -> list[NewEntry]:
    entries: list[NewEntry] = []
    first = True
    for line_no, row in _csv_rows(text, delimiter):
        if first:
            first = False
            if row[0].strip().lower() in ("hash", "signal_str"):
                continue
        if len(row) > len(HASH_LABEL_HEADER):
            raise BankFormatError(
                f"expected at most {len(HASH_LABEL_HEADER)} fields, got {len(row)}", line_no
            )
        cells = [c.strip() for c in row] + [""] * (len(HASH_LABEL_HEADER) - len(row))
        entries.append(
            NewEntry(_normalize(signal_type, cells[0], line_no), cells[2] or None, cells[1] or None)
        )
    return entries


def parse_entries(
    text: str,
    fmt: BankFormat | str,
    *,
    signal_type: type[SignalType],
    registry: SignalTypeRegistry,
    skip_other_types: bool = False,
) -> tuple[NewEntry, ...]:
    """Parse a bank file into validated, normalized entries of ``signal_type``.

    Args:
        text: The whole file as text.
        fmt: One of :class:`BankFormat`.
        signal_type: The bank's signal type.
        registry: Resolves type names and ThreatExchange aliases in the file.
        skip_other_types: Skip lines of other signal types instead of failing.

    Raises:
        BankFormatError: The first malformed line, with its number.
    """
    try:
        kind = BankFormat(fmt)
    except ValueError:
        raise BankFormatError(f"unknown bank format {fmt!r}") from None
    if kind is BankFormat.TX_SIGNALS:
        return tuple(_parse_tx_signals(text, signal_type, registry, skip_other_types))
    if kind is BankFormat.TX_DATASET_CSV:
        return tuple(_parse_tx_dataset(text, signal_type, registry, skip_other_types))
    return tuple(_parse_hash_label(text, signal_type, "," if kind is BankFormat.CSV else "\t"))


def format_entries(
    entries: Iterable[BankEntry], fmt: BankFormat | str, *, signal_type: type[SignalType]
) -> str:
    """Serialize entries (see the module docstring for what each format keeps)."""
    kind = BankFormat(fmt)
    if kind is BankFormat.TX_SIGNALS:
        return "".join(f"{signal_type.TX_NAME} {e.value}\n" for e in entries)
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t" if kind is BankFormat.TSV else ",", lineterminator="\n")
    if kind is BankFormat.TX_DATASET_CSV:
        writer.writerow(TX_DATASET_HEADER)
        writer.writerows((signal_type.TX_NAME, e.value, e.bank, _POSITIVE, e.label or "") for e in entries)
    else:
        writer.writerow(HASH_LABEL_HEADER)
        writer.writerows((e.value, e.label or "", e.content_id or "") for e in entries)
    return out.getvalue()


def import_bank(
    store: HashBankStore, bank: str, text: str, fmt: BankFormat | str, *, skip_other_types: bool = False
) -> tuple[BankEntry, ...]:
    """Parse ``text`` and add every entry to ``bank`` (all or nothing).

    Raises:
        BankNotFoundError: No such bank.
        BankFormatError: A malformed line (nothing is added).
    """
    signal_type = store.registry.get(store.get_bank(bank).signal_type)
    entries = parse_entries(
        text, fmt, signal_type=signal_type, registry=store.registry, skip_other_types=skip_other_types
    )
    return store.add_entries(bank, entries)


def export_bank(store: HashBankStore, bank: str, fmt: BankFormat | str) -> str:
    """Serialize every entry of ``bank``."""
    signal_type = store.registry.get(store.get_bank(bank).signal_type)
    return format_entries(store.entries(bank), fmt, signal_type=signal_type)


def import_vpdq_frames(
    store: HashBankStore, bank: str, text: str, *, content_id: str | None = None, label: str | None = None
) -> BankEntry:
    """Add one video given as vPDQ per-frame text to a ``vpdq`` bank.

    Raises:
        BankFormatError: A malformed line, or the bank is not a vpdq bank.
    """
    if store.get_bank(bank).signal_type != VpdqSignal.NAME:
        raise BankFormatError(f"bank {bank!r} is not a vpdq bank")
    frames = parse_vpdq_frames(text)
    if not frames:
        raise BankFormatError("vPDQ file has no frames")
    return store.add(bank, frames_to_signal(frames), content_id=content_id, label=label)
