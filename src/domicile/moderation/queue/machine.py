"""The case state machine: which event may move a case from which state to which.

::

    (new) --open--> detected --auto_action--> auto_actioned --claim--+
                        |--hold--> held --claim------------------------+--> in_review
                        +--claim---------------------------------------+      |  ^ reassign
                                                                              |--refer--> referred
                                                   referred --rkn_decision--> |
                                                   in_review --decide-------> decided
    decided --close--> closed                        (outcome keep)
    decided --notify--> user_notified --appeal--> appealed --decide_appeal--> appeal_decided
    appeal_decided --restore--> restored             (appeal reversed, or an RKN order)

Every move is written to the case history and the audit log with the actor and a reason code
(SN-1..SN-7). Anything else raises :class:`~domicile.moderation.actions.errors.IllegalTransitionError`.
Guards that depend on the case (``close`` needs ``keep``, ``notify`` a restrictive outcome,
``restore`` a reversal or an RKN order) are checked by :func:`check`.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType

from domicile.moderation.actions.errors import IllegalTransitionError
from domicile.moderation.queue.model import Appeal, AppealOutcome, Case, CaseState, Outcome

__all__ = ["TRANSITIONS", "Event", "allowed_events", "check", "target"]

S = CaseState


class Event(StrEnum):
    """Events that move a case."""

    OPEN = "open"
    AUTO_ACTION = "auto_action"
    HOLD = "hold"
    CLAIM = "claim"
    REASSIGN = "reassign"
    REFER = "refer"
    RKN_DECISION = "rkn_decision"
    DECIDE = "decide"
    CLOSE = "close"
    NOTIFY = "notify"
    APPEAL = "appeal"
    DECIDE_APPEAL = "decide_appeal"
    RESTORE = "restore"


#: event -> (states it may start from, state it leads to); ``None`` is "no case yet".
TRANSITIONS: MappingProxyType[Event, tuple[frozenset[CaseState | None], CaseState]] = MappingProxyType(
    {
        Event.OPEN: (frozenset({None}), S.DETECTED),
        Event.AUTO_ACTION: (frozenset({S.DETECTED}), S.AUTO_ACTIONED),
        Event.HOLD: (frozenset({S.DETECTED}), S.HELD),
        Event.CLAIM: (frozenset({S.DETECTED, S.HELD, S.AUTO_ACTIONED}), S.IN_REVIEW),
        Event.REASSIGN: (frozenset({S.IN_REVIEW}), S.IN_REVIEW),
        Event.REFER: (frozenset({S.IN_REVIEW}), S.REFERRED),
        Event.RKN_DECISION: (frozenset({S.REFERRED}), S.DECIDED),
        Event.DECIDE: (frozenset({S.IN_REVIEW}), S.DECIDED),
        Event.CLOSE: (frozenset({S.DECIDED}), S.CLOSED),
        Event.NOTIFY: (frozenset({S.DECIDED}), S.USER_NOTIFIED),
        Event.APPEAL: (frozenset({S.USER_NOTIFIED}), S.APPEALED),
        Event.DECIDE_APPEAL: (frozenset({S.APPEALED}), S.APPEAL_DECIDED),
        Event.RESTORE: (frozenset({S.APPEAL_DECIDED}), S.RESTORED),
    }
)


def target(event: Event) -> CaseState:
    """The state ``event`` leads to."""
    return TRANSITIONS[event][1]


def allowed_events(state: CaseState | None) -> tuple[Event, ...]:
    """Events the table allows from ``state`` (before case-specific guards)."""
    return tuple(e for e, (sources, _) in TRANSITIONS.items() if state in sources)


def check(case: Case | None, event: Event, *, appeal: Appeal | None = None, case_id: str = "") -> CaseState:
    """Check that ``event`` may happen to ``case`` now; return the state it leads to.

    Args:
        case: The case (``None`` for ``open``).
        event: The event.
        appeal: The case's latest appeal (for ``restore``).
        case_id: Id to name in the error when ``case`` is ``None``.

    Raises:
        IllegalTransitionError: The table or a guard forbids it.
    """
    state = case.state if case is not None else None
    cid = case.case_id if case is not None else case_id or "(new)"
    sources, to = TRANSITIONS[event]
    if state not in sources:
        raise IllegalTransitionError(cid, str(state or "new"), event.value)
    if case is None:
        return to
    if event is Event.CLOSE and case.outcome is not Outcome.KEEP:
        raise IllegalTransitionError(cid, state or "", event.value, "only a 'keep' decision closes a case")
    if event is Event.NOTIFY and (case.outcome is None or not case.outcome.restrictive):
        raise IllegalTransitionError(cid, state or "", event.value, "only restrictions are notified")
    if event is Event.NOTIFY and case.owner_ref is None:
        raise IllegalTransitionError(cid, state or "", event.value, "the case has no owner to notify")
    if event is Event.RESTORE:
        reversed_ = appeal is not None and appeal.outcome is AppealOutcome.REVERSED
        ordered = appeal is not None and appeal.rkn_order_ref is not None
        if not (reversed_ or ordered):
            raise IllegalTransitionError(
                cid, state or "", event.value, "needs a reversed appeal or an RKN order to reverse"
            )
    return to
