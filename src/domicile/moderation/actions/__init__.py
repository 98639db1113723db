"""Moderation actions: geo-scoped orders to the platform, user notices, takedown tasks.

The platform seams (:class:`ContentActions`, :class:`UserNotifier`, :class:`PreviewSource`)
and the task seam to the regulator desk (:class:`TaskSink`) are one-method Protocols; an
in-memory platform and task sink ship for tests and embedding. Errors of the whole review
side are in :mod:`.errors`.
"""

from domicile.moderation.actions.errors import (
    CaseNotFoundError,
    ConcurrentUpdateError,
    IllegalTransitionError,
    ModerationConfigError,
    ModerationInputError,
    ModerationPolicyError,
    ModerationStoreError,
    PlatformActionError,
    PreviewDecodeError,
)
from domicile.moderation.actions.model import (
    ActionKind,
    ActionOrder,
    ActionReceipt,
    GeoScope,
    NoticeKind,
    UserNotice,
    check_code,
    check_ref,
    new_id,
)
from domicile.moderation.actions.platform import (
    ContentActions,
    MemoryPlatform,
    PreviewSource,
    RecordOnlyPlatform,
    UserNotifier,
    Visibility,
)
from domicile.moderation.actions.tasks import MemoryTaskSink, TaskKind, TaskRequest, TaskSink

__all__ = [
    "ActionKind",
    "ActionOrder",
    "ActionReceipt",
    "CaseNotFoundError",
    "ConcurrentUpdateError",
    "ContentActions",
    "GeoScope",
    "IllegalTransitionError",
    "MemoryPlatform",
    "MemoryTaskSink",
    "ModerationConfigError",
    "ModerationInputError",
    "ModerationPolicyError",
    "ModerationStoreError",
    "NoticeKind",
    "PlatformActionError",
    "PreviewDecodeError",
    "PreviewSource",
    "RecordOnlyPlatform",
    "TaskKind",
    "TaskRequest",
    "TaskSink",
    "UserNotice",
    "UserNotifier",
    "Visibility",
    "check_code",
    "check_ref",
    "new_id",
]
