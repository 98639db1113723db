"""Parsing the official XML export and the z-i CSV mirror into the normalized model (ZI-1, ZI-2)."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from domicile.moderation.registry import (
    BlockType,
    CsvDumpParser,
    LegalBasis,
    LegalBasisRule,
    LegalBasisTable,
    ParseOptions,
    RegisterSnapshot,
    XmlDumpParser,
    parse_dump,
)

MakeXml = Callable[..., Path]


def _decoded(path: Path) -> str:
    return path.read_bytes().decode("cp1251")


def test_xml_export_entry_count_matches_independent_count(
    xml_path: Path, xml_snapshot: RegisterSnapshot
) -> None:
    """The 2015 export yields one entry per <content> element: 6,582 (ZI-1)."""
    expected = len(re.findall(r"<content\b", _decoded(xml_path)))
    assert expected == 6582
    assert len(xml_snapshot) == expected
    assert xml_snapshot.rejected == ()
    assert len({e.id for e in xml_snapshot.entries}) == expected


def test_xml_export_counts_per_type_match_regex_counts(
    xml_path: Path, xml_snapshot: RegisterSnapshot
) -> None:
    """Counts per entryType, urgencyType and blockType equal a regex count over the decoded file (ZI-1)."""
    tags = re.findall(r"<content\b[^>]*>", _decoded(xml_path))
    by_type = Counter(int(m) for t in tags for m in re.findall(r'entryType="(\d+)"', t))
    by_urgency = Counter(int(m) for t in tags for m in re.findall(r'urgencyType="(\d+)"', t))
    with_block = Counter(m for t in tags for m in re.findall(r'blockType="([^"]+)"', t))
    expected_block = Counter({BlockType(k): v for k, v in with_block.items()})
    expected_block[BlockType.DEFAULT] += len(tags) - sum(with_block.values())
    assert xml_snapshot.count_by_entry_type() == by_type
    assert Counter(e.urgency_type for e in xml_snapshot.entries if e.urgency_type is not None) == by_urgency
    assert xml_snapshot.count_by_block_type() == +expected_block


def test_xml_export_resource_counts_match(xml_path: Path, xml_snapshot: RegisterSnapshot) -> None:
    """Every <url>, <domain>, <ip> and <ipSubnet> element lands in its entry (ZI-1)."""
    text = _decoded(xml_path)
    entries = xml_snapshot.entries
    assert sum(len(e.urls) for e in entries) == len(re.findall(r"<url\b", text))
    assert sum(len(e.domains) for e in entries) == len(re.findall(r"<domain\b", text))
    assert sum(len(e.ips) for e in entries) == len(re.findall(r"<ip>", text))
    assert sum(len(e.subnets) for e in entries) == len(re.findall(r"<ipSubnet>", text))


def test_xml_export_metadata_and_signature_kept(xml_path: Path) -> None:
    """Register metadata, the file's SHA-256 and the detached signature bytes are kept (ZI-1)."""
    snapshot = parse_dump(xml_path)
    assert snapshot.source_format == "rkn-xml"
    assert snapshot.format_version == "2.0"
    assert snapshot.update_time == datetime.fromisoformat("2015-02-01T00:05:00+03:00")
    assert snapshot.update_time_urgently == datetime.fromisoformat("2015-01-31T21:39:00+03:00")
    assert snapshot.latest_update == snapshot.update_time
    assert snapshot.sha256 == hashlib.sha256(xml_path.read_bytes()).hexdigest()
    assert snapshot.size_bytes == xml_path.stat().st_size
    assert snapshot.signature is None  # parsers do not read it; the holder attaches it


