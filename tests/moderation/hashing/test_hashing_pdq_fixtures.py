"""PDQ hashing against Meta's reference vectors (shared fixtures pdq/), quality and decoding."""

from __future__ import annotations

import csv
import io
import itertools
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from domicile.moderation.hashing import (
    DIHEDRAL_VARIANTS,
    DihedralHashes,
    InMemoryHashBankStore,
    LowQualityError,
    MediaDecodeError,
    PdqHash,
    PdqHasher,
    PdqIndex,
    PdqSignal,
)
from domicile.moderation.hashing.matcher import HashMatcher

FIXTURES = Path(__file__).resolve().parents[3] / ".." / "shared" / "fixtures"
PDQ = FIXTURES / "pdq"


def _expected() -> dict[str, str]:
    with (PDQ / "expected.csv").open(newline="") as handle:
        return {row["file"]: row["pdq_hash"] for row in csv.DictReader(handle)}


EXPECTED = _expected() if (PDQ / "expected.csv").is_file() else {}
BRIDGE_MODS = sorted(k for k in EXPECTED if k.startswith("bridge-mods/"))
DIH = sorted(k for k in EXPECTED if k.startswith("dih/"))


def _distance(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


@cache
def _hash(name: str) -> PdqHash:
    return PdqHasher().hash_file(PDQ / name)


@cache
def _dihedral(name: str) -> DihedralHashes:
    return PdqHasher().dihedral_file(PDQ / name)


def test_fixture_set_is_complete() -> None:
    """The reference table lists 12 bridge edits and 8 dihedral copies (guards silent skips)."""
    assert len(BRIDGE_MODS) == 12
    assert len(DIH) == 8


@pytest.mark.parametrize("name", BRIDGE_MODS)
def test_bridge_mods_hash_exactly(name: str) -> None:
    """Our pipeline reproduces python-threatexchange's PDQ hex exactly, with quality >= 50."""
    result = _hash(name)
    assert result.hex == EXPECTED[name]
    assert result.quality >= 50


@pytest.mark.parametrize("name", DIH)
def test_dih_hashes_near_reference(name: str) -> None:
    """Plain hashes of the rotated copies lie within 16 bits of the C++ reference hasher."""
    assert _distance(_hash(name).hex, EXPECTED[name]) <= 16


def test_every_bridge_mod_matches_every_other() -> None:
    """All 66 pairs of bridge edits are PDQ matches (distance <= 31)."""
    for a, b in itertools.combinations(BRIDGE_MODS, 2):
        result = PdqSignal.compare(_hash(a).hex, _hash(b).hex)
        assert result.match, (a, b, result.distance)


@pytest.mark.parametrize("name", DIH[1:])
def test_rotated_copy_matches_original_only_via_dihedral(name: str) -> None:
    """A rotated/flipped copy is far from the original plainly but within a few bits via one dihedral hash."""
    original = _hash(DIH[0]).hex
    assert _distance(_hash(name).hex, original) > 31
    best = min(_distance(h.hex, original) for h in _dihedral(name).hashes)
    assert best <= 16


def test_dihedral_order_and_original() -> None:
    """compute_dihedral's first hash is the plain hash; all 8 carry names and the image's quality."""
    variants = _dihedral(DIH[0])
    assert tuple(h.variant for h in variants.hashes) == DIHEDRAL_VARIANTS
    assert variants.original.hex == _hash(DIH[0]).hex
    assert variants.quality == _hash(DIH[0]).quality
    assert len(set(variants.by_variant().values())) == 8


def test_dihedral_variant_names_match_fixture_files() -> None:
    """Hashing the original's k-th dihedral variant approximates the plain hash of the k-th dih/ file."""
    variants = _dihedral(DIH[0]).hashes
    for k, name in enumerate(DIH):
        assert _distance(variants[k].hex, _hash(name).hex) <= 16, name


def test_index_dihedral_query_finds_rotations() -> None:
    """A PdqIndex of the original finds each rotated upload via query_dihedral, naming the variant."""
    index = PdqIndex("numpy")
    index.add([_hash(DIH[0]).hex], ids=[1])
    for name in DIH:
        plain = index.query(_hash(name).hex)
        hits = index.query_dihedral(_dihedral(name))
        assert [h.id for h in hits] == [1]
        assert hits[0].distance <= 16
        assert bool(plain) == (name == DIH[0])
    assert index.query_dihedral(_dihedral(DIH[0]))[0].variant == "original"


def test_small_image_rejected_for_low_quality() -> None:
    """misc/small.jpg has PDQ quality < 50 and check_quality raises LowQualityError with evidence."""
    hasher = PdqHasher()
    result = hasher.hash_file(PDQ / "misc" / "small.jpg")
    assert result.quality < 50
    with pytest.raises(LowQualityError) as info:
        hasher.check_quality(result)
    assert info.value.quality == result.quality
    assert info.value.minimum == 50
    assert hasher.check_quality(_hash(BRIDGE_MODS[0])) == _hash(BRIDGE_MODS[0])


def test_matcher_reports_low_quality_as_rejection() -> None:
    """Scanning the low-quality image against a PDQ bank yields a rejection, not a match (quality < 50)."""
    store = InMemoryHashBankStore()
    store.create_bank("bridge", "pdq")
    store.add("bridge", _hash(BRIDGE_MODS[0]).hex)
    scan = HashMatcher(store).scan_image_file(PDQ / "misc" / "small.jpg")
    assert not scan.matched
    assert [(r.signal_type, r.reason, r.minimum) for r in scan.rejected] == [("pdq", "low_quality", 50)]


def test_unrelated_image_does_not_match_bridge() -> None:
    """misc/wee.jpg (unrelated) is far from every bridge image and from the dihedral variants."""
    wee = _hash("misc/wee.jpg")
    assert wee.hex == EXPECTED["misc/wee.jpg"]
    for name in BRIDGE_MODS + DIH:
        assert not PdqSignal.compare(wee.hex, _hash(name).hex).match
    assert all(_distance(wee.hex, h.hex) > 31 for h in _dihedral(DIH[0]).hashes)


def _hash_list(name: str) -> list[str]:
    return [line.strip() for line in (PDQ / name).read_text().splitlines() if line.strip()]


def test_needles_haystack_index_equals_naive_scan() -> None:
    """For the reference needles/haystack lists, the index returns exactly the naive scan's matches."""
    needles, haystack = _hash_list("needles.txt"), _hash_list("haystack.txt")
    assert (len(needles), len(haystack)) == (100, 1350)
    index = PdqIndex("mih")
    index.add(haystack)
    for needle in needles:
        naive = sorted(
            (_distance(needle, h), i) for i, h in enumerate(haystack) if _distance(needle, h) <= 31
        )
        assert [(hit.distance, hit.id) for hit in index.query(needle)] == naive
        assert naive  # every needle is a perturbed haystack entry


def test_bridge_photos_match_nothing_in_haystack() -> None:
    """The bridge photos are unrelated to the haystack material: no hash of theirs matches it."""
    index = PdqIndex("numpy")
    index.add(_hash_list("haystack.txt"))
    for name in [*BRIDGE_MODS, "misc/wee.jpg"]:
        assert index.query(_hash(name).hex) == ()


def test_decode_modes_and_arrays() -> None:
    """Grayscale, RGBA and palette images decode to RGB; hash_bytes equals hash_array on the decoded array."""
    hasher = PdqHasher()
    source = Image.open(PDQ / BRIDGE_MODS[-1]).convert("RGB")
    for mode in ("L", "RGBA", "P"):
        buffer = io.BytesIO()
        source.convert(mode).save(buffer, format="PNG")
        data = buffer.getvalue()
        rgb = hasher.decode(data)
        assert rgb.shape[2] == 3 and rgb.dtype == np.uint8
        assert hasher.hash_bytes(data) == hasher.hash_array(rgb)


@pytest.mark.parametrize("data", [b"", b"not an image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20])
def test_undecodable_bytes_raise_media_error(data: bytes) -> None:
    """Garbage or truncated bytes raise MediaDecodeError, not a Pillow exception."""
    with pytest.raises(MediaDecodeError):
        PdqHasher().hash_bytes(data)


def test_truncated_jpeg_raises_media_error() -> None:
    """A JPEG cut in half is reported as undecodable."""
    data = (PDQ / BRIDGE_MODS[0]).read_bytes()
    with pytest.raises(MediaDecodeError):
        PdqHasher().hash_bytes(data[: len(data) // 2])


def test_pixel_limit_guards_decompression_bombs() -> None:
    """Images above max_pixels are refused before decoding the pixels."""
    data = (PDQ / BRIDGE_MODS[0]).read_bytes()
    with pytest.raises(MediaDecodeError) as info:
        PdqHasher(max_pixels=1000).hash_bytes(data)
    assert "pixel limit" in str(info.value)


def test_bad_array_shape_rejected() -> None:
    """hash_array refuses arrays that are not (h, w, 3)."""
    with pytest.raises(MediaDecodeError):
        PdqHasher().hash_array(np.zeros((8, 8), dtype=np.uint8))
    with pytest.raises(MediaDecodeError):
        PdqHasher().hash_array(np.zeros((0, 8, 3), dtype=np.uint8))


def test_missing_file_is_media_error(tmp_path: Path) -> None:
    """A missing image file raises MediaDecodeError."""
    with pytest.raises(MediaDecodeError):
        PdqHasher().hash_file(tmp_path / "absent.jpg")


def test_signal_type_hashers_match_pdq_hasher() -> None:
    """PdqSignal.hash_file/hash_bytes return the same hex and quality as PdqHasher."""
    path = PDQ / BRIDGE_MODS[-1]
    by_file = PdqSignal.hash_file(path)
    by_bytes = PdqSignal.hash_bytes(path.read_bytes())
    assert by_file == by_bytes
    assert (by_file.value, by_file.quality) == (_hash(BRIDGE_MODS[-1]).hex, _hash(BRIDGE_MODS[-1]).quality)
