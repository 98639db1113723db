"""vPDQ: video matching by per-frame PDQ hashes (hashing needs the ``vpdq`` extra).

A vPDQ signal is a list of frames ``(frame_number, quality, pdq_hex, timestamp)``.
Two videos match (python-threatexchange / vPDQ reference semantics) when, after
dropping frames of quality < 50 and duplicate frame hashes:

* at least ``query_match_percent`` (default 80) % of the query's frames lie within
  PDQ distance 31 of some frame of the other video, and
* at least ``compared_match_percent`` (default 80) % of the other's frames lie within
  distance 31 of some query frame.

Text forms:

* per-frame text, one line per frame ``frame_number,quality,pdq_hex,timestamp``
  (the reference ``*.vpdq.txt`` files; the timestamp may be missing);
* the ThreatExchange signal string (``VPDQSignal``), a JSON list of
  ``"pdq_hex,quality,timestamp"`` strings; this is the canonical form stored in banks.

Comparing and parsing need nothing optional. Hashing a video needs ``vpdq`` (built
against FFmpeg: ``apt-get install libavcodec-dev libavformat-dev libavutil-dev
libswscale-dev libavdevice-dev libavfilter-dev pkg-config cmake``, then
``pip install vpdq==0.2.5``).
"""

from __future__ import annotations

import importlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from domicile.moderation.hashing._deps import require
from domicile.moderation.hashing.errors import (
    BankFormatError,
    InvalidHashError,
    InvalidThresholdError,
    MediaDecodeError,
    MissingDependencyError,
)
from domicile.moderation.hashing.pdq import PDQ_HEX_LEN, PDQ_MATCH_THRESHOLD, PDQ_MIN_QUALITY
from domicile.moderation.hashing.results import ComputedHash, MatchResult
from domicile.moderation.hashing.signal_types import FileHasher, SignalType, normalize_hex


@dataclass(frozen=True, slots=True)
class VpdqFrame:
    """One hashed video frame.

    Attributes:
        frame_number: 0-based frame position in the video.
        quality: PDQ quality of the frame (0-100).
        hex: 64-digit PDQ hash of the frame.
        timestamp: Seconds from the start (3 decimals are kept in text forms).
    """

    frame_number: int
    quality: int
    hex: str
    timestamp: float


@dataclass(frozen=True, slots=True)
class VpdqThresholds:
    """Match settings (defaults: vPDQ reference / python-threatexchange).

    Attributes:
        distance: Largest per-frame PDQ distance that matches (31).
        quality: Frames below this quality are dropped before matching (50).
        query_match_percent: Minimum % of query frames matched (80).
        compared_match_percent: Minimum % of the other video's frames matched (80).
    """

    distance: int = PDQ_MATCH_THRESHOLD
    quality: int = PDQ_MIN_QUALITY
    query_match_percent: float = 80.0
    compared_match_percent: float = 80.0

    def __post_init__(self) -> None:
        if not 0 <= self.distance <= 256:
            raise InvalidThresholdError(f"vPDQ frame distance must be within 0..256, got {self.distance}")
        if not 0 <= self.quality <= 100:
            raise InvalidThresholdError(f"vPDQ quality must be within 0..100, got {self.quality}")
        for pct in (self.query_match_percent, self.compared_match_percent):
            if not 0.0 <= pct <= 100.0:
                raise InvalidThresholdError(f"vPDQ match percentage must be within 0..100, got {pct}")


def _frame(number: int, quality: str | int, hex_: str, timestamp: str | float, line: int) -> VpdqFrame:
    try:
        q = int(quality)
        ts = float(timestamp)
    except ValueError:
        raise BankFormatError("vPDQ quality must be an integer and timestamp a number", line) from None
    if not 0 <= q <= 100:
        raise BankFormatError(f"vPDQ quality must be within 0..100, got {q}", line)
    if not math.isfinite(ts) or ts < 0:
        raise BankFormatError("vPDQ timestamp must be a finite number >= 0", line)
    try:
        hex_norm = normalize_hex(hex_, PDQ_HEX_LEN, "vpdq frame")
    except InvalidHashError as exc:
        raise BankFormatError(exc.message, line) from None
    return VpdqFrame(number, q, hex_norm, round(ts, 3))


