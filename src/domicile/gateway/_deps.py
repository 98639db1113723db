"""The gateway's optional dependencies, checked with a helpful error."""

from __future__ import annotations

import importlib.util

from domicile.core.errors import ConfigError

GATEWAY_MODULES = ("fastapi", "prometheus_client", "httpx")


def require(*modules: str) -> None:
    """Raise ConfigError naming the extra to install when a module is missing."""
    missing = [m for m in modules or GATEWAY_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(f"the HTTP gateway needs {', '.join(missing)}: pip install 'domicile[gateway]'")
