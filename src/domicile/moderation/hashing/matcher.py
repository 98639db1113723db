"""Match uploads against every enabled hash bank, returning evidence.

Implements upload-time hash matching for the monitoring duty of 149-FZ art. 10.6
(SN-1: detector ``hash``) and CSAM (MIN-7; 149-FZ art. 15.1, CC RF art. 242.1). The
result lists, per hit, the bank, signal type, distance, threshold, the query's quality
and the dihedral variant, so the review queue and audit log can store *why* content was
flagged. Low-quality PDQ hashes (< 50) are not matched and are reported as rejections.

Per signal type the matcher keeps an in-memory structure built from the enabled banks:
a dict for exact types (md5, sha256), a :class:`~.index.PdqIndex` for PDQ, a frame index
plus exact per-video comparison for vPDQ, and a linear scan for plugin types. It is
rebuilt when the store's ``version`` changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from domicile.core.errors import IntegrityError
from domicile.moderation.hashing.banks import BankEntry, HashBankStore
from domicile.moderation.hashing.errors import InvalidHashError, MediaDecodeError
from domicile.moderation.hashing.index import PdqIndex
from domicile.moderation.hashing.pdq import PDQ_MATCH_THRESHOLD, DihedralHashes, PdqHasher
from domicile.moderation.hashing.results import ComputedHash, MatchResult
from domicile.moderation.hashing.signal_types import (
    Md5Signal,
    PdqSignal,
    Sha256Signal,
    SignalType,
)
from domicile.moderation.hashing.vpdq import (
    VpdqFrame,
    VpdqHasher,
    VpdqSignal,
    VpdqThresholds,
    compare_frames,
    frames_to_signal,
    signal_to_frames,
)


@dataclass(frozen=True, slots=True)
class BankMatch:
    """One bank entry matched by an upload.

    Attributes:
        bank: Bank name.
        signal_type: Signal type that matched.
        entry_id: Matched entry's id.
        content_id: Matched entry's content id (source reference), if any.
        label: Matched entry's label, if any.
        result: Distance, threshold (and vPDQ percentages).
        quality: Quality of the upload's hash (PDQ / mean vPDQ), if known.
        variant: PDQ dihedral variant of the upload that matched (``original`` if unrotated).
    """

    bank: str
    signal_type: str
    entry_id: int
    content_id: str | None
    label: str | None
    result: MatchResult
    quality: int | None = None
    variant: str | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    """A signal that was computed but not matched, with the reason as evidence."""

    signal_type: str
    reason: str
    quality: int | None = None
    minimum: int | None = None


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What matching an upload found.

    Attributes:
        signals: Hashes computed from (or given for) the upload.
        matches: Matched bank entries, nearest first.
        rejected: Signals not matched, e.g. PDQ quality below the minimum.
    """

    signals: tuple[ComputedHash, ...]
    matches: tuple[BankMatch, ...]
    rejected: tuple[Rejection, ...] = ()

    @property
    def matched(self) -> bool:
        """True when any bank entry matched."""
        return bool(self.matches)

    def banks(self) -> tuple[str, ...]:
        """Names of the banks hit, sorted."""
        return tuple(sorted({m.bank for m in self.matches}))


@dataclass
class _Snapshot:
    version: int
    types: set[str] = field(default_factory=set)
    exact: dict[str, dict[str, list[BankEntry]]] = field(default_factory=dict)
    pdq_index: PdqIndex | None = None
    pdq_entries: list[BankEntry] = field(default_factory=list)
    vpdq_index: PdqIndex | None = None
    vpdq_entries: list[tuple[BankEntry, tuple[VpdqFrame, ...]]] = field(default_factory=list)
    linear: dict[str, list[BankEntry]] = field(default_factory=dict)


