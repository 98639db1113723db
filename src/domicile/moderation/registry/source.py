"""Byte-level helpers shared by the parsers: hashing while streaming, encoding diagnosis, sniffing.

A dump is read once, in chunks: :class:`ProbingReader` feeds the XML or CSV parser and, on the
way, computes the file's SHA-256 and checks whether the bytes happen to be valid UTF-8. Genuine
windows-1251 Russian text is almost never valid UTF-8 (Cyrillic bytes 0xC0-0xFF are lead bytes
followed by another 0xC0-0xFF byte), so a non-ASCII file that *is* valid UTF-8 but declares
windows-1251 is reported as mislabelled instead of being parsed into mojibake.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from pathlib import Path
from typing import BinaryIO

from domicile.core.errors import RegisterFormatError
from domicile.moderation.registry.errors import RegisterSourceError

__all__ = ["ProbingReader", "check_not_html", "encoding_error", "open_dump", "read_head"]

_NON_ASCII = re.compile(rb"[\x80-\xff]")
_CHUNK = 1 << 20


class ProbingReader:
    """A read-only binary stream that hashes, counts and UTF-8-probes what passes through it."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._sha = hashlib.sha256()
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._newlines = 0
        self.size = 0
        self.utf8_valid = True
        self.first_non_ascii: int | None = None
        self.first_non_ascii_line: int | None = None

    def read(self, n: int = -1) -> bytes:
        """Read up to ``n`` bytes (all when negative) and observe them."""
        chunk = self._raw.read(n)
        if chunk:
            self._observe(chunk)
        return chunk

    def _observe(self, chunk: bytes) -> None:
        self._sha.update(chunk)
        if self.first_non_ascii is None:
            found = _NON_ASCII.search(chunk)
            if found is None:
                self._newlines += chunk.count(b"\n")
            else:
                self.first_non_ascii = self.size + found.start()
                self.first_non_ascii_line = 1 + self._newlines + chunk.count(b"\n", 0, found.start())
        if self.utf8_valid and self.first_non_ascii is not None:
            try:
                self._utf8.decode(chunk)
            except UnicodeDecodeError:
                self.utf8_valid = False
        self.size += len(chunk)

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the bytes read so far."""
        return self._sha.hexdigest()

    def mislabelled_utf8(self) -> bool:
        """True when everything read is valid UTF-8 and holds at least one non-ASCII byte."""
        if self.utf8_valid:
            try:
                self._utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                self.utf8_valid = False
        return self.utf8_valid and self.first_non_ascii is not None

    def mislabel_message(self, name: str, declared: str) -> str:
        """The error text for a UTF-8 file that declares another encoding."""
        return (
            f"{name}: declared encoding {declared} but the bytes are UTF-8 (first non-ASCII byte at "
            f"offset {self.first_non_ascii}, line {self.first_non_ascii_line}); re-encode it to "
            f"{declared} or fix the declaration"
        )


def open_dump(path: Path) -> BinaryIO:
    """Open a dump for binary reading; an empty file is a format error.

    Raises:
        RegisterSourceError: The file is missing or unreadable.
        RegisterFormatError: The file is empty.
    """
    try:
        handle = path.open("rb")
        size = path.stat().st_size
    except OSError as exc:
        raise RegisterSourceError(f"{path.name}: cannot read the dump ({exc.strerror or exc})") from exc
    if size == 0:
        handle.close()
        raise RegisterFormatError(f"{path.name}: empty file (0 bytes) at line 1, offset 0")
    return handle


def read_head(path: Path, size: int = 4096) -> bytes:
    """The first ``size`` bytes of a file (for sniffing), or ``RegisterSourceError``."""
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError as exc:
        raise RegisterSourceError(f"{path.name}: cannot read the dump ({exc.strerror or exc})") from exc


_HTML_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html\b)"
)


def check_not_html(head: bytes, name: str) -> None:
    """Raise when the head of a file is an HTML page (a proxy or server error page, say).

    Raises:
        RegisterFormatError: The file starts like an HTML document.
    """
    if _HTML_START.match(head[:4096].lower()) is not None:
        raise RegisterFormatError(
            f"{name}: line 1, offset 0: this is an HTML page (an error or login page?), not a register dump"
        )


def encoding_error(path: Path, encoding: str) -> str:
    """Locate the first byte that does not decode, and explain it (only called on failures).

    If the whole file is valid UTF-8 while ``encoding`` is not UTF-8, the file is reported as
    mislabelled; otherwise the message gives the byte offset, line and column of the bad byte.
    """
    name = path.name
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        return f"{name}: unknown declared encoding {encoding!r}"
    if codec.name != "utf-8":
        with path.open("rb") as handle:
            probe = ProbingReader(handle)
            while probe.read(_CHUNK):
                pass
        if probe.mislabelled_utf8():
            return probe.mislabel_message(name, encoding)
    decoder = codec.incrementaldecoder()
    consumed = lines = 0
    last_nl = -1
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                offset = consumed - pending + exc.start
                start = max(0, exc.start - pending)
                lines += chunk.count(b"\n", 0, start)
                nl = chunk.rfind(b"\n", 0, start)
                line_start = consumed + nl + 1 if nl >= 0 else last_nl + 1
                return (
                    f"{name}: invalid {codec.name} byte at offset {offset} "
                    f"(line {lines + 1}, column {offset - line_start + 1})"
                )
            lines += chunk.count(b"\n")
            nl = chunk.rfind(b"\n")
            if nl >= 0:
                last_nl = consumed + nl
            consumed += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return f"{name}: the file ends inside a {codec.name} multi-byte sequence (offset {consumed})"
    return f"{name}: undecodable bytes for declared encoding {codec.name}"
