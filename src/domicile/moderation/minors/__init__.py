"""Minors' protection (436-FZ; ru-requirements §4 MIN-1..MIN-7, PD-MIN-1).

* :func:`age_band` from a birth date; under-18 account defaults (private, DMs only from mutual
  followers or approved contacts, no precise location, no live streaming or gifting);
* content labels ``0+ 6+ 12+ 16+ 18+`` and the MIN-1 codes prohibited for children;
* a feed filter and a DM gate (:class:`MinorsPolicy`), enforced in the example app
  (:mod:`.example_app`) through a :class:`PlatformAdapter`.

The policy is data: ``data/ru_minors.yaml``. See ``docs/moderation.md``.
"""

from domicile.moderation.minors.age import MAX_AGE, AgeBand, age_band, age_years
from domicile.moderation.minors.example_app import (
    Account,
    DmRefusedError,
    ExampleApp,
    FeedPage,
    Message,
    MinorsGuard,
    PlatformAdapter,
    Post,
    SignupRefusedError,
    Viewer,
)
from domicile.moderation.minors.policy import (
    AccountSettings,
    AgeLabel,
    ContentRating,
    DmDecision,
    DmPolicy,
    MinorsPolicy,
    SettingsChange,
    SignupDecision,
    ViewDecision,
    ru_minors_path,
)

__all__ = [
    "MAX_AGE",
    "Account",
    "AccountSettings",
    "AgeBand",
    "AgeLabel",
    "ContentRating",
    "DmDecision",
    "DmPolicy",
    "DmRefusedError",
    "ExampleApp",
    "FeedPage",
    "Message",
    "MinorsGuard",
    "MinorsPolicy",
    "PlatformAdapter",
    "Post",
    "SettingsChange",
    "SignupDecision",
    "SignupRefusedError",
    "ViewDecision",
    "Viewer",
    "age_band",
    "age_years",
    "ru_minors_path",
]
