"""The request catalog: request types with legal basis and clocks, categories, automatic actions.

The catalog is data (``desk/data/ru_desk.yaml``), validated once against the clock registry:
every clock a type names must exist, each type has exactly one primary clock, and automatic
actions are refused for types whose clocks demand legal review (e.g. law-enforcement data
requests, ``le.data_request``). See docs/desk.md for the table.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from domicile.desk.clocks import ClockRegistry, ClockSource
from domicile.desk.errors import DeskConfigError, UnknownRequestTypeError
from domicile.desk.models import Action, AuthorityType, Channel, RequestKind

__all__ = [
    "AutomaticAction",
    "Category",
    "ClockBinding",
    "EmailRule",
    "Need",
    "RequestCatalog",
    "RequestType",
    "StopsOn",
    "load_catalog",
    "load_ru_catalog",
    "render_request_table",
]


class StopsOn(StrEnum):
    """The workflow event that meets a clock."""

    ACKNOWLEDGED = "acknowledged"
    DECIDED = "decided"
    EXECUTED = "executed"
    ANSWERED = "answered"
    NOTICE_1 = "notice_1"
    NOTICE_2 = "notice_2"


class Need(StrEnum):
    """Whether a request type needs items or a subject."""

    REQUIRED = "required"
    OPTIONAL = "optional"
    NONE = "none"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Category(_Strict):
    """One self-monitoring category (SN-4 pick-list)."""

    code: str = Field(pattern=r"^C-[A-Z-]{2,30}$")
    label_ru: str = Field(min_length=1)
    label_en: str = Field(min_length=1)


class ClockBinding(_Strict):
    """A clock a request type starts at receipt, and the event that meets it."""

    clock: str
    stops_on: StopsOn
    primary: bool = False


class RequestType(_Strict):
    """One request type: legal basis, who may send it, by which channel, and its clocks."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,47}$")
    title: str = Field(min_length=1)
    title_ru: str = Field(min_length=1)
    kind: RequestKind
    priority: int = Field(ge=0, le=3)
    legal_basis: ClockSource
    authority_types: tuple[AuthorityType, ...] = Field(min_length=1)
    channels: tuple[Channel, ...] = Field(min_length=1)
    items: Need
    subject: Need
    category: str | None = Field(default=None, description="'required', or 'fixed:<code>'")
    actions: tuple[Action, ...]
    clocks: tuple[ClockBinding, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_primary(self) -> Self:
        if sum(1 for c in self.clocks if c.primary) != 1:
            raise ValueError("exactly one clock must be primary")
        if len({c.clock for c in self.clocks}) != len(self.clocks):
            raise ValueError("a clock is listed twice")
        if self.category not in (None, "required") and not str(self.category).startswith("fixed:"):
            raise ValueError("category must be 'required' or 'fixed:<code>'")
        return self

    @property
    def primary_clock(self) -> str:
        """The clock whose due time is the request's headline deadline."""
        return next(c.clock for c in self.clocks if c.primary)

    @property
    def fixed_category(self) -> str | None:
        """The category every request of this type has, if fixed."""
        return self.category.split(":", 1)[1] if self.category and ":" in self.category else None

    def cite(self) -> str:
        """The legal basis as one line (act, article, tag, requirement IDs)."""
        return self.legal_basis.cite()


class AutomaticAction(_Strict):
    """An execution the pack allows without a signed decision (recorded as automatic)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_.-]{2,63}$")
    request_type: str
    trigger: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    action: Action
    legal_basis: ClockSource
    note: str = ""


class EmailRule(_Strict):
    """Classifies an e-mail by sender domain and subject keywords."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_.-]{1,63}$")
    from_domains: tuple[str, ...] = Field(min_length=1)
    subject_any: tuple[str, ...] = ()
    type: str
    authority_type: AuthorityType

    def matches(self, sender_domain: str, subject: str) -> bool:
        """True when the sender's domain is (a subdomain of) a listed one and a keyword is in the subject."""
        domain = sender_domain.lower().rstrip(".")
        if not any(domain == d or domain.endswith("." + d) for d in self.from_domains):
            return False
        folded = subject.casefold()
        return not self.subject_any or any(k.casefold() in folded for k in self.subject_any)


class _CatalogFile(_Strict):
    version: Literal[1]
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")
    categories: tuple[Category, ...] = Field(min_length=1)
    request_types: tuple[RequestType, ...] = Field(min_length=1)
    automatic_actions: tuple[AutomaticAction, ...] = ()
    email_rules: tuple[EmailRule, ...] = ()


