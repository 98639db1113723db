"""The desk's configuration file, ``<data_dir>/desk.yaml`` (written by ``domicile desk init``).

Example::

    country: RU                              # the desk database and its storage are in Russia
    location: "Moscow, Russian Federation"   # where the desk database runs (LAND-4, PD-LOC-1)
    url: sqlite:///desk/desk.db              # relative SQLite paths resolve in the data folder
    cell: null                               # RU cell for PD and audit; default: RU home cell
    blob_dir: desk/blobs                     # sealed PD blobs (RU storage)
    inbox: desk/inbox                        # e-mail drop: .eml files
    signer_key: desk/keys/representative.json
    limits: {max_body_bytes: 26214400, max_attachment_bytes: 10485760, max_attachments: 10}
    notifiers:
      - {kind: webhook, name: oncall-hook, url: "https://oncall.example/desk", secret_env: DESK_HOOK_SECRET}
      - {kind: smtp, name: oncall-mail, host: 127.0.0.1, port: 25, sender: desk@example.ru,
         recipients: [oncall@example.ru]}
    adapter: {kind: example, state_file: desk/example-app.json}
    clock_overrides: {le.data_request: {amount: 5}}   # [U] clocks only (domicile.desk.clocks)
    operator: {name: "ООО «Пример»", address: "Москва"}  # the operator, for access packages
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domicile.desk.errors import DeskConfigError

__all__ = [
    "DeskConfig",
    "ExampleAdapterConfig",
    "ImportAdapterConfig",
    "Limits",
    "NotifierConfig",
    "OperatorInfo",
    "SmtpNotifierConfig",
    "WebhookNotifierConfig",
    "dump_desk_config",
    "load_desk_config",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(_Strict):
    """Bounds on raw input; anything larger is refused (413) and quarantined."""

    max_body_bytes: int = Field(default=25 * 2**20, ge=1024, description="HTTP body or .eml file size")
    max_attachment_bytes: int = Field(default=10 * 2**20, ge=1, description="One attachment")
    max_attachments: int = Field(default=10, ge=0, le=100, description="Attachments per request")
    max_text_chars: int = Field(default=20_000, ge=100, description="Free text of a request")
    max_items: int = Field(default=1000, ge=1, le=100_000, description="Items (pages) per request")


class WebhookNotifierConfig(_Strict):
    """POST a JSON notification to a URL, HMAC-signed if a secret is configured."""

    kind: Literal["webhook"] = "webhook"
    name: str = Field(pattern=r"^[a-z][a-z0-9_.-]{0,63}$", description="Notifier id (audit, records)")
    url: str = Field(pattern=r"^https?://", description="Endpoint")
    secret_env: str | None = Field(default=None, description="Environment variable holding the HMAC secret")
    timeout_s: float = Field(default=5.0, gt=0, le=60)


class SmtpNotifierConfig(_Strict):
    """Send a plain-text e-mail through an SMTP relay."""

    kind: Literal["smtp"] = "smtp"
    name: str = Field(pattern=r"^[a-z][a-z0-9_.-]{0,63}$", description="Notifier id (audit, records)")
    host: str = Field(min_length=1)
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = Field(min_length=3)
    recipients: tuple[str, ...] = Field(min_length=1)
    starttls: bool = False
    username_env: str | None = None
    password_env: str | None = None
    timeout_s: float = Field(default=10.0, gt=0, le=120)


NotifierConfig = Annotated[WebhookNotifierConfig | SmtpNotifierConfig, Field(discriminator="kind")]


class ExampleAdapterConfig(_Strict):
    """The example app's in-memory adapter, optionally saved to a JSON file between runs."""

    kind: Literal["example"] = "example"
    state_file: Path | None = None


class ImportAdapterConfig(_Strict):
    """A platform adapter built by an importable factory ``module:callable``."""

    kind: Literal["import"] = "import"
    factory: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class OperatorInfo(_Strict):
    """The operator (a legal entity, not PD), as stated in access packages (art. 14 part 7)."""

    name: str = Field(default="Оператор (укажите наименование в desk.yaml)")
    address: str = Field(default="Российская Федерация")
    dpo_contact: str = Field(default="", description="Contact of the person responsible (art. 22.1)")


class DeskConfig(_Strict):
    """The whole ``desk.yaml``."""

    country: Literal["RU"] = "RU"
    location: str = Field(default="Moscow, Russian Federation")
    url: str = Field(default="sqlite:///desk/desk.db", description="SQLAlchemy URL of the desk database")
    cell: str | None = Field(default=None, description="RU cell for PD and audit; default the RU home cell")
    blob_dir: Path = Path("desk/blobs")
    inbox: Path = Path("desk/inbox")
    signer_key: Path = Path("desk/keys/representative.json")
    limits: Limits = Limits()
    notifiers: tuple[NotifierConfig, ...] = ()
    adapter: Annotated[ExampleAdapterConfig | ImportAdapterConfig, Field(discriminator="kind")] = (
        ExampleAdapterConfig(state_file=Path("desk/example-app.json"))
    )
    clock_overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    operator: OperatorInfo = OperatorInfo()


def load_desk_config(path: Path) -> DeskConfig:
    """Read and validate ``desk.yaml``.

    Raises:
        DeskConfigError: missing, not YAML, or not the schema (names the field).
    """
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except FileNotFoundError:
        raise DeskConfigError(f"desk config not found at {path}; run 'domicile desk init'") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DeskConfigError(f"desk config {path}: cannot read ({type(exc).__name__})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise DeskConfigError(f"desk config {path} is not valid YAML{where}") from None
    try:
        return DeskConfig.model_validate(raw or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"]) or "<file>"
        raise DeskConfigError(f"desk config {path}: {loc}: {first['msg']}") from None


def dump_desk_config(config: DeskConfig) -> str:
    """YAML text of ``config`` with a header comment."""
    body = config.model_dump(mode="json")
    return "# domicile regulator desk: see docs/desk.md\n" + yaml.safe_dump(
        body, sort_keys=False, allow_unicode=True
    )
