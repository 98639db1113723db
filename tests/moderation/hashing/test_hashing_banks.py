"""Hash banks: store behaviour, ThreatExchange import/export round trips, matching with evidence."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from banks_kit import BACKENDS, StepClock, backend_url, store_on
from hypothesis import given, settings
from hypothesis import strategies as st

from domicile.core.errors import InputError, NotFoundError
from domicile.moderation.hashing import (
    BankExistsError,
    BankFormat,
    BankFormatError,
    BankNotFoundError,
    ComputedHash,
    HashBankStore,
    HashMatcher,
    InMemoryHashBankStore,
    InvalidHashError,
    NewEntry,
    PdqSignal,
    UnknownSignalTypeError,
    export_bank,
    import_bank,
    parse_entries,
)

FIXTURES = Path(__file__).resolve().parents[3] / ".." / "shared" / "fixtures"
hex64 = st.binary(min_size=32, max_size=32).map(bytes.hex)
hex32 = st.binary(min_size=16, max_size=16).map(bytes.hex)
safe_text = st.text(
    alphabet=st.characters(max_codepoint=0x44F, blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
    max_size=40,
).map(str.strip)


def _store() -> InMemoryHashBankStore:
    return InMemoryHashBankStore(clock=StepClock())


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HashBankStore]:
    """An empty store on each backend: memory, SQLite, PostgreSQL (moderation tables migrated)."""
    backend = request.param
    url = None if backend == "memory" else backend_url(request, backend, str(tmp_path))
    with store_on(backend, url) as made:
        yield made


def test_create_fill_disable(store: HashBankStore) -> None:
    """A bank is created, filled with timestamped entries, disabled and re-enabled, as frozen data."""
    bank = store.create_bank("csam-test", "pdq", description="fictitious")
    assert (bank.name, bank.signal_type, bank.enabled) == ("csam-test", "pdq", True)
    added = store.add_entries(
        "csam-test",
        [NewEntry(PdqSignal.examples()[0].upper(), "c-1", "C-CSAM"), NewEntry(PdqSignal.examples()[1])],
    )
    assert [e.value for e in added] == list(PdqSignal.examples())
    assert added[0].content_id == "c-1" and added[0].label == "C-CSAM" and added[1].label is None
    assert added[0].added_at > bank.created_at
    assert store.count("csam-test") == 2
    assert list(store.entries("csam-test")) == list(added)
    assert store.disable("csam-test").enabled is False
    assert store.list_banks(enabled_only=True) == ()
    assert store.enable("csam-test").enabled is True
    with pytest.raises(AttributeError):
        bank.enabled = False  # type: ignore[misc]


def test_tx_alias_resolves_to_our_type(store: HashBankStore) -> None:
    """Creating a bank with ThreatExchange's 'video_md5' stores our 'md5' type name."""
    assert store.create_bank("md5s", "video_md5").signal_type == "md5"
    assert [b.name for b in store.list_banks(signal_type="md5")] == ["md5s"]


def test_bank_errors_are_typed(store: HashBankStore) -> None:
    """Duplicate names, bad names, unknown banks and unknown types raise typed errors."""
    store.create_bank("a", "md5")
    with pytest.raises(BankExistsError):
        store.create_bank("a", "sha256")
    with pytest.raises(BankFormatError):
        store.create_bank("bad name!", "md5")
    with pytest.raises(UnknownSignalTypeError):
        store.create_bank("b", "photodna")
    with pytest.raises(BankNotFoundError) as info:
        store.add("nope", "0" * 32)
    assert isinstance(info.value, NotFoundError)
    assert [b.name for b in store.list_banks()] == ["a"]


def test_bad_entry_loses_nothing(store: HashBankStore) -> None:
    """One malformed hash in a batch raises InvalidHashError naming the entry; the bank is unchanged."""
    store.create_bank("b", "md5")
    store.add("b", "0" * 32)
    version = store.version
    with pytest.raises(InvalidHashError) as info:
        store.add_entries("b", [NewEntry("1" * 32), NewEntry("zz")])
    assert "entry #1" in str(info.value)
    assert store.count("b") == 1 and store.version == version
    for label in ("line\nbreak", "nel\x85x", "sep\u2028x", "del\x7f"):
        with pytest.raises(BankFormatError):
            store.add_entries("b", [NewEntry("1" * 32, label=label)])
    with pytest.raises(BankFormatError):
        store.add_entries("b", [NewEntry("1" * 32, content_id="x" * 257)])
    assert store.count("b") == 1


