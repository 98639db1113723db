"""Identifiers. Subject ids are random and carry no personal data."""

from __future__ import annotations

import re
import uuid

_SUBJECT_ID = re.compile(r"^sub_[0-9a-f]{32}$")


def new_subject_id() -> str:
    """A fresh pseudonymous subject id (``sub_`` + 128 random bits)."""
    return "sub_" + uuid.uuid4().hex


def is_subject_id(text: str) -> bool:
    """True when *text* has the shape of a subject id."""
    return bool(_SUBJECT_ID.match(text))
