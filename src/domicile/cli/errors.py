"""The one place errors become exit codes and one-line messages.

======  ==========================================================
code    meaning
======  ==========================================================
0       success
2       usage error (unknown option, missing argument)
3       bad input (malformed JSON, unknown field, invalid token)
4       not found (unknown cell or subject)
5       the subject was erased
6       integrity failure (tampered data, broken audit chain)
7       key source unavailable or wrong
8       forbidden by a rule
9       a cell's database failed or is not initialised
10      configuration error
11      a concurrent writer changed the record first; retry
12      leakscan found PD that should have been localized
13      localization: the source database is unreachable or unreadable
1       any other domicile error
70      internal error (a bug: please report it)
======  ==========================================================
"""

from __future__ import annotations

from domicile.core import errors as e

EXIT_CODES: tuple[tuple[type[e.DomicileError], int], ...] = (
    (e.SubjectErasedError, 5),
    (e.InputError, 3),
    (e.NotFoundError, 4),
    (e.IntegrityError, 6),
    (e.KeySourceError, 7),
    (e.PolicyError, 8),
    (e.ConflictError, 11),
    (e.StoreError, 9),
    (e.ConfigError, 10),
    (e.LocalizationError, 13),  # SourceError: bad URL, unreachable, login failed, unreadable
    (e.DomicileError, 1),
)
USAGE = 2
LEAKS_FOUND = 12  # not an error: ``domicile leakscan`` found leftovers (a CI gate fails on it)
INTERNAL = 70


def exit_code(exc: e.DomicileError) -> int:
    """The exit code for a domicile error (most specific class first)."""
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return 1


def one_line(message: str) -> str:
    """Collapse a message to a single line."""
    return " ".join(message.split())
