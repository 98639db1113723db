"""The prohibited-content register (Roskomnadzor Unified Register): parse, diff, match.

Legal basis: 149-FZ art. 15.1 (register, REG-1..REG-5), 15.3 and 15.1-1 (PG-1..PG-3);
data formats in ru-requirements.md §5 (ZI-1..ZI-4). Typical use::

    register = Register(bounds=RegisterBounds(min_entries=100_000))
    report = register.load("dump.xml")            # keeps the previous snapshot on any error
    register.matcher.check_url("https://example.com/page").blocked
    register.matcher.check_links(comment_text).redacted(comment_text)
    register.self_check(domains=["example.com"], ips=["203.0.113.0/24"]).alert

Errors (see :mod:`.errors`)::

    ModerationError
    ├── RegisterFormatError        a malformed dump (names line and column, or byte offset)
    ├── RegisterSanityError        a well-formed dump outside the configured bounds
    ├── RegisterSourceError        the dump or its signature cannot be read
    └── RegisterNotLoadedError     no snapshot active yet
    InputError
    └── RegisterQueryError         a malformed URL, domain or IP given to the matcher

The detached PKCS#7 signature of the official export is kept with the snapshot but **not
verified** (GOST algorithms; verify it upstream if the dump's origin must be proven).
"""

from domicile.moderation.registry.base import DumpParser, ParseOptions
from domicile.moderation.registry.basis import (
    DEFAULT_BASIS_RULES,
    LegalBasis,
    LegalBasisRule,
    LegalBasisTable,
    default_basis_table,
)
from domicile.moderation.registry.csv_dump import CsvDumpParser
from domicile.moderation.registry.diff import EntryChange, RegisterDiff, diff_snapshots
from domicile.moderation.registry.errors import (
    RegisterFormatError,
    RegisterNotLoadedError,
    RegisterQueryError,
    RegisterSanityError,
    RegisterSourceError,
)
from domicile.moderation.registry.holder import LoadReport, Register, RegisterBounds, new_hits
from domicile.moderation.registry.links import FoundLink, LinkReport
from domicile.moderation.registry.matcher import Hit, Matcher, MatchResult, MatchRule
from domicile.moderation.registry.model import (
    BlockType,
    Decision,
    RegisterEntry,
    RegisterSnapshot,
    RejectedEntry,
)
from domicile.moderation.registry.normalize import (
    host_to_unicode,
    normalize_host,
    normalize_mask,
    normalize_url,
    parse_ip,
    parse_network,
)
from domicile.moderation.registry.parsers import BUILTIN_PARSERS, builtin_parsers, parse_dump
from domicile.moderation.registry.selfcheck import SelfCheckReport
from domicile.moderation.registry.xml_dump import SUPPORTED_FORMAT_VERSIONS, XmlDumpParser

__all__ = [
    "BUILTIN_PARSERS",
    "DEFAULT_BASIS_RULES",
    "SUPPORTED_FORMAT_VERSIONS",
    "BlockType",
    "CsvDumpParser",
    "Decision",
    "DumpParser",
    "EntryChange",
    "FoundLink",
    "Hit",
    "LegalBasis",
    "LegalBasisRule",
    "LegalBasisTable",
    "LinkReport",
    "LoadReport",
    "MatchResult",
    "MatchRule",
    "Matcher",
    "ParseOptions",
    "Register",
    "RegisterBounds",
    "RegisterDiff",
    "RegisterEntry",
    "RegisterFormatError",
    "RegisterNotLoadedError",
    "RegisterQueryError",
    "RegisterSanityError",
    "RegisterSnapshot",
    "RegisterSourceError",
    "RejectedEntry",
    "SelfCheckReport",
    "XmlDumpParser",
    "builtin_parsers",
    "default_basis_table",
    "diff_snapshots",
    "host_to_unicode",
    "new_hits",
    "normalize_host",
    "normalize_mask",
    "normalize_url",
    "parse_dump",
    "parse_ip",
    "parse_network",
]