def test_version_changes_on_every_write(store: HashBankStore) -> None:
    """version moves on create, add, disable and remove, and not on reads or no-op toggles."""
    seen = [store.version]
    store.create_bank("b", "md5")
    seen.append(store.version)
    entry = store.add("b", "0" * 32)
    seen.append(store.version)
    store.disable("b")
    seen.append(store.version)
    store.disable("b")
    assert store.version == seen[-1]
    assert store.remove_entries("b", [entry.entry_id, 999]) == 1
    seen.append(store.version)
    assert len(set(seen)) == len(seen)


def test_store_is_an_abc() -> None:
    """HashBankStore cannot be instantiated without its hooks."""
    with pytest.raises(TypeError):
        HashBankStore()  # type: ignore[abstract]


entries_strategy = st.lists(st.tuples(hex64, safe_text, safe_text), max_size=15)


@pytest.mark.parametrize("fmt", [BankFormat.CSV, BankFormat.TSV])
@settings(max_examples=25, deadline=None)
@given(rows=entries_strategy)
def test_hash_label_round_trip(fmt: BankFormat, rows: list[tuple[str, str, str]]) -> None:
    """Export then import of csv/tsv keeps hash, label and content id of every entry."""
    source = _store()
    source.create_bank("src", "pdq")
    source.add_entries("src", [NewEntry(h, c or None, lbl or None) for h, lbl, c in rows])
    text = export_bank(source, "src", fmt)
    target = _store()
    target.create_bank("dst", "pdq")
    import_bank(target, "dst", text, fmt)
    got = [(e.value, e.label, e.content_id) for e in target.entries("dst")]
    assert got == [(e.value, e.label, e.content_id) for e in source.entries("src")]


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(st.tuples(hex32, safe_text), max_size=15))
def test_tx_dataset_round_trip(rows: list[tuple[str, str]]) -> None:
    """tx-dataset-csv keeps hash and label (tags) and writes ThreatExchange type names."""
    source = _store()
    source.create_bank("src", "md5")
    source.add_entries("src", [NewEntry(h, None, lbl or None) for h, lbl in rows])
    text = export_bank(source, "src", BankFormat.TX_DATASET_CSV)
    assert text.splitlines()[0] == "signal_type,signal_str,collab,category,tags"
    assert all(line.startswith("video_md5,") for line in text.splitlines()[1:])
    target = _store()
    target.create_bank("dst", "md5")
    import_bank(target, "dst", text, "tx-dataset-csv")
    expected = list(dict.fromkeys((h, lbl or None) for h, lbl in rows))  # repeats are stored once
    assert [(e.value, e.label) for e in target.entries("dst")] == expected


@given(values=st.lists(hex64, max_size=15))
def test_tx_signals_round_trip(values: list[str]) -> None:
    """tx-signals ('<type> <hash>' lines) round-trips the hashes of a bank."""
    source = _store()
    source.create_bank("src", "sha256")
    source.add_entries("src", [NewEntry(v) for v in values])
    text = export_bank(source, "src", "tx-signals")
    assert all(line.startswith("video_sha256 ") for line in text.splitlines())
    target = _store()
    target.create_bank("dst", "sha256")
    import_bank(target, "dst", text, BankFormat.TX_SIGNALS)
    assert [e.value for e in target.entries("dst")] == list(dict.fromkeys(values))


def test_tx_signals_mixed_types_and_bare_lines(store: HashBankStore) -> None:
    """Lines of other types fail (or are skipped on request); bare hashes take the bank's type."""
    store.create_bank("p", "pdq")
    pdq = PdqSignal.examples()[0]
    text = f"# comment\npdq {pdq}\n\nvideo_md5 {'a' * 32}\n{pdq.upper()}\n"
    with pytest.raises(BankFormatError) as info:
        import_bank(store, "p", text, "tx-signals")
    assert info.value.line == 4
    assert store.count("p") == 0
    import_bank(store, "p", text, "tx-signals", skip_other_types=True)
    assert [e.value for e in store.entries("p")] == [pdq]  # the upper-case repeat normalizes to it


