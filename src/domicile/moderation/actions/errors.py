"""Errors of the review queue, actions, pipeline and their stores.

Each class also derives from the matching core branch, so the CLI's exit-code table
(:mod:`domicile.cli.errors`) needs no change::

    ModerationError                          (domicile.core.errors)
    ├── ModerationInputError    +InputError    a malformed id, outcome, code or argument   exit 3
    │   └── PreviewDecodeError                 the content is not a decodable image
    ├── CaseNotFoundError       +NotFoundError no such case, appeal or task               exit 4
    ├── IllegalTransitionError  +PolicyError   the case state machine forbids the step     exit 8
    ├── ModerationPolicyError   +PolicyError   a rule forbids it (unblurring CSAM, an
    │                                          automatic action the pack does not allow)   exit 8
    ├── ConcurrentUpdateError   +ConflictError the case changed since it was read; retry   exit 11
    ├── ModerationStoreError    +StoreError    the moderation tables failed / are missing  exit 9
    ├── ModerationConfigError   +ConfigError   a bad policy file or a missing optional dep exit 10
    └── PlatformActionError                    the platform adapter failed to act/notify   exit 1

Messages name ids, states, events, fields and codes; never content, names or messages.
"""

from __future__ import annotations

from domicile.core import errors as e

__all__ = [
    "CaseNotFoundError",
    "ConcurrentUpdateError",
    "IllegalTransitionError",
    "ModerationConfigError",
    "ModerationInputError",
    "ModerationPolicyError",
    "ModerationStoreError",
    "PlatformActionError",
    "PreviewDecodeError",
]


class ModerationInputError(e.ModerationError, e.InputError):
    """A caller passed a malformed id, outcome, reason code or argument."""


class PreviewDecodeError(ModerationInputError):
    """The bytes given for a preview are not a decodable image (or are too large)."""


class CaseNotFoundError(e.ModerationError, e.NotFoundError):
    """No case, appeal or task has the given id."""


class IllegalTransitionError(e.ModerationError, e.PolicyError):
    """The case state machine does not allow this event in the case's current state.

    Attributes:
        case_id: The case.
        state: Its current state.
        event: The refused event.
    """

    def __init__(self, case_id: str, state: str, event: str, why: str = "") -> None:
        tail = f": {why}" if why else ""
        super().__init__(f"case {case_id}: event {event!r} is not allowed in state {state!r}{tail}")
        self.case_id = case_id
        self.state = state
        self.event = event


class ModerationPolicyError(e.ModerationError, e.PolicyError):
    """A configured or legal rule forbids the operation."""


class ConcurrentUpdateError(e.ModerationError, e.ConflictError):
    """The record changed since it was read (optimistic locking); re-read and retry."""


class ModerationStoreError(e.ModerationError, e.StoreError):
    """The moderation tables failed or are not initialised."""


class ModerationConfigError(e.ModerationError, e.ConfigError):
    """A moderation policy file is invalid, or an optional dependency is missing."""


class PlatformActionError(e.ModerationError):
    """The platform adapter (actions, notices, previews, task sink) failed."""