class RequestCatalog:
    """Validated request types, categories, automatic actions and e-mail rules of one pack."""

    def __init__(self, model: _CatalogFile, clocks: ClockRegistry) -> None:
        self.jurisdiction = model.jurisdiction
        self._types = {t.id: t for t in model.request_types}
        self._categories = {c.code: c for c in model.categories}
        self._auto = {a.id: a for a in model.automatic_actions}
        self.email_rules = model.email_rules
        self.clocks = clocks
        self._check(model)

    def _check(self, model: _CatalogFile) -> None:
        if len(self._types) != len(model.request_types):
            raise DeskConfigError("request catalog: duplicate request type id")
        for t in model.request_types:
            for binding in t.clocks:
                if binding.clock not in self.clocks:
                    raise DeskConfigError(f"request type {t.id!r}: unknown clock {binding.clock!r}")
            fixed = t.fixed_category
            if fixed is not None and fixed not in self._categories:
                raise DeskConfigError(f"request type {t.id!r}: unknown category {fixed!r}")
        for a in model.automatic_actions:
            rtype = self._types.get(a.request_type)
            if rtype is None:
                raise DeskConfigError(f"automatic action {a.id!r}: unknown request type {a.request_type!r}")
            if any(self.clocks.rule(c.clock).legal_review for c in rtype.clocks):
                raise DeskConfigError(
                    f"automatic action {a.id!r}: request type {rtype.id!r} requires legal review always"
                )
            if a.action not in rtype.actions:
                raise DeskConfigError(
                    f"automatic action {a.id!r}: action {a.action} not allowed for the type"
                )
        for rule in model.email_rules:
            if rule.type not in self._types:
                raise DeskConfigError(f"e-mail rule {rule.id!r}: unknown request type {rule.type!r}")

    def type(self, type_id: str) -> RequestType:
        """The request type with that id.

        Raises:
            UnknownRequestTypeError: no such type (the message lists the known ones).
        """
        try:
            return self._types[type_id]
        except KeyError:
            known = ", ".join(self._types)
            raise UnknownRequestTypeError(
                f"unknown request type {type_id[:48]!r}; known types: {known}"
            ) from None

    def __iter__(self) -> Iterator[RequestType]:
        return iter(self._types.values())

    def __contains__(self, type_id: object) -> bool:
        return type_id in self._types

    @property
    def categories(self) -> Mapping[str, Category]:
        """Self-monitoring categories by code, in file order."""
        return dict(self._categories)

    def automatic_action(self, rule_id: str) -> AutomaticAction | None:
        """The automatic action with that id, if the pack allows one."""
        return self._auto.get(rule_id)

    @property
    def automatic_actions(self) -> tuple[AutomaticAction, ...]:
        """Every automatic action the pack allows."""
        return tuple(self._auto.values())

    def legal_review_always(self, type_id: str) -> bool:
        """Whether any clock of the type is flagged "legal review always"."""
        return any(self.clocks.rule(c.clock).legal_review for c in self.type(type_id).clocks)


def _read(text: str, name: str) -> _CatalogFile:
    try:
        raw: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise DeskConfigError(f"{name}{where}: not valid YAML") from None
    try:
        return _CatalogFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "<file>"
        raise DeskConfigError(f"{name}: {loc}: {first['msg']}") from None


def load_catalog(path: Path, clocks: ClockRegistry) -> RequestCatalog:
    """Load a catalog file and check it against ``clocks``.

    Raises:
        DeskConfigError: unreadable, invalid, or naming an unknown clock, type or category.
    """
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DeskConfigError(
            f"{path.name}: cannot read the request catalog ({type(exc).__name__})"
        ) from None
    return RequestCatalog(_read(text, path.name), clocks)


@functools.cache
def _packaged() -> _CatalogFile:
    text = resources.files("domicile.desk").joinpath("data", "ru_desk.yaml").read_text("utf-8")
    return _read(text, "ru_desk.yaml")


def load_ru_catalog(clocks: ClockRegistry) -> RequestCatalog:
    """The packaged RU catalog checked against ``clocks`` (the RU clocks, possibly overridden).

    The file is parsed once per process (it is immutable package data).
    """
    return RequestCatalog(_packaged(), clocks)


TABLE_START = "<!-- request-types:start (generated by domicile.desk.catalog.render_request_table) -->"
TABLE_END = "<!-- request-types:end -->"


def render_request_table(catalog: RequestCatalog) -> str:
    """Markdown table of the request types: legal basis, senders, channels, clocks (docs/desk.md)."""
    rows = [
        "| Type | Request | Kind | Legal basis | From | Channels | Clocks (primary first) | Actions |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in catalog:
        clocks = sorted(t.clocks, key=lambda c: not c.primary)
        cells = (
            f"`{t.id}`",
            t.title,
            t.kind.value,
            t.cite(),
            ", ".join(a.value for a in t.authority_types),
            ", ".join(c.value for c in t.channels),
            "<br>".join(f"`{c.clock}` (until {c.stops_on.value})" for c in clocks),
            ", ".join(a.value for a in t.actions) or "-",
        )
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows) + "\n"
