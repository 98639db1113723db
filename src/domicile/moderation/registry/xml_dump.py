"""Streaming parser for the official operator export ``dump.xml`` (ru-requirements.md §5.1, ZI-1).

Formats 2.0 to 2.4: ``<reg:register updateTime updateTimeUrgently formatVersion>`` holding
``<content id includeTime entryType [urgencyType] [blockType] [hash] [ts]>`` with ``<decision>``,
``<url>``, ``<domain>`` (CDATA), ``<ip>``, ``<ipSubnet>``, ``<ipv6>``, ``<ipv6Subnet>`` children.
Unknown attributes and children are ignored (forward compatibility).

The file is read with :func:`lxml.etree.iterparse`; each ``<content>`` element is turned into a
:class:`RegisterEntry` and then cleared and unlinked, so memory holds the entries, never the tree.
Entities are not resolved and nothing is fetched from the network.

The detached PKCS#7 (GOST) signature is **not verified** here: the register holder only keeps
its bytes with the snapshot.
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import ClassVar

from lxml import etree

from domicile.core.errors import RegisterFormatError
from domicile.moderation.registry.base import DumpParser, MalformedEntryError, ParseOptions, moscow_tz
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

__all__ = ["SUPPORTED_FORMAT_VERSIONS", "XmlDumpParser"]

SUPPORTED_FORMAT_VERSIONS = frozenset({"2.0", "2.1", "2.2", "2.3", "2.4"})
_BLOCK_TYPES = {b.value: b for b in BlockType}


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _time(raw: str | None, what: str, tz: tzinfo, entry_id: str | None) -> datetime | None:
    if raw is None or not raw.strip():
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise MalformedEntryError(f"{what} is not an ISO-8601 time", entry_id) from None
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def _int(raw: str | None, what: str, entry_id: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if not (text.isascii() and text.lstrip("-").isdigit()):
        raise MalformedEntryError(f"attribute {what} is not an integer", entry_id)
    return int(text)


def _declared_encoding(head: bytes) -> str:
    """The encoding named in the XML declaration, or UTF-8 (the XML default) when there is none."""
    end = head.find(b"?>")
    found = re.search(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""", head[: max(end, 0)])
    return found.group(1).decode("ascii") if found else "UTF-8"


