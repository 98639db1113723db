"""The public API of the moderation packages: every exported name exists, and importing them is light."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = [
    "domicile.moderation.actions",
    "domicile.moderation.queue",
    "domicile.moderation.pipeline",
    "domicile.moderation.minors",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_every_exported_name_exists(name: str) -> None:
    """``__all__`` lists only names the package defines, without duplicates."""
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert len(exported) == len(set(exported))
    missing = [n for n in exported if not hasattr(module, n)]
    assert missing == []


def test_importing_the_queue_loads_no_web_framework_or_image_library() -> None:
    """FastAPI, Pillow and numpy are loaded only when the router, previews or hashing are used."""
    code = (
        "import sys, domicile.moderation.queue, domicile.moderation.pipeline, domicile.moderation.minors;"
        "print(sorted(m for m in ('fastapi', 'PIL', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
