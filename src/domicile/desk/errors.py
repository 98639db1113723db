"""Typed errors of the regulator desk, and the one table that maps them to HTTP statuses.

::

    DeskError                               (domicile.core.errors)
    ├── CalendarError, DeadlineError ...    (domicile.desk.deadline_errors)
    ├── DeskInputError        +InputError   bad input from a caller              422 / exit 3
    │   ├── IntakeRejectedError                  a channel refused raw input; kept in quarantine
    │   │   ├── MalformedInputError         unparseable JSON, e-mail or form body  400
    │   │   ├── FormValidationError         missing or invalid fields (RU messages) 422
    │   │   ├── PayloadTooLargeError        body or attachment over the limit      413
    │   │   └── UnknownRequestTypeError     no such request type / no rule matched 422
    ├── DeskNotFoundError     +NotFoundError request, incident, quarantine entry...  404 / exit 4
    ├── WorkflowRefusedError  +PolicyError  transition not allowed; no legal review
    │                                       or no signed decision before execution  409 / exit 8
    ├── AccessRefusedError    +PolicyError  the caller's desk role may not do this   403 / exit 8
    ├── DecisionIntegrityError +IntegrityError a signature or the decision chain fails 500 / exit 6
    ├── ReconciliationError   +IntegrityError a report does not add up to the ledger 500 / exit 6
    ├── SignerKeyError        +KeySourceError the representative's key is missing/wrong 503 / exit 7
    ├── DeskConfigError       +ConfigError  desk.yaml or the request catalog is invalid 500 / exit 10
    ├── DeskStoreError        +StoreError   the desk database failed or is not initialised 503 / exit 9
    ├── NotifierError                       a notifier could not deliver             502 / exit 1
    └── AdapterError                        the platform adapter failed              502 / exit 1

Every class also derives from the matching core branch, so the CLI's exit-code table
(:mod:`domicile.cli.errors`) needs no change. :func:`desk_http_status` is the only place the
desk chooses an HTTP status. Messages name fields, ids, clocks and rules; never PD values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domicile.core import errors as e
from domicile.desk import deadline_errors as de

__all__ = [
    "AccessRefusedError",
    "AdapterError",
    "DecisionIntegrityError",
    "DeskConfigError",
    "DeskInputError",
    "DeskNotFoundError",
    "DeskStoreError",
    "FieldProblem",
    "FormValidationError",
    "IntakeRejectedError",
    "MalformedInputError",
    "NotifierError",
    "PayloadTooLargeError",
    "ReconciliationError",
    "SignerKeyError",
    "UnknownRequestTypeError",
    "WorkflowRefusedError",
    "desk_http_status",
]


class DeskInputError(e.DeskError, e.InputError):
    """Input from a caller is malformed or does not fit the request type."""


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field: its name, a stable code and a message (Russian for the public form)."""

    field: str
    code: str
    message: str


class IntakeRejectedError(DeskInputError):
    """A channel refused its raw input. The raw bytes are kept in quarantine for a person.

    Attributes:
        channel: ``api``, ``email``, ``form`` or ``cli``.
        quarantine_id: id of the quarantine entry holding the raw input (None if not kept).
        problems: per-field problems, when the input was parseable.
    """

    def __init__(
        self,
        message: str,
        *,
        channel: str = "",
        quarantine_id: str | None = None,
        problems: Sequence[FieldProblem] = (),
    ) -> None:
        super().__init__(message)
        self.channel = channel
        self.quarantine_id = quarantine_id
        self.problems = tuple(problems)

    @property
    def reason_code(self) -> str:
        """A short code for the quarantine list: the class's stable name."""
        return _REASONS.get(type(self), "rejected")


class MalformedInputError(IntakeRejectedError):
    """The raw input cannot be parsed (JSON, e-mail or multipart syntax)."""


class FormValidationError(IntakeRejectedError):
    """Required fields are missing or invalid."""


class PayloadTooLargeError(IntakeRejectedError):
    """The body, the message or an attachment is larger than the configured limit."""


class UnknownRequestTypeError(IntakeRejectedError):
    """The request names no known type, or no e-mail rule classifies the message."""


_REASONS: dict[type[IntakeRejectedError], str] = {
    MalformedInputError: "malformed",
    FormValidationError: "invalid_fields",
    PayloadTooLargeError: "too_large",
    UnknownRequestTypeError: "unknown_type",
}


class DeskNotFoundError(e.DeskError, e.NotFoundError):
    """No request, incident, decision or quarantine entry with that id."""


class WorkflowRefusedError(e.DeskError, e.PolicyError):
    """The workflow does not allow this step now (state, legal review, signed decision)."""


class AccessRefusedError(e.DeskError, e.PolicyError):
    """The caller's desk role does not allow this action."""


class DecisionIntegrityError(e.DeskError, e.IntegrityError):
    """A decision's signature, content digest or chain link fails verification."""


class ReconciliationError(e.DeskError, e.IntegrityError):
    """A report's totals differ from the raw ledger."""


class SignerKeyError(e.DeskError, e.KeySourceError):
    """The representative's signing key is missing, malformed or not registered."""


class DeskConfigError(e.DeskError, e.ConfigError):
    """``desk.yaml`` or the request catalog is missing or invalid."""


class DeskStoreError(e.DeskError, e.StoreError):
    """The desk database failed, or its schema is missing or old."""


class NotifierError(e.DeskError):
    """A notifier could not deliver (the message names the notifier and the reason class)."""


class AdapterError(e.DeskError):
    """The platform adapter failed to carry out an action."""


#: (error class, HTTP status, error code), most specific first. The ONE desk status table.
_STATUS: tuple[tuple[type[e.DomicileError], int, str], ...] = (
    (PayloadTooLargeError, 413, "payload_too_large"),
    (MalformedInputError, 400, "malformed_input"),
    (FormValidationError, 422, "invalid_form"),
    (UnknownRequestTypeError, 422, "unknown_request_type"),
    (DeskInputError, 422, "invalid_input"),
    (AccessRefusedError, 403, "forbidden"),
    (WorkflowRefusedError, 409, "workflow_refused"),
    (de.ExtensionRefusedError, 409, "extension_refused"),
    (de.UnknownClockError, 422, "unknown_clock"),
    (de.DeadlineInputError, 422, "invalid_input"),
    (de.CalendarError, 503, "calendar_unavailable"),
    (DeskNotFoundError, 404, "not_found"),
    (SignerKeyError, 503, "signer_unavailable"),
    (DeskStoreError, 503, "unavailable"),
    (NotifierError, 502, "notifier_failed"),
    (AdapterError, 502, "adapter_failed"),
    (DecisionIntegrityError, 500, "integrity_failure"),
    (ReconciliationError, 500, "integrity_failure"),
    (DeskConfigError, 500, "configuration_error"),
    (e.SubjectErasedError, 410, "subject_erased"),
    (e.InputError, 422, "invalid_input"),
    (e.NotFoundError, 404, "not_found"),
    (e.PolicyError, 403, "forbidden"),
    (e.KeySourceError, 503, "key_source_unavailable"),
    (e.StoreError, 503, "unavailable"),
    (e.DomicileError, 500, "error"),
)


def desk_http_status(exc: e.DomicileError) -> tuple[int, str]:
    """HTTP status and error code for an error raised by the desk (most specific first).

    The gateway should call this for every :class:`~domicile.core.errors.DeskError` before
    its own table (its table maps all ``DeskError`` to 503, which is right only for the calendar).
    """
    for cls, status, code in _STATUS:
        if isinstance(exc, cls):
            return status, code
    return 500, "error"
