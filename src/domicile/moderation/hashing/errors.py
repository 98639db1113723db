"""Errors of the hash-matching package, under :class:`~domicile.core.errors.ModerationError`.

::

    ModerationError
    └── HashingError
        ├── InvalidHashError          (also InputError) hash text of the wrong shape
        ├── LowQualityError           (also InputError) PDQ quality below the cut-off
        ├── MediaDecodeError          (also InputError) image or video cannot be decoded
        ├── BankFormatError           (also InputError) bad import file; names the line
        ├── BankExistsError           (also InputError)
        ├── InvalidThresholdError     (also InputError) distance / quality / % out of range
        ├── UnknownSignalTypeError    (also NotFoundError)
        ├── BankNotFoundError         (also NotFoundError)
        ├── UnknownBackendError       (also NotFoundError) no index backend of that name
        ├── DuplicateSignalTypeError  (also ConfigError) two plugins claim one name
        └── MissingDependencyError    (also ConfigError) an optional extra is not installed

Messages name signal types, banks, lines and lengths, never hash values, labels or
content ids (a label or content id may carry personal data).
"""

from __future__ import annotations

from domicile.core.errors import ConfigError, InputError, ModerationError, NotFoundError


class HashingError(ModerationError):
    """Hashing, hash banks or hash matching failed."""


class InvalidHashError(HashingError, InputError):
    """A hash string is malformed for its signal type."""


class LowQualityError(HashingError, InputError):
    """A PDQ hash is too low quality to match on (reference cut-off: quality < 50).

    Attributes:
        quality: The quality the hasher reported (0-100).
        minimum: The configured minimum quality.
    """

    def __init__(self, quality: int, minimum: int) -> None:
        super().__init__(f"PDQ quality {quality} is below the minimum {minimum}; not matchable")
        self.quality = quality
        self.minimum = minimum


class MediaDecodeError(HashingError, InputError):
    """An image or video cannot be decoded, or is too large to decode safely."""


class BankFormatError(HashingError, InputError):
    """A bank import file is malformed.

    Attributes:
        line: 1-based line number of the first bad line (0 when not line-specific).
    """

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


class BankExistsError(HashingError, InputError):
    """A hash bank with that name already exists."""


class InvalidThresholdError(HashingError, InputError):
    """A distance, quality or percentage threshold is out of its range."""


class UnknownSignalTypeError(HashingError, NotFoundError):
    """No signal type of that name (or ThreatExchange alias) is registered."""


class BankNotFoundError(HashingError, NotFoundError):
    """No hash bank of that name exists."""


class UnknownBackendError(HashingError, NotFoundError):
    """No PDQ index backend of that name is registered."""


class DuplicateSignalTypeError(HashingError, ConfigError):
    """Two signal types claim the same name or alias, or a name is malformed."""


class MissingDependencyError(HashingError, ConfigError):
    """An optional dependency (extra) needed for this operation is not installed."""
