"""Jurisdiction packs: one per country (or the catch-all GLOBAL)."""

from domicile.jurisdictions.base import DataCategory, Jurisdiction, LegalSource, SignalKind, Strength
from domicile.jurisdictions.registry import PackRegistry, default_registry

__all__ = [
    "DataCategory",
    "Jurisdiction",
    "LegalSource",
    "PackRegistry",
    "SignalKind",
    "Strength",
    "default_registry",
]
