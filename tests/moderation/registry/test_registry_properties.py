"""Properties: normalization is idempotent, XML round trips, the matcher finds all listed (ZI-1, ZI-3)."""

from __future__ import annotations

import ipaddress
import tempfile
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from domicile.moderation.registry import (
    BlockType,
    Decision,
    Matcher,
    MatchRule,
    RegisterEntry,
    RegisterQueryError,
    XmlDumpParser,
    normalize_host,
    normalize_url,
)

MOSCOW = ZoneInfo("Europe/Moscow")
LABEL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-абвгдеёжзКЛМ"
PATH_CHARS = "abcXYZ019/%-._~!$&'()*+,;=:@?#[] абвЖ\\|{}^`\"<>"

labels = st.text(alphabet=LABEL_CHARS, min_size=1, max_size=10).filter(lambda s: s.strip("-") == s)
hosts = st.builds(
    lambda parts, tld: ".".join([*parts, tld]),
    st.lists(labels, min_size=1, max_size=3),
    st.sampled_from(["com", "org", "рф", "XN--P1AI", "example"]),
)
urls = st.builds(
    lambda scheme, host, port, path: f"{scheme}://{host}{port}{path}",
    st.sampled_from(["http", "https", "HTTP", "hTtPs"]),
    hosts,
    st.sampled_from(["", ":80", ":443", ":8080"]),
    st.text(alphabet=PATH_CHARS, max_size=25).map(lambda p: "/" + p),
)


