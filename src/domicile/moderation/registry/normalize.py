"""Normalization of hosts, URLs and IP addresses, shared by the parsers and the matcher.

Hosts are lower-cased, stripped of trailing dots and converted to ASCII (IDNA 2003 punycode, as
register consumers do, ru-requirements.md §5.1 "consumers punycode them"), so a Cyrillic listing
matches a punycode query and the other way round. URLs follow RFC 3986 §6.2.2 syntax-based
normalization plus scheme-based rules: scheme and host case, default ports dropped, percent
escapes of unreserved characters decoded and other escapes upper-cased, non-ASCII characters
UTF-8 percent-encoded, dot segments removed, an empty path made ``/`` and the fragment dropped.
Every function here is idempotent (property-tested).
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import string

from domicile.moderation.registry.errors import RegisterQueryError

__all__ = [
    "IPAddress",
    "IPNetwork",
    "host_to_unicode",
    "normalize_host",
    "normalize_mask",
    "normalize_url",
    "parse_ip",
    "parse_network",
    "url_host",
    "url_key",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_SUB_DELIMS = "!$&'()*+,;="
_PATH_SAFE = frozenset(_UNRESERVED | set(_SUB_DELIMS + ":@/"))
_QUERY_SAFE = frozenset(_PATH_SAFE | {"?"})
_HEX = frozenset(string.hexdigits)
_URL_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#\\]*)([^?#]*)(?:\?([^#]*))?", re.DOTALL)
_HOST_PATTERN = r"(?:[a-z0-9_-]{1,63}\.)*(?=[a-z0-9_-]{1,63}(?![a-z0-9_-]))[a-z0-9_-]*[a-z_-][a-z0-9_-]*"
_PLAIN_HOST = re.compile(_HOST_PATTERN)
_LABEL = re.compile(r"[a-z0-9_-]{1,63}")
_CANONICAL_URL = re.compile(
    r"https?://" + _HOST_PATTERN + r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*(?:\?[A-Za-z0-9\-._~!$&'()*+,;=:@/?]+)?"
)
_PLAIN_PATH = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/]*")
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*")


def parse_ip(value: str) -> IPAddress:
    """Parse an IPv4 or IPv6 address; an IPv4-mapped IPv6 address becomes IPv4.

    Raises:
        RegisterQueryError: The value is not an IP address.
    """
    text = value.strip()
    try:
        return ipaddress.IPv4Address(socket.inet_pton(socket.AF_INET, text))
    except (OSError, ValueError):
        pass
    try:
        addr = ipaddress.ip_address(text)
    except ValueError as exc:
        raise RegisterQueryError("not an IPv4 or IPv6 address") from exc
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def parse_network(value: str) -> IPNetwork:
    """Parse a CIDR network; host bits are cleared (``10.4.0.1/16`` becomes ``10.4.0.0/16``).

    Raises:
        RegisterQueryError: The value is not a CIDR network.
    """
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError as exc:
        raise RegisterQueryError("not an IPv4 or IPv6 network in CIDR notation") from exc


def normalize_host(value: str) -> str:
    """Return the canonical ASCII form of a host name or IP literal.

    Args:
        value: A domain (Unicode or punycode, any case, optional trailing dot) or an IP literal
            (IPv6 optionally in brackets).

    Raises:
        RegisterQueryError: Empty labels, forbidden characters, or a label IDNA cannot encode.
    """
    host = value.strip().rstrip(".")
    if _PLAIN_HOST.fullmatch(host):
        return host
    if host.startswith("[") and host.endswith("]"):
        return str(parse_ip(host[1:-1]))
    if not host:
        raise RegisterQueryError("empty host name")
    if ":" in host or host.replace(".", "").isdigit():
        try:
            return str(parse_ip(host))
        except RegisterQueryError:
            if ":" in host:
                raise
    labels = []
    for label in host.split("."):
        if not label:
            raise RegisterQueryError("host name has an empty label")
        if label.isascii():
            ascii_label = label.lower()
        else:
            try:
                ascii_label = label.encode("idna").decode("ascii")
            except UnicodeError as exc:
                raise RegisterQueryError("host label cannot be IDNA-encoded") from exc
        if _LABEL.fullmatch(ascii_label) is None:
            raise RegisterQueryError("host label is too long or has a forbidden character")
        labels.append(ascii_label)
    return ".".join(labels)


def normalize_mask(value: str) -> str:
    """Return the base domain of a ``*.example.com`` mask (or of a bare domain) in ASCII form."""
    text = value.strip()
    if text.startswith("*."):
        text = text[2:]
    return normalize_host(text)


def host_to_unicode(host: str) -> str:
    """Render an ASCII (punycode) host for people; labels that fail to decode stay as they are."""
    out = []
    for label in host.split("."):
        shown = label
        if label.startswith("xn--"):
            with contextlib.suppress(UnicodeError):
                shown = label.encode("ascii").decode("idna")
        out.append(shown)
    return ".".join(out)


def _normalize_component(text: str, safe: frozenset[str], plain: re.Pattern[str]) -> str:
    if plain.fullmatch(text):
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "%":
            pair = text[i + 1 : i + 3]
            if len(pair) == 2 and pair[0] in _HEX and pair[1] in _HEX:
                decoded = chr(int(pair, 16))
                out.append(decoded if decoded in _UNRESERVED else "%" + pair.upper())
                i += 3
                continue
            out.append("%25")
        elif ch in safe:
            out.append(ch)
        else:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass")))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 on an absolute path."""
    if "." not in path:
        return path
    segments = path.split("/")
    out: list[str] = []
    for seg in segments[1:]:
        if seg == "..":
            if out:
                out.pop()
        elif seg != ".":
            out.append(seg)
    result = "/" + "/".join(out)
    if segments[-1] in (".", "..") and not result.endswith("/"):
        result += "/"
    return result


