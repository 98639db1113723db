"""Process settings (pydantic-settings), built once by the CLI or app factory."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DomicileSettings(BaseSettings):
    """Where domicile keeps its data. Environment variables use the ``DOMICILE_`` prefix."""

    model_config = SettingsConfigDict(env_prefix="DOMICILE_", extra="ignore")

    data_dir: Path = Field(
        default=Path("domicile-data"),
        description="Data folder: cells file, SQLite cells, key files, erasure ledgers.",
    )
    cells_file: Path | None = Field(default=None, description="Cells file; default <data_dir>/cells.yaml.")
    actor: str = Field(
        default="cli", description="Who is acting, as written to the audit log (an id, never a name)."
    )

    def resolved_cells_file(self) -> Path:
        return self.cells_file if self.cells_file is not None else self.data_dir / "cells.yaml"