def parse_vpdq_frames(text: str) -> tuple[VpdqFrame, ...]:
    """Parse per-frame text: ``frame_number,quality,pdq_hex[,timestamp]`` per line.

    Blank lines are skipped. A missing timestamp reads as 0.

    Raises:
        BankFormatError: The first malformed line, by number.
    """
    frames: list[VpdqFrame] = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) not in (3, 4):
            raise BankFormatError(f"expected 3 or 4 comma-separated fields, got {len(parts)}", line_no)
        try:
            number = int(parts[0])
        except ValueError:
            raise BankFormatError("frame number must be an integer", line_no) from None
        if number < 0:
            raise BankFormatError("frame number must be >= 0", line_no)
        frames.append(_frame(number, parts[1], parts[2], parts[3] if len(parts) == 4 else 0.0, line_no))
    return tuple(frames)


def format_vpdq_frames(frames: tuple[VpdqFrame, ...] | list[VpdqFrame]) -> str:
    """Per-frame text, the inverse of :func:`parse_vpdq_frames`."""
    return "".join(f"{f.frame_number},{f.quality},{f.hex},{f.timestamp:.3f}\n" for f in frames)


def frames_to_signal(frames: tuple[VpdqFrame, ...] | list[VpdqFrame]) -> str:
    """The ThreatExchange ``vpdq`` signal string (JSON list of ``"hex,quality,timestamp"``)."""
    return json.dumps([f"{f.hex},{f.quality},{f.timestamp:.3f}" for f in frames])


def signal_to_frames(value: str) -> tuple[VpdqFrame, ...]:
    """Parse a vPDQ signal: the ThreatExchange JSON list, or per-frame text.

    Frame numbers of the JSON form are list positions.

    Raises:
        InvalidHashError: Malformed signal (the message names the frame or line).
    """
    text = value.strip()
    if not text:
        raise InvalidHashError("vpdq signal is empty")
    if not text.startswith("["):
        try:
            return parse_vpdq_frames(text)
        except BankFormatError as exc:
            raise InvalidHashError(f"vpdq signal: {exc.message}") from None
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidHashError(f"vpdq signal is not valid JSON (offset {exc.pos})") from None
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise InvalidHashError("vpdq signal must be a JSON list of strings")
    frames: list[VpdqFrame] = []
    for number, item in enumerate(items):
        parts = item.split(",")
        if len(parts) != 3:
            raise InvalidHashError(f"vpdq frame #{number}: expected 'hex,quality,timestamp'")
        try:
            frames.append(_frame(number, parts[1], parts[0], parts[2], 0))
        except BankFormatError as exc:
            raise InvalidHashError(f"vpdq frame #{number}: {exc.message}") from None
    return tuple(frames)


def matchable_frames(frames: tuple[VpdqFrame, ...] | list[VpdqFrame], min_quality: int) -> list[int]:
    """Frame hashes (as ints) of quality >= ``min_quality``, duplicates dropped, order kept."""
    seen: dict[int, None] = {}
    for frame in frames:
        if frame.quality >= min_quality:
            seen.setdefault(int(frame.hex, 16), None)
    return list(seen)


def _matched_counts(these: list[int], others: list[int], distance: int) -> tuple[int, int]:
    """How many of ``these`` have a neighbour in ``others`` within ``distance``, and vice versa.

    Uses one numpy distance matrix when numpy is installed, else pure Python.
    """
    try:
        bits = importlib.import_module("domicile.moderation.hashing.bits")
    except MissingDependencyError:
        bits = None
    if bits is not None:
        to_words = bits.hex_to_words
        a = to_words([f"{h:064x}" for h in these])
        b = to_words([f"{h:064x}" for h in others])
        a_hit, b_hit = bits.neighbour_flags(a, b, distance)
        return int(a_hit.sum()), int(b_hit.sum())
    found_these = [False] * len(these)
    found_others = [False] * len(others)
    for i, h in enumerate(these):
        for j, o in enumerate(others):
            if (h ^ o).bit_count() <= distance:
                found_these[i] = found_others[j] = True
    return sum(found_these), sum(found_others)


def compare_frames(
    query: tuple[VpdqFrame, ...] | list[VpdqFrame],
    compared: tuple[VpdqFrame, ...] | list[VpdqFrame],
    thresholds: VpdqThresholds | None = None,
) -> MatchResult:
    """vPDQ match of two videos with evidence (both match percentages).

    Returns:
        A :class:`~.results.MatchResult` whose ``distance`` is
        ``round(100 - min(query%, compared%))`` and ``threshold`` is
        ``round(100 - min(required query%, required compared%))``. When either side has
        no frame of sufficient quality, both percentages are 0 and there is no match.
    """
    limits = thresholds or VpdqThresholds()
    q = matchable_frames(query, limits.quality)
    c = matchable_frames(compared, limits.quality)
    if q and c:
        q_hits, c_hits = _matched_counts(q, c, limits.distance)
        q_pct = 100.0 * q_hits / len(q)
        c_pct = 100.0 * c_hits / len(c)
    else:
        q_pct = c_pct = 0.0
    matched = bool(q and c) and q_pct >= limits.query_match_percent and c_pct >= limits.compared_match_percent
    return MatchResult(
        signal_type=VpdqSignal.NAME,
        match=matched,
        distance=round(100.0 - min(q_pct, c_pct)),
        threshold=round(100.0 - min(limits.query_match_percent, limits.compared_match_percent)),
        query_match_percent=q_pct,
        compared_match_percent=c_pct,
    )


