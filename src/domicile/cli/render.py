"""Turning library results into JSON or human-readable text."""

from __future__ import annotations

import dataclasses
import json
from enum import Enum
from pathlib import Path
from typing import Any


def to_jsonable(obj: Any) -> Any:
    """Dataclasses, enums, paths and containers to plain JSON types."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, bytes):
        return obj.hex()
    return obj


def emit(obj: Any, as_json: bool, text: str | None = None) -> None:
    """Print *obj* as JSON, or *text* for people."""
    if as_json:
        print(json.dumps(to_jsonable(obj), ensure_ascii=False, indent=2))
    else:
        print(text if text is not None else str(obj))
