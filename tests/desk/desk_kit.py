"""Shared test objects of the desk tests (importable by name, unlike conftest)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from domicile.core.clock import FixedClock
from domicile.desk.adapter import ExampleAppAdapter
from domicile.desk.service import Desk
from domicile.desk.signing import Signer
from domicile.service import Domicile

#: Monday 3 March 2025, 09:00 UTC (12:00 Moscow): a working day.
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@dataclass
class DeskKit:
    """A desk with its parts exposed to tests."""

    desk: Desk
    clock: FixedClock
    adapter: ExampleAppAdapter
    dom: Domicile
    signer: Signer
    root: Path

    def close(self) -> None:
        self.desk.close_resources()
