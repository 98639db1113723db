"""Lazy imports of the optional heavy dependencies, with an install hint when missing."""

from __future__ import annotations

import importlib
from types import ModuleType

from domicile.moderation.hashing.errors import MissingDependencyError

_HINTS: dict[str, str] = {
    "numpy": "pip install 'domicile[pdq]'",
    "pdqhash": "pip install 'domicile[pdq]'",
    "PIL": "pip install 'domicile[pdq]'",
    "faiss": "pip install 'domicile[faiss]'",
    "vpdq": (
        "apt-get install libavcodec-dev libavformat-dev libavutil-dev libswscale-dev "
        "libavdevice-dev libavfilter-dev pkg-config cmake, then pip install 'domicile[vpdq]'"
    ),
}


def require(module: str, purpose: str) -> ModuleType:
    """Import an optional module or raise a typed error saying how to install it.

    Args:
        module: Module name (``numpy``, ``pdqhash``, ``PIL.Image``, ``faiss``, ``vpdq``).
        purpose: What the caller needs it for, shown in the error.

    Returns:
        The imported module.

    Raises:
        MissingDependencyError: The module cannot be imported.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".", 1)[0]
        hint = _HINTS.get(top, f"pip install {top}")
        raise MissingDependencyError(f"{purpose} needs the optional package '{module}': {hint}") from exc


def available(module: str) -> bool:
    """Return True when an optional module can be imported."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True
