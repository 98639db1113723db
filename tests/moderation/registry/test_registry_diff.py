"""Diffs between snapshots: added, removed and changed entries, and new-hit alerts (ZI-4)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from domicile.moderation.registry import (
    Register,
    RegisterSnapshot,
    XmlDumpParser,
    diff_snapshots,
    new_hits,
    parse_dump,
)

MakeXml = Callable[..., Path]
CONTENT = re.compile(r"<content\b.*?</content>", re.DOTALL)
NEW_ENTRY = (
    '<content id="9999999" includeTime="2015-02-01T00:01:00" entryType="1" blockType="domain-mask">'
    '<decision date="2015-01-30" number="9-9" org="суд"/><domain><![CDATA[*.newly-listed.example]]></domain>'
    "</content>"
)


def _edited_copy(xml_path: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """Remove the first entry, renumber the tenth one's decision, swap two IPs, add one entry."""
    text = xml_path.read_bytes().decode("cp1251")
    blocks = CONTENT.findall(text)
    removed, changed = blocks[0], blocks[9]
    reordered = next(b for b in blocks[10:] if len(re.findall(r"<ip>", b)) >= 2)
    ips = re.findall(r"<ip>[^<]*</ip>", reordered)
    swapped = reordered.replace(ips[0], "\0").replace(ips[1], ips[0]).replace("\0", ips[1])
    assert swapped != reordered
    edited = re.sub(r'number="[^"]*"', 'number="EDITED-1"', changed, count=1)
    text = text.replace(removed, "", 1).replace(changed, edited, 1).replace(reordered, swapped, 1)
    text = text.replace("</reg:register>", NEW_ENTRY + "</reg:register>")
    path = tmp_path / "dump-next.xml"
    path.write_bytes(text.encode("cp1251"))

    def ident(block: str) -> str:
        found = re.search(r'id="(\d+)"', block)
        assert found is not None
        return found.group(1)

    return path, {"removed": ident(removed), "changed": ident(changed), "reordered": ident(reordered)}


def test_diff_of_edited_fixture(xml_path: Path, tmp_path: Path, xml_snapshot: RegisterSnapshot) -> None:
    """Removing, adding and changing entries in a copy of the export shows up exactly (ZI-4)."""
    path, ids = _edited_copy(xml_path, tmp_path)
    new = XmlDumpParser().parse(path)
    diff = diff_snapshots(xml_snapshot, new)
    assert [e.id for e in diff.added] == ["9999999"]
    assert [e.id for e in diff.removed] == [ids["removed"]]
    assert [c.entry_id for c in diff.changed] == [ids["changed"]]
    assert diff.changed[0].fields == ("decision",)
    assert diff.changed[0].after.decision.number == "EDITED-1"
    assert diff.unchanged == len(xml_snapshot) - 2
    assert ids["reordered"] not in {c.entry_id for c in diff.changed}
    assert diff.old_sha256 == xml_snapshot.sha256 and diff.new_sha256 == new.sha256
    assert not diff.is_empty
    assert diff_snapshots(new, new).is_empty


def test_load_reports_diff_and_new_hits(
    xml_path: Path, tmp_path: Path, xml_snapshot: RegisterSnapshot
) -> None:
    """A second load reports the diff, and a self-check of the changes alerts on new hits (ZI-4, REG-5)."""
    path, ids = _edited_copy(xml_path, tmp_path)
    register = Register()
    register.activate(xml_snapshot)
    report = register.load(path)
    assert report.diff is not None
    assert report.previous is not None and report.previous.sha256 != report.snapshot.sha256
    assert {e.id for e in report.diff.added} == {"9999999"}
    alert = new_hits(report.diff, domains=["cdn.newly-listed.example", "unrelated.example"])
    assert alert.alert and alert.checked_domains == 2
    assert {h.entry_id for h in alert.hits} == {"9999999"}
    changed_host = report.diff.changed[0].after.domains[0]
    assert new_hits(report.diff, domains=[changed_host]).alert
    (removed,) = report.diff.removed
    assert removed.id == ids["removed"]
    assert removed.id not in register.matcher.check_url(removed.urls[0]).entry_ids


def test_hash_and_ts_semantics(make_xml: MakeXml) -> None:
    """An official hash change alone counts as a change; a ts change alone does not (ZI-4)."""
    base = (
        '<content id="5" includeTime="2018-01-01T00:00:00" entryType="1" hash="{h}" ts="{ts}">'
        '<decision date="2018-01-01" number="1" org="суд"/><url><![CDATA[http://x.example/]]></url></content>'
    )
    old = parse_dump(make_xml(base.format(h="AA", ts="2018-01-01T00:00:00+03:00"), name="a.xml"))
    ts_only = parse_dump(make_xml(base.format(h="AA", ts="2018-02-01T00:00:00+03:00"), name="b.xml"))
    hash_only = parse_dump(make_xml(base.format(h="BB", ts="2018-01-01T00:00:00+03:00"), name="c.xml"))
    assert diff_snapshots(old, ts_only).is_empty
    (change,) = diff_snapshots(old, hash_only).changed
    assert change.fields == ("entry_hash",)


def test_csv_row_edit_is_removal_plus_addition(csv_path: Path, tmp_path: Path) -> None:
    """An edited mirror row gets a new content-derived id: one removal plus one addition (ZI-4)."""
    lines = csv_path.read_bytes().split(b"\n")
    lines[5] = lines[5].replace(b";20", b";19", 1)
    path = tmp_path / "dump.csv"
    path.write_bytes(b"\n".join(lines))
    diff = diff_snapshots(parse_dump(csv_path), parse_dump(path))
    assert len(diff.added) == 1 and len(diff.removed) == 1 and diff.changed == ()
    assert diff.removed[0].urls == diff.added[0].urls