def _split_authority(authority: str) -> tuple[str, int | None]:
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):
        close = hostport.find("]")
        if close < 0:
            raise RegisterQueryError("URL has an unclosed IPv6 literal")
        host, rest = hostport[: close + 1], hostport[close + 1 :]
        if rest and not rest.startswith(":"):
            raise RegisterQueryError("URL has a malformed authority")
        port_text = rest[1:]
    else:
        host, _, port_text = hostport.partition(":")
    if not port_text:
        return host, None
    if not (port_text.isascii() and port_text.isdigit()) or int(port_text) > 65535:
        raise RegisterQueryError("URL has a malformed port")
    return host, int(port_text)


def normalize_url(value: str) -> str:
    """Return the canonical form of a URL (see the module docstring for the rules).

    A value without a scheme is read as ``http://``; user info and the fragment are dropped.

    Raises:
        RegisterQueryError: No host, a bad port, or a host :func:`normalize_host` refuses.
    """
    text = value.strip()
    if "/." not in text and _CANONICAL_URL.fullmatch(text):
        return text  # already canonical: lower-case http(s), plain host, no port, plain path
    match = _URL_RE.match(text)
    if match is None:
        match = _URL_RE.match("http://" + text.lstrip("/"))
        if match is None:  # pragma: no cover - the pattern accepts any "scheme://" string
            raise RegisterQueryError("not a URL")
    scheme, authority, raw_path, raw_query = match.groups()
    scheme = scheme.lower()
    hostname, port = _split_authority(authority)
    if not hostname:
        raise RegisterQueryError("URL has no host")
    host = normalize_host(hostname)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    path = _normalize_component(raw_path, _PATH_SAFE, _PLAIN_PATH) or "/"
    if not path.startswith("/"):  # pragma: no cover - the pattern makes the path absolute
        path = "/" + path
    if "/." in path:
        path = _remove_dot_segments(path)
    query = _normalize_component(raw_query or "", _QUERY_SAFE, _PLAIN_QUERY)
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def url_key(normalized: str) -> str:
    """The scheme-less lookup key of a normalized URL (``http`` and ``https`` share a page)."""
    return normalized.split("://", 1)[1]


def url_host(normalized: str) -> str:
    """The host of a normalized URL (IPv6 without brackets, no port)."""
    authority = url_key(normalized).split("/", 1)[0]
    if authority.startswith("["):
        return authority[1 : authority.index("]")]
    return authority.rsplit(":", 1)[0] if ":" in authority else authority
