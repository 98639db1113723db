"""``domicile serve --demo``: synthetic users, fresh API keys, and curl lines to paste.

Seeds once per data folder (the subjects' ids, cells and tokens - no PD - are kept in
the gateway database), and issues new demo keys on every start (older demo keys are
revoked). Nothing here is PD: people are made by :func:`domicile.synthetic.people.make_people`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from domicile.gateway.authz import Role
from domicile.gateway.runtime import GatewayRuntime
from domicile.residency.resolver import Signals
from domicile.synthetic.people import Origin, make_people

DEMO_ORIGINS: tuple[Origin, ...] = ("RU", "KZ", "DE", "US")
DEMO_NOTE = "demo"
DEMO_META = "demo_subjects"
#: label -> (principal, role, location)
DEMO_KEYS: dict[str, tuple[str, Role, str]] = {
    "app-ru": ("demo-app-ru", Role.APP, "RU"),
    "app-de": ("demo-app-de", Role.APP, "DE"),
    "dpo": ("demo-dpo", Role.DPO, "RU"),
    "admin": ("demo-admin", Role.ADMIN, "RU"),
}


@dataclass(frozen=True)
class DemoSubject:
    origin: str
    subject_id: str
    cell: str
    tokens: dict[str, str]


@dataclass(frozen=True)
class DemoReport:
    keys: dict[str, str]  # label -> API key (secret)
    subjects: list[DemoSubject] = field(default_factory=list)
    seeded_now: bool = False


def seed_demo(runtime: GatewayRuntime, per_origin: int = 2, seed: int = 7) -> DemoReport:
    """Store synthetic users (first time only) and issue fresh demo API keys."""
    stored = runtime.store.get_meta(DEMO_META)
    seeded_now = stored is None
    if stored is None:
        people = make_people(per_origin * len(DEMO_ORIGINS), origins=DEMO_ORIGINS, seed=seed)
        items = [
            (p.pd_fields(), Signals(citizenship=(p.citizenship,), residence=p.residence)) for p in people
        ]
        results = runtime.dom.put_many(items, actor="demo", purpose="registration", issue_tokens=True)
        subjects = [
            DemoSubject(p.origin, r.subject_id, r.cell, dict(r.tokens))
            for p, r in zip(people, results, strict=True)
        ]
        runtime.store.set_meta(DEMO_META, json.dumps([asdict(s) for s in subjects]))
    else:
        subjects = [DemoSubject(**s) for s in json.loads(stored)]
    keys = runtime.gateway.keys
    for info in keys.list(include_revoked=False):
        if info.note == DEMO_NOTE:
            keys.revoke(info.key_id)
    issued = {
        label: keys.create(principal, role, location, DEMO_NOTE).api_key
        for label, (principal, role, location) in DEMO_KEYS.items()
    }
    return DemoReport(issued, subjects, seeded_now)


def render_demo(report: DemoReport, base_url: str) -> str:
    """The banner printed by ``domicile serve --demo``: keys and curl examples."""
    ru = next((s for s in report.subjects if s.origin == "RU"), None)
    lines = [
        "domicile gateway demo" + (" (synthetic users stored)" if report.seeded_now else ""),
        "",
        "API keys (shown once; each start issues new ones):",
    ]
    for label, key in report.keys.items():
        _, role, location = DEMO_KEYS[label]
        lines.append(f"  {label:<7} role {role.value:<6} located {location}:  {key}")
    lines += [
        "",
        "Paste into a shell:",
        f"  export GW={base_url}",
        f"  export KEY={report.keys['app-ru']}",
        f"  export KEY_DE={report.keys['app-de']}",
        f"  export KEY_DPO={report.keys['dpo']}",
        "",
        "  # store a new Russian user: PD goes to the RU cell, tokens come back",
        '  curl -s -X POST $GW/v1/subjects -H "Authorization: Bearer $KEY" '
        "-H 'Content-Type: application/json' \\",
        '    -d \'{"fields": {"given_name": "Анна", "phone": "+79161234567"}, '
        '"signals": {"citizenship": ["RU"]}}\'',
    ]
    if ru is not None:
        token = ru.tokens.get("email") or next(iter(ru.tokens.values()))
        detok = (
            f'  curl -s -X POST $GW/v1/tokens/detokenize -H "Authorization: Bearer $KEY{{}}" '
            f'-H \'Content-Type: application/json\' -d \'{{{{"purpose": "support.contact", '
            f'"tokens": ["{token}"]}}}}\''
        )
        lines += [
            "",
            "  # read a Russian user's PD from inside Russia (audited in the RU cell)",
            f'  curl -s "$GW/v1/subjects/{ru.subject_id}?purpose=support.ticket" '
            '-H "Authorization: Bearer $KEY"',
            "  # detokenize from inside Russia: allowed",
            detok.format(""),
            "  # the same from Germany: 403, rule ru.xb.notice (152-FZ art. 12) until a notice is recorded",
            detok.format("_DE"),
            "  # the DPO records the cross-border notice for Germany (adequate: no waiting period)",
            '  curl -s -X POST $GW/v1/transfers/notices -H "Authorization: Bearer $KEY_DPO" '
            "-H 'Content-Type: application/json' \\",
            '    -d \'{"destination": "DE", "reference": "RKN-demo-1", '
            '"filed_at": "2025-01-15T10:00:00+03:00", "recipient": "Demo GmbH", '
            '"assessed_on": "2025-01-10"}\'',
            "  # ...now Germany gets the value, and the transfer is in the ledger",
            '  curl -s $GW/v1/transfers/ledger -H "Authorization: Bearer $KEY_DPO"',
        ]
    lines += [
        "",
        f"OpenAPI: {base_url}/openapi.json   docs: {base_url}/docs   metrics: {base_url}/v1/metrics",
    ]
    return "\n".join(lines)
