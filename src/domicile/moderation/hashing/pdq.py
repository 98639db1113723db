"""PDQ hashing of images: Pillow decode -> RGB array -> pdqhash (the ``pdq`` extra).

Hex output uses ThreatExchange's bit order (bit 0 of the hasher's vector is the most
significant bit of the first hex digit), so the hashes equal python-threatexchange's
``PdqSignal`` for the same decoded pixels.

The eight dihedral hashes (:data:`DIHEDRAL_VARIANTS`) are the hashes the image would have
after each rotation / flip; they are computed from one DCT, so matching a rotated or
mirrored re-upload costs one hashing pass. Quality below the cut-off (reference: 50) makes a
hash unmatchable (:class:`~.errors.LowQualityError`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domicile.moderation.hashing._deps import require
from domicile.moderation.hashing.errors import InvalidThresholdError, LowQualityError, MediaDecodeError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

PDQ_BITS = 256
PDQ_HEX_LEN = PDQ_BITS // 4
PDQ_MATCH_THRESHOLD = 31
"""Industry PDQ match threshold: Hamming distance <= 31 of 256 bits."""
PDQ_MIN_QUALITY = 50
"""Reference PDQ quality cut-off: hashes of quality < 50 are not matched."""

DIHEDRAL_VARIANTS: tuple[str, ...] = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flipx",
    "flipy",
    "flip_plus1",
    "flip_minus1",
)
"""Names of the 8 dihedral variants, in ``pdqhash.compute_dihedral`` order."""

DEFAULT_MAX_PIXELS = 80_000_000
"""Refuse to decode images larger than this (decompression-bomb guard)."""


@dataclass(frozen=True, slots=True)
class PdqHash:
    """A PDQ hash with the hasher's quality (0-100).

    Attributes:
        hex: 64 lower-case hex digits.
        quality: Gradient-based quality; below 50 the hash is not trusted.
        variant: Which dihedral variant this is (``original`` for a plain hash).
    """

    hex: str
    quality: int
    variant: str = "original"


@dataclass(frozen=True, slots=True)
class DihedralHashes:
    """The 8 dihedral PDQ hashes of one image, in :data:`DIHEDRAL_VARIANTS` order."""

    hashes: tuple[PdqHash, ...]

    @property
    def quality(self) -> int:
        """Quality of the image (the same for every variant)."""
        return self.hashes[0].quality

    @property
    def original(self) -> PdqHash:
        """The plain (unrotated) hash."""
        return self.hashes[0]

    def by_variant(self) -> dict[str, str]:
        """Map variant name to hex."""
        return {h.variant: h.hex for h in self.hashes}


def bits_to_hex(bits: npt.NDArray[Any]) -> str:
    """Pack a 256-element 0/1 vector (MSB first) into 64 hex digits."""
    np_ = require("numpy", "PDQ hashing")
    return str(np_.packbits(np_.asarray(bits, dtype=np_.uint8)).tobytes().hex())


class PdqHasher:
    """Computes PDQ hashes of images.

    Args:
        min_quality: Quality below which :meth:`check_quality` rejects (reference 50).
        max_pixels: Largest image (width x height) to decode; larger raises
            :class:`~.errors.MediaDecodeError`.

    Raises:
        MissingDependencyError: On first use, when the ``pdq`` extra is not installed.
    """

    def __init__(self, *, min_quality: int = PDQ_MIN_QUALITY, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        if not 0 <= min_quality <= 100:
            raise InvalidThresholdError(f"min_quality must be within 0..100, got {min_quality}")
        self.min_quality = min_quality
        self.max_pixels = max_pixels

    # -- decoding -------------------------------------------------------------------------
    def decode(self, data: bytes) -> npt.NDArray[np.uint8]:
        """Decode an encoded image to an ``(h, w, 3)`` uint8 RGB array.

        Raises:
            MediaDecodeError: Not an image Pillow can read, truncated, or too large.
        """
        image_mod = require("PIL.Image", "PDQ image decoding")
        np_ = require("numpy", "PDQ hashing")
        try:
            with image_mod.open(io.BytesIO(data)) as img:
                width, height = img.size
                if width * height > self.max_pixels:
                    raise MediaDecodeError(
                        f"image of {width}x{height} pixels exceeds the {self.max_pixels}-pixel limit"
                    )
                rgb = img.convert("RGB")
        except MediaDecodeError:
            raise
        except (OSError, ValueError, SyntaxError, image_mod.DecompressionBombError) as exc:
            raise MediaDecodeError(f"cannot decode image ({type(exc).__name__})") from exc
        array: npt.NDArray[np.uint8] = np_.asarray(rgb, dtype=np_.uint8)
        if array.ndim != 3 or array.shape[0] == 0 or array.shape[1] == 0:
            raise MediaDecodeError("decoded image is empty")
        return array

    # -- hashing --------------------------------------------------------------------------
    def hash_array(self, rgb: npt.NDArray[np.uint8]) -> PdqHash:
        """PDQ hash of a decoded ``(h, w, 3)`` uint8 RGB array."""
        pdqhash = require("pdqhash", "PDQ hashing")
        bits, quality = pdqhash.compute(self._check_array(rgb))
        return PdqHash(bits_to_hex(bits), int(quality))

    def hash_bytes(self, data: bytes) -> PdqHash:
        """PDQ hash of an encoded image (JPEG, PNG, WebP, GIF first frame...)."""
        return self.hash_array(self.decode(data))

    def hash_file(self, path: Path | str) -> PdqHash:
        """PDQ hash of an image file."""
        return self.hash_bytes(_read(path))

    def dihedral_array(self, rgb: npt.NDArray[np.uint8]) -> DihedralHashes:
        """The 8 dihedral PDQ hashes of a decoded RGB array."""
        pdqhash = require("pdqhash", "PDQ hashing")
        vectors, quality = pdqhash.compute_dihedral(self._check_array(rgb))
        hashes = tuple(
            PdqHash(bits_to_hex(v), int(quality), name)
            for v, name in zip(vectors, DIHEDRAL_VARIANTS, strict=True)
        )
        return DihedralHashes(hashes)

    def dihedral_bytes(self, data: bytes) -> DihedralHashes:
        """The 8 dihedral PDQ hashes of an encoded image."""
        return self.dihedral_array(self.decode(data))

    def dihedral_file(self, path: Path | str) -> DihedralHashes:
        """The 8 dihedral PDQ hashes of an image file."""
        return self.dihedral_bytes(_read(path))

    def check_quality(self, result: PdqHash) -> PdqHash:
        """Return the hash if its quality is at least :attr:`min_quality`.

        Raises:
            LowQualityError: Carries ``quality`` and ``minimum`` as evidence.
        """
        if result.quality < self.min_quality:
            raise LowQualityError(result.quality, self.min_quality)
        return result

    @staticmethod
    def _check_array(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        np_ = require("numpy", "PDQ hashing")
        arr: npt.NDArray[np.uint8] = np_.ascontiguousarray(rgb, dtype=np_.uint8)
        if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] == 0 or arr.shape[1] == 0:
            raise MediaDecodeError(f"expected a non-empty (h, w, 3) RGB array, got shape {arr.shape}")
        return arr


def _read(path: Path | str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise MediaDecodeError(f"cannot read image file ({type(exc).__name__})") from exc
