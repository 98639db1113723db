"""The cells file: which cells exist, where, and with which key source.

Example (what ``domicile init`` writes)::

    token_domain: tokens.domicile.example   # e-mail tokens end in <cell>.<token_domain>
    cells:
      - name: ru-msk-1
        jurisdiction: RU
        location: "Moscow, Russian Federation"   # the DB's address (152-FZ art. 22 part 3 item 10.1)
        url: sqlite:///cells/ru-msk-1.db        # relative SQLite paths resolve in the data folder
        keys: {source: file, path: keys/ru-msk-1.json}
        ledger: ledger/ru-msk-1.jsonl           # erasure ledger, kept apart from the cell's backups
      - name: global-1
        jurisdiction: GLOBAL
        ...

The first cell listed for a jurisdiction is its home cell.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from domicile.core.errors import ConfigError
from domicile.tokens.formats import CELL_NAME


class FileKeys(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: Literal["file"] = "file"
    path: Path = Field(description="Key file; relative paths resolve in the data folder.")


class KmsKeys(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: Literal["kms"] = "kms"
    client: str = Field(description="Import path 'module:factory' of a KmsClient factory.")
    key_ids: dict[int, str] = Field(description="KMS key id per key version.")


class CellConfig(BaseModel):
    """One cell: a named store in one country."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Cell name, e.g. ru-msk-1 (lower-case letters, digits, dashes).")
    jurisdiction: str = Field(description="Jurisdiction pack code whose subjects live here (RU, GLOBAL).")
    location: str = Field(default="", description="Physical location of the database, for notices.")
    url: str = Field(description="SQLAlchemy URL of the cell database.")
    keys: FileKeys | KmsKeys = Field(discriminator="source")
    ledger: Path = Field(description="Erasure ledger file (JSON lines), outside the cell's backups.")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not CELL_NAME.match(v):
            raise ValueError(
                "cell names are 2-32 lower-case letters, digits and dashes, starting with a letter"
            )
        return v

    @field_validator("jurisdiction")
    @classmethod
    def _jur(cls, v: str) -> str:
        return v.upper()

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        try:
            sa.make_url(v)
        except sa.exc.ArgumentError:
            raise ValueError("not a SQLAlchemy URL") from None
        return v


class CellsFile(BaseModel):
    """The whole cells file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token_domain: str = Field(default="tokens.domicile.example")
    cells: list[CellConfig]

    @field_validator("cells")
    @classmethod
    def _unique(cls, v: list[CellConfig]) -> list[CellConfig]:
        names = [c.name for c in v]
        if len(set(names)) != len(names):
            raise ValueError("cell names must be unique")
        if not v:
            raise ValueError("at least one cell is required")
        return v


def resolve_path(data_dir: Path, p: Path) -> Path:
    return p if p.is_absolute() else data_dir / p


def resolve_url(data_dir: Path, url: str) -> str:
    """Make a relative SQLite path absolute within the data folder."""
    u = sa.make_url(url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        db = Path(u.database)
        if not db.is_absolute():
            return str(u.set(database=str(data_dir / db)))
    return url


def load_cells_file(path: Path) -> CellsFile:
    """Read and validate a cells file; ConfigError with a readable reason."""
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"cells file not found at {path}; run 'domicile init'") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"cells file {path} is not valid YAML{where}") from None
    try:
        return CellsFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise ConfigError(f"cells file {path}: {loc}: {first['msg']}") from None


def default_cells_file() -> CellsFile:
    """The embedded default: one SQLite cell in Russia, one for everyone else."""
    return CellsFile(
        cells=[
            CellConfig(
                name="ru-msk-1",
                jurisdiction="RU",
                location="Moscow, Russian Federation",
                url="sqlite:///cells/ru-msk-1.db",
                keys=FileKeys(path=Path("keys/ru-msk-1.json")),
                ledger=Path("ledger/ru-msk-1.jsonl"),
            ),
            CellConfig(
                name="global-1",
                jurisdiction="GLOBAL",
                location="Frankfurt, Germany",
                url="sqlite:///cells/global-1.db",
                keys=FileKeys(path=Path("keys/global-1.json")),
                ledger=Path("ledger/global-1.jsonl"),
            ),
        ]
    )


def dump_cells_file(cf: CellsFile) -> str:
    body = cf.model_dump(mode="json")
    header = "# domicile cells file: see docs/configuration.md\n"
    return header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
