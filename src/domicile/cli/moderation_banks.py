"""``domicile moderation bank ...`` and ``domicile moderation match ...``: hash banks and matching.

Registered on ``moderation_app`` by :func:`register` (one line in ``cli/moderation.py``). Banks
live in the Russian cell's database next to the review queue (``domicile moderation init``
creates the tables). Every match is printed with its evidence: bank, entry and content id,
distance against the threshold, quality and the dihedral variant that matched. Bad input (an
unknown bank, a malformed or non-UTF-8 import file, a file that is not an image) is one line
on stderr with a non-zero exit code, and an import stores all of its entries or none.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from domicile.cli.moderation import emit
from domicile.cli.options import DataDir, JsonOut
from domicile.cli.options import settings_for as _settings
from domicile.core.errors import InputError

bank_app = typer.Typer(help="Hash banks: create, fill, disable, import and export.", no_args_is_help=True)
match_app = typer.Typer(
    help="Match an image, a video or a hash against the enabled banks.", no_args_is_help=True
)

BankName = Annotated[str, typer.Argument(help="Bank name (letters, digits, '_', '.', '-').")]
Format = Annotated[
    str,
    typer.Option("--format", "-f", help="tx-signals, tx-dataset-csv, csv, tsv (import also: vpdq-frames)."),
]


@contextmanager
def _banks(data_dir: Path | None) -> Iterator[Any]:
    """The hash-bank store of the data folder's RU cell (its moderation schema must be current)."""
    from domicile.app import open_domicile
    from domicile.moderation.hashing.manage import bank_store_for

    dom = open_domicile(_settings(data_dir))
    try:
        yield bank_store_for(dom)
    finally:
        for cell in dom.cells.values():
            cell.close()


def _read(path: str, what: str) -> bytes:
    """A file's bytes ('-': stdin); a missing or unreadable file is bad input."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what} {path!r} ({type(exc).__name__})") from None


def _bank_line(summary: Any) -> str:
    b = summary.bank
    state = "enabled " if b.enabled else "DISABLED"
    desc = f"  {b.description}" if b.description else ""
    return f"{b.name:<24} {b.signal_type:<7} {state} {summary.entries:>9} entries{desc}"


# -- banks ---------------------------------------------------------------------------------------
@bank_app.command("create")
def create(
    name: BankName,
    signal_type: Annotated[str, typer.Option("--type", help="pdq, md5, sha256 or vpdq.")],
    description: Annotated[str, typer.Option("--description", help="Free text (no personal data).")] = "",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Create an empty, enabled hash bank of one signal type."""
    with _banks(data_dir) as store:
        bank = store.create_bank(name, signal_type, description=description)
    emit(bank, json_out, f"created bank {bank.name} ({bank.signal_type})")