class VpdqHasher:
    """Hashes video files with the ``vpdq`` binding (FFmpeg decode + PDQ per frame).

    Args:
        seconds_per_hash: Hash one frame per this many seconds; 0 hashes every frame
            (the reference ``*.vpdq.txt`` files). HMA uses 1.0.
        downsample_width: Scale frames to this width first (0: keep).
        downsample_height: Scale frames to this height first (0: keep).
        thread_count: Decoder threads (0: automatic).
    """

    def __init__(
        self,
        *,
        seconds_per_hash: float = 1.0,
        downsample_width: int = 0,
        downsample_height: int = 0,
        thread_count: int = 0,
    ) -> None:
        if seconds_per_hash < 0:
            raise InvalidThresholdError("seconds_per_hash must be >= 0")
        self.seconds_per_hash = seconds_per_hash
        self.downsample_width = downsample_width
        self.downsample_height = downsample_height
        self.thread_count = thread_count

    def hash_file(self, path: Path | str) -> tuple[VpdqFrame, ...]:
        """Per-frame hashes of a video file.

        Raises:
            MissingDependencyError: ``vpdq`` is not installed.
            MediaDecodeError: The file is missing or cannot be decoded.
        """
        vpdq = require("vpdq", "vPDQ video hashing")
        source = Path(path)
        if not source.is_file():
            raise MediaDecodeError("video file does not exist")
        try:
            features = vpdq.computeHash(
                str(source),
                seconds_per_hash=self.seconds_per_hash,
                downsample_width=self.downsample_width,
                downsample_height=self.downsample_height,
                thread_count=self.thread_count,
            )
        except Exception as exc:  # the binding raises bare Exception / ValueError
            raise MediaDecodeError(f"cannot hash video ({type(exc).__name__})") from exc
        return tuple(
            VpdqFrame(int(f.frame_number), int(f.quality), str(f.hex).lower(), round(float(f.timestamp), 3))
            for f in features
        )


class VpdqSignal(SignalType, FileHasher):
    """vPDQ video signal; canonical text is the ThreatExchange JSON list."""

    NAME: ClassVar[str] = "vpdq"
    TX_NAME: ClassVar[str] = "vpdq"
    THRESHOLD: ClassVar[int] = 20
    """In percentage points: ``100 - 80`` (see :func:`compare_frames`)."""

    @classmethod
    def normalize(cls, value: str) -> str:
        """Canonical ThreatExchange JSON form (accepts JSON or per-frame text)."""
        frames = signal_to_frames(value)
        if not frames:
            raise InvalidHashError("vpdq signal has no frames")
        return frames_to_signal(frames)

    @classmethod
    def compare(cls, a: str, b: str, *, threshold: int | None = None) -> MatchResult:
        """vPDQ match of ``a`` (query) against ``b``.

        Args:
            a: Query signal.
            b: Compared signal.
            threshold: Per-frame PDQ distance (default 31); percentages stay 80/80.
        """
        limits = VpdqThresholds() if threshold is None else VpdqThresholds(distance=threshold)
        return compare_frames(signal_to_frames(a), signal_to_frames(b), limits)

    @classmethod
    def examples(cls) -> tuple[str, ...]:
        """A fictitious two-frame signal made from the PDQ examples."""
        return (
            frames_to_signal(
                [
                    VpdqFrame(
                        0, 100, "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22", 0.0
                    ),
                    VpdqFrame(1, 90, "f8f8f0cee0f4a84f0637022a038f67f0b36e26d596621e1d33e6b39c4e9c9b22", 1.0),
                ]
            ),
        )

    @classmethod
    def hash_file(cls, path: Path) -> ComputedHash:
        """vPDQ signal of a video (one frame per second); quality is the mean frame quality."""
        frames = VpdqHasher().hash_file(path)
        if not frames:
            raise MediaDecodeError("video has no decodable frames")
        mean_quality = round(sum(f.quality for f in frames) / len(frames))
        return ComputedHash(cls.NAME, frames_to_signal(frames), mean_quality)
