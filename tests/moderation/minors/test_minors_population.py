"""Must-show (MIN-5, MIN-6): in a generated population, no under-18 account is ever served 18+ or
minor-prohibited content in feed, search or profiles, nor a stranger's direct message.

People come from the synthetic generator (Faker names, real birth dates); content gets random labels
and MIN-1 codes; follows and approved contacts are random. The expected answers are computed here
from the birth dates and the policy *data file*, independently of the policy code.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domicile.core.clock import FixedClock
from domicile.moderation.actions import MemoryPlatform
from domicile.moderation.minors import (
    AgeLabel,
    DmRefusedError,
    ExampleApp,
    MinorsPolicy,
    SignupRefusedError,
    ru_minors_path,
)
from domicile.moderation.queue import Detector, Evidence, EvidenceKind, MemoryModerationSpace, ReviewQueue
from domicile.synthetic.people import make_people

DATA = yaml.safe_load(ru_minors_path().read_text("utf-8"))
PROHIBITED = {p["code"] for p in DATA["minor_prohibited"]} | set(DATA["minor_prohibited_categories"])
LABEL_AGE = {row["label"]: row["min_age"] for row in DATA["labels"]}
UNRATED_AS = DATA["unrated_as"]
HARMLESS = ["cats", "sport", "music", "cooking"]
POLICY = MinorsPolicy.ru()


def _age(born: date, today: date) -> int:
    years = today.year - born.year
    if (today.month, today.day) < (born.month, born.day):
        years -= 1
    return years


def _allowed_for(age: int, label: str, codes: frozenset[str]) -> bool:
    """What an under-18 viewer of ``age`` may be served, straight from the data file (MIN-1, MIN-3)."""
    if label == "18+" or codes & PROHIBITED:
        return False
    required: int = LABEL_AGE[UNRATED_AS if label == "unrated" else label]
    return required <= age


class World:
    """A generated app with its own record of ages, relations and sends (the oracle's view)."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self.rng = rng
        people = make_people(48, seed=seed % 997)
        births = sorted(date.fromisoformat(p.birth_date) for p in people)
        # put "today" so that several people are 13-17: 15 years after one of the youngest births
        self.today = births[-rng.randint(3, 9)] + timedelta(days=365 * 15 + rng.randint(0, 900))
        self.clock = FixedClock(datetime.combine(self.today, datetime.min.time(), tzinfo=UTC))
        self.app = ExampleApp(POLICY, self.clock)
        self.ages: dict[str, int] = {}
        self.refused_signups = 0
        for i, person in enumerate(people):
            uid, born = f"u:{i}", date.fromisoformat(person.birth_date)
            if born > self.today:  # not born yet on the chosen day
                continue
            try:
                self.app.signup(uid, born, person.origin, guardian_consent=rng.random() < 0.6)
            except SignupRefusedError:
                self.refused_signups += 1
                assert _age(born, self.today) < 14
                continue
            assert _age(born, self.today) >= 13
            self.ages[uid] = _age(born, self.today)
        self.users = sorted(self.ages)
        self.follows: set[tuple[str, str]] = set()
        self.contacts: set[tuple[str, str]] = set()
        for a in self.users:
            for b in self.users:
                if a != b and rng.random() < 0.12:
                    self.app.follow(a, b)
                    self.follows.add((a, b))
                if a != b and rng.random() < 0.03:
                    self.app.approve_contact(a, b)
                    self.contacts.add((a, b))
        self.posts: dict[str, tuple[str, frozenset[str]]] = {}
        labels = [lb.value for lb in AgeLabel]
        for n in range(90):
            codes = frozenset(rng.sample(sorted(PROHIBITED), rng.randint(0, 1)) + rng.sample(HARMLESS, 1))
            label = rng.choice(labels)
            self.app.post(rng.choice(self.users), f"c:{n}", label=label, codes=codes, tags=frozenset(codes))
            self.posts[f"c:{n}"] = (label, codes)
        adults = [u for u in self.users if self.ages[u] >= 18]
        if adults:  # one surely suitable post, so "minors are served something" is always testable
            self.app.post(
                adults[0], "c:safe", label="0+", codes=frozenset({"cats"}), tags=frozenset({"cats"})
            )
            self.posts["c:safe"] = ("0+", frozenset({"cats"}))

    def minor(self, uid: str) -> bool:
        return self.ages[uid] < 18

    def known(self, sender: str, recipient: str) -> bool:
        mutual = (sender, recipient) in self.follows and (recipient, sender) in self.follows
        return mutual or (recipient, sender) in self.contacts


def _check_served(world: World, viewer: str, items: tuple[object, ...]) -> int:
    served = 0
    for item in items:
        label, codes = world.posts[item.content_id]  # type: ignore[attr-defined]
        if world.minor(viewer):
            assert _allowed_for(world.ages[viewer], label, codes), (viewer, item)
        served += 1
    return served


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**31 - 1))
def test_generated_population_never_serves_minors_harmful_content_or_stranger_dms(seed: int) -> None:
    """Feed, search, profiles and DMs of every under-18 account obey MIN-1/MIN-5/MIN-6 for any seed."""
    world = World(seed)
    app, rng = world.app, world.rng
    minors = [u for u in world.users if world.minor(u)]
    assert minors, "the generator must produce under-18 accounts"
    adult_18_plus = 0
    for viewer in world.users:
        page = app.feed(viewer, limit=200)
        _check_served(world, viewer, page.items)
        if not world.minor(viewer):
            adult_18_plus += sum(world.posts[p.content_id][0] == "18+" for p in page.items)
        for tag in [*HARMLESS, *sorted(PROHIBITED)[:3]]:
            _check_served(world, viewer, app.search(viewer, tag).items)
        _check_served(world, viewer, app.profile(viewer, rng.choice(world.users)).items)
    assert adult_18_plus > 0, "adults do get 18+ content: the filter is not blanket"
    assert sum(len(app.feed(m).items) for m in minors) > 0, "minors are served something"

    sent_to_minor = refused_stranger = 0
    for _ in range(250):
        recipient = rng.choice(world.users)
        pool = [s for s in world.users if s != recipient and world.known(s, recipient)]
        sender = rng.choice(pool) if pool and rng.random() < 0.5 else rng.choice(world.users)
        if sender == recipient:
            continue
        try:
            app.send_dm(sender, recipient, "hi")
        except DmRefusedError:
            if world.minor(recipient) and not world.known(sender, recipient):
                refused_stranger += 1
            continue
        assert not world.minor(recipient) or world.known(sender, recipient), (sender, recipient)
        sent_to_minor += world.minor(recipient)
    for m in minors:  # a stranger always tries too
        strangers = [u for u in world.users if u != m and not world.known(u, m)]
        if strangers:
            with pytest.raises(DmRefusedError) as info:
                app.send_dm(rng.choice(strangers), m, "hello from a stranger")
            assert info.value.decision.rule in {"stranger_to_minor", "recipient_dms_off"}
            refused_stranger += 1
    for m in minors:
        for message in app.inbox(m):
            assert world.known(message.sender_id, m) and message.decision.rule in {
                "mutual_follow",
                "approved_contact",
            }
        assert app.location_precision(m) == "city"
        settings_after, report = app.update_settings(m, {"dm": "everyone", "precise_location": True})
        assert settings_after.dm.value != "everyone" and not settings_after.precise_location
        assert not any(c.applied for c in report)
    assert refused_stranger > 0


