"""One typed error tree for the whole package.

::

    DomicileError
    ├── ConfigError                 bad settings or cells file
    ├── InputError                  malformed input from a user or caller
    │   ├── UnknownFieldError
    │   └── InvalidTokenError
    ├── NotFoundError
    │   ├── UnknownCellError
    │   ├── SubjectNotFoundError
    │   └── SubjectErasedError      the subject was crypto-shredded
    ├── IntegrityError              stored data failed a check
    │   ├── DecryptionError         wrong key or tampered ciphertext
    │   └── AuditChainError
    ├── KeySourceError              key source unavailable or wrong
    ├── PolicyError                 a rule forbids the operation
    ├── StoreError                  a backing store failed (connectivity, schema)
    │   └── ConflictError           a concurrent writer changed the record first
    ├── LocalizationError           PD discovery / migration
    ├── DeskError                   regulator desk
    └── ModerationError             hash matching, register, review
        └── RegisterFormatError     a malformed register dump

Messages never contain personal data: they name fields, cells, ids and tokens,
never values. Exit codes and HTTP statuses are chosen in one place each
(:mod:`domicile.cli.errors` and the HTTP adapter), never here.
"""

from __future__ import annotations


def first_line(exc: object) -> str:
    """The first line of a third-party error's text (at most 200 characters), for one-line messages."""
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


class DomicileError(Exception):
    """Root of every error domicile raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(DomicileError):
    """The configuration (settings or cells file) is missing or invalid."""


class InputError(DomicileError):
    """Input from a user or a calling service is malformed."""


class UnknownFieldError(InputError):
    """A PD field name is not in the configured field schema."""


class InvalidTokenError(InputError):
    """A token is malformed, of an unknown kind, or was not issued by a cell."""


class NotFoundError(DomicileError):
    """Something named by the caller does not exist."""


class UnknownCellError(NotFoundError):
    """A cell name is not configured."""


class SubjectNotFoundError(NotFoundError):
    """No subject with that id lives in any configured cell."""


class SubjectErasedError(NotFoundError):
    """The subject was erased: its data key is destroyed and its PD unreadable."""


class IntegrityError(DomicileError):
    """Stored data failed an integrity check."""


class DecryptionError(IntegrityError):
    """Authenticated decryption failed: wrong key, or the ciphertext was altered."""


class AuditChainError(IntegrityError):
    """The audit hash chain is broken."""


class KeySourceError(DomicileError):
    """A key source is unavailable, or holds no key of the requested version."""


class PolicyError(DomicileError):
    """A legal or configured rule forbids the operation."""


class StoreError(DomicileError):
    """A backing store failed (unreachable, wrong schema, I/O error)."""


class ConflictError(StoreError):
    """Another writer changed the same record first; re-read and retry."""


class LocalizationError(DomicileError):
    """PD discovery or migration of an existing database failed."""


class DeskError(DomicileError):
    """The regulator desk refused or failed an operation."""


class ModerationError(DomicileError):
    """Hash matching, the prohibited-content register or review failed."""


class RegisterFormatError(ModerationError):
    """A register dump is malformed; the message names the line or byte offset."""
