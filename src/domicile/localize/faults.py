"""Fault injection for crash-safety tests: ``DOMICILE_FAULT=<point>:<n>``.

With the variable set, the process sends itself SIGKILL the *n*-th time it passes the named
point (no clean-up, no ``finally`` blocks: as close to a power cut as a test can get). Unset, a
check is one dictionary look-up. Points, in the order a batch passes them:

``mid_batch``            inside the cell transaction, after the items, before the rest
``after_cell_commit``    the cell transaction committed
``after_verify``         the read-back comparison passed
``before_source_commit`` the source UPDATEs ran, their transaction not yet committed
``after_source_commit``  the source transaction committed
``after_checkpoint``     the checkpoint is written
"""

from __future__ import annotations

import os
import signal

from domicile.core.errors import ConfigError

POINTS = (
    "mid_batch",
    "after_cell_commit",
    "after_verify",
    "before_source_commit",
    "after_source_commit",
    "after_checkpoint",
)
ENV = "DOMICILE_FAULT"


class FaultPlan:
    """Where to die; parsed once from the environment."""

    def __init__(self, spec: str | None) -> None:
        self.point: str | None = None
        self.at = 0
        self.seen = 0
        if not spec:
            return
        point, _, n = spec.partition(":")
        if point not in POINTS or not n.isdigit() or int(n) < 1:
            raise ConfigError(f"{ENV} must be <point>:<n> with n >= 1 and point one of {', '.join(POINTS)}")
        self.point, self.at = point, int(n)

    @classmethod
    def from_env(cls) -> FaultPlan:
        return cls(os.environ.get(ENV))

    def passing(self, point: str) -> None:
        """Called at each point; kills the process on the planned pass."""
        if point != self.point:
            return
        self.seen += 1
        if self.seen == self.at:
            os.kill(os.getpid(), signal.SIGKILL)
