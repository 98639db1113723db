"""Matcher semantics: URLs, https, domains, masks, IDN, IPs, subnets, links, self-check (ZI-3, REG-5)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from domicile.core.errors import InputError
from domicile.moderation.registry import (
    Matcher,
    MatchRule,
    RegisterQueryError,
    RegisterSnapshot,
    normalize_url,
    parse_dump,
)

MakeXml = Callable[..., Path]


def _c(eid: int, children: str, block: str = "default", entry_type: int = 1) -> str:
    return (
        f'<content id="{eid}" includeTime="2018-01-01T00:00:00" entryType="{entry_type}" blockType="{block}">'
        f'<decision date="2018-01-01" number="N-{eid}" org="суд"/>{children}</content>'
    )


def _cd(tag: str, value: str) -> str:
    return f"<{tag}><![CDATA[{value}]]></{tag}>"


@pytest.fixture
def synthetic(make_xml: MakeXml) -> tuple[Matcher, RegisterSnapshot]:
    """A small 2.4 dump with one entry per matching rule."""
    path = make_xml(
        _c(
            1,
            _cd("url", "http://pages.example/listed/~page?a=1")
            + _cd("domain", "pages.example")
            + "<ip>198.51.100.7</ip>",
        ),
        _c(2, _cd("url", "https://secure.example/only/this") + _cd("domain", "secure.example")),
        _c(3, _cd("domain", "whole.example"), "domain"),
        _c(4, _cd("domain", "*.masked.example"), "domain-mask", 3),
        _c(
            5,
            "<ip>203.0.113.9</ip><ipSubnet>192.0.2.0/24</ipSubnet>"
            "<ipv6>2001:db8::5</ipv6><ipv6Subnet>2001:db8:1::/48</ipv6Subnet>",
            "ip",
        ),
        _c(6, _cd("domain", "пример.рф"), "domain"),
        _c(7, _cd("domain", "xn--80akhbyknj4f.xn--p1ai"), "domain"),
        _c(8, _cd("url", "http://Кириллица.example/Путь к странице")),
    )
    snapshot = parse_dump(path)
    return Matcher.from_snapshot(snapshot), snapshot


def _rules(result_hits: object) -> set[tuple[str, str]]:
    return {(h.rule.value, h.entry_id) for h in result_hits}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "url",
    [
        "http://pages.example/listed/~page?a=1",
        "HTTP://PAGES.EXAMPLE:80/listed/%7Epage?a=1#comments",
        "http://pages.example./listed/./x/../~page?a=1",
        "https://pages.example/listed/~page?a=1",
        "pages.example/listed/~page?a=1",
    ],
)
def test_listed_url_matches_after_normalization(
    synthetic: tuple[Matcher, RegisterSnapshot], url: str
) -> None:
    """Case, default port, fragment, percent-encoding, dots and scheme do not hide a listed page (ZI-3)."""
    result = synthetic[0].check_url(url)
    assert ("url-exact", "1") in _rules(result.hits)
    assert result.blocked and result.listed
    assert result.normalized == normalize_url(url)


@pytest.mark.parametrize(
    "url",
    ["http://pages.example/listed/~page?a=2", "http://pages.example/listed/~page", "http://pages.example/"],
)
def test_other_pages_of_a_url_host_are_listed_but_not_blocked(
    synthetic: tuple[Matcher, RegisterSnapshot], url: str
) -> None:
    """Only the listed page is blocked; the host is reported as having listed pages (ZI-3)."""
    result = synthetic[0].check_url(url)
    assert _rules(result.hits) == {("url-on-host", "1")}
    assert result.listed and not result.blocked


def test_https_url_blocks_whole_host(synthetic: tuple[Matcher, RegisterSnapshot]) -> None:
    """A listed https:// URL blocks every URL on its host and the host itself, not subdomains (§5.1)."""
    matcher = synthetic[0]
    for url in (
        "http://secure.example/anything",
        "https://secure.example/",
        "https://SECURE.example/only/this",
    ):
        assert ("https-host", "2") in _rules(matcher.check_url(url).hits)
        assert matcher.check_url(url).blocked
    assert matcher.check_domain("secure.example").blocked
    assert not matcher.check_domain("api.secure.example").listed


def test_domain_block_is_exact_host(synthetic: tuple[Matcher, RegisterSnapshot]) -> None:
    """blockType=domain blocks that host (any case, trailing dot) but not its subdomains (ZI-3)."""
    matcher = synthetic[0]
    for host in ("whole.example", "WHOLE.Example.", " whole.example "):
        assert _rules(matcher.check_domain(host).hits) == {("domain", "3")}
    assert matcher.check_url("https://whole.example/any/page").blocked
    assert not matcher.check_domain("www.whole.example").listed
    assert not matcher.check_domain("whole.example.org").listed


