"""The review queue's HTTP API: a FastAPI ``APIRouter`` factory the gateway mounts under ``/v1/moderation``.

Dependencies are injected: ``get_queue`` returns the :class:`~.service.ReviewQueue` and
``authenticate`` the verified :class:`ModerationCaller` (the gateway maps its API keys onto
moderation roles). Routes are thin: parse, authorise with the one :data:`PERMISSIONS` table, call
the library, render JSON. Every domicile error becomes one JSON body ``{"error", "message"}``
with the status of :func:`moderation_http_status` (the route class does it). Needs the
``gateway`` extra (FastAPI); importing :mod:`domicile.moderation.queue` does not load this module.

Mount::

    app.include_router(create_moderation_router(get_queue, authenticate), prefix="/v1/moderation")
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases built inside
# :func:`create_moderation_router` as real objects.
import base64
import dataclasses
import datetime as dt
from collections.abc import Callable, Coroutine, Mapping
from enum import Enum, StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from domicile.core import errors as e
from domicile.moderation.actions.errors import ModerationPolicyError
from domicile.moderation.queue.model import Detector, Evidence, EvidenceKind, TaskStatus
from domicile.moderation.queue.service import ReviewQueue

__all__ = [
    "PERMISSIONS",
    "ModerationAction",
    "ModerationCaller",
    "ModerationRole",
    "create_moderation_router",
    "moderation_http_status",
]


class ModerationRole(StrEnum):
    """Who may do what in the review queue."""

    SERVICE = "service"  # detectors and the upload pipeline: open cases, hold
    REVIEWER = "reviewer"  # claims and decides cases, refers to RKN
    APPEALS = "appeals"  # decides appeals (someone other than the first reviewer)
    SUPPORT = "support"  # files appeals on the owner's behalf
    ADMIN = "admin"  # sweeps clocks, reads everything


class ModerationAction(StrEnum):
    """What a route does."""

    READ = "read"
    OPEN = "open"
    REVIEW = "review"
    APPEAL = "appeal"
    DECIDE_APPEAL = "decide_appeal"
    SWEEP = "sweep"
    MATCH = "match"
    BANKS_READ = "banks_read"
    BANKS_MANAGE = "banks_manage"


R = ModerationRole
#: The one authorization table of the moderation API.
PERMISSIONS: dict[ModerationAction, frozenset[ModerationRole]] = {
    ModerationAction.READ: frozenset({R.REVIEWER, R.APPEALS, R.ADMIN}),
    ModerationAction.OPEN: frozenset({R.SERVICE, R.REVIEWER}),
    ModerationAction.REVIEW: frozenset({R.REVIEWER}),
    ModerationAction.APPEAL: frozenset({R.SUPPORT, R.SERVICE}),
    ModerationAction.DECIDE_APPEAL: frozenset({R.APPEALS}),
    ModerationAction.SWEEP: frozenset({R.ADMIN, R.SERVICE}),
    ModerationAction.MATCH: frozenset({R.SERVICE, R.REVIEWER, R.ADMIN}),
    ModerationAction.BANKS_READ: frozenset({R.SERVICE, R.REVIEWER, R.APPEALS, R.ADMIN}),
    ModerationAction.BANKS_MANAGE: frozenset({R.ADMIN}),
}

_STATUS: tuple[tuple[type[e.DomicileError], int, str], ...] = (
    (e.InputError, 422, "bad_input"),
    (e.NotFoundError, 404, "not_found"),
    (e.PolicyError, 409, "refused"),
    (e.ConflictError, 409, "conflict"),
    (e.StoreError, 503, "store_unavailable"),
    (e.ConfigError, 500, "config"),
)


class AccessRefusedError(ModerationPolicyError):
    """The caller's roles do not allow the route."""


@dataclasses.dataclass(frozen=True)
class ModerationCaller:
    """A verified caller: an actor id (written to the audit log) and its roles."""

    actor: str
    roles: frozenset[ModerationRole]


def moderation_http_status(exc: e.DomicileError) -> tuple[int, str]:
    """HTTP status and error code for a moderation error (the one table; access refusals are 403)."""
    if isinstance(exc, AccessRefusedError):
        return 403, "forbidden"
    for cls, status, code in _STATUS:
        if isinstance(exc, cls):
            return status, code
    return 502 if isinstance(exc, e.ModerationError) else 500, "error"


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dt.datetime):
        return obj.isoformat()
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, bytes):
        return base64.b64encode(obj).decode("ascii")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [_jsonable(v) for v in obj]
    return obj


class _Route(APIRoute):
    """Renders domicile errors raised by a route with :func:`moderation_http_status`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except e.DomicileError as exc:
                status, code = moderation_http_status(exc)
                return JSONResponse({"error": code, "message": exc.message}, status_code=status)

        return guarded


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenCaseBody(_Body):
    """A case opened by a service or a reviewer (a human finding or a report as evidence)."""

    content_ref: str
    source: str = Field(description="detector, user_report, rkn_referral, registry_notice, pg_demand, court")
    reason_code: str
    owner_ref: str | None = None
    category: str | None = None
    legal_basis: str | None = None
    hold_scope: str | None = Field(default=None, description="RU or GLOBAL: hide pending review")
    evidence: list[dict[str, Any]] = Field(default_factory=list, description="Evidence dicts (to_dict form)")


class DecideBody(_Body):
    """A reviewer's decision."""

    outcome: str = Field(description="keep, restrict_ru, remove_global or age_gate_18")
    reason_code: str
    category: str | None = None
    legal_basis: str | None = None


class ReasonBody(_Body):
    """A reason code."""

    reason_code: str


