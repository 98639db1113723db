"""Errors of PD recognition, under :class:`~domicile.core.errors.LocalizationError`.

::

    LocalizationError
    └── RecognizerError
        ├── DuplicateRecognizerError   two recognizers share a NAME
        ├── RecognizerPluginError      an entry point failed to load or is not a recognizer
        └── UnknownRecognizerError     a name or country pack is not registered
"""

from __future__ import annotations

from domicile.core.errors import LocalizationError


class RecognizerError(LocalizationError):
    """PD recognition could not be set up or run."""


class DuplicateRecognizerError(RecognizerError):
    """Two recognizers in one registry have the same ``NAME``."""


class RecognizerPluginError(RecognizerError):
    """An entry point in ``domicile.recognizers`` failed to load or gave no recognizer."""


class UnknownRecognizerError(RecognizerError):
    """A recognizer name or country code is not registered."""
