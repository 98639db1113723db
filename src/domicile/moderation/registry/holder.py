"""The register holder: load a dump, check it, and swap it in only when it is good.

Consumer rules from ru-requirements.md §5.1: keep the previous dump when a new one is malformed;
skip malformed entries and keep their last known-good record; apply sanity bounds on entry
counts before activating. :meth:`Register.load` parses, attaches the detached signature (kept,
**not verified**), carries over last-good records, checks :class:`RegisterBounds`, builds the
matcher and only then swaps the active snapshot and matcher in one assignment. Any failure
raises and leaves the previous snapshot active.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from domicile.core.errors import ConfigError, DomicileError
from domicile.moderation.registry.base import DumpParser, ParseOptions
from domicile.moderation.registry.diff import RegisterDiff, diff_snapshots
from domicile.moderation.registry.errors import (
    RegisterNotLoadedError,
    RegisterSanityError,
    RegisterSourceError,
)
from domicile.moderation.registry.matcher import Matcher
from domicile.moderation.registry.model import RegisterSnapshot, RejectedEntry
from domicile.moderation.registry.parsers import builtin_parsers, parse_dump, validate_parsers
from domicile.moderation.registry.selfcheck import SelfCheckReport

__all__ = ["LoadReport", "Register", "RegisterBounds", "new_hits"]


@dataclass(frozen=True)
class RegisterBounds:
    """Sanity bounds checked before a snapshot is activated.

    Production exports held 100k-1M entries (§5.1); the defaults are loose so that samples
    load, so set ``min_entries`` for production.

    Attributes:
        min_entries: Fewest entries a dump may have.
        max_entries: Most entries a dump may have.
        max_rejected_fraction: Largest share of malformed (skipped) entries tolerated.
        max_drop_fraction: When set, refuse a dump with fewer than ``(1 - x)`` times the
            active snapshot's entries (a truncated but well-formed file, say).
        allow_older: Accept a dump whose latest update time is older than the active one's.
    """

    min_entries: int = 1
    max_entries: int = 5_000_000
    max_rejected_fraction: float = 0.01
    max_drop_fraction: float | None = None
    allow_older: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.min_entries <= self.max_entries:
            raise ConfigError("register bounds need 0 <= min_entries <= max_entries")
        if not 0.0 <= self.max_rejected_fraction <= 1.0:
            raise ConfigError("register bounds need 0 <= max_rejected_fraction <= 1")
        if self.max_drop_fraction is not None and not 0.0 <= self.max_drop_fraction <= 1.0:
            raise ConfigError("register bounds need 0 <= max_drop_fraction <= 1")


@dataclass(frozen=True)
class LoadReport:
    """What one successful load did.

    Attributes:
        snapshot: The snapshot now active.
        previous: The snapshot it replaced, if any.
        diff: Changes from ``previous`` (``None`` on the first load).
    """

    snapshot: RegisterSnapshot
    previous: RegisterSnapshot | None
    diff: RegisterDiff | None

    @property
    def rejected(self) -> tuple[RejectedEntry, ...]:
        """Malformed entries skipped in the new dump."""
        return self.snapshot.rejected

    @property
    def carried_over(self) -> tuple[str, ...]:
        """Ids whose previous good record was kept."""
        return self.snapshot.carried_over


def new_hits(diff: RegisterDiff, domains: Sequence[str] = (), ips: Sequence[str] = ()) -> SelfCheckReport:
    """Self-check only the added and changed entries of a diff (ZI-4 "alert on new hits")."""
    return Matcher(diff.touched_entries(), register_sha256=diff.new_sha256).self_check(domains, ips)


class Register:
    """Holds the active snapshot and its matcher; thread-safe swaps.

    Args:
        bounds: Sanity bounds checked before activation.
        options: Parse options for the built-in parsers.
        parsers: Parsers to use instead of the built-ins (names must be unique).
    """

    def __init__(
        self,
        *,
        bounds: RegisterBounds | None = None,
        options: ParseOptions | None = None,
        parsers: Sequence[DumpParser] | None = None,
    ) -> None:
        self.bounds = bounds or RegisterBounds()
        self._parsers = validate_parsers(parsers) if parsers is not None else builtin_parsers(options)
        self._state: tuple[RegisterSnapshot, Matcher] | None = None
        self._lock = threading.Lock()
        self.last_error: DomicileError | None = None

    @property
    def active(self) -> RegisterSnapshot | None:
        """The active snapshot (``None`` before the first successful load)."""
        state = self._state
        return state[0] if state else None

    @property
    def matcher(self) -> Matcher:
        """The matcher of the active snapshot.

        Raises:
            RegisterNotLoadedError: Nothing has been loaded yet.
        """
        state = self._state
        if state is None:
            raise RegisterNotLoadedError("no register snapshot is active yet; load a dump first")
        return state[1]

    def load(self, path: Path | str, *, signature_path: Path | str | None = None) -> LoadReport:
        """Parse a dump and activate it if it is good; otherwise keep the active one.

        Args:
            path: The dump (XML export or CSV mirror, detected from its first bytes).
            signature_path: The detached signature; by default ``<path>.sig`` when it exists.

        Raises:
            RegisterFormatError: The dump is malformed.
            RegisterSanityError: The dump is outside :attr:`bounds`.
            RegisterSourceError: The dump or the named signature cannot be read.
        """
        path = Path(path)
        try:
            signature = self._read_signature(path, signature_path)
            snapshot = parse_dump(path, parsers=self._parsers)
            if signature is not None:
                snapshot = replace(snapshot, signature=signature[0], signature_path=signature[1])
            return self.activate(snapshot)
        except DomicileError as exc:
            self.last_error = exc
            raise

    def activate(self, snapshot: RegisterSnapshot) -> LoadReport:
        """Check and activate an already parsed snapshot (what :meth:`load` does after parsing).

        Raises:
            RegisterSanityError: The snapshot is outside :attr:`bounds`.
        """
        with self._lock:
            previous = self.active
            snapshot = self._carry_over(snapshot, previous)
            self._check_bounds(snapshot, previous)
            matcher = Matcher.from_snapshot(snapshot)
            diff = diff_snapshots(previous, snapshot) if previous is not None else None
            self._state = (snapshot, matcher)
            self.last_error = None
        return LoadReport(snapshot, previous, diff)

    def self_check(self, domains: Sequence[str] = (), ips: Sequence[str] = ()) -> SelfCheckReport:
        """REG-5 self-check against the active snapshot (see :meth:`Matcher.self_check`)."""
        return self.matcher.self_check(domains, ips)

    @staticmethod
    def _read_signature(path: Path, signature_path: Path | str | None) -> tuple[bytes, Path] | None:
        """Read the detached signature first, so a missing one fails before the long parse."""
        if signature_path is None:
            sig = path.with_name(path.name + ".sig")
            if not sig.is_file():
                return None
        else:
            sig = Path(signature_path)
        try:
            return sig.read_bytes(), sig
        except OSError as exc:
            raise RegisterSourceError(
                f"{sig.name}: cannot read the signature ({exc.strerror or exc})"
            ) from exc

    @staticmethod
    def _carry_over(snapshot: RegisterSnapshot, previous: RegisterSnapshot | None) -> RegisterSnapshot:
        if previous is None or not snapshot.rejected:
            return snapshot
        present = snapshot.by_id
        old = previous.by_id
        kept = []
        for item in snapshot.rejected:
            if item.entry_id and item.entry_id not in present and item.entry_id in old:
                kept.append(old[item.entry_id])
        if not kept:
            return snapshot
        return replace(
            snapshot,
            entries=snapshot.entries + tuple(kept),
            carried_over=tuple(e.id for e in kept),
        )

    def _check_bounds(self, snapshot: RegisterSnapshot, previous: RegisterSnapshot | None) -> None:
        b = self.bounds
        name = snapshot.source_path.name if snapshot.source_path else "snapshot"
        keep = "; the previous snapshot stays active" if previous is not None else ""
        count = len(snapshot.entries)
        if count < b.min_entries or count > b.max_entries:
            raise RegisterSanityError(
                f"{name}: {count} entries is outside the configured bounds "
                f"[{b.min_entries}, {b.max_entries}]{keep}"
            )
        total = count - len(snapshot.carried_over) + len(snapshot.rejected)
        if total and len(snapshot.rejected) / total > b.max_rejected_fraction:
            raise RegisterSanityError(
                f"{name}: {len(snapshot.rejected)} of {total} entries are malformed, above the "
                f"configured share {b.max_rejected_fraction:g}{keep}"
            )
        if previous is None:
            return
        if b.max_drop_fraction is not None and count < (1.0 - b.max_drop_fraction) * len(previous.entries):
            raise RegisterSanityError(
                f"{name}: {count} entries against {len(previous.entries)} active, a drop above the "
                f"configured share {b.max_drop_fraction:g}{keep}"
            )
        new_time, old_time = snapshot.latest_update, previous.latest_update
        if not b.allow_older and new_time and old_time and new_time < old_time:
            raise RegisterSanityError(
                f"{name}: update time {new_time.isoformat()} is older than the active "
                f"{old_time.isoformat()}{keep}"
            )
