"""Gateway settings (pydantic-settings, env prefix ``DOMICILE_GATEWAY_``), built once by the
CLI or the app factory and passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    """How the HTTP gateway runs and where it keeps its own (PD-free) database."""

    model_config = SettingsConfigDict(env_prefix="DOMICILE_GATEWAY_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="Interface to listen on.")
    port: int = Field(default=8787, ge=1, le=65535, description="TCP port to listen on.")
    db_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the gateway database (keys, notices, kill switches, ledger, "
        "idempotency). Default: sqlite:///<data_dir>/gateway/gateway.db; in memory without a data folder.",
    )
    secret_file: Path | None = Field(
        default=None,
        description="File holding the secret that keys idempotency fingerprints. Default: "
        "<data_dir>/gateway/secret.key (created 0600); a random per-process secret without a data folder.",
    )
    max_body_bytes: int = Field(
        default=512 * 1024,
        ge=1024,
        le=64 * 1024 * 1024,
        description="Largest request body accepted (413 above).",
    )
    idempotency_ttl_hours: int = Field(
        default=24, ge=1, le=24 * 30, description="How long a stored idempotent response is replayed."
    )
    calendar_dirs: list[Path] = Field(
        default_factory=list,
        description="Extra production-calendar directories (e.g. next year's decree) for the waiting period.",
    )
