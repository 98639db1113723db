"""Audit-specific errors, each under the package tree in :mod:`domicile.core.errors`.

::

    InputError
    └── AuditEventError          an event breaks the PD-free vocabulary or a length limit
    AuditChainError (IntegrityError)
    └── AuditRecordFormatError   a stored row cannot be read back as a record (names its seq)

Messages name fields, positions and seqs, never the offending values.
"""

from __future__ import annotations

from domicile.core.errors import AuditChainError, InputError


class AuditEventError(InputError):
    """An audit event is malformed or could carry personal data."""


class AuditRecordFormatError(AuditChainError):
    """A stored audit row is malformed, so it cannot be a genuine entry.

    Attributes:
        seq: The seq of the offending row (``None`` when even the seq is unreadable).
    """

    def __init__(self, message: str, seq: int | None) -> None:
        super().__init__(message)
        self.seq = seq