class XmlDumpParser(DumpParser):
    """Parser for ``dump.xml`` (windows-1251, formats 2.0-2.4).

    Args:
        options: Malformed-entry policy and legal-basis table.
        allow_unknown_format: Accept a ``formatVersion`` outside 2.0-2.4 instead of failing.
    """

    NAME: ClassVar[str] = "rkn-xml"

    def __init__(self, options: ParseOptions | None = None, *, allow_unknown_format: bool = False) -> None:
        super().__init__(options)
        self.allow_unknown_format = allow_unknown_format

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        """An XML dump starts with ``<`` (after an optional BOM and whitespace)."""
        return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")

    def parse(self, path: Path) -> RegisterSnapshot:
        """Parse ``path`` into a snapshot (see the module docstring).

        Raises:
            RegisterFormatError: Empty file, HTML page, not a register, bad XML (line and
                column), undecodable or mislabelled bytes (byte offset), unsupported format
                version, or a malformed entry in strict mode.
            RegisterSourceError: The file cannot be read.
        """
        name = path.name
        check_not_html(read_head(path), name)
        tz = moscow_tz()
        entries: list[RegisterEntry] = []
        rejected: list[RejectedEntry] = []
        seen: set[str] = set()
        meta: dict[str, str | None] | None = None
        ordinal = 0
        with open_dump(path) as handle:
            reader = ProbingReader(handle)
            context = etree.iterparse(
                reader,
                events=("start", "end"),
                tag=("{*}register", "content"),
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
            )
            try:
                for event, elem in context:
                    if event == "start":
                        if meta is None and _local(elem.tag) == "register" and elem.getparent() is None:
                            meta = self._register_meta(elem, name)
                        continue
                    if _local(elem.tag) != "content":
                        continue
                    ordinal += 1
                    line = elem.sourceline
                    try:
                        entry = self._entry(elem, tz)
                        if entry.id in seen:
                            raise MalformedEntryError("duplicate entry id", entry.id)
                    except MalformedEntryError as problem:
                        self._reject(
                            name, rejected, RejectedEntry(ordinal, line, problem.entry_id, problem.reason)
                        )
                    else:
                        seen.add(entry.id)
                        entries.append(entry)
                    elem.clear(keep_tail=False)
                    parent = elem.getparent()
                    if parent is not None:
                        while elem.getprevious() is not None:
                            del parent[0]
            except etree.XMLSyntaxError as exc:
                raise RegisterFormatError(self._syntax_message(path, exc)) from None
        root = context.root
        if meta is None:
            tag = _local(root.tag) if root is not None else "?"
            where = root.sourceline if root is not None else 1
            raise RegisterFormatError(
                f"{name}: line {where}: root element <{tag}> is not <register>; not a register export"
            )
        declared = (root.getroottree().docinfo.encoding if root is not None else None) or "UTF-8"
        if declared.replace("_", "-").lower() not in ("utf-8", "utf8") and reader.mislabelled_utf8():
            raise RegisterFormatError(reader.mislabel_message(name, declared))
        return RegisterSnapshot(
            entries=tuple(entries),
            source_format=self.NAME,
            source_path=path,
            sha256=reader.sha256,
            size_bytes=reader.size,
            update_time=self._meta_time(meta, "updateTime", name),
            update_time_urgently=self._meta_time(meta, "updateTimeUrgently", name),
            format_version=meta["formatVersion"],
            rejected=tuple(rejected),
        )

    def _register_meta(self, elem: etree._Element, name: str) -> dict[str, str | None]:
        a = elem.attrib
        version = a.get("formatVersion")
        meta: dict[str, str | None] = {
            "line": str(elem.sourceline),
            "updateTime": a.get("updateTime"),
            "updateTimeUrgently": a.get("updateTimeUrgently"),
            "formatVersion": version,
        }
        if version is not None and version not in SUPPORTED_FORMAT_VERSIONS and not self.allow_unknown_format:
            raise RegisterFormatError(
                f"{name}: line {elem.sourceline}: unsupported formatVersion {version[:16]!r} "
                f"(supported: {', '.join(sorted(SUPPORTED_FORMAT_VERSIONS))})"
            )
        return meta

    @staticmethod
    def _meta_time(meta: dict[str, str | None], key: str, name: str) -> datetime | None:
        try:
            return _time(meta[key], key, moscow_tz(), None)
        except MalformedEntryError:
            raise RegisterFormatError(
                f"{name}: line {meta['line']}: register attribute {key} is not an ISO-8601 time"
            ) from None

    @staticmethod
    def _syntax_message(path: Path, exc: etree.XMLSyntaxError) -> str:
        text = (exc.msg or str(exc)).split("\n", 1)[0].strip().rstrip(",")
        lowered = text.lower()
        if "encoding" in lowered or "bytes" in lowered:
            return encoding_error(path, _declared_encoding(read_head(path, 512)))
        line, column = exc.position
        return f"{path.name}: malformed XML at line {line}, column {column}: {text}"

    def _entry(self, elem: etree._Element, tz: tzinfo) -> RegisterEntry:
        a = elem.attrib
        raw_id = a.get("id")
        if raw_id is None or not raw_id.strip():
            raise MalformedEntryError("attribute id is missing")
        raw_id = raw_id.strip()
        if not (raw_id.isascii() and raw_id.isdigit()):
            raise MalformedEntryError("attribute id is not a non-negative integer")
        eid = str(int(raw_id))
        entry_type = _int(a.get("entryType"), "entryType", eid)
        urgency = _int(a.get("urgencyType"), "urgencyType", eid)
        raw_block = (a.get("blockType") or "default").strip()
        block = _BLOCK_TYPES.get(raw_block)
        if block is None:
            raise MalformedEntryError("attribute blockType has an unknown value", eid)
        include_time = _time(a.get("includeTime"), "attribute includeTime", tz, eid)
        ts = _time(a.get("ts"), "attribute ts", tz, eid)
        decision: Decision | None = None
        urls: list[str] = []
        domains: list[str] = []
        ips: list[IPAddress] = []
        subnets: list[IPNetwork] = []
        for child in elem:
            tag = _local(child.tag)
            if tag == "decision":
                if decision is not None:
                    raise MalformedEntryError("more than one <decision>", eid)
                decision = self._decision(child.attrib, eid)
                continue
            text = (child.text or "").strip()
            try:
                if tag == "url":
                    normalize_url(text)
                    urls.append(text)
                elif tag == "domain":
                    if block is BlockType.DOMAIN_MASK or text.startswith("*."):
                        normalize_mask(text)
                    else:
                        normalize_host(text)
                    domains.append(text)
                elif tag in ("ip", "ipv6"):
                    ips.append(parse_ip(text))
                elif tag in ("ipSubnet", "ipv6Subnet"):
                    subnets.append(parse_network(text))
            except RegisterQueryError as exc:
                raise MalformedEntryError(f"<{tag}> is malformed: {exc.message}", eid) from None
        if decision is None:
            raise MalformedEntryError("<decision> is missing", eid)
        return RegisterEntry(
            id=eid,
            include_time=include_time,
            entry_type=entry_type,
            urgency_type=urgency,
            block_type=block,
            entry_hash=(a.get("hash") or "").strip() or None,
            decision=decision,
            urls=tuple(urls),
            domains=tuple(domains),
            ips=tuple(ips),
            subnets=tuple(subnets),
            legal_basis=self.options.basis.resolve(entry_type, decision.org),
            ts=ts,
        )

    @staticmethod
    def _decision(attrib: etree._Attrib, eid: str) -> Decision:
        raw_date = (attrib.get("date") or "").strip()
        try:
            when = date.fromisoformat(raw_date) if raw_date else None
        except ValueError:
            raise MalformedEntryError("<decision> attribute date is not YYYY-MM-DD", eid) from None
        return Decision(when, (attrib.get("number") or "").strip(), (attrib.get("org") or "").strip())
