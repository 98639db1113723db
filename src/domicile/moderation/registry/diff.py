"""Differences between two snapshots: added, removed and changed entries (ZI-4).

Entries are paired by id. A pair is *changed* when its normalized content differs
(:meth:`RegisterEntry.content_key`: every field except ``id``, ``ts`` and the official
``hash``, resources compared as sets) or when both carry an official ``hash`` and the hashes
differ. CSV mirror ids are derived from the row, so an edited CSV row is a removal plus an addition.
"""

from __future__ import annotations

from dataclasses import dataclass

from domicile.moderation.registry.model import RegisterEntry, RegisterSnapshot

__all__ = ["EntryChange", "RegisterDiff", "diff_snapshots"]

_COMPARED = ("entry_type", "urgency_type", "block_type", "include_time", "decision")
_AS_SETS = ("urls", "domains", "ips", "subnets")


@dataclass(frozen=True, slots=True)
class EntryChange:
    """One entry present in both snapshots with different content.

    Attributes:
        before: The entry in the old snapshot.
        after: The entry in the new snapshot.
        fields: Names of the fields that differ (``entry_hash`` when only the hash moved).
    """

    before: RegisterEntry
    after: RegisterEntry
    fields: tuple[str, ...]

    @property
    def entry_id(self) -> str:
        """The entry's id (equal in both snapshots)."""
        return self.after.id


@dataclass(frozen=True)
class RegisterDiff:
    """What changed from ``old`` to ``new`` (evidence: both files' SHA-256 and update times).

    Attributes:
        old_sha256: SHA-256 of the old dump file.
        new_sha256: SHA-256 of the new dump file.
        added: Entries only in the new snapshot, in new-dump order.
        removed: Entries only in the old snapshot (de-listed), in old-dump order.
        changed: Entries in both whose content differs, in new-dump order.
        unchanged: Number of entries identical in both.
    """

    old_sha256: str
    new_sha256: str
    added: tuple[RegisterEntry, ...]
    removed: tuple[RegisterEntry, ...]
    changed: tuple[EntryChange, ...]
    unchanged: int

    @property
    def is_empty(self) -> bool:
        """True when nothing was added, removed or changed."""
        return not (self.added or self.removed or self.changed)

    def touched_entries(self) -> tuple[RegisterEntry, ...]:
        """New versions of added and changed entries (what a new-hits alert must look at)."""
        return self.added + tuple(c.after for c in self.changed)


def _changed_fields(before: RegisterEntry, after: RegisterEntry) -> tuple[str, ...]:
    fields = [f for f in _COMPARED if getattr(before, f) != getattr(after, f)]
    fields += [f for f in _AS_SETS if frozenset(getattr(before, f)) != frozenset(getattr(after, f))]
    if before.entry_hash and after.entry_hash and before.entry_hash != after.entry_hash:
        fields.append("entry_hash")
    return tuple(fields)


def diff_snapshots(old: RegisterSnapshot, new: RegisterSnapshot) -> RegisterDiff:
    """Compare two snapshots entry by entry (dict lookups by id, linear in their sizes)."""
    old_by_id = old.by_id
    new_by_id = new.by_id
    added: list[RegisterEntry] = []
    changed: list[EntryChange] = []
    unchanged = 0
    for entry in new.entries:
        before = old_by_id.get(entry.id)
        if before is None:
            added.append(entry)
            continue
        same_hash = not (before.entry_hash and entry.entry_hash and before.entry_hash != entry.entry_hash)
        if same_hash and before.content_key() == entry.content_key():
            unchanged += 1
        else:
            changed.append(EntryChange(before, entry, _changed_fields(before, entry)))
    removed = tuple(e for e in old.entries if e.id not in new_by_id)
    return RegisterDiff(old.sha256, new.sha256, tuple(added), removed, tuple(changed), unchanged)
