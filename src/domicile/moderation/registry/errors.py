"""Register-specific errors, each under the package tree in :mod:`domicile.core.errors`.

::

    ModerationError
    ├── RegisterFormatError        (core) a malformed dump; names line, column or entry
    ├── RegisterSanityError        a well-formed dump failed the configured sanity bounds
    ├── RegisterSourceError        the dump or its signature file cannot be read
    └── RegisterNotLoadedError     no snapshot has been activated yet
    InputError
    └── RegisterQueryError         a URL, domain or IP given to the matcher is malformed

Messages name files, lines, offsets, entry ids and field names, never the listed values.
"""

from __future__ import annotations

from domicile.core.errors import InputError, ModerationError, RegisterFormatError

__all__ = [
    "RegisterFormatError",
    "RegisterNotLoadedError",
    "RegisterQueryError",
    "RegisterSanityError",
    "RegisterSourceError",
]


class RegisterSanityError(ModerationError):
    """A parsed dump was refused before activation (entry count or rejects out of bounds)."""


class RegisterSourceError(ModerationError):
    """The dump or its detached signature could not be read (missing, unreadable)."""


class RegisterNotLoadedError(ModerationError):
    """A lookup was asked of a register holder that has no active snapshot."""


class RegisterQueryError(InputError):
    """A URL, domain or IP address passed to the matcher cannot be normalized."""
