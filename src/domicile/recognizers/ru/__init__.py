"""Russian country pack: state identifiers, +7 phones, names, birth dates, addresses.

Legal basis for treating these as personal data: 152-FZ art. 3 item 1; they
must be stored in Russia first (152-FZ art. 18 part 5; PD-LOC-1).
"""

from __future__ import annotations

from domicile.recognizers.base import Recognizer
from domicile.recognizers.ru.address import PostalAddressRecognizer
from domicile.recognizers.ru.dates import BirthDateRecognizer
from domicile.recognizers.ru.identifiers import (
    InnRecognizer,
    OgrnRecognizer,
    RuPassportRecognizer,
    SnilsRecognizer,
)
from domicile.recognizers.ru.names import PersonNameRecognizer
from domicile.recognizers.ru.phone import RuPhoneRecognizer

#: The pack's manifest: every recognizer class it contributes.
RECOGNIZERS: tuple[type[Recognizer], ...] = (
    RuPassportRecognizer,
    SnilsRecognizer,
    InnRecognizer,
    OgrnRecognizer,
    RuPhoneRecognizer,
    PersonNameRecognizer,
    BirthDateRecognizer,
    PostalAddressRecognizer,
)

__all__ = [
    "RECOGNIZERS",
    "BirthDateRecognizer",
    "InnRecognizer",
    "OgrnRecognizer",
    "PersonNameRecognizer",
    "PostalAddressRecognizer",
    "RuPassportRecognizer",
    "RuPhoneRecognizer",
    "SnilsRecognizer",
]