@pytest.mark.parametrize(
    ("host", "listed"),
    [
        ("masked.example", True),
        ("a.masked.example", True),
        ("x.y.z.masked.example", True),
        ("notmasked.example", False),
        ("masked.example.com", False),
        ("example", False),
    ],
)
def test_mask_matches_base_and_subdomains(
    synthetic: tuple[Matcher, RegisterSnapshot], host: str, listed: bool
) -> None:
    """*.x matches x itself and every name below it, nothing else (ZI-3)."""
    result = synthetic[0].check_domain(host)
    assert (("domain-mask", "4") in _rules(result.hits)) is listed
    assert result.blocked is listed
    if listed:
        (hit,) = result.hits
        assert hit.listed == "*.masked.example"
        assert hit.legal_basis is not None and hit.legal_basis.article == "15.3"


def test_idn_matches_both_ways(synthetic: tuple[Matcher, RegisterSnapshot]) -> None:
    """Cyrillic listings match punycode queries and punycode listings match Cyrillic ones (ZI-2, ZI-3)."""
    matcher = synthetic[0]
    puny = "пример.рф".encode("idna").decode()
    assert _rules(matcher.check_domain(puny).hits) == {("domain", "6")}
    assert _rules(matcher.check_domain("ПРИМЕР.РФ").hits) == {("domain", "6")}
    assert _rules(matcher.check_domain("испытание.рф").hits) == {("domain", "7")}
    assert matcher.check_url("http://испытание.рф/page").blocked
    assert ("url-exact", "8") in _rules(
        matcher.check_url("http://кириллица.EXAMPLE/Путь%20к%20странице").hits
    )
    encoded = normalize_url("http://Кириллица.example/Путь к странице")
    assert ("url-exact", "8") in _rules(matcher.check_url(encoded).hits)


def test_ip_exact_and_subnet_v4_v6(synthetic: tuple[Matcher, RegisterSnapshot]) -> None:
    """IPv4/IPv6 exact and CIDR containment; blocking only for blockType=ip entries (ZI-3)."""
    matcher = synthetic[0]
    assert _rules(matcher.check_ip("203.0.113.9").hits) == {("ip-exact", "5")}
    assert _rules(matcher.check_ip("192.0.2.200").hits) == {("ip-in-subnet", "5")}
    assert _rules(matcher.check_ip("2001:db8::5").hits) == {("ip-exact", "5")}
    assert _rules(matcher.check_ip("2001:db8:1:ffff::1").hits) == {("ip-in-subnet", "5")}
    assert _rules(matcher.check_ip(ipaddress.ip_address("::ffff:192.0.2.1")).hits) == {("ip-in-subnet", "5")}
    assert matcher.check_ip("192.0.2.0/25").blocked
    assert matcher.check_ip("203.0.113.9").blocked
    for unlisted in ("192.0.3.1", "203.0.113.10", "2001:db8:2::1", "2001:db8::6"):
        assert not matcher.check_ip(unlisted).listed, unlisted
    default_ip = matcher.check_ip("198.51.100.7")
    assert default_ip.listed and not default_ip.blocked


def test_network_queries(synthetic: tuple[Matcher, RegisterSnapshot]) -> None:
    """A queried range reports listed addresses and longer networks inside it (REG-5)."""
    matcher = synthetic[0]
    wide = matcher.check_ip("192.0.0.0/16")
    assert {(h.rule, h.listed) for h in wide.hits} == {(MatchRule.LISTED_IN_RANGE, "192.0.2.0/24")}
    assert not wide.blocked
    same = matcher.check_ip("192.0.2.0/24")
    assert {(h.rule, h.listed) for h in same.hits} == {(MatchRule.IP_IN_SUBNET, "192.0.2.0/24")}
    v6 = matcher.check_ip("2001:db8::/32")
    assert {h.listed for h in v6.hits} == {"2001:db8::5", "2001:db8:1::/48"}
    assert not matcher.check_ip("10.0.0.0/8").listed


def test_ip_literal_url_and_auto_detection(synthetic: tuple[Matcher, RegisterSnapshot]) -> None:
    """URLs on IP literals use the IP index; check() picks the query kind (ZI-3)."""
    matcher = synthetic[0]
    assert ("ip-exact", "5") in _rules(matcher.check_url("http://203.0.113.9/x").hits)
    assert matcher.check("203.0.113.9").kind == "ip"
    assert matcher.check("192.0.2.0/28").kind == "ip"
    assert matcher.check("whole.example").kind == "domain"
    assert matcher.check("whole.example/path").kind == "url"


@pytest.mark.parametrize("bad", ["http://", "http://a..b/", "http://host:99999/", "bad host", ""])
def test_malformed_queries_raise_input_error(synthetic: tuple[Matcher, RegisterSnapshot], bad: str) -> None:
    """Malformed URLs and domains raise RegisterQueryError, an InputError, without echoing the value."""
    with pytest.raises(RegisterQueryError) as info:
        synthetic[0].check_url(bad) if bad.startswith("http") else synthetic[0].check_domain(bad)
    assert isinstance(info.value, InputError)
    if bad:
        assert bad not in info.value.message


