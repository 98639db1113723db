"""The minors' protection policy: account defaults, a feed filter and a DM gate (436-FZ; MIN-1..MIN-6).

Every decision returns its evidence (the rule that fired, the viewer's band, the label and
categories involved, the policy version, MIN-6 ``feed_filter_policy_version``). The policy is
data (``data/ru_minors.yaml``): labels and their ages (MIN-3), what is prohibited for children
(MIN-1), under-18 defaults (MIN-5) and the signup ages (PD-MIN-1).

Rules:

* **View** (feed, search, profile): an under-18 viewer never gets ``18+`` content or content
  carrying a minor-prohibited code or category (MIN-1, MIN-6); otherwise the content's label
  must not exceed the viewer's age (unrated content counts as ``unrated_as``). Adults see
  everything not restricted by moderation.
* **DM**: to an under-18 recipient only from a mutual follower or an approved contact, whatever
  the recipient's settings say (MIN-5); to anyone, the recipient's own DM setting applies.
* **Settings**: an account gets its band's defaults; a holder may tighten any setting but not
  loosen a locked one (refused changes are reported, not applied).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, Self, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from domicile.moderation.actions.errors import ModerationConfigError, ModerationInputError
from domicile.moderation.minors.age import AgeBand, age_band, age_years

__all__ = [
    "AccountSettings",
    "AgeLabel",
    "ContentRating",
    "DmDecision",
    "DmPolicy",
    "MinorsPolicy",
    "SettingsChange",
    "SignupDecision",
    "ViewDecision",
    "ru_minors_path",
]


class AgeLabel(StrEnum):
    """Content age labels (436-FZ art. 6-10, 12; MIN-3, MIN-6 ``content.age_rating``)."""

    ZERO = "0+"
    SIX = "6+"
    TWELVE = "12+"
    SIXTEEN = "16+"
    EIGHTEEN = "18+"
    UNRATED = "unrated"


class DmPolicy(StrEnum):
    """Who may send the account a direct message, from most open to closed."""

    EVERYONE = "everyone"
    MUTUAL_OR_APPROVED = "mutual_or_approved"
    NOBODY = "nobody"


T = TypeVar("T")
_DM_OPENNESS = {DmPolicy.EVERYONE: 2, DmPolicy.MUTUAL_OR_APPROVED: 1, DmPolicy.NOBODY: 0}


@dataclass(frozen=True, slots=True)
class AccountSettings:
    """Privacy settings of an account (MIN-5)."""

    private: bool
    dm: DmPolicy
    precise_location: bool
    live_streaming: bool
    gifting: bool


def _looser(name: str, old: object, new: object) -> bool:
    """Whether changing ``name`` from ``old`` to ``new`` loosens protection."""
    if name == "dm":
        return _DM_OPENNESS[DmPolicy(str(new))] > _DM_OPENNESS[DmPolicy(str(old))]
    if name == "private":
        return old is True and new is False
    return old is False and new is True


@dataclass(frozen=True, slots=True)
class ContentRating:
    """What the filter knows of a piece of content: its label and MIN-1 codes / categories."""

    label: AgeLabel = AgeLabel.UNRATED
    codes: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ViewDecision:
    """May this viewer be served this content? With the evidence.

    Attributes:
        allowed: The answer.
        rule: ``adult``, ``label_ok``, ``label_18_plus``, ``label_above_age``, ``minor_prohibited``.
        viewer_band: The viewer's band.
        label: The content's label.
        effective_label: The label applied (``unrated`` is read as the policy's ``unrated_as``).
        prohibited_codes: The MIN-1 codes / categories that fired.
        policy_version: The policy version (MIN-6 ``feed_filter_policy_version``).
    """

    allowed: bool
    rule: str
    viewer_band: AgeBand
    label: AgeLabel
    effective_label: AgeLabel
    prohibited_codes: tuple[str, ...]
    policy_version: str


@dataclass(frozen=True, slots=True)
class DmDecision:
    """May this sender message this recipient? With the evidence.

    Attributes:
        allowed: The answer.
        rule: ``mutual_follow``, ``approved_contact``, ``open_dms``, ``stranger_to_minor``,
            ``recipient_dms_off``, ``recipient_requires_mutual``, ``self``.
        recipient_band: The recipient's band.
        policy_version: The policy version.
    """

    allowed: bool
    rule: str
    recipient_band: AgeBand
    policy_version: str


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """One requested settings change and what happened to it."""

    name: str
    requested: object
    applied: bool
    rule: str


@dataclass(frozen=True, slots=True)
class SignupDecision:
    """Whether a person may sign up, with the evidence (PD-MIN-1).

    Attributes:
        allowed: The answer.
        rule: ``ok``, ``below_minimum_age``, ``guardian_consent_required``.
        band: The person's band.
        age: Age in years.
        needs_guardian_consent: Whether a legal representative's consent is needed.
        policy_version: The policy version.
    """

    allowed: bool
    rule: str
    band: AgeBand
    age: int
    needs_guardian_consent: bool
    policy_version: str


# --- the policy file ------------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Signup(_Strict):
    minimum_age: int = Field(ge=0, le=18)
    guardian_consent_below: int = Field(ge=0, le=18)


class _Label(_Strict):
    label: AgeLabel
    min_age: int = Field(ge=0, le=18)
    sign_ru: str


class _Prohibited(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    title: str


class _Settings(_Strict):
    private: bool
    dm: DmPolicy
    precise_location: bool
    live_streaming: bool
    gifting: bool


class _Band(_Strict):
    band: AgeBand
    defaults: _Settings
    locked: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _locked_known(self) -> Self:
        unknown = sorted(set(self.locked) - set(_Settings.model_fields))
        if unknown:
            raise ValueError(f"locked names unknown settings {unknown}")
        return self


class _PolicyFile(_Strict):
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")
    signup: _Signup
    labels: tuple[_Label, ...]
    unrated_as: AgeLabel
    minor_prohibited: tuple[_Prohibited, ...]
    minor_prohibited_categories: tuple[str, ...] = ()
    bands: tuple[_Band, ...]

    @model_validator(mode="after")
    def _complete(self) -> Self:
        rated = {lb.label for lb in self.labels}
        if rated != set(AgeLabel) - {AgeLabel.UNRATED}:
            raise ValueError("labels must list 0+, 6+, 12+, 16+ and 18+ exactly once each")
        if len(self.labels) != len(rated):
            raise ValueError("labels lists a label twice")
        ages = {lb.label: lb.min_age for lb in self.labels}
        if ages[AgeLabel.EIGHTEEN] != 18:
            raise ValueError("the 18+ label must have min_age 18 (436-FZ: prohibited for children)")
        if self.unrated_as is AgeLabel.UNRATED:
            raise ValueError("unrated_as must be a rated label")
        if sorted(b.band for b in self.bands) != sorted(AgeBand) or len(self.bands) != len(AgeBand):
            raise ValueError("bands must list every age band exactly once")
        return self


def _line(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def ru_minors_path() -> Path:
    """The packaged RU minors' policy file."""
    return Path(__file__).resolve().parent / "data" / "ru_minors.yaml"


class MinorsPolicy:
    """The minors' protection rules of one jurisdiction pack (see the module docstring).

    Build with :meth:`from_file` or :meth:`ru`.
    """

    def __init__(self, model: _PolicyFile) -> None:
        self.version = model.version
        self.jurisdiction = model.jurisdiction
        self.minimum_signup_age = model.signup.minimum_age
        self.guardian_consent_below = model.signup.guardian_consent_below
        self.label_ages: Mapping[AgeLabel, int] = {lb.label: lb.min_age for lb in model.labels}
        self.unrated_as = model.unrated_as
        self.prohibited_codes = frozenset(p.code for p in model.minor_prohibited) | frozenset(
            model.minor_prohibited_categories
        )
        self._defaults = {
            b.band: AccountSettings(**b.defaults.model_dump()) for b in model.bands
        }  # fmt: skip
        self._locked = {b.band: frozenset(b.locked) for b in model.bands}

    @classmethod
    def from_file(cls, path: Path) -> MinorsPolicy:
        """Load and validate a policy file.

        Raises:
            ModerationConfigError: Unreadable, not YAML, or not the schema; names the file and line.
        """
        name = path.name
        try:
            text = path.read_text(encoding="utf-8")
            root = yaml.compose(text, Loader=yaml.SafeLoader)
            raw: Any = yaml.safe_load(text)
        except (OSError, UnicodeDecodeError) as exc:
            raise ModerationConfigError(
                f"{name}: cannot read the minors policy ({type(exc).__name__})"
            ) from exc
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark is not None else ""
            raise ModerationConfigError(f"{name}{where}: not valid YAML") from exc
        try:
            model = _PolicyFile.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = tuple(first["loc"])
            line = _line(root, loc)
            where = f" line {line}" if line else ""
            field = ".".join(str(p) for p in loc) or "<file>"
            raise ModerationConfigError(f"{name}{where}: {field}: {first['msg']}") from None
        return cls(model)

    @classmethod
    def ru(cls) -> MinorsPolicy:
        """The RU pack's policy."""
        return cls.from_file(ru_minors_path())

    # -- accounts ---------------------------------------------------------------------------------
    def band(self, birth_date: date, today: date) -> AgeBand:
        """The band on ``today`` (see :func:`~.age.age_band`)."""
        return age_band(birth_date, today)

    def signup(self, birth_date: date, today: date, *, guardian_consent: bool = False) -> SignupDecision:
        """Whether a person may sign up (PD-MIN-1: minimum age; guardian consent under 14)."""
        age = age_years(birth_date, today)
        band = age_band(birth_date, today)
        needs = age < self.guardian_consent_below
        if age < self.minimum_signup_age:
            return SignupDecision(False, "below_minimum_age", band, age, needs, self.version)
        if needs and not guardian_consent:
            return SignupDecision(False, "guardian_consent_required", band, age, needs, self.version)
        return SignupDecision(True, "ok", band, age, needs, self.version)

    def defaults_for(self, band: AgeBand) -> AccountSettings:
        """The band's default settings (MIN-5: under-18 private, no DMs from strangers...)."""
        return self._defaults[band]

    def locked_for(self, band: AgeBand) -> frozenset[str]:
        """Settings a holder of this band may not loosen."""
        return self._locked[band]

    def apply_settings(
        self, band: AgeBand, current: AccountSettings, requested: Mapping[str, object]
    ) -> tuple[AccountSettings, tuple[SettingsChange, ...]]:
        """Apply requested changes, refusing those that loosen a locked setting.

        Raises:
            ModerationInputError: An unknown setting or a value of the wrong type.
        """
        names = {f.name for f in fields(AccountSettings)}
        changes: list[SettingsChange] = []
        updated: dict[str, Any] = {}
        for name, raw in requested.items():
            value = raw
            if name not in names:
                raise ModerationInputError(f"unknown account setting {name!r}")
            if name == "dm":
                try:
                    value = DmPolicy(str(raw))
                except ValueError:
                    raise ModerationInputError("dm must be everyone, mutual_or_approved or nobody") from None
            elif not isinstance(value, bool):
                raise ModerationInputError(f"setting {name!r} must be true or false")
            old = getattr(current, name)
            if name in self._locked[band] and _looser(name, old, value):
                changes.append(SettingsChange(name, value, False, f"locked_for_{band.value}"))
                continue
            updated[name] = value
            changes.append(SettingsChange(name, value, True, "ok"))
        return replace(current, **updated), tuple(changes)

    # -- content -------------------------------------------------------------------------------------
    def can_view(self, band: AgeBand, rating: ContentRating) -> ViewDecision:
        """May a viewer of ``band`` be served content rated ``rating`` (MIN-1, MIN-3, MIN-6)?"""
        effective = self.unrated_as if rating.label is AgeLabel.UNRATED else rating.label
        if not band.is_minor:
            return ViewDecision(True, "adult", band, rating.label, effective, (), self.version)
        hits = tuple(sorted(rating.codes & self.prohibited_codes))
        if rating.label is AgeLabel.EIGHTEEN:
            return ViewDecision(False, "label_18_plus", band, rating.label, effective, hits, self.version)
        if hits:
            return ViewDecision(False, "minor_prohibited", band, rating.label, effective, hits, self.version)
        if self.label_ages[effective] > band.min_age:
            return ViewDecision(False, "label_above_age", band, rating.label, effective, hits, self.version)
        return ViewDecision(True, "label_ok", band, rating.label, effective, hits, self.version)

    def filter(
        self, band: AgeBand, items: Iterable[T], rating_of: Callable[[T], ContentRating]
    ) -> tuple[list[T], list[tuple[T, ViewDecision]]]:
        """Split ``items`` into those the viewer may see and those dropped (with decisions).

        Args:
            band: The viewer's band.
            items: Candidate items.
            rating_of: ``rating_of(item) -> ContentRating``.
        """
        kept: list[T] = []
        dropped: list[tuple[T, ViewDecision]] = []
        for item in items:
            decision = self.can_view(band, rating_of(item))
            if decision.allowed:
                kept.append(item)
            else:
                dropped.append((item, decision))
        return kept, dropped

    # -- messages ------------------------------------------------------------------------------------
    def can_dm(
        self,
        *,
        recipient_band: AgeBand,
        recipient_settings: AccountSettings,
        mutual_follow: bool,
        approved_contact: bool,
        same_account: bool = False,
    ) -> DmDecision:
        """May a sender message the recipient (MIN-5: no DMs from strangers to under-18s)?"""
        v = self.version
        if same_account:
            return DmDecision(True, "self", recipient_band, v)
        if recipient_settings.dm is DmPolicy.NOBODY:
            return DmDecision(False, "recipient_dms_off", recipient_band, v)
        known = mutual_follow or approved_contact
        if recipient_band.is_minor and not known:
            return DmDecision(False, "stranger_to_minor", recipient_band, v)
        if recipient_settings.dm is DmPolicy.MUTUAL_OR_APPROVED and not known:
            return DmDecision(False, "recipient_requires_mutual", recipient_band, v)
        rule = "mutual_follow" if mutual_follow else "approved_contact" if approved_contact else "open_dms"
        return DmDecision(True, rule, recipient_band, v)