def test_an_age_gate_decision_hides_content_from_minors_only() -> None:
    """A review decision age_gate_18 (through the platform adapter) hides a 12+ post from a 15-year-old."""
    clock = FixedClock(datetime(2025, 6, 1, 12, tzinfo=UTC))
    platform = MemoryPlatform()
    app = ExampleApp(POLICY, clock, visibility=platform.visibility)
    app.signup("u:teen", date(2010, 1, 1), "RU")
    app.signup("u:adult", date(1990, 1, 1), "RU")
    app.signup("u:de", date(1990, 1, 1), "DE")
    app.post("u:adult", "c:gated", label="12+", tags=frozenset({"x"}))
    app.post("u:adult", "c:ru-only", label="0+", tags=frozenset({"x"}))
    assert {p.content_id for p in app.search("u:teen", "x").items} == {"c:gated", "c:ru-only"}
    queue = ReviewQueue(MemoryModerationSpace(clock=clock), clock=clock, platform=platform, notifier=platform)
    for content, outcome in (("c:gated", "age_gate_18"), ("c:ru-only", "restrict_ru")):
        case = queue.open_case(
            content, source="user_report", evidence=[Evidence(EvidenceKind.REPORT, Detector.USER_REPORT)],
            actor="svc:form", reason_code="report", owner_ref="sub_" + "c" * 32,
        )  # fmt: skip
        queue.claim(case.case_id, reviewer="staff:1")
        queue.decide(case.case_id, outcome, reviewer="staff:1", reason_code="C-SUIC")
    assert {p.content_id for p in app.search("u:teen", "x").items} == set()
    assert {p.content_id for p in app.search("u:adult", "x").items} == {"c:gated"}
    assert {p.content_id for p in app.search("u:de", "x").items} == {"c:gated", "c:ru-only"}


@pytest.mark.parametrize(("born", "consent"), [(date(2013, 1, 1), True), (date(2012, 1, 1), False)])
def test_signup_gate_in_the_app(born: date, consent: bool) -> None:
    """The app refuses under-13s, and 13-year-olds without a guardian's consent (PD-MIN-1)."""
    app = ExampleApp(POLICY, FixedClock(datetime(2025, 6, 1, tzinfo=UTC)))
    with pytest.raises(SignupRefusedError):
        app.signup("u:kid", born, "RU", guardian_consent=consent)