def _canonical(
    addr: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """Parsers turn IPv4-mapped IPv6 addresses into IPv4 ones; generate them that way."""
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


addresses = st.one_of(
    st.ip_addresses(v=4),
    st.ip_addresses(v=6).map(_canonical),
)
networks = st.builds(
    lambda addr, plen: ipaddress.ip_network(f"{addr}/{plen % (addr.max_prefixlen + 1)}", strict=False),
    addresses,
    st.integers(min_value=0, max_value=128),
)


def _valid_url(url: str) -> bool:
    try:
        normalize_url(url)
    except RegisterQueryError:
        return False
    return True


@st.composite
def entries(draw: st.DrawFn, eid: int) -> RegisterEntry:
    block = draw(st.sampled_from(list(BlockType)))
    entry_urls = tuple(u.strip() for u in draw(st.lists(urls, max_size=2)) if _valid_url(u))
    domains: tuple[str, ...] = ()
    if block is BlockType.DOMAIN:
        domains = tuple(draw(st.lists(hosts, min_size=1, max_size=2)))
    elif block is BlockType.DOMAIN_MASK:
        domains = tuple("*." + h for h in draw(st.lists(hosts, min_size=1, max_size=2)))
    when = draw(st.none() | st.datetimes(datetime(2012, 1, 1), datetime(2024, 1, 1)))
    return RegisterEntry(
        id=str(eid),
        include_time=when.replace(microsecond=0, tzinfo=MOSCOW) if when else None,
        entry_type=draw(st.sampled_from([1, 2, 3, 5])),
        urgency_type=draw(st.none() | st.integers(0, 1)),
        block_type=block,
        entry_hash=None,
        decision=Decision(draw(st.none() | st.dates(date(2010, 1, 1))), f"N-{eid}", "суд"),
        urls=entry_urls,
        domains=domains,
        ips=tuple(draw(st.lists(addresses, max_size=3))),
        subnets=tuple(draw(st.lists(networks, max_size=2))),
    )


@st.composite
def entry_sets(draw: st.DrawFn) -> list[RegisterEntry]:
    count = draw(st.integers(min_value=1, max_value=8))
    return [draw(entries(i + 1)) for i in range(count)]


@given(urls)
def test_url_normalization_is_idempotent(url: str) -> None:
    """normalize_url is a fixpoint on its own output for structured URLs (ZI-3)."""
    assume(_valid_url(url))
    once = normalize_url(url)
    assert normalize_url(once) == once
    assert "#" not in once and once == once.strip()


@given(st.text(max_size=40))
def test_url_normalization_total_on_any_text(text: str) -> None:
    """Any text either raises RegisterQueryError or normalizes to a fixpoint."""
    try:
        once = normalize_url(text)
    except RegisterQueryError:
        return
    assert normalize_url(once) == once
    assert once.isascii()


@given(hosts)
def test_host_normalization_is_idempotent_and_ascii(host: str) -> None:
    """normalize_host gives a lower-case ASCII fixpoint, the same for Unicode and punycode spellings."""
    try:
        once = normalize_host(host)
    except RegisterQueryError:
        return
    assert once.isascii() and once == once.lower()
    assert normalize_host(once) == once
    assert normalize_host(host.upper() + ".") == once


def _xml(entry_list: list[RegisterEntry]) -> str:
    parts = [
        '<?xml version="1.0" encoding="windows-1251"?><reg:register xmlns:reg="http://rsoc.ru" '
        'updateTime="2020-01-01T00:00:00+03:00" formatVersion="2.4">'
    ]
    for e in entry_list:
        attrs = f'id="{e.id}" entryType="{e.entry_type}" blockType="{e.block_type.value}"'
        if e.include_time:
            attrs += f' includeTime="{e.include_time.replace(tzinfo=None).isoformat()}"'
        if e.urgency_type is not None:
            attrs += f' urgencyType="{e.urgency_type}"'
        d = e.decision
        parts.append(f'<content {attrs}><decision date="{d.date or ""}" number="{d.number}" org="{d.org}"/>')
        parts += [f"<url><![CDATA[{u}]]></url>" for u in e.urls]
        parts += [f"<domain><![CDATA[{x}]]></domain>" for x in e.domains]
        for a in e.ips:
            tag = "ip" if a.version == 4 else "ipv6"
            parts.append(f"<{tag}>{a}</{tag}>")
        for n in e.subnets:
            tag = "ipSubnet" if n.version == 4 else "ipv6Subnet"
            parts.append(f"<{tag}>{n}</{tag}>")
        parts.append("</content>")
    parts.append("</reg:register>")
    return "".join(parts)


@settings(max_examples=25, deadline=None)
@given(entry_sets())
def test_xml_round_trip(entry_list: list[RegisterEntry]) -> None:
    """Entries written as a cp1251 2.4 export parse back to the same content (ZI-1)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dump.xml"
        path.write_bytes(_xml(entry_list).encode("cp1251"))
        parsed = XmlDumpParser().parse(path)
    assert parsed.rejected == ()
    assert [e.id for e in parsed.entries] == [e.id for e in entry_list]
    for before, after in zip(entry_list, parsed.entries, strict=True):
        assert after.content_key() == before.content_key()
        assert after.digest == before.digest


@settings(max_examples=40, deadline=None)
@given(entry_sets(), st.lists(addresses, max_size=6))
def test_matcher_finds_every_listed_item(entry_list: list[RegisterEntry], probes: list[object]) -> None:
    """A matcher over random entries finds each listed URL, domain, mask, IP and subnet (ZI-3)."""
    matcher = Matcher(entry_list)
    assert matcher.unindexed == () and matcher.size == len(entry_list)
    for e in entry_list:
        for url in e.urls:
            hits = matcher.check_url(url).hits
            assert any(h.rule is MatchRule.URL_EXACT and h.entry_id == e.id for h in hits)
        for domain in e.domains:
            if e.block_type is BlockType.DOMAIN:
                assert any(
                    h.rule is MatchRule.DOMAIN and h.entry_id == e.id
                    for h in matcher.check_domain(domain).hits
                )
            else:
                base = domain[2:]
                for host in (base, "sub." + base):
                    hits = matcher.check_domain(host).hits
                    assert any(h.rule is MatchRule.DOMAIN_MASK and h.entry_id == e.id for h in hits)
        for addr in e.ips:
            assert any(
                h.rule is MatchRule.IP_EXACT and h.entry_id == e.id for h in matcher.check_ip(addr).hits
            )
        for net in e.subnets:
            for addr in (net.network_address, net.broadcast_address):
                hits = matcher.check_ip(addr).hits
                assert any(h.rule is MatchRule.IP_IN_SUBNET and h.entry_id == e.id for h in hits)
    probe_list = [p for p in probes if isinstance(p, ipaddress.IPv4Address | ipaddress.IPv6Address)]
    probe_list += [a for e in entry_list for a in e.ips]
    for probe in probe_list:
        naive = {
            e.id
            for e in entry_list
            if probe in e.ips or any(probe.version == n.version and probe in n for n in e.subnets)
        }
        found = {
            h.entry_id
            for h in matcher.check_ip(probe).hits
            if h.rule in (MatchRule.IP_EXACT, MatchRule.IP_IN_SUBNET)
        }
        assert found == naive
