"""Synthetic, fictitious test data: people from several countries and a labeled database.

Nothing here describes a real person: names come from Faker's locale lists,
identifiers are random numbers given valid check digits.
"""

from __future__ import annotations

from domicile.synthetic.people import Origin, SyntheticPerson, make_people

__all__ = ["Origin", "SyntheticPerson", "make_people"]