@pytest.mark.parametrize(
    ("fmt", "text", "line"),
    [
        ("csv", "hash,label\n" + "a" * 64 + ",ok\n" + "b" * 63 + ",bad\n", 3),
        ("csv", "a" * 64 + ",x,y,z\n", 1),
        ("tsv", "a" * 64 + "\tok\n\n" + "q" * 64 + "\tbad\n", 3),
        ("tx-dataset-csv", "signal_type,signal_str\npdq," + "a" * 64 + "\nmd6," + "a" * 64 + "\n", 3),
        ("tx-dataset-csv", "type,hash\npdq," + "a" * 64 + "\n", 1),
        ("tx-signals", "pdq " + "a" * 64 + "\npdq 1234\n", 2),
        ("csv", 'hash,label\n"' + "a" * 64 + ",unterminated\n", 2),
    ],
)
def test_bad_files_name_the_line_and_store_nothing(
    store: HashBankStore, fmt: str, text: str, line: int
) -> None:
    """A bad import raises one BankFormatError naming the first bad line; the bank stays empty."""
    store.create_bank("p", "pdq")
    with pytest.raises(BankFormatError) as info:
        import_bank(store, "p", text, fmt)
    assert info.value.line == line
    assert f"line {line}" in str(info.value)
    assert isinstance(info.value, InputError)
    assert store.count("p") == 0


def test_unknown_format_and_empty_dataset() -> None:
    """An unknown format name and a header-less dataset file raise BankFormatError."""
    registry = _store().registry
    with pytest.raises(BankFormatError):
        parse_entries("", "xml", signal_type=PdqSignal, registry=registry)
    with pytest.raises(BankFormatError):
        parse_entries("", "tx-dataset-csv", signal_type=PdqSignal, registry=registry)


def test_csv_with_bom_and_quoted_label() -> None:
    """A UTF-8 BOM and quoted labels with commas are read correctly."""
    text = '\ufeffhash,label,content_id\n{},"a, b",id-1\n'.format("c" * 64)
    entries = parse_entries(text, "csv", signal_type=PdqSignal, registry=_store().registry)
    assert entries == (NewEntry("c" * 64, "id-1", "a, b"),)


def test_needles_import_from_fixture(store: HashBankStore) -> None:
    """The reference haystack list imports as a bare-hash tx-signals file of 1350 entries."""
    store.create_bank("hay", "pdq")
    import_bank(store, "hay", (FIXTURES / "pdq" / "haystack.txt").read_text(), "tx-signals")
    assert store.count("hay") == 1350


def test_matcher_evidence_and_disabled_banks(store: HashBankStore) -> None:
    """Matching reports bank, type, distance, threshold and quality; disabled banks are skipped."""
    store.create_bank("pdq-a", "pdq")
    store.create_bank("pdq-b", "pdq")
    store.create_bank("md5-a", "md5")
    base = PdqSignal.examples()[0]
    near = f"{int(base, 16) ^ 0b1011:064x}"  # 3 bits away
    store.add("pdq-a", base, content_id="k-1", label="C-CSAM")
    store.add("pdq-b", near)
    payload = b"fictitious upload"
    store.add("md5-a", hashlib.md5(payload).hexdigest(), label="dup")
    matcher = HashMatcher(store)
    scan = matcher.match_signals(
        [ComputedHash("pdq", base, 90), ComputedHash("video_md5", hashlib.md5(payload).hexdigest())]
    )
    summary = [
        (m.bank, m.signal_type, m.result.distance, m.result.threshold, m.quality) for m in scan.matches
    ]
    assert summary == [("md5-a", "md5", 0, 0, None), ("pdq-a", "pdq", 0, 31, 90), ("pdq-b", "pdq", 3, 31, 90)]
    assert scan.matches[1].content_id == "k-1" and scan.matches[1].label == "C-CSAM"
    assert scan.banks() == ("md5-a", "pdq-a", "pdq-b")
    store.disable("pdq-b")
    again = matcher.match_signals([ComputedHash("pdq", base, 90)])
    assert again.banks() == ("pdq-a",)


