"""Applying localize batches in a database thread while the next batch is staged.

A batch's database work (the cell transaction, the read-back, the source UPDATE, the checkpoint)
mostly waits on a server or on SQLite's C code, which release the GIL; the next batch's Python work
(residency, validation, sealing, fingerprints) runs meanwhile. Steps still run strictly in batch
order, one at a time, so checkpoints and crash recovery are as without the thread.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import sqlalchemy as sa
from sqlalchemy.pool import SingletonThreadPool, StaticPool

__all__ = ["Applier", "per_thread"]


class Applier:
    """Runs each submitted step in one background thread, one step behind the caller.

    :meth:`submit` first waits for the previous step (re-raising its error), so steps run in
    order and at most one runs while the caller stages the next; leaving the block waits for the
    last. Not pipelined, a step runs at once in the caller's thread.
    """

    def __init__(self, pipelined: bool) -> None:
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="localize-apply") if pipelined else None
        self.running: Future[None] | None = None

    def submit(self, step: Callable[[], None]) -> None:
        if self.pool is None:
            step()
            return
        self.drain()
        self.running = self.pool.submit(step)

    def drain(self) -> None:
        if self.running is not None:
            running, self.running = self.running, None
            running.result()

    def __enter__(self) -> Applier:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            try:
                if exc[0] is None:
                    self.drain()
            finally:
                self.pool.shutdown(wait=True)


def per_thread(engine: object) -> bool:
    """Whether an engine gives each thread its own connection to one shared database."""
    return isinstance(engine, sa.Engine) and not isinstance(engine.pool, SingletonThreadPool | StaticPool)
