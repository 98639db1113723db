"""vPDQ: reference per-frame files, match semantics, and hashing the fixture videos.

Video hashing needs the ``vpdq`` extra. Without it those tests skip with the reason,
except under ``CI=true``, where a missing vpdq is a failure.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domicile.moderation.hashing import (
    BankFormatError,
    ComputedHash,
    HashMatcher,
    InMemoryHashBankStore,
    InvalidHashError,
    InvalidThresholdError,
    MediaDecodeError,
    MissingDependencyError,
    VpdqFrame,
    VpdqHasher,
    VpdqSignal,
    VpdqThresholds,
    compare_frames,
    format_vpdq_frames,
    frames_to_signal,
    import_vpdq_frames,
    parse_vpdq_frames,
    signal_to_frames,
)
from domicile.moderation.hashing._deps import available

FIXTURES = Path(__file__).resolve().parents[3] / ".." / "shared" / "fixtures"
VIDEO = FIXTURES / "video"
NAMES = ("chair-19-sd-bar", "chair-20-sd-bar", "doorknob-hd-no-bar")
IN_CI = os.environ.get("CI", "").lower() == "true"
HAS_VPDQ = available("vpdq")


@cache
def _reference(name: str) -> tuple[VpdqFrame, ...]:
    return parse_vpdq_frames((VIDEO / f"{name}.vpdq.txt").read_text())


@cache
def _hashed(name: str, seconds_per_hash: float) -> tuple[VpdqFrame, ...]:
    """Our hashes of a fixture video (cached: hashing every frame takes seconds)."""
    return VpdqHasher(seconds_per_hash=seconds_per_hash).hash_file(VIDEO / f"{name}.mp4")


DENSE = {NAMES[0]: 0.0}  # chair-19: every frame, like the reference files
SPARSE = {NAMES[1]: 1.0, NAMES[2]: 1.0}  # one frame per second keeps the suite fast


@pytest.fixture
def vpdq_installed() -> Iterator[None]:
    """Skip (locally) or fail (CI=true) when the vpdq binding is not importable."""
    if not HAS_VPDQ:
        message = (
            "vpdq not importable: apt-get install libavcodec-dev libavformat-dev libavutil-dev "
            "libswscale-dev libavdevice-dev libavfilter-dev pkg-config cmake && pip install vpdq==0.2.5"
        )
        if IN_CI:
            pytest.fail(f"CI requires vPDQ: {message}")
        pytest.skip(message)
    yield


def _distance(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def test_reference_files_parse() -> None:
    """The reference per-frame files parse into consecutive frames with timestamps (4-field format)."""
    for name in NAMES:
        frames = _reference(name)
        assert len(frames) > 100
        assert [f.frame_number for f in frames] == list(range(len(frames)))
        assert frames[1].timestamp == pytest.approx(0.033, abs=0.001)


def test_reference_chair_videos_match_doorknob_does_not() -> None:
    """With reference hashes: chair-19 and chair-20 match both ways (>= 80/80 %), doorknob matches neither."""
    c19, c20, door = (_reference(n) for n in NAMES)
    for a, b in ((c19, c20), (c20, c19)):
        result = compare_frames(a, b)
        assert result.match
        assert result.query_match_percent is not None and result.query_match_percent >= 80
        assert result.compared_match_percent is not None and result.compared_match_percent >= 80
    for chair in (c19, c20):
        assert not compare_frames(chair, door).match
        assert not compare_frames(door, chair).match


def test_match_percentages_are_mirrored() -> None:
    """Swapping query and compared swaps the two percentages."""
    c19, c20 = _reference(NAMES[0]), _reference(NAMES[1])
    forward, backward = compare_frames(c19, c20), compare_frames(c20, c19)
    assert forward.query_match_percent == backward.compared_match_percent
    assert forward.compared_match_percent == backward.query_match_percent


def test_thresholds_change_the_decision() -> None:
    """Raising the required percentage to 100 turns the chair match off; thresholds are validated."""
    c19, c20 = _reference(NAMES[0]), _reference(NAMES[1])
    strict = compare_frames(c19, c20, VpdqThresholds(query_match_percent=100.0, compared_match_percent=100.0))
    assert not strict.match
    assert strict.distance == compare_frames(c19, c20).distance
    with pytest.raises(InvalidThresholdError):
        VpdqThresholds(query_match_percent=120.0)
    with pytest.raises(InvalidThresholdError):
        VpdqThresholds(quality=101)


@given(st.lists(st.binary(min_size=32, max_size=32).map(bytes.hex), min_size=1, max_size=12), st.data())
def test_numpy_and_python_counts_agree(hexes: list[str], data: st.DataObject) -> None:
    """The numpy and pure-Python frame-matching paths give the same match counts."""
    from domicile.moderation.hashing import vpdq as vpdq_module

    others = data.draw(
        st.lists(
            st.sampled_from(hexes) | st.binary(min_size=32, max_size=32).map(bytes.hex),
            min_size=1,
            max_size=12,
        )
    )
    distance = data.draw(st.integers(0, 128))
    a, b = [int(h, 16) for h in hexes], [int(h, 16) for h in others]
    expected = (
        sum(any((x ^ y).bit_count() <= distance for y in b) for x in a),
        sum(any((x ^ y).bit_count() <= distance for x in a) for y in b),
    )
    assert vpdq_module._matched_counts(a, b, distance) == expected


def test_pure_python_fallback_equals_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without numpy, compare_frames falls back to pure Python and reaches the same percentages."""
    c19, door = _reference(NAMES[0])[::4], _reference(NAMES[2])
    with_numpy = (compare_frames(c19, _reference(NAMES[1])[::4]), compare_frames(door, c19))

    def no_numpy(name: str) -> object:
        raise MissingDependencyError(f"simulated: {name} unavailable")

    monkeypatch.setattr(importlib, "import_module", no_numpy)
    assert (compare_frames(c19, _reference(NAMES[1])[::4]), compare_frames(door, c19)) == with_numpy


