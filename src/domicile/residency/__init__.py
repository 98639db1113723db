"""Deciding a subject's home jurisdiction from evidence."""

from domicile.residency.resolver import Evidence, ResidencyDecision, ResidencyResolver, Signals

__all__ = ["Evidence", "ResidencyDecision", "ResidencyResolver", "Signals"]
