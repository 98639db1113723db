"""Hash banks: named lists of known-bad hashes of one signal type, and their store.

A bank (e.g. ``csam-rkn``, ``terror-gifct``) holds entries ``(hash, content id, label,
added time)``; a disabled bank is kept but not matched. Banks back the proactive
monitoring duty of 149-FZ art. 10.6 (SN-1) and upload-time CSAM matching (MIN-7,
149-FZ art. 15.1, CC RF art. 242.1).

:class:`HashBankStore` is the narrow store interface (style rule 7): public methods are
``@final``, validate (normalizing every hash through the registry) and then call the
``_protected`` hooks, which take and return frozen dataclasses only, so a SQLAlchemy
store can implement the hooks without repeating validation. :attr:`HashBankStore.version`
changes on every write so matchers know when to rebuild their indexes.
:class:`InMemoryHashBankStore` ships for tests, demos and embedded use.
"""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import final

from domicile.moderation.hashing.errors import (
    BankExistsError,
    BankFormatError,
    BankNotFoundError,
    InvalidHashError,
)
from domicile.moderation.hashing.registry import SignalTypeRegistry, default_registry

_BANK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_MAX_TEXT = 256
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})  # controls (incl. NEL), line/para separators


@dataclass(frozen=True, slots=True)
class HashBank:
    """A named bank of hashes of one signal type.

    Attributes:
        name: Unique name (letters, digits, ``_.-``; at most 64 characters).
        signal_type: Registered signal type name (``pdq``, ``md5``...).
        enabled: Disabled banks are kept but not matched.
        created_at: Creation time (UTC).
        description: Free text for operators (no personal data).
    """

    name: str
    signal_type: str
    enabled: bool
    created_at: datetime
    description: str = ""


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to add: hash text plus optional content id and label."""

    value: str
    content_id: str | None = None
    label: str | None = None


@dataclass(frozen=True, slots=True)
class BankEntry:
    """A stored bank entry.

    Attributes:
        entry_id: Store-assigned id, unique across banks.
        bank: Bank name.
        signal_type: Signal type name of the bank.
        value: Normalized hash text.
        content_id: The source's id of the known content, if any.
        label: Category or tag from the source (e.g. ``C-CSAM``), if any.
        added_at: When the entry was added (UTC).
    """

    entry_id: int
    bank: str
    signal_type: str
    value: str
    content_id: str | None
    label: str | None
    added_at: datetime


def utc_now() -> datetime:
    """Default clock."""
    return datetime.now(UTC)


def _check_text(value: str | None, field: str, position: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BankFormatError(f"entry #{position}: {field} must be text")
    text = value.strip()
    if len(text) > _MAX_TEXT:
        raise BankFormatError(f"entry #{position}: {field} longer than {_MAX_TEXT} characters")
    if any(unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in text):
        raise BankFormatError(f"entry #{position}: {field} contains a control or line-break character")
    return text or None


class HashBankStore(ABC):
    """Stores hash banks and their entries.

    Args:
        registry: Signal types allowed in banks (default: the built-in ones).
        clock: Returns the current UTC time (injected for tests).
    """

    def __init__(
        self,
        *,
        registry: SignalTypeRegistry | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.registry = registry or default_registry()
        self._clock = clock

    # -- public API (validates, then calls hooks) ----------------------------------------
    @final
    def create_bank(
        self, name: str, signal_type: str, *, enabled: bool = True, description: str = ""
    ) -> HashBank:
        """Create an empty bank.

        Raises:
            BankFormatError: Bad name or description.
            UnknownSignalTypeError: The signal type is not registered.
            BankExistsError: A bank of that name exists.
        """
        if not isinstance(name, str) or not _BANK_NAME.fullmatch(name):
            raise BankFormatError("bank name must be 1-64 of letters, digits, '_', '.', '-'")
        type_name = self.registry.get(signal_type).NAME
        desc = _check_text(description, "description", 0) or ""
        if self._get_bank(name) is not None:
            raise BankExistsError(f"hash bank {name!r} already exists")
        bank = HashBank(name, type_name, bool(enabled), self._clock(), desc)
        self._insert_bank(bank)
        return bank

    @final
    def get_bank(self, name: str) -> HashBank:
        """The bank of that name.

        Raises:
            BankNotFoundError: No such bank.
        """
        bank = self._get_bank(name)
        if bank is None:
            raise BankNotFoundError(f"no hash bank named {name!r}")
        return bank

    @final
    def list_banks(
        self, *, enabled_only: bool = False, signal_type: str | None = None
    ) -> tuple[HashBank, ...]:
        """Banks sorted by name, optionally only enabled ones or one signal type."""
        wanted = None if signal_type is None else self.registry.get(signal_type).NAME
        return tuple(
            b
            for b in sorted(self._list_banks(), key=lambda b: b.name)
            if (b.enabled or not enabled_only) and (wanted is None or b.signal_type == wanted)
        )

    @final
    def set_enabled(self, name: str, enabled: bool) -> HashBank:
        """Enable or disable a bank; returns the updated bank."""
        bank = self.get_bank(name)
        updated = HashBank(bank.name, bank.signal_type, bool(enabled), bank.created_at, bank.description)
        if updated != bank:
            self._update_bank(updated)
        return updated

    @final
    def disable(self, name: str) -> HashBank:
        """Stop matching against a bank (entries are kept)."""
        return self.set_enabled(name, False)

    @final
    def enable(self, name: str) -> HashBank:
        """Match against a bank again."""
        return self.set_enabled(name, True)

    @final
    def add_entries(self, name: str, entries: Iterable[NewEntry]) -> tuple[BankEntry, ...]:
        """Add entries; every one is validated before any is stored (all or nothing).

        An entry the bank already holds (same hash, content id and label) is skipped, and so is a
        repeat within *entries*: re-importing a file adds nothing. Returns the entries added.
        Two imports racing each other can still both add an entry (no unique index: vPDQ values
        are too long to index).

        Raises:
            BankNotFoundError: No such bank.
            InvalidHashError: A hash is malformed (names the entry position).
            BankFormatError: A content id or label is too long or has control characters.
        """
        bank = self.get_bank(name)
        clean = self._validated(bank, entries)
        present = {_key(e) for e in self._find_entries(bank, sorted({e.value for e in clean}))}
        fresh: list[NewEntry] = []
        for e in clean:
            if _key(e) not in present:
                present.add(_key(e))
                fresh.append(e)
        if not fresh:
            return ()
        return self._insert_entries(bank, fresh, self._clock())

    @final
    def add(
        self, name: str, value: str, *, content_id: str | None = None, label: str | None = None
    ) -> BankEntry:
        """Add one entry (see :meth:`add_entries`); the stored one when the bank already holds it."""
        added = self.add_entries(name, [NewEntry(value, content_id, label)])
        if added:
            return added[0]
        bank = self.get_bank(name)
        wanted = _key(self._validated(bank, [NewEntry(value, content_id, label)])[0])
        return next(e for e in self._find_entries(bank, [wanted[0]]) if _key(e) == wanted)

    def _validated(self, bank: HashBank, entries: Iterable[NewEntry]) -> list[NewEntry]:
        """Entries with normalized hashes and checked texts (errors name the entry's position)."""
        signal_type = self.registry.get(bank.signal_type)
        clean: list[NewEntry] = []
        for position, entry in enumerate(entries):
            try:
                value = signal_type.normalize(entry.value)
            except InvalidHashError as exc:
                raise InvalidHashError(f"entry #{position}: {exc.message}") from exc
            clean.append(
                NewEntry(
                    value,
                    _check_text(entry.content_id, "content id", position),
                    _check_text(entry.label, "label", position),
                )
            )
        return clean

    @final
    def entries(self, name: str) -> Iterator[BankEntry]:
        """Entries of a bank in insertion order."""
        return self._iter_entries(self.get_bank(name))

    @final
    def count(self, name: str) -> int:
        """Number of entries in a bank."""
        return self._count(self.get_bank(name))

    @final
    def remove_entries(self, name: str, entry_ids: Iterable[int]) -> int:
        """Remove entries by id from a bank; returns how many were removed."""
        return self._delete_entries(self.get_bank(name), frozenset(int(i) for i in entry_ids))

    @property
    @final
    def version(self) -> int:
        """Changes whenever a bank or an entry is written."""
        return self._version()

    # -- hooks for implementations -------------------------------------------------------
    @abstractmethod
    def _get_bank(self, name: str) -> HashBank | None:
        """Fetch a bank or None."""

    @abstractmethod
    def _list_banks(self) -> Iterable[HashBank]:
        """All banks, any order."""

    @abstractmethod
    def _insert_bank(self, bank: HashBank) -> None:
        """Store a new bank (name checked unique by the caller)."""

    @abstractmethod
    def _update_bank(self, bank: HashBank) -> None:
        """Replace a bank's row."""

    @abstractmethod
    def _insert_entries(
        self, bank: HashBank, entries: list[NewEntry], added_at: datetime
    ) -> tuple[BankEntry, ...]:
        """Store validated entries atomically; assign ids."""

    @abstractmethod
    def _iter_entries(self, bank: HashBank) -> Iterator[BankEntry]:
        """Entries of one bank in insertion order."""

    def _find_entries(self, bank: HashBank, values: Sequence[str]) -> list[BankEntry]:
        """Entries of one bank whose hash is one of *values* (a store may answer this faster)."""
        wanted = set(values)
        return [e for e in self._iter_entries(bank) if e.value in wanted]

    @abstractmethod
    def _count(self, bank: HashBank) -> int:
        """Number of entries of one bank."""

    @abstractmethod
    def _delete_entries(self, bank: HashBank, entry_ids: frozenset[int]) -> int:
        """Delete entries of one bank by id; return the number deleted."""

    @abstractmethod
    def _version(self) -> int:
        """A counter or stamp that changes on every write."""


def _key(e: NewEntry | BankEntry) -> tuple[str, str | None, str | None]:
    return e.value, e.content_id, e.label


class InMemoryHashBankStore(HashBankStore):
    """Dict-backed store (not thread-safe; wrap writes in a lock if shared)."""

    def __init__(
        self,
        *,
        registry: SignalTypeRegistry | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(registry=registry, clock=clock)
        self._banks: dict[str, HashBank] = {}
        self._entries: dict[str, dict[int, BankEntry]] = {}
        self._next_id = 1
        self._writes = 0

    def _get_bank(self, name: str) -> HashBank | None:
        return self._banks.get(name)

    def _list_banks(self) -> Iterable[HashBank]:
        return list(self._banks.values())

    def _insert_bank(self, bank: HashBank) -> None:
        self._banks[bank.name] = bank
        self._entries[bank.name] = {}
        self._writes += 1

    def _update_bank(self, bank: HashBank) -> None:
        self._banks[bank.name] = bank
        self._writes += 1

    def _insert_entries(
        self, bank: HashBank, entries: list[NewEntry], added_at: datetime
    ) -> tuple[BankEntry, ...]:
        stored = tuple(
            BankEntry(
                self._next_id + i, bank.name, bank.signal_type, e.value, e.content_id, e.label, added_at
            )
            for i, e in enumerate(entries)
        )
        table = self._entries[bank.name]
        for entry in stored:
            table[entry.entry_id] = entry
        self._next_id += len(stored)
        self._writes += 1
        return stored

    def _iter_entries(self, bank: HashBank) -> Iterator[BankEntry]:
        return iter(list(self._entries[bank.name].values()))

    def _count(self, bank: HashBank) -> int:
        return len(self._entries[bank.name])

    def _delete_entries(self, bank: HashBank, entry_ids: frozenset[int]) -> int:
        table = self._entries[bank.name]
        removed = [i for i in entry_ids if table.pop(i, None) is not None]
        if removed:
            self._writes += 1
        return len(removed)

    def _version(self) -> int:
        return self._writes
