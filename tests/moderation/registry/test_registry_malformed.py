"""Malformed dumps give one clear RegisterFormatError naming line/column or byte offset (ZI-1, ZI-2)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from domicile.core.errors import ModerationError
from domicile.moderation.registry import (
    CsvDumpParser,
    ParseOptions,
    RegisterFormatError,
    RegisterSourceError,
    XmlDumpParser,
    parse_dump,
)

MakeXml = Callable[..., Path]

GOOD = (
    '<content id="1" includeTime="2017-01-01T10:00:00" entryType="1">'
    '<decision date="2017-01-01" number="1" org="суд"/><url><![CDATA[http://a.example/x]]></url>'
    "<domain><![CDATA[a.example]]></domain><ip>192.0.2.1</ip></content>"
)


def _error(path: Path) -> str:
    with pytest.raises(RegisterFormatError) as info:
        parse_dump(path)
    assert isinstance(info.value, ModerationError)
    return info.value.message


def test_truncated_xml_names_line_and_column(xml_path: Path, tmp_path: Path) -> None:
    """A dump cut mid-entry fails with the line and column where the XML breaks (ZI-1)."""
    cut = xml_path.read_bytes()[:1_000_000]
    path = tmp_path / "dump.xml"
    path.write_bytes(cut)
    message = _error(path)
    found = re.search(r"line (\d+), column (\d+)", message)
    assert found is not None, message
    assert int(found.group(1)) == cut.count(b"\n") + 1
    assert abs(int(found.group(2)) - len(cut)) <= 16


def test_utf8_bytes_declared_windows1251_are_reported(xml_path: Path, tmp_path: Path) -> None:
    """The real export re-encoded as UTF-8 under its cp1251 declaration is named mislabelled (ZI-1)."""
    data = xml_path.read_bytes().decode("cp1251").encode("utf-8")
    path = tmp_path / "dump.xml"
    path.write_bytes(data)
    message = _error(path)
    first = re.search(rb"[\x80-\xff]", data)
    assert first is not None
    assert "UTF-8" in message
    assert f"offset {first.start()}" in message


def test_small_utf8_dump_without_invalid_cp1251_bytes_is_reported(make_xml: MakeXml) -> None:
    """UTF-8 text that happens to decode as cp1251 is still caught, naming the first non-ASCII byte."""
    path = make_xml(GOOD, encoding="utf-8")
    data = path.read_bytes()
    first = re.search(rb"[\x80-\xff]", data)
    assert first is not None
    message = _error(path)
    assert "UTF-8" in message and f"offset {first.start()}" in message
    line = data.count(b"\n", 0, first.start()) + 1
    assert f"line {line}" in message


def test_invalid_cp1251_byte_names_offset(xml_path: Path, tmp_path: Path) -> None:
    """A byte undefined in windows-1251 (0x98) is reported at its exact offset, line and column."""
    data = xml_path.read_bytes()
    offset = 5000
    path = tmp_path / "dump.xml"
    path.write_bytes(data[:offset] + b"\x98" + data[offset:])
    message = _error(path)
    assert f"offset {offset}" in message
    assert f"line 1, column {offset + 1}" in message


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><br></body></html>",
        b"<html><body>Service unavailable</body></html>",
        b"\xef\xbb\xbf  <!-- proxy --><HTML><BODY>login</BODY></HTML>",
    ],
)
@pytest.mark.parametrize("name", ["dump.xml", "dump.csv"])
def test_html_error_page_is_refused(tmp_path: Path, body: bytes, name: str) -> None:
    """An HTML error or login page saved as the dump is named as such, at line 1."""
    path = tmp_path / name
    path.write_bytes(body)
    message = _error(path)
    assert "HTML" in message and "line 1" in message


def test_xml_that_is_not_a_register_is_refused(tmp_path: Path) -> None:
    """Well-formed XML with another root element names that element and its line."""
    path = tmp_path / "dump.xml"
    path.write_bytes(b'<?xml version="1.0"?>\n\n<feed><content id="1"/></feed>')
    message = _error(path)
    assert "<feed>" in message and "line 3" in message


@pytest.mark.parametrize("name", ["dump.xml", "dump.csv", "dump.bin"])
def test_empty_file_is_refused(tmp_path: Path, name: str) -> None:
    """A zero-byte file fails as empty, naming line 1, offset 0."""
    path = tmp_path / name
    path.write_bytes(b"")
    assert "empty file" in _error(path)
    with pytest.raises(RegisterFormatError, match="empty file"):
        XmlDumpParser().parse(path)
    with pytest.raises(RegisterFormatError, match="empty file"):
        CsvDumpParser().parse(path)


def test_unknown_content_is_refused(tmp_path: Path) -> None:
    """A file that is neither XML nor the mirror CSV fails at line 1."""
    path = tmp_path / "dump.txt"
    path.write_bytes(b"   \nhello world\n")
    assert "not a known register format" in _error(path)


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    """A missing dump raises RegisterSourceError, not a format error."""
    with pytest.raises(RegisterSourceError, match=r"missing\.xml"):
        parse_dump(tmp_path / "missing.xml")


def test_unsupported_format_version(make_xml: MakeXml) -> None:
    """formatVersion outside 2.0-2.4 fails unless explicitly allowed (ZI-1)."""
    path = make_xml(GOOD, version="3.1")
    assert "unsupported formatVersion" in _error(path)
    assert len(XmlDumpParser(allow_unknown_format=True).parse(path)) == 1


def test_bad_register_time_is_refused(make_xml: MakeXml) -> None:
    """An unreadable updateTime fails the dump and names the attribute and line."""
    message = _error(make_xml(GOOD, update="yesterday"))
    assert "updateTime" in message and "line 1" in message


@pytest.mark.parametrize(
    ("attrs", "child", "reason"),
    [
        ('entryType="bad"', "", "entryType"),
        ('entryType="1" blockType="everything"', "", "blockType"),
        ('entryType="1" includeTime="31.12.2017"', "", "includeTime"),
        ('entryType="1"', "<ip>999.1.1.1</ip>", "<ip>"),
        ('entryType="1"', "<ipSubnet>10.0.0.0/33</ipSubnet>", "<ipSubnet>"),
        ('entryType="1"', "<url><![CDATA[http://a..b/]]></url>", "<url>"),
        ('entryType="1"', "<domain><![CDATA[bad host]]></domain>", "<domain>"),
    ],
)
def test_malformed_entry_is_skipped_whole_and_reported(
    make_xml: MakeXml, attrs: str, child: str, reason: str
) -> None:
    """A malformed <content> is skipped entirely and reported with line, ordinal, id and field (ZI-1)."""
    bad = (
        f'<content id="2" {attrs}><decision date="2017-01-01" number="2" org="суд"/>'
        f"<url><![CDATA[http://b.example/]]></url>{child}</content>"
    )
    third = GOOD.replace('id="1"', 'id="3"')
    path = make_xml(GOOD, bad, third)
    snapshot = parse_dump(path)
    assert [e.id for e in snapshot.entries] == ["1", "3"]
    (rejected,) = snapshot.rejected
    assert rejected.entry_id == "2" and rejected.ordinal == 2 and rejected.line == 3
    assert reason in rejected.reason
    with pytest.raises(RegisterFormatError) as info:
        XmlDumpParser(ParseOptions(strict=True)).parse(path)
    assert "line 3, entry #2 (id 2)" in info.value.message and reason in info.value.message


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            '<content entryType="1"><decision date="2017-01-01" number="2" org="суд"/></content>',
            "id is missing",
        ),
        ('<content id="x1"><decision date="2017-01-01" number="2" org="суд"/></content>', "id is not"),
        ('<content id="2" entryType="1"></content>', "<decision> is missing"),
        ('<content id="1"><decision date="2017-01-01" number="2" org="суд"/></content>', "duplicate"),
        ('<content id="2"><decision date="17.01.2017" number="2" org="суд"/></content>', "date"),
    ],
)
def test_structurally_bad_entries_are_rejected(make_xml: MakeXml, content: str, reason: str) -> None:
    """Missing ids, missing decisions, duplicate ids and bad decision dates are rejected entries."""
    snapshot = parse_dump(make_xml(GOOD, content))
    assert [e.id for e in snapshot.entries] == ["1"]
    assert reason in snapshot.rejected[0].reason


def test_csv_junk_line_names_line(csv_path: Path, tmp_path: Path) -> None:
    """A junk line in the mirror CSV fails the file, naming its line number (ZI-2)."""
    lines = csv_path.read_bytes().split(b"\n")
    lines.insert(99, b"<<< merge conflict")
    path = tmp_path / "dump.csv"
    path.write_bytes(b"\n".join(lines))
    message = _error(path)
    assert "line 100" in message and "found 1" in message


def test_csv_invalid_byte_names_offset(csv_path: Path, tmp_path: Path) -> None:
    """An undecodable byte in the CSV is reported with its offset, line and column (ZI-2)."""
    data = csv_path.read_bytes()
    offset = data.index(b"\n", 1000) + 5
    path = tmp_path / "dump.csv"
    path.write_bytes(data[:offset] + b"\x98" + data[offset:])
    message = _error(path)
    line = data.count(b"\n", 0, offset) + 1
    assert f"offset {offset}" in message and f"line {line}, column 5" in message


def test_csv_in_utf8_is_reported(csv_path: Path, tmp_path: Path) -> None:
    """The mirror re-encoded as UTF-8 is named mislabelled, with the first non-ASCII offset (ZI-2)."""
    data = csv_path.read_bytes().decode("cp1251").encode("utf-8")
    path = tmp_path / "dump.csv"
    path.write_bytes(data)
    first = re.search(rb"[\x80-\xff]", data)
    assert first is not None
    message = _error(path)
    assert "UTF-8" in message and f"offset {first.start()}" in message


def test_csv_bad_header_and_bad_values(tmp_path: Path) -> None:
    """A bad Updated: header fails at line 1; a bad IP or date skips just that row, by line."""
    path = tmp_path / "dump.csv"
    path.write_bytes(b"Updated: sometime\n1.2.3.4;a.example;;x;1;2017-01-01\n")
    assert "line 1" in _error(path)
    path.write_bytes(
        b"Updated: 2017-01-01 00:00:00 +0000\n"
        b"1.2.3.4;a.example;;x;1;2017-01-01\n"
        b"1.2.3.999;b.example;;x;2;2017-01-01\n"
        b"1.2.3.5;c.example;;x;3;2017-13-01\n"
        b";;;x;4;2017-01-01\n"
    )
    snapshot = parse_dump(path)
    assert [e.domains for e in snapshot.entries] == [("a.example",)]
    assert [(r.line, r.ordinal) for r in snapshot.rejected] == [(3, 2), (4, 3), (5, 4)]
    assert "IP list item 1" in snapshot.rejected[0].reason
    with pytest.raises(RegisterFormatError, match=r"line 3, entry #2"):
        CsvDumpParser(ParseOptions(strict=True)).parse(path)


def test_undeclared_encoding_defaults_to_utf8(tmp_path: Path) -> None:
    """Without an encoding declaration, cp1251 bytes are reported as invalid UTF-8 at their offset."""
    body = '<reg:register xmlns:reg="http://rsoc.ru" formatVersion="2.0"><content id="1"><decision org="'
    path = tmp_path / "dump.xml"
    path.write_bytes(body.encode() + "суд".encode("cp1251") + b'"/></content></reg:register>')
    message = _error(path)
    assert f"invalid utf-8 byte at offset {len(body)}" in message
    assert f"line 1, column {len(body) + 1}" in message
