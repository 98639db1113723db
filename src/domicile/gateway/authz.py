"""The authorization matrix: one table of role x action x scope -> access.

*Scope* is where the caller runs relative to the data: ``home`` when the caller's
location (the country on its API key) is a country of the subject's jurisdiction
pack, ``foreign`` otherwise. Subjects of the catch-all pack (GLOBAL) have no home
country, so every caller is ``foreign`` to them. Actions that do not concern one
subject (cells status, the transfer ledger...) have the same access in both scopes;
notices and kill switches take the scope of the jurisdiction they name.

*Access*:

* ``allow`` - go ahead;
* ``deny`` - 403 with rule ``gateway.authz``;
* ``transfer`` - PD would leave the subject's country: allowed only if the
  cross-border rules of the subject's pack pass (:mod:`domicile.gateway.transfers`),
  and then written to the transfer ledger.

Legal basis: 152-FZ art. 19 part 1 (SEC-1, access control against unauthorised
access and provision); 152-FZ art. 12 (PD-XB-1..5) for ``transfer``. Actions that
return PD to a foreign caller are never plain ``allow`` (checked by a test).
The same table is rendered into ``docs/gateway.md`` (:func:`render_matrix`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from domicile.gateway.errors import AccessDenied
from domicile.jurisdictions.base import Jurisdiction

AUTHZ_RULE = "gateway.authz"
AUTHZ_SOURCE = "152-FZ art. 19 part 1 [V] (SEC-1); domicile authorization matrix (docs/gateway.md)"


class Role(StrEnum):
    """What a principal is for."""

    APP = "app"  # the global platform's services (sign-up, profiles, messaging)
    SUPPORT_RU = "support-ru"  # the support team inside Russia
    DPO = "dpo"  # the person responsible for PD processing (152-FZ art. 22.1)
    REGULATOR_LIAISON = "regulator-liaison"  # answers RKN and authorities' requests
    ADMIN = "admin"  # operates the gateway: keys, cells, transfer switches; never reads PD
    REPRESENTATIVE = "representative"  # the local representative: signs desk decisions; no PD here
    AUTHORITY = "authority"  # an authority's account at the desk, bound to one authority type
    MODERATOR = "moderator"  # reviews the moderation queue; no PD here


class Action(StrEnum):
    """What a request does; every route names exactly one."""

    SUBJECT_CREATE = "subject.create"
    SUBJECT_READ = "subject.read"
    SUBJECT_PATCH = "subject.patch"
    SUBJECT_ERASE = "subject.erase"
    SUBJECT_SEARCH = "subject.search"
    TOKENIZE = "token.tokenize"
    DETOKENIZE = "token.detokenize"
    CELLS_STATUS = "cells.status"
    TRANSFERS_READ = "transfers.read"
    TRANSFERS_LEDGER = "transfers.ledger"
    TRANSFERS_NOTICE = "transfers.notice"
    KILL_ENGAGE = "transfers.kill.engage"
    KILL_RELEASE = "transfers.kill.release"
    APIKEYS_MANAGE = "apikeys.manage"


class Scope(StrEnum):
    """Where the caller runs relative to the subject's jurisdiction."""

    HOME = "home"
    FOREIGN = "foreign"