def test_low_quality_frames_are_ignored() -> None:
    """Frames of quality < 50 are dropped: a video of only such frames matches nothing."""
    door = _reference(NAMES[2])
    low = tuple(f for f in door if f.quality < 50)
    assert low
    result = compare_frames(low, door)
    assert not result.match
    assert result.query_match_percent == 0.0
    high = tuple(f for f in door if f.quality >= 50)
    assert compare_frames(high, door).match


frame = st.builds(
    VpdqFrame,
    frame_number=st.integers(0, 10_000),
    quality=st.integers(0, 100),
    hex=st.binary(min_size=32, max_size=32).map(bytes.hex),
    timestamp=st.integers(0, 10**7).map(lambda ms: ms / 1000),
)


@given(st.lists(frame, max_size=20))
def test_per_frame_text_round_trip(frames: list[VpdqFrame]) -> None:
    """format_vpdq_frames / parse_vpdq_frames round-trip every field."""
    assert parse_vpdq_frames(format_vpdq_frames(frames)) == tuple(frames)


@given(st.lists(frame, min_size=1, max_size=20))
def test_signal_normalization_is_idempotent(frames: list[VpdqFrame]) -> None:
    """The ThreatExchange JSON form normalizes idempotently and keeps hashes, qualities and times."""
    signal = frames_to_signal(frames)
    once = VpdqSignal.normalize(signal)
    assert VpdqSignal.normalize(once) == once
    back = signal_to_frames(once)
    assert [(f.hex, f.quality, f.timestamp) for f in back] == [
        (f.hex, f.quality, f.timestamp) for f in frames
    ]
    assert all(isinstance(item, str) for item in json.loads(once))


def test_per_frame_text_is_accepted_as_signal() -> None:
    """VpdqSignal.normalize accepts the reference per-frame text and compare() works on it."""
    text = (VIDEO / f"{NAMES[0]}.vpdq.txt").read_text()
    normalized = VpdqSignal.normalize(text)
    assert signal_to_frames(normalized)[5].hex == _reference(NAMES[0])[5].hex
    other = (VIDEO / f"{NAMES[1]}.vpdq.txt").read_text()
    assert VpdqSignal.compare(text, other).match


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("0,100," + "a" * 64 + ",0.0\n1,100,xyz,0.1\n", 2),
        ("0,100\n", 1),
        ("\n\n0,abc," + "a" * 64 + ",0\n", 3),
        ("0,101," + "a" * 64 + ",0\n", 1),
        ("-1,100," + "a" * 64 + ",0\n", 1),
        ("0,100," + "a" * 64 + ",nan\n", 1),
    ],
)
def test_bad_frame_lines_name_the_line(text: str, line: int) -> None:
    """Malformed per-frame lines raise BankFormatError with the line number."""
    with pytest.raises(BankFormatError) as info:
        parse_vpdq_frames(text)
    assert info.value.line == line


@pytest.mark.parametrize("bad", ["", "[", '{"a": 1}', '["zz,100,0"]', '["' + "a" * 64 + ',100"]', "[]"])
def test_bad_signals_raise_invalid_hash(bad: str) -> None:
    """Malformed vPDQ signal strings raise InvalidHashError."""
    with pytest.raises(InvalidHashError):
        VpdqSignal.normalize(bad)


