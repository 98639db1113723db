"""The moderation pipeline: hash banks and the register wired to actions and the review queue.

* uploads: :meth:`ModerationPipeline.screen_upload` (CSAM: automatic block, removal, account
  flag, evidence preservation, hotline draft; other hits: held for review);
* links in comments and messages: :func:`filter_for_viewer` (geo-scoped to Russia);
* the platform's own domains and IPs: :func:`self_check_tasks` (24 h takedown tasks, REG-2, REG-5).

See ``docs/moderation.md``.
"""

from domicile.moderation.pipeline.hashes import (
    BankPolicy,
    HashHit,
    HashMatcherAdapter,
    HashMatchSource,
    HashScan,
)
from domicile.moderation.pipeline.links import (
    RESTRICTED_IN,
    FilteredText,
    LinkFilter,
    Redaction,
    filter_for_viewer,
)
from domicile.moderation.pipeline.selfcheck import (
    ContentResolver,
    SelfCheckOutcome,
    register_evidence,
    self_check_tasks,
)
from domicile.moderation.pipeline.upload import CSAM_RULE, ModerationPipeline, ScreenResult, Verdict

__all__ = [
    "CSAM_RULE",
    "RESTRICTED_IN",
    "BankPolicy",
    "ContentResolver",
    "FilteredText",
    "HashHit",
    "HashMatchSource",
    "HashMatcherAdapter",
    "HashScan",
    "LinkFilter",
    "ModerationPipeline",
    "Redaction",
    "ScreenResult",
    "SelfCheckOutcome",
    "Verdict",
    "filter_for_viewer",
    "register_evidence",
    "self_check_tasks",
]
