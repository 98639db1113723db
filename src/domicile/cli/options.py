"""Options every command group shares, and the settings they build (one definition each)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from domicile.settings import DomicileSettings

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="DOMICILE_DATA_DIR", help="Data folder (default ./domicile-data)."),
]
JsonOut = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def settings_for(data_dir: Path | None) -> DomicileSettings:
    """Settings for ``--data-dir`` (or ``DOMICILE_DATA_DIR`` / the default when it is not given)."""
    return DomicileSettings(data_dir=data_dir) if data_dir else DomicileSettings()
