"""The HTTP gateway for the global app: subjects, tokens, search, cross-border transfer control.

``create_app`` needs the ``[gateway]`` extra (FastAPI, prometheus-client); it is imported on
first use with a helpful error when missing. The service layer (:mod:`.service`,
:mod:`.policy`, :mod:`.transfers`, :mod:`.auth`, :mod:`.batch`) is framework-free.
See ``docs/gateway.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from domicile.gateway.app import create_app as create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from domicile.gateway.app import create_app

        return create_app
    raise AttributeError(f"module 'domicile.gateway' has no attribute {name!r}")