def test_matcher_sees_new_entries_and_rejects_low_quality_hashes(store: HashBankStore) -> None:
    """After adding entries the matcher rebuilds; a PDQ hash with quality < 50 is rejected with evidence."""
    store.create_bank("p", "pdq")
    matcher = HashMatcher(store)
    value = PdqSignal.examples()[1]
    assert not matcher.match_signals([ComputedHash("pdq", value, 100)]).matched
    store.add("p", value)
    assert matcher.match_signals([ComputedHash("pdq", value, 100)]).matched
    low = matcher.match_signals([ComputedHash("pdq", value, 49)])
    assert not low.matched
    assert [(r.reason, r.quality, r.minimum) for r in low.rejected] == [("low_quality", 49, 50)]
    assert matcher.match_signals([ComputedHash("pdq", value, None)]).matched


def test_matcher_rejects_malformed_signals(store: HashBankStore) -> None:
    """match_signals validates input: malformed hash or unknown type raise typed errors."""
    matcher = HashMatcher(store)
    with pytest.raises(InvalidHashError):
        matcher.match_signals([ComputedHash("pdq", "xyz")])
    with pytest.raises(UnknownSignalTypeError):
        matcher.match_signals([ComputedHash("tmk", "00")])


def test_scan_image_against_fixture_bank(store: HashBankStore) -> None:
    """An image upload matches a bank of bridge hashes by md5 (exact file) and PDQ (edited copy)."""
    pdq_dir = FIXTURES / "pdq"
    store.create_bank("bridge", "pdq")
    store.create_bank("bridge-md5", "md5")
    store.add("bridge", "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22", label="orig")
    store.add(
        "bridge-md5", hashlib.md5((pdq_dir / "bridge-mods" / "blur-a-lot.jpg").read_bytes()).hexdigest()
    )
    scan = HashMatcher(store, dihedral=False).scan_image_file(pdq_dir / "bridge-mods" / "blur-a-lot.jpg")
    assert [m.signal_type for m in scan.matches] == ["md5", "pdq"]
    assert 0 < scan.matches[1].result.distance <= 31
    assert {s.signal_type for s in scan.signals} == {"md5", "pdq"}
    unrelated = HashMatcher(store).scan_image_file(pdq_dir / "misc" / "wee.jpg")
    assert not unrelated.matched and not unrelated.rejected


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=10, deadline=None)
@given(rows=entries_strategy)
def test_sql_round_trip_keeps_every_field(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, backend: str,
    rows: list[tuple[str, str, str]],
) -> None:  # fmt: skip
    """Entries written to each store read back identically (value, label, content id, order, ids)."""
    url = None if backend == "memory" else backend_url(request, backend, str(tmp_path_factory.mktemp("rt")))
    with store_on(backend, url) as store:
        name = f"b-{uuid.uuid4().hex[:8]}"
        store.create_bank(name, "pdq")
        added = store.add_entries(name, [NewEntry(h, c or None, lbl or None) for h, lbl, c in rows])
        assert tuple(store.entries(name)) == added
        expected = list(dict.fromkeys((h, lbl or None, c or None) for h, lbl, c in rows))
        assert [(e.value, e.label, e.content_id) for e in added] == expected
        assert len({e.entry_id for e in added}) == len(expected) == store.count(name)


@pytest.mark.parametrize("backend", BACKENDS)
def test_reimport_adds_nothing_and_repeats_are_stored_once(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, backend: str
) -> None:
    """SN-1 / MIN-7: importing the same hash file twice leaves one entry per (hash, content id, label).

    A repeat inside one file is stored once; the same hash with another label is another entry;
    ``add`` of an entry the bank holds returns the stored entry.
    """
    url = None if backend == "memory" else backend_url(request, backend, str(tmp_path_factory.mktemp("ri")))
    h1, h2 = "f" * 64, "0f" * 32
    text = f"hash,label,content_id\n{h1},C-CSAM,k-1\n{h2},,\n{h1},C-CSAM,k-1\n{h1},other,k-1\n"
    with store_on(backend, url) as store:
        name = f"b-{uuid.uuid4().hex[:8]}"
        store.create_bank(name, "pdq")
        first = import_bank(store, name, text, "csv")
        assert [(e.value, e.label, e.content_id) for e in first] == [
            (h1, "C-CSAM", "k-1"),
            (h2, None, None),
            (h1, "other", "k-1"),
        ]
        assert import_bank(store, name, text, "csv") == ()
        assert tuple(store.entries(name)) == first and store.count(name) == 3
        again = store.add(name, h1.upper(), content_id=" k-1 ", label="C-CSAM")  # normalized: the same entry
        assert again == first[0]
        assert store.count(name) == 3
