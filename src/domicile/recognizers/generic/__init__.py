"""Generic pack: identifiers with the same shape in every country."""

from __future__ import annotations

from domicile.recognizers.base import Recognizer
from domicile.recognizers.generic.contact import EmailRecognizer, PhoneRecognizer
from domicile.recognizers.generic.network import IpAddressRecognizer
from domicile.recognizers.generic.payment import PaymentCardRecognizer

#: The pack's manifest: every recognizer class it contributes.
RECOGNIZERS: tuple[type[Recognizer], ...] = (
    EmailRecognizer,
    PhoneRecognizer,
    IpAddressRecognizer,
    PaymentCardRecognizer,
)

__all__ = [
    "RECOGNIZERS",
    "EmailRecognizer",
    "IpAddressRecognizer",
    "PaymentCardRecognizer",
    "PhoneRecognizer",
]
