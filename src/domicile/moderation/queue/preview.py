"""Review previews: downscaled, and blurred unless a reviewer explicitly asks otherwise.

Reviewers see the evidence with the image blurred by default (a wellbeing and exposure
safeguard); unblurring is an explicit, audited request (see ``ReviewQueue.review``). Decoding
uses Pillow (the ``pdq`` extra), imported on first use; a pixel limit refuses decompression bombs.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import Any

from domicile.moderation.actions.errors import ModerationConfigError, PreviewDecodeError

__all__ = ["MAX_SOURCE_PIXELS", "Preview", "render_preview"]

MAX_SOURCE_PIXELS = 64_000_000


@dataclass(frozen=True, slots=True)
class Preview:
    """A preview image for the review screen.

    Attributes:
        data: PNG bytes.
        width: Width in pixels.
        height: Height in pixels.
        blurred: Whether it is blurred.
        grayscale: Whether it is grayscale.
        blur_radius: Gaussian radius used (0 when not blurred).
        source_sha256: SHA-256 of the source bytes (ties the preview to the evidence).
        media_type: Always ``image/png``.
    """

    data: bytes
    width: int
    height: int
    blurred: bool
    grayscale: bool
    blur_radius: float
    source_sha256: str
    media_type: str = "image/png"


def _pil() -> tuple[Any, Any]:
    try:
        from PIL import Image, ImageFilter
    except ImportError:  # pragma: no cover - Pillow is in the dev install
        raise ModerationConfigError("review previews need Pillow: pip install 'domicile[pdq]'") from None
    return Image, ImageFilter


def render_preview(
    data: bytes, *, blurred: bool = True, grayscale: bool = False, max_side: int = 256
) -> Preview:
    """Decode an image, shrink it to ``max_side`` and blur it (unless ``blurred`` is False).

    The blur radius is 1/12 of the preview's longest side (at least 4 px): shapes stay
    recognisable enough to triage, details do not.

    Raises:
        PreviewDecodeError: The bytes are not a decodable image, or it exceeds
            :data:`MAX_SOURCE_PIXELS`.
        ModerationConfigError: Pillow is not installed.
    """
    if not isinstance(data, bytes | bytearray) or not data:
        raise PreviewDecodeError("preview source must be non-empty image bytes")
    if not 16 <= max_side <= 2048:
        raise PreviewDecodeError("preview max_side must be between 16 and 2048 pixels")
    image_mod, image_filter = _pil()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", image_mod.DecompressionBombWarning)
            with image_mod.open(io.BytesIO(data)) as source:
                if source.width * source.height > MAX_SOURCE_PIXELS:
                    raise PreviewDecodeError(
                        f"image of {source.width}x{source.height} pixels exceeds the preview limit"
                    )
                source.draft("RGB", (max_side, max_side))
                image = source.convert("L" if grayscale else "RGB")
    except PreviewDecodeError:
        raise
    except (OSError, ValueError, SyntaxError, image_mod.DecompressionBombError, Warning) as exc:
        raise PreviewDecodeError(f"preview source is not a decodable image ({type(exc).__name__})") from None
    image.thumbnail((max_side, max_side))
    radius = 0.0
    if blurred:
        radius = max(4.0, max(image.size) / 12)
        image = image.filter(image_filter.GaussianBlur(radius))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return Preview(
        data=out.getvalue(),
        width=image.width,
        height=image.height,
        blurred=blurred,
        grayscale=grayscale,
        blur_radius=radius,
        source_sha256=hashlib.sha256(data).hexdigest(),
    )