def test_xml_first_entry_fields(xml_path: Path, xml_snapshot: RegisterSnapshot) -> None:
    """The first <content> of the export is decoded field by field, time made Moscow-aware (ZI-1)."""
    first = re.search(r"<content\b.*?</content>", _decoded(xml_path))
    assert first is not None
    block = first.group()
    entry = xml_snapshot.entries[0]
    assert entry.id == re.search(r'id="(\d+)"', block).group(1)  # type: ignore[union-attr]
    naive = re.search(r'includeTime="([^"]+)"', block).group(1)  # type: ignore[union-attr]
    assert entry.include_time is not None
    assert entry.include_time.replace(tzinfo=None) == datetime.fromisoformat(naive)
    assert entry.include_time.utcoffset() == timedelta(hours=4)  # Moscow was UTC+4 in 2012
    assert entry.decision.org in block
    assert entry.decision.number in block
    assert entry.urls == tuple(re.findall(r"<url><!\[CDATA\[(.*?)\]\]></url>", block))
    assert entry.ips == tuple(ipaddress.ip_address(ip) for ip in re.findall(r"<ip>(.*?)</ip>", block))


def test_xml_legal_basis_derived_from_type_and_org(xml_snapshot: RegisterSnapshot) -> None:
    """entryType 1 maps to 149-FZ 15.1, 3 to 15.3 and 2 to 15.2 (PG-1, §5.1 [P])."""
    by_type = {e.entry_type: e.legal_basis for e in xml_snapshot.entries}
    assert {t: b.article for t, b in by_type.items() if b} == {1: "15.1", 2: "15.2", 3: "15.3"}
    assert all(b is not None and b.law == "149-FZ" and b.tag == "P" for b in by_type.values())


def test_xml_format_24_features(make_xml: MakeXml) -> None:
    """Format 2.4: blockType, hash, ts, IDN CDATA, IPv6 and subnets, optional attributes absent (ZI-1)."""
    path = make_xml(
        '<content id="111" includeTime="2009-10-11T23:00:00" entryType="1" urgencyType="0" '
        'blockType="domain-mask" hash="ABC" ts="2018-04-16T11:20:00+03:00">'
        '<decision date="2001-02-17" number="1/1/11-1111" org="Генпрокуратура"/>'
        "<domain><![CDATA[*.пример.рф]]></domain>"
        '<ip ts="2018-04-16T11:20:00+03:00">192.0.2.11</ip><ipSubnet>10.4.0.1/16</ipSubnet>'
        "<ipv6>2001:db8::1</ipv6><ipv6Subnet>2001:db8::/48</ipv6Subnet><future>x</future></content>",
        '<content id="112" entryType="7"><decision date="" number="б/н" org="Минкомсвязь"/>'
        "<url><![CDATA[https://vpn.example/x]]></url></content>",
    )
    snapshot = XmlDumpParser().parse(path)
    first, second = snapshot.entries
    assert first.block_type is BlockType.DOMAIN_MASK
    assert first.entry_hash == "ABC"
    assert first.urgency_type == 0
    assert first.ts == datetime.fromisoformat("2018-04-16T11:20:00+03:00")
    assert first.domains == ("*.пример.рф",)
    assert first.ips == (ipaddress.ip_address("192.0.2.11"), ipaddress.ip_address("2001:db8::1"))
    assert first.subnets == (ipaddress.ip_network("10.4.0.0/16"), ipaddress.ip_network("2001:db8::/48"))
    assert first.decision.date == date(2001, 2, 17)
    assert first.legal_basis is not None and first.legal_basis.article == "15.1-1"
    assert second.include_time is None and second.urgency_type is None and second.entry_hash is None
    assert second.block_type is BlockType.DEFAULT
    assert second.decision.date is None and second.decision.number == "б/н"
    assert second.legal_basis is not None and second.legal_basis.article == "15.8"


def test_legal_basis_table_is_configurable(make_xml: MakeXml) -> None:
    """A custom basis table replaces the default mapping ([P] items are data)."""
    custom = LegalBasisTable([LegalBasisRule(1, LegalBasis("149-FZ", "99.9", "test", "U", "REG-2"))])
    path = make_xml(
        '<content id="1" entryType="1"><decision date="2020-01-01" number="1" org="суд"/>'
        "<domain><![CDATA[a.example]]></domain></content>"
    )
    (entry,) = XmlDumpParser(ParseOptions(basis=custom)).parse(path).entries
    assert entry.legal_basis is not None and entry.legal_basis.article == "99.9"