class HashMatcher:
    """Matches uploads against the enabled banks of a store.

    Args:
        store: The hash banks.
        pdq_hasher: Hasher for images (its ``min_quality`` is the PDQ cut-off).
        vpdq_hasher: Hasher for videos (the ``vpdq`` extra).
        index_backend: PDQ index backend name (``mih``, ``numpy``, ``faiss``...).
        pdq_threshold: Largest PDQ distance that matches (31).
        vpdq_thresholds: vPDQ match settings (31 / 50 / 80 % / 80 %).
        dihedral: Also match rotated / mirrored images (8 PDQ variants, one hashing pass).
    """

    def __init__(
        self,
        store: HashBankStore,
        *,
        pdq_hasher: PdqHasher | None = None,
        vpdq_hasher: VpdqHasher | None = None,
        index_backend: str = "mih",
        pdq_threshold: int = PDQ_MATCH_THRESHOLD,
        vpdq_thresholds: VpdqThresholds | None = None,
        dihedral: bool = True,
    ) -> None:
        self.store = store
        self.pdq_hasher = pdq_hasher or PdqHasher()
        self.vpdq_hasher = vpdq_hasher or VpdqHasher()
        self.index_backend = index_backend
        self.pdq_threshold = pdq_threshold
        self.vpdq_thresholds = vpdq_thresholds or VpdqThresholds()
        self.dihedral = dihedral
        self._snapshot: _Snapshot | None = None

    # -- uploads ------------------------------------------------------------------------
    def scan_image(self, data: bytes) -> ScanResult:
        """Hash an encoded image (exact digests + PDQ) and match it.

        Raises:
            MediaDecodeError: Undecodable image (only when a PDQ bank is enabled).
        """
        snap = self._refresh()
        signals = [t.hash_bytes(data) for t in (Md5Signal, Sha256Signal) if t.NAME in snap.types]
        variants: DihedralHashes | None = None
        if PdqSignal.NAME in snap.types:
            rgb = self.pdq_hasher.decode(data)
            if self.dihedral:
                variants = self.pdq_hasher.dihedral_array(rgb)
                signals.append(ComputedHash(PdqSignal.NAME, variants.original.hex, variants.quality))
            else:
                plain = self.pdq_hasher.hash_array(rgb)
                signals.append(ComputedHash(PdqSignal.NAME, plain.hex, plain.quality))
        return self._match(snap, signals, variants)

    def scan_image_file(self, path: Path | str) -> ScanResult:
        """:meth:`scan_image` of a file's bytes.

        Raises:
            MediaDecodeError: The file cannot be read or decoded.
        """
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise MediaDecodeError(f"cannot read image file ({type(exc).__name__})") from exc
        return self.scan_image(data)

    def scan_video_file(self, path: Path | str) -> ScanResult:
        """Hash a video (exact digests + vPDQ when a vPDQ bank is enabled) and match it.

        Raises:
            MissingDependencyError: A vPDQ bank is enabled but ``vpdq`` is not installed.
            MediaDecodeError: The video cannot be decoded.
        """
        snap = self._refresh()
        source = Path(path)
        if not source.is_file():
            raise MediaDecodeError("video file does not exist")
        signals = [t.hash_file(source) for t in (Md5Signal, Sha256Signal) if t.NAME in snap.types]
        if VpdqSignal.NAME in snap.types:
            frames = self.vpdq_hasher.hash_file(source)
            quality = round(sum(f.quality for f in frames) / len(frames)) if frames else 0
            signals.append(ComputedHash(VpdqSignal.NAME, frames_to_signal(frames), quality))
        return self._match(snap, signals, None)

    def match_signals(self, signals: Iterable[ComputedHash]) -> ScanResult:
        """Match hashes computed elsewhere (e.g. on the client).

        A PDQ hash with ``quality`` None is matched without the quality check.

        Raises:
            UnknownSignalTypeError: A signal type is not registered.
            InvalidHashError: A hash is malformed.
        """
        clean: list[ComputedHash] = []
        for s in signals:
            signal_type = self.store.registry.get(s.signal_type)
            clean.append(ComputedHash(signal_type.NAME, signal_type.normalize(s.value), s.quality))
        return self._match(self._refresh(), clean, None)

    # -- matching -----------------------------------------------------------------------
    def _match(
        self, snap: _Snapshot, signals: list[ComputedHash], variants: DihedralHashes | None
    ) -> ScanResult:
        matches: list[BankMatch] = []
        rejected: list[Rejection] = []
        for signal in signals:
            minimum = self.pdq_hasher.min_quality
            if (
                signal.signal_type == PdqSignal.NAME
                and signal.quality is not None
                and signal.quality < minimum
            ):
                rejected.append(Rejection(signal.signal_type, "low_quality", signal.quality, minimum))
                continue
            if signal.signal_type in snap.exact:
                matches.extend(self._match_exact(snap, signal))
            elif signal.signal_type == PdqSignal.NAME:
                matches.extend(self._match_pdq(snap, signal, variants))
            elif signal.signal_type == VpdqSignal.NAME:
                matches.extend(self._match_vpdq(snap, signal))
            else:
                matches.extend(self._match_linear(snap, signal))
        matches.sort(key=lambda m: (m.result.distance, m.bank, m.entry_id))
        return ScanResult(tuple(signals), tuple(matches), tuple(rejected))

    @staticmethod
    def _hit(entry: BankEntry, result: MatchResult, signal: ComputedHash, variant: str | None) -> BankMatch:
        return BankMatch(
            entry.bank,
            entry.signal_type,
            entry.entry_id,
            entry.content_id,
            entry.label,
            result,
            signal.quality,
            variant,
        )

    def _match_exact(self, snap: _Snapshot, signal: ComputedHash) -> list[BankMatch]:
        result = MatchResult(signal.signal_type, True, 0, 0)
        return [
            self._hit(e, result, signal, None) for e in snap.exact[signal.signal_type].get(signal.value, [])
        ]

    def _match_pdq(
        self, snap: _Snapshot, signal: ComputedHash, variants: DihedralHashes | None
    ) -> list[BankMatch]:
        if snap.pdq_index is None:
            return []
        if variants is not None:
            hits = snap.pdq_index.query_dihedral(variants, threshold=self.pdq_threshold)
        else:
            hits = snap.pdq_index.query(signal.value, threshold=self.pdq_threshold)
        out = []
        for hit in hits:
            entry = snap.pdq_entries[hit.id]
            result = MatchResult(PdqSignal.NAME, True, hit.distance, self.pdq_threshold)
            out.append(self._hit(entry, result, signal, hit.variant))
        return out

    def _match_vpdq(self, snap: _Snapshot, signal: ComputedHash) -> list[BankMatch]:
        if snap.vpdq_index is None:
            return []
        limits = self.vpdq_thresholds
        query = signal_to_frames(signal.value)
        if min(limits.query_match_percent, limits.compared_match_percent) <= 0:
            candidates: set[int] = set(range(len(snap.vpdq_entries)))
        else:
            hexes = sorted({f.hex for f in query if f.quality >= limits.quality})
            candidates = {
                hit.id
                for hits in snap.vpdq_index.query_many(hexes, threshold=limits.distance)
                for hit in hits
            }
        out = []
        for position in sorted(candidates):
            entry, frames = snap.vpdq_entries[position]
            result = compare_frames(query, frames, limits)
            if result.match:
                out.append(self._hit(entry, result, signal, None))
        return out

    def _match_linear(self, snap: _Snapshot, signal: ComputedHash) -> list[BankMatch]:
        signal_type = self.store.registry.get(signal.signal_type)
        out = []
        for entry in snap.linear.get(signal.signal_type, []):
            result = signal_type.compare(signal.value, entry.value)
            if result.match:
                out.append(self._hit(entry, result, signal, None))
        return out

    # -- snapshot of enabled banks ------------------------------------------------------
    def _refresh(self) -> _Snapshot:
        version = self.store.version
        if self._snapshot is not None and self._snapshot.version == version:
            return self._snapshot
        snap = _Snapshot(version)
        pdq_hashes: list[str] = []
        vpdq_hexes: list[str] = []
        vpdq_ids: list[int] = []
        for bank in self.store.list_banks(enabled_only=True):
            signal_type: type[SignalType] = self.store.registry.get(bank.signal_type)
            snap.types.add(signal_type.NAME)
            for entry in self.store.entries(bank.name):
                if signal_type.EXACT:
                    snap.exact.setdefault(signal_type.NAME, defaultdict(list))[entry.value].append(entry)
                elif signal_type is PdqSignal:
                    snap.pdq_entries.append(entry)
                    pdq_hashes.append(entry.value)
                elif signal_type is VpdqSignal:
                    try:
                        frames = signal_to_frames(entry.value)
                    except InvalidHashError as exc:
                        raise IntegrityError(f"stored vpdq entry {entry.entry_id} is malformed") from exc
                    snap.vpdq_entries.append((entry, frames))
                    unique = {f.hex for f in frames if f.quality >= self.vpdq_thresholds.quality}
                    vpdq_hexes.extend(sorted(unique))
                    vpdq_ids.extend([len(snap.vpdq_entries) - 1] * len(unique))
                else:
                    snap.linear.setdefault(signal_type.NAME, []).append(entry)
        if pdq_hashes:
            snap.pdq_index = self._new_index(pdq_hashes, None)
        if snap.vpdq_entries:
            snap.vpdq_index = self._new_index(vpdq_hexes, vpdq_ids)
        self._snapshot = snap
        return snap

    def _new_index(self, hashes: list[str], ids: list[int] | None) -> PdqIndex:
        index = PdqIndex(self.index_backend, threshold=self.pdq_threshold)
        try:
            index.add(hashes, ids)
        except InvalidHashError as exc:  # stores validate; this means a corrupted store
            raise IntegrityError(f"stored bank entry is malformed: {exc.message}") from exc
        return index