def test_hits_carry_evidence(synthetic: tuple[Matcher, RegisterSnapshot]) -> None:
    """Each result names the rule, the listed value, the entry with its decision and the dump hash."""
    matcher, snapshot = synthetic
    result = matcher.check_domain("whole.example")
    (hit,) = result.hits
    assert hit.entry is snapshot.by_id["3"]
    assert hit.entry.decision.number == "N-3"
    assert hit.listed == "whole.example" and hit.blocking
    assert result.register_sha256 == snapshot.sha256
    assert result.register_update_time == snapshot.latest_update
    assert result.entry_ids == ("3",)


def test_check_links_finds_and_redacts(synthetic: tuple[Matcher, RegisterSnapshot]) -> None:
    """Links, bare domains and IPs in a comment are checked; only blocked ones are redacted."""
    text = (
        "Look: https://secure.example/video?id=1, also www.masked.example. Mail me at bob@whole.example! "
        "See (http://pages.example/other) or пример.рф and 203.0.113.9; fine: example.org"
    )
    report = synthetic[0].check_links(text)
    found = {(link.kind, link.text) for link in report.links}
    assert found == {
        ("url", "https://secure.example/video?id=1"),
        ("url", "www.masked.example"),
        ("url", "http://pages.example/other"),
        ("domain", "пример.рф"),
        ("ip", "203.0.113.9"),
        ("domain", "example.org"),
    }
    assert all(text[link.start : link.end] == link.text for link in report.links)
    assert {link.text for link in report.blocked} == {
        "https://secure.example/video?id=1",
        "www.masked.example",
        "пример.рф",
        "203.0.113.9",
    }
    assert {link.text for link in report.hits} == {link.text for link in report.blocked} | {
        "http://pages.example/other"
    }
    redacted = report.redacted(text, "[X]")
    assert redacted.count("[X]") == 4
    assert "bob@whole.example" in redacted and "http://pages.example/other" in redacted
    assert synthetic[0].check_links("nothing to see here.").links == ()


def test_self_check_reports_platform_assets(synthetic: tuple[Matcher, RegisterSnapshot]) -> None:
    """REG-5: listed subdomains of a platform domain and listed CDN addresses raise an alert."""
    matcher = synthetic[0]
    report = matcher.self_check(domains=["example", "clean.test"], ips=["192.0.2.77", "10.0.0.0/8"])
    assert report.alert and report.checked_domains == 2 and report.checked_ips == 2
    assert [r.query for r in report.results] == ["example", "192.0.2.77"]
    below = {h.entry_id for h in report.results[0].hits if h.rule is MatchRule.BELOW_DOMAIN}
    assert below == {"1", "2", "3", "4", "8"}
    assert not report.results[0].blocked
    assert not matcher.self_check(domains=["clean.test"], ips=["10.1.2.3"]).alert
    with pytest.raises(RegisterQueryError, match=r"ips\[1\]"):
        matcher.self_check(ips=["10.0.0.1", "not-an-ip"])


def test_fixture_urls_are_found_by_their_entries(
    xml_snapshot: RegisterSnapshot, xml_matcher: Matcher
) -> None:
    """URLs of the 2015 export, as listed and respelled, find their own entries (ZI-3)."""
    for entry in xml_snapshot.entries[::4]:
        for url in entry.urls:
            assert entry.id in xml_matcher.check_url(url).entry_ids
    for entry in xml_snapshot.entries[1::37]:
        for url in entry.urls:
            scheme, rest = url.split("://", 1)
            variant = f"{scheme.upper()}://{rest}#fragment"
            assert entry.id in xml_matcher.check_url(variant).entry_ids


def test_fixture_lookups(xml_path: Path, xml_snapshot: RegisterSnapshot, xml_matcher: Matcher) -> None:
    """Real-data lookups: IDN entry via punycode, an entry IP, an https host, unlisted values (ZI-3)."""
    text = xml_path.read_bytes().decode("cp1251")
    idn = next(e for e in xml_snapshot.entries if any(not d.isascii() for d in e.domains))
    host = next(d for d in idn.domains if not d.isascii())
    assert idn.id in xml_matcher.check_domain(host.encode("idna").decode()).entry_ids
    ip_entry = xml_snapshot.entries[0]
    result = xml_matcher.check_ip(str(ip_entry.ips[0]))
    assert ip_entry.id in result.entry_ids and not result.blocked
    https = re.search(r"<url><!\[CDATA\[https://([^/\]]+)", text)
    assert https is not None
    assert xml_matcher.check_url(f"http://{https.group(1)}/some/other/page").blocked
    for value in ("http://example.com/", "example.com", "8.8.8.8", "2001:4860::/32"):
        assert not xml_matcher.check(value).listed, value


def test_csv_mirror_lookups(csv_path: Path) -> None:
    """Every IP of a ' | ' joined mirror row, and every row's URL, finds that row (ZI-2, ZI-3)."""
    snapshot = parse_dump(csv_path)
    matcher = Matcher.from_snapshot(snapshot)
    multi = next(e for e in snapshot.entries if len(e.ips) > 1)
    for ip in multi.ips:
        assert multi.id in matcher.check_ip(ip).entry_ids
    for entry in snapshot.entries:
        assert entry.id in matcher.check_url(entry.urls[0]).entry_ids
