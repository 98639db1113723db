"""PD recognizers: find personal data in values and classify database columns.

Public API::

    registry = RecognizerRegistry.default()           # RU + generic packs
    verdict = classify_column("phone", values, registry)
    verdict.category, verdict.confidence, verdict.evidence

Country packs live in :mod:`.ru` and :mod:`.generic`; third-party packs
register through the ``domicile.recognizers`` entry point group (see
:mod:`.registry` and ``docs/recognizers.md``).
"""

from __future__ import annotations

from domicile.recognizers.base import CATEGORIES, Example, Pattern, Recognizer, RecognizerResult
from domicile.recognizers.columns import (
    NONE,
    CategoryEvidence,
    ClassifierConfig,
    ColumnClassification,
    classify_column,
)
from domicile.recognizers.errors import (
    DuplicateRecognizerError,
    RecognizerError,
    RecognizerPluginError,
    UnknownRecognizerError,
)
from domicile.recognizers.registry import ENTRY_POINT_GROUP, RecognizerRegistry, load_plugins

__all__ = [
    "CATEGORIES",
    "ENTRY_POINT_GROUP",
    "NONE",
    "CategoryEvidence",
    "ClassifierConfig",
    "ColumnClassification",
    "DuplicateRecognizerError",
    "Example",
    "Pattern",
    "Recognizer",
    "RecognizerError",
    "RecognizerPluginError",
    "RecognizerRegistry",
    "RecognizerResult",
    "UnknownRecognizerError",
    "classify_column",
    "load_plugins",
]