@bank_app.command("list")
def list_banks(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Banks with their type, state and number of entries."""
    from domicile.moderation.hashing.manage import summarize

    with _banks(data_dir) as store:
        found = summarize(store)
    emit(found, json_out, "\n".join(_bank_line(s) for s in found) or "no hash banks")


def _toggle(name: str, enabled: bool, data_dir: Path | None, json_out: bool) -> None:
    with _banks(data_dir) as store:
        bank = store.set_enabled(name, enabled)
    emit(bank, json_out, f"bank {bank.name} {'enabled' if bank.enabled else 'disabled'}")


@bank_app.command("disable")
def disable(name: BankName, data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Stop matching against a bank (its entries are kept)."""
    _toggle(name, False, data_dir, json_out)


@bank_app.command("enable")
def enable(name: BankName, data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Match against a disabled bank again."""
    _toggle(name, True, data_dir, json_out)


@bank_app.command("import")
def import_file(
    name: BankName,
    file: Annotated[str, typer.Argument(help="The file to import ('-' reads stdin).")],
    fmt: Format = "tx-signals",
    skip_other_types: Annotated[
        bool, typer.Option("--skip-other-types", help="Skip lines of other signal types.")
    ] = False,
    content_id: Annotated[
        str | None, typer.Option("--content-id", help="vpdq-frames: the video's id.")
    ] = None,
    label: Annotated[str | None, typer.Option("--label", help="vpdq-frames: its label.")] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Add a file of hashes to a bank in one transaction (a bad line stores nothing)."""
    from domicile.moderation.hashing.manage import decode_text, import_text

    text = decode_text(_read(file, "import file"), "import file")
    with _banks(data_dir) as store:
        added = import_text(
            store, name, text, fmt, skip_other_types=skip_other_types, content_id=content_id, label=label
        )
        total = store.count(name)
    emit(
        {"bank": name, "added": len(added), "entries": total},
        json_out,
        f"imported {len(added)} new entries into {name} ({total} in all; ones it held are skipped)",
    )


@bank_app.command("export")
def export(
    name: BankName,
    file: Annotated[str | None, typer.Argument(help="Write here (default: stdout).")] = None,
    fmt: Format = "tx-signals",
    data_dir: DataDir = None,
) -> None:
    """Write every entry of a bank in a ThreatExchange format."""
    from domicile.moderation.hashing import BankFormat, BankFormatError, export_bank

    if fmt not in {f.value for f in BankFormat}:
        raise BankFormatError(f"unknown export format {fmt[:40]!r}; one of {', '.join(BankFormat)}")
    with _banks(data_dir) as store:
        text = export_bank(store, name, fmt)
    if file is None or file == "-":
        sys.stdout.write(text)
        return
    try:
        Path(file).write_text(text, "utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {file!r} ({type(exc).__name__})") from None
    print(f"exported {name} to {file}", file=sys.stderr)


@bank_app.command("remove-entries")
def remove_entries(
    name: BankName,
    entry_ids: Annotated[
        list[int], typer.Argument(help="Entry ids (as shown by match or export --format csv).")
    ],
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Remove entries from a bank by id (ids of other banks are ignored)."""
    with _banks(data_dir) as store:
        removed = store.remove_entries(name, entry_ids)
    emit({"bank": name, "removed": removed}, json_out, f"removed {removed} entries from {name}")


# -- matching ------------------------------------------------------------------------------------
def _scan(scan: Any, json_out: bool) -> None:
    from domicile.moderation.hashing.manage import match_lines

    emit(scan, json_out, "\n".join(match_lines(scan)))


def _matcher(store: Any) -> Any:
    from domicile.moderation.hashing import HashMatcher

    return HashMatcher(store)


@match_app.command("image")
def match_image(
    file: Annotated[str, typer.Argument(help="Image file (JPEG, PNG...; '-' reads stdin).")],
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Hash an image (MD5, SHA-256, PDQ with its 8 dihedral variants) and match it."""
    data = _read(file, "image")
    with _banks(data_dir) as store:
        scan = _matcher(store).scan_image(data)
    _scan(scan, json_out)


@match_app.command("video")
def match_video(
    file: Annotated[Path, typer.Argument(help="Video file (vPDQ needs the vpdq extra).")],
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Hash a video (MD5, SHA-256, vPDQ) and match it."""
    with _banks(data_dir) as store:
        scan = _matcher(store).scan_video_file(file)
    _scan(scan, json_out)


@match_app.command("hash")
def match_hash(
    signal_type: Annotated[str, typer.Argument(help="pdq, md5, sha256, vpdq (or a ThreatExchange name).")],
    value: Annotated[str, typer.Argument(help="The hash.")],
    quality: Annotated[
        int | None,
        typer.Option("--quality", help="PDQ quality 0-100 (below 50 is not matched).", min=0, max=100),
    ] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Match a hash computed elsewhere."""
    from domicile.moderation.hashing import ComputedHash

    with _banks(data_dir) as store:
        scan = _matcher(store).match_signals([ComputedHash(signal_type, value, quality)])
    _scan(scan, json_out)


def register(app: typer.Typer) -> None:
    """Add ``bank`` and ``match`` to ``domicile moderation``."""
    app.add_typer(bank_app, name="bank")
    app.add_typer(match_app, name="match")
