"""The regulator desk as the review queue's :class:`~.tasks.TaskSink`.

A task becomes a desk request of the catalog type its kind names (``register_takedown``,
``csam_detection``, ``selfmon_detection``), received at the task's clock start, so the desk's
own clocks (the 24 h of REG-2, 149-FZ art. 15.1), escalation, ledger and audit apply to it. The
desk's request id is returned and kept as the task's ``external_ref``.

* Channel: ``internal`` where the catalog type takes it (detections); a register takedown
  (``api, email, cli`` in ``ru_desk.yaml``) comes in as ``api``, the service-to-service channel.
* Sender: ``rkn`` for a register hit (the register is RKN's decision), ``internal`` otherwise.
* Items: the content, when known, and the listed platform asset (a URL as is; a domain, address
  or subnet as ``asset:<value>``, ``/`` written ``_``).
* Idempotent: the submission's digest is derived from the task id, so a repeated hand-over
  (a retry after a crash) returns the first request instead of opening a second one.

The queue hands tasks over after its unit commits (:meth:`~domicile.moderation.queue.ops.CaseOps._hand_over`),
so the desk's writes to the RU database and audit chain never wait on the queue's transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import TYPE_CHECKING

from domicile.moderation.actions.tasks import TaskKind, TaskRequest

if TYPE_CHECKING:
    from domicile.desk.intake import ItemIn
    from domicile.desk.service import Desk

__all__ = ["DeskTaskSink"]

_CONTENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
_FALLBACK_CATEGORY = "C-OTHER"


class DeskTaskSink:
    """Submits takedown tasks to the regulator desk's intake.

    Args:
        desk: The open desk (same RU cell as the queue, normally).
        actor: Who submits, for the desk's timeline and audit log.
    """

    def __init__(self, desk: Desk, *, actor: str = "svc:moderation") -> None:
        self.desk = desk
        self.actor = actor

    def submit(self, task: TaskRequest) -> str | None:
        """Create (or find again) the desk request for ``task``; return its id.

        Raises:
            IntakeRejectedError: The desk refused the request (it is quarantined there).
        """
        from domicile.desk.intake import Submission
        from domicile.desk.models import AuthorityType, Channel

        rtype = self.desk.catalog.type(task.kind.desk_request_type)
        channel = Channel.INTERNAL if Channel.INTERNAL in rtype.channels else Channel.API
        authority = AuthorityType.RKN if task.kind is TaskKind.REGISTER_TAKEDOWN else AuthorityType.INTERNAL
        category = None
        if rtype.fixed_category is None and rtype.category == "required":
            wanted = task.evidence.get("category")
            category = wanted if isinstance(wanted, str) and wanted in self.desk.catalog.categories else None
            category = category or _FALLBACK_CATEGORY
        sub = Submission(
            type=rtype.id,
            authority_type=authority,
            decision_no=_text(task.evidence.get("decision_number"), 120),
            decision_date=_date(task.evidence.get("decision_date")),
            registry_entry_no=_text(task.register_entry_id, 64),
            category=category,
            items=_items(task),
        )
        digest = hashlib.sha256(f"domicile-moderation-task:{task.task_id}".encode()).hexdigest()
        receipt = self.desk.submit(
            sub, channel=channel.value, actor=self.actor, source_digest=digest, received_at=task.started_at
        )
        return receipt.request_id


def _text(value: object, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _date(value: object) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _items(task: TaskRequest) -> tuple[ItemIn, ...]:
    from domicile.desk.intake import ItemIn

    items: list[ItemIn] = []
    if task.content_ref and _CONTENT_ID.fullmatch(task.content_ref):
        items.append(ItemIn(content_id=task.content_ref))
    target = task.target
    if target:
        if "://" in target:
            items.append(ItemIn(url=target))
        else:
            asset = "asset:" + target.replace("/", "_")
            items.append(
                ItemIn(content_id=asset) if _CONTENT_ID.fullmatch(asset) else ItemIn(url=f"http://{target}/")
            )
    if not items and task.case_id:
        items.append(ItemIn(content_id=f"case:{task.case_id}"))
    return tuple(items)
