"""The register holder keeps the last good snapshot, checks bounds and attaches the signature (§5.1)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from domicile.core.errors import ConfigError, DomicileError
from domicile.moderation.registry import (
    CsvDumpParser,
    Register,
    RegisterBounds,
    RegisterFormatError,
    RegisterNotLoadedError,
    RegisterSanityError,
    RegisterSnapshot,
    RegisterSourceError,
    XmlDumpParser,
)

MakeXml = Callable[..., Path]


def _content(eid: int, host: str, entry_type: str = "1") -> str:
    return (
        f'<content id="{eid}" includeTime="2017-01-01T10:00:00" entryType="{entry_type}">'
        f'<decision date="2017-01-01" number="{eid}" org="суд"/>'
        f"<url><![CDATA[http://{host}/page]]></url><domain><![CDATA[{host}]]></domain></content>"
    )


def _corruptions(xml_path: Path, tmp_path: Path) -> dict[str, Path]:
    data = xml_path.read_bytes()
    variants = {
        "truncated": data[: len(data) // 2],
        "utf8": data.decode("cp1251").encode("utf-8"),
        "invalid-byte": data[:4000] + b"\x98" + data[4000:],
        "html": b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
        "empty": b"",
    }
    paths = {}
    for name, body in variants.items():
        path = tmp_path / f"{name}.xml"
        path.write_bytes(body)
        paths[name] = path
    return paths


def test_failed_loads_keep_previous_snapshot_active(
    xml_path: Path, tmp_path: Path, xml_snapshot: RegisterSnapshot
) -> None:
    """Each malformed dump raises, and the previous good snapshot and matcher stay active (§5.1)."""
    register = Register()
    report = register.activate(xml_snapshot)
    good = register.active
    assert good is xml_snapshot and report.snapshot is good and report.diff is None
    matcher = register.matcher
    listed = good.entries[0].urls[0]
    for name, path in _corruptions(xml_path, tmp_path).items():
        with pytest.raises(RegisterFormatError) as info:
            register.load(path)
        assert path.name in info.value.message, name
        assert register.active is good, name
        assert register.matcher is matcher
        assert register.last_error is info.value
        assert register.matcher.check_url(listed).blocked
    with pytest.raises(RegisterSourceError):
        register.load(tmp_path / "absent.xml")
    assert register.active is good


def test_signature_is_attached_not_verified(xml_path: Path, tmp_path: Path) -> None:
    """The detached .sig beside the dump is kept byte for byte; a named missing one is an error."""
    register = Register()
    snapshot = register.load(xml_path).snapshot
    sig = xml_path.with_name(xml_path.name + ".sig")
    assert snapshot.signature == sig.read_bytes()
    assert snapshot.signature_path == sig
    with pytest.raises(RegisterSourceError, match="nope"):
        register.load(xml_path, signature_path=tmp_path / "nope.sig")
    assert register.active is snapshot


def test_nothing_loaded_yet() -> None:
    """Asking for a matcher before any load raises RegisterNotLoadedError."""
    register = Register()
    assert register.active is None
    with pytest.raises(RegisterNotLoadedError):
        register.self_check(domains=["example.com"])


def test_entry_count_bounds(make_xml: MakeXml) -> None:
    """Dumps with too few or too many entries are refused before activation."""
    small = make_xml(_content(1, "a.example"), _content(2, "b.example"))
    with pytest.raises(RegisterSanityError, match="outside the configured bounds"):
        Register(bounds=RegisterBounds(min_entries=3)).load(small)
    with pytest.raises(RegisterSanityError):
        Register(bounds=RegisterBounds(max_entries=1)).load(small)
    register = Register(bounds=RegisterBounds(min_entries=2, max_entries=2))
    register.load(small)
    assert register.active is not None and len(register.active) == 2


def test_rejected_share_bound(make_xml: MakeXml) -> None:
    """A dump whose malformed share exceeds the bound is refused; the previous stays active."""
    register = Register(bounds=RegisterBounds(max_rejected_fraction=0.4))
    good = register.load(
        make_xml(_content(1, "a.example"), _content(2, "b.example"), name="one.xml")
    ).snapshot
    bad = make_xml(_content(1, "a.example"), _content(2, "b.example", "bad"), name="two.xml")
    with pytest.raises(RegisterSanityError, match="1 of 2 entries are malformed"):
        register.load(bad)
    assert register.active is good


def test_drop_and_age_bounds(make_xml: MakeXml) -> None:
    """A sudden drop in entries or an older update time is refused when configured."""
    register = Register(bounds=RegisterBounds(max_drop_fraction=0.5))
    register.load(make_xml(*(_content(i, f"h{i}.example") for i in range(1, 5)), name="full.xml"))
    with pytest.raises(RegisterSanityError, match="drop"):
        register.load(make_xml(_content(1, "h1.example"), name="cut.xml"))
    older = make_xml(*(_content(i, f"h{i}.example") for i in range(1, 5)), update="2010-01-01T00:00:00+03:00")
    with pytest.raises(RegisterSanityError, match="older"):
        register.load(older)
    assert register.active is not None and register.active.source_path is not None
    assert register.active.source_path.name == "full.xml"


def test_malformed_entry_keeps_last_good_record(make_xml: MakeXml) -> None:
    """An entry malformed in the new dump keeps its previous good record, never a half version (§5.1)."""
    register = Register(bounds=RegisterBounds(max_rejected_fraction=0.5))
    first = register.load(make_xml(_content(1, "a.example"), _content(2, "b.example"), name="d1.xml"))
    report = register.load(make_xml(_content(1, "a.example"), _content(2, "c.example", "bad"), name="d2.xml"))
    assert report.carried_over == ("2",)
    assert [r.entry_id for r in report.rejected] == ["2"]
    assert report.snapshot.by_id["2"] == first.snapshot.by_id["2"]
    assert register.matcher.check_domain("b.example").listed
    assert not register.matcher.check_domain("c.example").listed
    assert report.diff is not None and report.diff.is_empty


def test_bad_configuration_is_refused() -> None:
    """Inconsistent bounds and duplicate parser names are ConfigErrors."""
    with pytest.raises(ConfigError):
        RegisterBounds(min_entries=10, max_entries=1)
    with pytest.raises(ConfigError):
        RegisterBounds(max_rejected_fraction=2.0)
    with pytest.raises(ConfigError):
        RegisterBounds(max_drop_fraction=-0.1)
    with pytest.raises(ConfigError, match="rkn-xml"):
        Register(parsers=[XmlDumpParser(), XmlDumpParser()])
    with pytest.raises(ConfigError):
        Register(parsers=[])


def test_custom_parser_list_limits_formats(csv_path: Path) -> None:
    """A holder built with only the XML parser refuses the CSV mirror, keeping nothing half-loaded."""
    register = Register(parsers=[XmlDumpParser()])
    with pytest.raises(DomicileError, match="not a known register format"):
        register.load(csv_path)
    assert register.active is None
    assert len(Register(parsers=[CsvDumpParser()]).load(csv_path).snapshot) == 2150
