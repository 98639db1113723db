"""Value objects of the regulator desk: states, channels, authorities, outcomes, views.

Everything here is PD-free by design: requests are described by ids, codes, legal bases and
UTC timestamps (``YYYY-MM-DDTHH:MM:SS.ffffffZ``). PD (requester contacts, complaint text,
attachments, access packages) lives only in sealed blobs in RU storage and is referred to by
``blb_`` references (PD-LOC-1, LAND-1).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "ACTIONED_OUTCOMES",
    "AUTHORITY_TYPES",
    "GOVERNMENT_AUTHORITIES",
    "Action",
    "AuthorityType",
    "Channel",
    "ClockView",
    "DecisionKind",
    "EventView",
    "ItemOutcome",
    "ItemView",
    "Produced",
    "Receipt",
    "ReceiptClock",
    "RequestKind",
    "RequestView",
    "State",
    "Verdict",
    "is_request_id",
    "new_id",
    "parse_ts",
]

_ID = re.compile(r"^(rq|blb|qr|inc)_[0-9a-f]{32}$")


def new_id(prefix: str) -> str:
    """A random id such as ``rq_<32 hex>`` (``rq`` request, ``blb`` blob, ``qr`` quarantine)."""
    return f"{prefix}_{uuid.uuid4().hex}"


def parse_ts(text: str) -> dt.datetime:
    """Parse a stored timestamp (``YYYY-MM-DDTHH:MM:SS.ffffffZ``) as an aware UTC datetime."""
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def is_request_id(text: str) -> bool:
    """Whether ``text`` has the shape of a desk request id."""
    return bool(_ID.match(text)) and text.startswith("rq_")


class State(StrEnum):
    """Workflow states, in order (the issue's lifecycle)."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    TRIAGED = "triaged"
    LEGAL_REVIEW = "legal_review"
    DECIDED = "decided"
    EXECUTED = "executed"
    ANSWERED = "answered"
    CLOSED = "closed"


class Channel(StrEnum):
    """Where a request came in (TR-1 ``channel``)."""

    API = "api"  # the authenticated HTTP API (RKN personal-account bridge, authorities)
    EMAIL = "email"  # the e-mail drop (.eml files)
    FORM = "form"  # the public complaint form (149-FZ art. 10.6, 236-FZ)
    CLI = "cli"  # manual entry by staff (court mail, paper)
    INTERNAL = "internal"  # self-monitoring detections, incidents


class AuthorityType(StrEnum):
    """Who sent the request (TR-1 ``authority_type``, plus non-authority requesters)."""

    RKN = "rkn"
    PROSECUTOR_GENERAL = "prosecutor_general"
    COURT = "court"
    MVD = "mvd"
    FSB = "fsb"
    SK = "sk"
    FNS = "fns"
    ROSPOTREBNADZOR = "rospotrebnadzor"
    RAR = "rar"
    BAILIFFS = "bailiffs"
    OTHER_AUTHORITY = "other_authority"
    CITIZEN = "citizen"
    ORGANISATION = "organisation"
    SUBJECT = "subject"  # a data subject exercising 152-FZ rights
    USER = "user"  # a platform user appealing a restriction
    INTERNAL = "internal"  # self-monitoring, incident response


AUTHORITY_TYPES = tuple(AuthorityType)
#: Requesters counted in the government-request ledger and transparency report (TR-1, TR-4).
GOVERNMENT_AUTHORITIES: frozenset[AuthorityType] = frozenset(
    {
        AuthorityType.RKN,
        AuthorityType.PROSECUTOR_GENERAL,
        AuthorityType.COURT,
        AuthorityType.MVD,
        AuthorityType.FSB,
        AuthorityType.SK,
        AuthorityType.FNS,
        AuthorityType.ROSPOTREBNADZOR,
        AuthorityType.RAR,
        AuthorityType.BAILIFFS,
        AuthorityType.OTHER_AUTHORITY,
    }
)


class RequestKind(StrEnum):
    """What a request asks for (TR-1 ``request_kind``, widened to the desk's types)."""

    REMOVAL = "removal"
    USER_DATA = "user_data"
    PD_SUBJECT = "pd_subject"
    INFORMATION = "information"
    APPEAL = "appeal"
    COMPLAINT = "complaint"
    DETECTION = "detection"
    INCIDENT = "incident"


class DecisionKind(StrEnum):
    """What the representative office decided (the issue, item 5)."""

    APPROVE = "approve"
    PARTIAL = "partial"
    REJECT = "reject"


class Action(StrEnum):
    """What execution does through the platform adapter or the vault."""

    RESTRICT_IN_COUNTRY = "restrict_in_country"  # geo-restrict in Russia only (REG-6)
    REMOVE_EVERYWHERE = "remove_everywhere"  # global removal (Community Guidelines)
    REINSTATE = "reinstate"  # an appeal upheld (SN-7)
    ACCESS_PACKAGE = "access_package"  # PD-DSR-1: JSON + readable document, built in the RU cell
    PRODUCE_DATA = "produce_data"  # TR-3: user data to an authority, served from the RU store
    RECTIFY = "rectify"  # PD-DSR-5: patch the vault record
    ERASE = "erase"  # PD-DSR-6: crypto-shred through the vault
    STOP_PROCESSING = "stop_processing"  # PD-DSR-12
    PROVIDE_INFORMATION = "provide_information"  # PD-DSR-7: the answer is the information
    REFER_TO_RKN = "refer_to_rkn"  # SN-3: doubtful content, restricted and referred
    NONE = "none"


class Verdict(StrEnum):
    """A decision's verdict on one item."""

    ACT = "act"
    NO_ACTION_LAWFUL = "no_action_lawful"
    INSUFFICIENT_INFORMATION = "insufficient_information"
    REJECTED_INVALID_PROCESS = "rejected_invalid_process"


class ItemOutcome(StrEnum):
    """Per-item outcome after execution (TR-2), plus ``reinstated`` and ``referred_to_rkn``."""

    REMOVED_GLOBAL_POLICY = "removed_global_policy"
    RESTRICTED_RU_LOCAL_LAW = "restricted_ru_local_law"
    REINSTATED = "reinstated"
    REFERRED_TO_RKN = "referred_to_rkn"
    NO_ACTION_LAWFUL = "no_action_lawful"
    NOT_FOUND = "not_found"
    ALREADY_REMOVED = "already_removed"
    INSUFFICIENT_INFORMATION = "insufficient_information"
    REJECTED_INVALID_PROCESS = "rejected_invalid_process"


#: Outcomes that count as "actioned" (restricted or removed) in reports.
ACTIONED_OUTCOMES: frozenset[ItemOutcome] = frozenset(
    {
        ItemOutcome.REMOVED_GLOBAL_POLICY,
        ItemOutcome.RESTRICTED_RU_LOCAL_LAW,
        ItemOutcome.REFERRED_TO_RKN,
    }
)


class Produced(StrEnum):
    """Whether user data was produced on a user-data request (TR-3)."""

    NONE = "none"
    PARTIAL = "partial"
    FULL = "full"


@dataclass(frozen=True)
class ReceiptClock:
    """One running clock on a receipt: when it is due and on what legal source."""

    clock_id: str
    due_at: str
    legal_source: str
    internal_target: bool


@dataclass(frozen=True)
class Receipt:
    """The acknowledgement receipt every request gets at once (LAND-5, SN-12)."""

    request_id: str
    type_id: str
    channel: str
    received_at: str
    acknowledged_at: str
    legal_basis: str
    state: str
    clocks: tuple[ReceiptClock, ...]
    duplicate: bool = False


@dataclass(frozen=True)
class ItemView:
    """One item of a request (a page, content id or account) and its outcome (TR-2)."""

    item_no: int
    content_id: str | None
    account_id: str | None
    url_fp: str | None
    verdict: str | None
    outcome: str | None
    actioned_at: str | None
    reviewer: str | None


@dataclass(frozen=True)
class ClockView:
    """A clock of a request: its due time, extensions, and whether it was met."""

    clock_id: str
    started_at: str
    due_at: str
    stops_on: str
    met_at: str | None
    extensions: int
    amount: int | None


@dataclass(frozen=True)
class EventView:
    """One entry of a request's timeline."""

    seq: int
    at: str
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    details: dict[str, str | int | bool | None]


@dataclass(frozen=True)
class RequestView:
    """A request as stored (no PD): ids, type, authority, legal basis, state, timestamps."""

    id: str
    type_id: str
    kind: str
    channel: str
    authority_type: str
    authority_name: str | None
    legal_basis: str
    decision_no: str | None
    decision_date: str | None
    registry_entry_no: str | None
    category: str | None
    state: str
    priority: int
    subject_id: str | None
    assignee: str | None
    received_at: str
    acknowledged_at: str | None
    closed_at: str | None
    primary_clock: str
    due_at: str
    dossier_ref: str | None
    auto_rule: str | None
    produced: str | None
    created_by: str
    version: int
    items: tuple[ItemView, ...] = ()
    clocks: tuple[ClockView, ...] = ()
    events: tuple[EventView, ...] = field(default=(), compare=False)