def test_bank_of_reference_videos_matches_by_vpdq() -> None:
    """A vpdq bank of chair-19 and doorknob matches the chair-20 signal only to chair-19, with percentages."""
    store = InMemoryHashBankStore()
    store.create_bank("videos", "vpdq")
    import_vpdq_frames(store, "videos", (VIDEO / f"{NAMES[0]}.vpdq.txt").read_text(), content_id="c19")
    import_vpdq_frames(store, "videos", (VIDEO / f"{NAMES[2]}.vpdq.txt").read_text(), content_id="door")
    store.create_bank("not-video", "pdq")
    with pytest.raises(BankFormatError):
        import_vpdq_frames(store, "not-video", (VIDEO / f"{NAMES[0]}.vpdq.txt").read_text())
    scan = HashMatcher(store).match_signals(
        [ComputedHash("vpdq", frames_to_signal(_reference(NAMES[1])), 100)]
    )
    assert [m.content_id for m in scan.matches] == ["c19"]
    result = scan.matches[0].result
    assert result.query_match_percent is not None and result.query_match_percent >= 80


# -- hashing the videos (vpdq extra) ---------------------------------------------------


@pytest.mark.usefixtures("vpdq_installed")
@pytest.mark.parametrize("name", NAMES)
def test_hashed_frames_near_reference(name: str) -> None:
    """Our frame hashes equal the reference's frame for frame: quality >= 50 within 31 bits, mean <= 8."""
    seconds = DENSE.get(name, SPARSE.get(name, 1.0))
    hashed, reference = _hashed(name, seconds), _reference(name)
    if seconds == 0:
        assert len(hashed) == len(reference)
    else:
        assert 0 < len(hashed) < len(reference)
    distances = []
    for ours in hashed:
        ref = reference[ours.frame_number]
        assert abs(ours.timestamp - ref.timestamp) < 0.002
        assert abs(ours.quality - ref.quality) <= 2
        if ref.quality >= 50:
            distances.append(_distance(ours.hex, ref.hex))
    assert distances
    assert max(distances) <= 31
    assert sum(distances) / len(distances) <= 8


@pytest.mark.usefixtures("vpdq_installed")
def test_hashed_chair_matches_chair_not_doorknob() -> None:
    """Our every-frame hashes of chair-19 match chair-20 (>= 80/80 %) and do not match doorknob."""
    chair19 = _hashed(NAMES[0], 0.0)
    assert compare_frames(chair19, _reference(NAMES[1])).match
    assert compare_frames(_reference(NAMES[1]), chair19).match
    assert not compare_frames(chair19, _reference(NAMES[2])).match
    assert not compare_frames(_reference(NAMES[2]), chair19).match


@pytest.mark.usefixtures("vpdq_installed")
def test_scan_video_file_matches_bank() -> None:
    """scan_video_file hashes the upload (md5 + vPDQ at 1 frame/s) and finds the doorknob entry only."""
    store = InMemoryHashBankStore()
    store.create_bank("videos", "vpdq")
    store.add("videos", frames_to_signal(_reference(NAMES[0])), content_id="c19")
    one_per_second = [f for f in _reference(NAMES[2]) if f.frame_number % 30 == 0]
    store.add("videos", frames_to_signal(one_per_second), content_id="door")
    store.create_bank("md5", "md5")
    matcher = HashMatcher(store, vpdq_hasher=VpdqHasher(seconds_per_hash=1.0))
    scan = matcher.scan_video_file(VIDEO / f"{NAMES[2]}.mp4")
    assert [m.content_id for m in scan.matches] == ["door"]
    assert {s.signal_type for s in scan.signals} == {"md5", "vpdq"}
    assert scan.matches[0].result.query_match_percent == 100.0


@pytest.mark.usefixtures("vpdq_installed")
def test_undecodable_video_is_media_error(tmp_path: Path) -> None:
    """A file that is not a video, or is missing, raises MediaDecodeError."""
    bogus = tmp_path / "bogus.mp4"
    bogus.write_bytes(b"not a video at all")
    with pytest.raises(MediaDecodeError):
        VpdqHasher().hash_file(bogus)
    with pytest.raises(MediaDecodeError):
        VpdqHasher().hash_file(tmp_path / "absent.mp4")


@pytest.mark.skipif(HAS_VPDQ, reason="checks the error raised when vpdq is absent")
def test_missing_vpdq_gives_install_hint(tmp_path: Path) -> None:
    """Without vpdq, hashing a video raises MissingDependencyError with the apt/pip commands."""
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x")
    with pytest.raises(MissingDependencyError) as info:
        VpdqHasher().hash_file(video)
    assert "libavcodec-dev" in str(info.value)
