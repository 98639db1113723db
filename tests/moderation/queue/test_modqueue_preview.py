"""Review previews: blurred by default, unblurred only on an audited request, never for CSAM."""

from __future__ import annotations

import io

import numpy as np
import pytest
from modqueue_helpers import FIXTURES, OWNER, QueueEnv
from PIL import Image

from domicile.moderation.actions import ModerationInputError, ModerationPolicyError, PreviewDecodeError
from domicile.moderation.queue import Detector, Evidence, EvidenceKind, render_preview
from domicile.moderation.queue import preview as preview_module

PHOTO = FIXTURES / "pdq" / "bridge-mods" / "aaa-orig.jpg"


def _detail(png: bytes) -> float:
    """Mean absolute difference of horizontally adjacent pixels: high for sharp images."""
    arr = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.float64)
    return float(np.abs(np.diff(arr, axis=1)).mean())


def _photo() -> bytes:
    if not PHOTO.is_file():
        pytest.fail(f"shared PDQ fixture missing: {PHOTO}")
    return PHOTO.read_bytes()


def _open(env: QueueEnv, content: str, category: str) -> str:
    env.platform.images[content] = _photo()
    case = env.queue.open_case(
        content, source="detector", actor="svc:x", reason_code=category, owner_ref=OWNER, category=category,
        evidence=[Evidence(EvidenceKind.HASH, Detector.HASH, category=category, bank="b", distance=4)],
    )  # fmt: skip
    return case.case_id


def test_preview_is_blurred_by_default_and_unblur_is_audited(env: QueueEnv) -> None:
    """The default view blurs the image; an unblurred view needs a reason code and is audited."""
    case_id = _open(env, "img:1", "C-DRUG")
    blurred = env.queue.review(case_id, "staff:1").preview
    assert blurred is not None and blurred.blurred and max(blurred.width, blurred.height) <= 256
    with pytest.raises(ModerationInputError):
        env.queue.review(case_id, "staff:1", unblur=True)
    sharp = env.queue.review(case_id, "staff:1", unblur=True, unblur_reason="verify_match").preview
    assert sharp is not None and not sharp.blurred
    assert sharp.source_sha256 == blurred.source_sha256
    assert _detail(blurred.data) < _detail(sharp.data) / 3
    events = [r for r in env.audit_records() if r.details.get("case_id") == case_id]
    unblurs = [r for r in events if r.action == "moderation.preview.unblur"]
    assert len(unblurs) == 1 and unblurs[0].actor == "staff:1"
    assert unblurs[0].details["reason_code"] == "verify_match"
    assert sum(r.action == "moderation.case.view" for r in events) == 1


def test_csam_previews_are_grayscale_and_never_unblurred(env: QueueEnv) -> None:
    """A CSAM case's preview is blurred grayscale; unblurring is refused and nothing is audited as viewed."""
    case_id = _open(env, "img:2", "C-CSAM")
    view = env.queue.review(case_id, "staff:1")
    assert view.preview is not None and view.preview.grayscale and view.preview.blurred
    before = len(env.audit_records())
    with pytest.raises(ModerationPolicyError):
        env.queue.review(case_id, "staff:1", unblur=True, unblur_reason="verify_match")
    assert len(env.audit_records()) == before


def test_undecodable_image_gives_a_note_not_a_failure(env: QueueEnv) -> None:
    """Bytes that are not an image leave the view usable, with a note instead of a preview."""
    env.platform.images["img:3"] = b"not an image at all"
    case = env.queue.open_case(
        "img:3", source="user_report", actor="svc:x", reason_code="report",
        evidence=[Evidence(EvidenceKind.REPORT, Detector.USER_REPORT)],
    )  # fmt: skip
    view = env.queue.review(case.case_id, "staff:1")
    assert view.preview is None and view.preview_note == "preview_undecodable"
    assert view.evidence[0].kind is EvidenceKind.REPORT


@pytest.mark.parametrize("data", [b"", b"GIF89a-truncated", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
def test_render_preview_refuses_bad_bytes(data: bytes) -> None:
    """Empty, truncated or corrupt image bytes raise PreviewDecodeError."""
    with pytest.raises(PreviewDecodeError):
        render_preview(data)


def test_render_preview_refuses_images_over_the_pixel_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """An image above the pixel limit is refused before decoding (decompression-bomb guard)."""
    monkeypatch.setattr(preview_module, "MAX_SOURCE_PIXELS", 1000)
    with pytest.raises(PreviewDecodeError) as info:
        render_preview(_photo())
    assert "exceeds" in str(info.value)