class AppealBody(_Body):
    """The owner's appeal."""

    appellant_ref: str


class AppealDecisionBody(_Body):
    """An appeal decision."""

    outcome: str = Field(description="upheld or reversed")
    reason_code: str


def create_moderation_router(
    get_queue: Callable[..., ReviewQueue],
    authenticate: Callable[..., ModerationCaller],
    get_matcher: Callable[..., Any] | None = None,
) -> APIRouter:
    """The router; ``get_queue``, ``authenticate`` and ``get_matcher`` are FastAPI dependencies.

    ``get_matcher`` returns the :class:`~domicile.moderation.hashing.HashMatcher` over the hash
    banks; when given, the bank and match routes of :mod:`.banks_http` are added.
    """
    router = APIRouter(route_class=_Route, tags=["moderation"])
    Queue = Annotated[ReviewQueue, Depends(get_queue)]  # noqa: N806 - a type alias
    Caller = Annotated[ModerationCaller, Depends(authenticate)]  # noqa: N806 - a type alias

    def allow(caller: ModerationCaller, action: ModerationAction) -> str:
        if not caller.roles & PERMISSIONS[action]:
            raise AccessRefusedError(
                f"role(s) {sorted(r.value for r in caller.roles)} may not {action.value}"
            )
        return caller.actor

    @router.get("/cases")
    def list_cases(
        queue: Queue, caller: Caller, waiting: bool = True, limit: int = Query(100, ge=1, le=1000)
    ) -> Any:
        """Cases waiting for a person (soonest deadline first), or all cases."""
        allow(caller, ModerationAction.READ)
        return _jsonable(queue.waiting(limit) if waiting else queue.cases(limit=limit))

    @router.post("/cases", status_code=201)
    def open_case(body: OpenCaseBody, queue: Queue, caller: Caller) -> Any:
        """Open a case with its evidence (a human finding if none is given)."""
        actor = allow(caller, ModerationAction.OPEN)
        items = [Evidence.from_dict(d) for d in body.evidence] or [
            Evidence(EvidenceKind.HUMAN, Detector.HUMAN, category=body.category)
        ]
        case = queue.open_case(
            body.content_ref, source=body.source, evidence=items, actor=actor, reason_code=body.reason_code,
            owner_ref=body.owner_ref, category=body.category, legal_basis=body.legal_basis,
            hold_scope=body.hold_scope,
        )  # fmt: skip
        return _jsonable(case)

    @router.get("/cases/{case_id}")
    def review(
        case_id: str, queue: Queue, caller: Caller, unblur: bool = False, unblur_reason: str | None = None
    ) -> Any:
        """The review view: evidence, history, appeals, tasks; the preview PNG (base64), blurred."""
        actor = allow(caller, ModerationAction.READ)
        return _jsonable(queue.review(case_id, actor, unblur=unblur, unblur_reason=unblur_reason))

    @router.post("/cases/{case_id}/claim")
    def claim(case_id: str, queue: Queue, caller: Caller) -> Any:
        """Take a waiting case."""
        return _jsonable(queue.claim(case_id, reviewer=allow(caller, ModerationAction.REVIEW)))

    @router.post("/cases/{case_id}/decision")
    def decide(case_id: str, body: DecideBody, queue: Queue, caller: Caller) -> Any:
        """Decide a claimed case; a restriction is notified to the owner (SN-6)."""
        actor = allow(caller, ModerationAction.REVIEW)
        case = queue.decide(
            case_id, body.outcome, reviewer=actor, reason_code=body.reason_code, category=body.category,
            legal_basis=body.legal_basis,
        )  # fmt: skip
        return _jsonable(case)

    @router.post("/cases/{case_id}/referral")
    def refer(case_id: str, body: ReasonBody, queue: Queue, caller: Caller) -> Any:
        """Refer doubtful content to RKN (SN-3): restricted in Russia, task due 24 h after detection."""
        actor = allow(caller, ModerationAction.REVIEW)
        case, task = queue.refer_to_rkn(case_id, reviewer=actor, reason_code=body.reason_code)
        return _jsonable({"case": case, "task": task})

    @router.post("/cases/{case_id}/appeals", status_code=201)
    def appeal(case_id: str, body: AppealBody, queue: Queue, caller: Caller) -> Any:
        """File the owner's appeal, due in 3 days (SN-7)."""
        allow(caller, ModerationAction.APPEAL)
        return _jsonable(queue.file_appeal(case_id, appellant_ref=body.appellant_ref))

    @router.post("/appeals/{appeal_id}/decision")
    def decide_appeal(appeal_id: str, body: AppealDecisionBody, queue: Queue, caller: Caller) -> Any:
        """Decide an appeal; reversed restores the content."""
        actor = allow(caller, ModerationAction.DECIDE_APPEAL)
        return _jsonable(
            queue.decide_appeal(appeal_id, body.outcome, reviewer=actor, reason_code=body.reason_code)
        )

    @router.get("/tasks")
    def tasks(queue: Queue, caller: Caller, open_only: bool = True) -> Any:
        """Takedown and referral tasks with their deadlines."""
        allow(caller, ModerationAction.READ)
        return _jsonable(queue.tasks(TaskStatus.OPEN if open_only else None))

    @router.post("/sweep")
    def sweep(queue: Queue, caller: Caller) -> Any:
        """Escalate running clocks that crossed a new level."""
        return _jsonable(queue.sweep(actor=allow(caller, ModerationAction.SWEEP)))

    if get_matcher is not None:
        from domicile.moderation.queue.banks_http import add_bank_routes

        add_bank_routes(router, get_matcher, authenticate, allow)
    return router