class Access(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    TRANSFER = "transfer"


#: Actions whose response carries PD values (never plain ``allow`` abroad).
RETURNS_PD: frozenset[Action] = frozenset({Action.SUBJECT_READ, Action.DETOKENIZE})

_ROLES = (
    Role.APP,
    Role.SUPPORT_RU,
    Role.DPO,
    Role.REGULATOR_LIAISON,
    Role.ADMIN,
    Role.REPRESENTATIVE,
    Role.AUTHORITY,
    Role.MODERATOR,
)
_CODES = {"A": Access.ALLOW, "D": Access.DENY, "T": Access.TRANSFER}

# One row per action; one "home/foreign" pair per role, in the order of _ROLES.
# A = allow, D = deny, T = transfer (allowed only through the cross-border rules).
# The desk and moderation roles (representative, authority, moderator) work through the mounted
# /v1/desk and /v1/moderation APIs (their own permission tables) and get no PD endpoint here.
#          action                    app    support-ru  dpo    regulator-liaison  admin  repr.  auth.  moder.
_TABLE: tuple[tuple[Action, str, str, str, str, str, str, str, str], ...] = (
    (Action.SUBJECT_CREATE,          "A/A", "D/D",      "D/D", "D/D",             "D/D", "D/D", "D/D", "D/D"),
    (Action.SUBJECT_READ,            "A/T", "A/D",      "A/T", "A/D",             "D/D", "D/D", "D/D", "D/D"),
    (Action.SUBJECT_PATCH,           "A/A", "A/D",      "A/D", "D/D",             "D/D", "D/D", "D/D", "D/D"),
    (Action.SUBJECT_ERASE,           "A/A", "A/D",      "A/A", "D/D",             "D/D", "D/D", "D/D", "D/D"),
    (Action.SUBJECT_SEARCH,          "A/A", "A/D",      "A/A", "A/D",             "D/D", "D/D", "D/D", "D/D"),
    (Action.TOKENIZE,                "A/A", "A/D",      "A/A", "D/D",             "D/D", "D/D", "D/D", "D/D"),
    (Action.DETOKENIZE,              "A/T", "A/D",      "A/T", "A/D",             "D/D", "D/D", "D/D", "D/D"),
    (Action.CELLS_STATUS,            "D/D", "D/D",      "A/A", "A/A",             "A/A", "D/D", "D/D", "D/D"),
    (Action.TRANSFERS_READ,          "D/D", "D/D",      "A/A", "A/A",             "A/A", "D/D", "D/D", "D/D"),
    (Action.TRANSFERS_LEDGER,        "D/D", "D/D",      "A/A", "A/A",             "A/A", "D/D", "D/D", "D/D"),
    (Action.TRANSFERS_NOTICE,        "D/D", "D/D",      "A/A", "D/D",             "A/A", "D/D", "D/D", "D/D"),
    (Action.KILL_ENGAGE,             "D/D", "D/D",      "A/A", "A/A",             "A/A", "D/D", "D/D", "D/D"),
    (Action.KILL_RELEASE,            "D/D", "D/D",      "A/D", "D/D",             "D/D", "D/D", "D/D", "D/D"),
    (Action.APIKEYS_MANAGE,          "D/D", "D/D",      "D/D", "D/D",             "A/A", "D/D", "D/D", "D/D"),
)  # fmt: skip


def _build() -> Mapping[Action, Mapping[Role, Mapping[Scope, Access]]]:
    out: dict[Action, dict[Role, dict[Scope, Access]]] = {}
    for action, *cells in _TABLE:
        row: dict[Role, dict[Scope, Access]] = {}
        for role, cell in zip(_ROLES, cells, strict=True):
            home, foreign = cell.split("/")
            row[role] = {Scope.HOME: _CODES[home], Scope.FOREIGN: _CODES[foreign]}
        out[action] = row
    missing = set(Action) - set(out)
    if missing:  # pragma: no cover - guarded by tests
        raise RuntimeError(f"authorization matrix lacks actions: {sorted(missing)}")
    return out


MATRIX: Mapping[Action, Mapping[Role, Mapping[Scope, Access]]] = _build()


@dataclass(frozen=True)
class AuthzDecision:
    """The matrix cell that decided a request (evidence)."""

    action: Action
    role: Role
    scope: Scope
    access: Access
    rule: str = AUTHZ_RULE
    legal_source: str = AUTHZ_SOURCE


def access(role: Role, action: Action, scope: Scope) -> Access:
    """The matrix entry for *role*, *action* and *scope*."""
    return MATRIX[action][role][scope]


def scope_for(location: str, pack: type[Jurisdiction]) -> Scope:
    """``home`` when *location* is one of the pack's countries (never for the catch-all pack)."""
    return Scope.HOME if location in pack.COUNTRIES else Scope.FOREIGN


def authorize(role: Role, action: Action, scope: Scope) -> AuthzDecision:
    """Decide from the matrix; raise :class:`AccessDenied` (rule ``gateway.authz``) on ``deny``."""
    decision = AuthzDecision(action, role, scope, access(role, action, scope))
    if decision.access is Access.DENY:
        raise AccessDenied(
            f"role {role.value!r} may not {action.value} ({scope.value} scope)",
            rule=AUTHZ_RULE,
            legal_source=AUTHZ_SOURCE,
            evidence={"role": role.value, "action": action.value, "scope": scope.value},
        )
    return decision


def render_matrix() -> str:
    """The matrix as a Markdown table (home / foreign per role), as kept in docs/gateway.md."""
    header = "| action | " + " | ".join(r.value for r in _ROLES) + " |"
    sep = "|---|" + "---|" * len(_ROLES)
    lines = [header, sep]
    for action in Action:
        cells = [
            f"{MATRIX[action][r][Scope.HOME].value} / {MATRIX[action][r][Scope.FOREIGN].value}"
            for r in _ROLES
        ]
        lines.append(f"| `{action.value}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)