def test_csv_mirror_entry_count(csv_path: Path) -> None:
    """The 2014 mirror yields one entry per data line after the header: 2,150 (ZI-2)."""
    lines = [ln for ln in _decoded(csv_path).split("\n")[1:] if ln.strip()]
    snapshot = parse_dump(csv_path)
    assert len(lines) == 2150
    assert len(snapshot) == len(lines)
    assert snapshot.source_format == "zapret-info-csv"
    assert snapshot.update_time == datetime.fromisoformat("2014-04-22T11:05:00+00:00")
    assert len({e.id for e in snapshot.entries}) == len(lines)


def test_csv_mirror_fields_match_independent_split(csv_path: Path) -> None:
    """Orgs, IP counts and URLs equal a plain split of the decoded lines (ZI-2)."""
    rows = [ln.split(";") for ln in _decoded(csv_path).split("\n")[1:] if ln.strip()]
    snapshot = CsvDumpParser().parse(csv_path)
    assert Counter(e.decision.org for e in snapshot.entries) == Counter(r[3] for r in rows)
    assert sum(len(e.ips) + len(e.subnets) for e in snapshot.entries) == sum(
        len([x for x in r[0].split(" | ") if x]) for r in rows
    )
    assert [e.urls[0] if e.urls else "" for e in snapshot.entries] == [r[2].strip() for r in rows]
    multi = [e for e in snapshot.entries if len(e.ips) > 1]
    assert len(multi) == sum(1 for r in rows if " | " in r[0])


def test_csv_ids_stable_and_duplicates_distinct(csv_path: Path, tmp_path: Path) -> None:
    """CSV ids derive from row content: equal across reparses, distinct for duplicate rows (ZI-2)."""
    first = CsvDumpParser().parse(csv_path)
    copy = tmp_path / "dump.csv"
    copy.write_bytes(csv_path.read_bytes())
    again = CsvDumpParser().parse(copy)
    assert [e.id for e in first.entries] == [e.id for e in again.entries]
    assert all(e.id.startswith("csv:") for e in first.entries)
    lines = [ln for ln in _decoded(csv_path).split("\n")[1:] if ln.strip()]
    duplicated = len(lines) - len(set(lines))
    assert sum(1 for e in first.entries if "#" in e.id) == duplicated


def test_csv_masks_idn_subnets_and_inferred_block_types(tmp_path: Path) -> None:
    """Mask, IDN, CIDR, IPv6, URL with ';' and domain-only rows are read and typed (ZI-2)."""
    text = "\n".join(
        [
            "Updated: 2017-03-06 10:00:00 +0000",
            "104.16.214.246 | 104.18.106.21;letmeberich.com;http://letmeberich.com/?s=35;ФНС;2-6-20/2017;2017-03-06",
            ";*.casino.example;;ФНС;1;2017-03-06",
            "10.0.0.0/8 | 2001:db8::1;;;суд;2;2017-03-07",
            ";легально.рф;;Роскомнадзор;3;",
            "192.0.2.1;a.example;http://a.example/x;y=1;суд;4;2017-03-08",
        ]
    )
    path = tmp_path / "dump.csv"
    path.write_bytes(text.encode("cp1251"))
    entries = parse_dump(path).entries
    assert [e.block_type for e in entries] == [
        BlockType.DEFAULT,
        BlockType.DOMAIN_MASK,
        BlockType.IP,
        BlockType.DOMAIN,
        BlockType.DEFAULT,
    ]
    assert entries[0].ips == (ipaddress.ip_address("104.16.214.246"), ipaddress.ip_address("104.18.106.21"))
    assert entries[2].subnets == (ipaddress.ip_network("10.0.0.0/8"),)
    assert entries[2].ips == (ipaddress.ip_address("2001:db8::1"),)
    assert entries[3].domains == ("легально.рф",) and entries[3].decision.date is None
    assert entries[4].urls == ("http://a.example/x;y=1",)
    assert all(e.entry_type is None and e.legal_basis is None for e in entries)
