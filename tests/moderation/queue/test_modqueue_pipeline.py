"""Uploads through the pipeline: real PDQ bank matches become automatic CSAM actions or held cases."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest
from modqueue_helpers import FIXTURES, OWNER, QueueEnv

from domicile.moderation.actions import ActionKind, GeoScope, ModerationInputError, TaskKind
from domicile.moderation.hashing import InMemoryHashBankStore, NewEntry
from domicile.moderation.pipeline import (
    BankPolicy,
    HashHit,
    HashMatcherAdapter,
    HashScan,
    ModerationPipeline,
    Verdict,
)
from domicile.moderation.queue import CaseState, EvidenceKind, TaskStatus

PDQ = FIXTURES / "pdq"


def _pdq_of(name: str) -> str:
    with (PDQ / "expected.csv").open(newline="") as handle:
        return {row["file"]: row["pdq_hash"] for row in csv.DictReader(handle)}[name]


def _image(name: str) -> bytes:
    path = PDQ / name
    if not path.is_file():
        pytest.fail(f"shared PDQ fixture missing: {path}")
    return path.read_bytes()


@pytest.fixture(scope="module")
def banks() -> InMemoryHashBankStore:
    """A CSAM bank holding the bridge photo's PDQ hash and a drugs bank holding another photo's."""
    store = InMemoryHashBankStore()
    store.create_bank("csam-test", "pdq")
    store.add_entries("csam-test", [NewEntry(_pdq_of("bridge-mods/aaa-orig.jpg"), label="C-CSAM")])
    store.create_bank("drugs-test", "pdq")
    store.add_entries("drugs-test", [NewEntry(_pdq_of("misc/" + _misc_name()), label="x-y")])
    return store


def _misc_name() -> str:
    names = sorted(p.name for p in (PDQ / "misc").iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    with (PDQ / "expected.csv").open(newline="") as handle:
        known = {row["file"] for row in csv.DictReader(handle)}
    return next(n for n in names if f"misc/{n}" in known)


def _pipeline(env: QueueEnv, banks: InMemoryHashBankStore) -> ModerationPipeline:
    policy = BankPolicy({"drugs-test": "C-DRUG"})
    return ModerationPipeline(env.queue, HashMatcherAdapter(banks), banks=policy, actor="svc:upload")


def test_csam_match_is_blocked_removed_flagged_preserved_and_drafted(
    env: QueueEnv, banks: InMemoryHashBankStore
) -> None:
    """A CSAM-bank match of a re-encoded photo is blocked, removed everywhere, the account flagged,
    evidence preserved, a hotline draft written, all recorded as the pack's automatic action (MIN-7, SN-2)."""
    image = _image("bridge-mods/blur-a-little.jpg")  # an edited copy of the banked photo
    result = _pipeline(env, banks).screen_upload("vid:csam-1", owner_ref=OWNER, image=image)
    assert result.verdict is Verdict.BLOCKED
    hit = result.scan.hits[0]
    assert (hit.bank, hit.signal_type) == ("csam-test", "pdq") and 0 < hit.distance <= 31
    assert hit.quality is not None and hit.quality >= 50
    case = result.case
    assert case is not None and case.state is CaseState.AUTO_ACTIONED
    assert case.automatic_rule == "ru.auto.csam_hash_match" and case.category == "C-CSAM"
    assert case.action_clock == "sn.selfmon.restrict_csam"
    kinds = [o.kind for o in env.platform.orders if o.case_id == case.case_id]
    assert kinds == [ActionKind.BLOCK_UPLOAD, ActionKind.REMOVE_GLOBAL, ActionKind.FLAG_ACCOUNT]
    assert all(o.automatic_rule == "ru.auto.csam_hash_match" for o in env.platform.orders[-3:])
    vis = env.platform.visibility("vid:csam-1")
    assert vis.blocked and not vis.visible_in("DE")
    assert "C-CSAM" in env.platform.flags[OWNER]
    auto = result.automatic
    assert auto is not None and auto.preservation is not None and auto.hotline_draft is not None
    assert auto.preservation.content_sha256 == hashlib.sha256(image).hexdigest()
    assert ("pdq", hit_hash(result.scan)) in auto.preservation.signals
    assert auto.hotline_draft.status == "draft" and auto.hotline_draft.distance == hit.distance
    assert auto.task is not None and auto.task.kind is TaskKind.CSAM_DETECTION
    assert auto.task.status is TaskStatus.DONE and auto.task.done_at is not None
    assert auto.task.done_at <= auto.task.due_at
    view = env.queue.review(case.case_id, "staff:lead")
    assert view.evidence[0].kind is EvidenceKind.HASH and view.evidence[0].bank == "csam-test"
    assert view.hotline_drafts == (auto.hotline_draft,) and view.preservation == (auto.preservation,)
    actions = {r.action for r in env.audit_records() if r.details.get("case_id") == case.case_id}
    assert {
        "moderation.case.auto_action",
        "moderation.hotline.draft",
        "moderation.evidence.preserve",
    } <= actions
    assert any(
        r.details.get("automatic") is True
        for r in env.audit_records()
        if r.details.get("case_id") == case.case_id
    )


def hit_hash(scan: HashScan) -> str:
    """The upload's PDQ hash as computed by the scan."""
    return next(v for t, v in scan.signals if t == "pdq")


def test_other_bank_match_is_held_for_review(env: QueueEnv, banks: InMemoryHashBankStore) -> None:
    """A non-CSAM bank match is held for review with its evidence and the bank's category (SN-1, SN-2)."""
    image = _image("misc/" + _misc_name())
    result = _pipeline(env, banks).screen_upload("vid:drug-1", owner_ref=OWNER, image=image, published=True)
    assert result.verdict is Verdict.HELD
    assert result.case is not None and result.case.state is CaseState.HELD
    assert result.case.held_scope is GeoScope.RU and result.case.category == "C-DRUG"
    ev = result.evidence[0]
    assert (ev.bank, ev.distance, ev.label) == ("drugs-test", 0, "x-y")
    assert not env.platform.visibility("vid:drug-1").visible_in("RU")
    assert env.platform.visibility("vid:drug-1").visible_in("DE")


def test_unmatched_upload_is_allowed_and_nothing_is_recorded(
    env: QueueEnv, banks: InMemoryHashBankStore
) -> None:
    """An upload matching no bank is allowed; no case, no action."""
    image = _image("bridge-mods/aaa-orig.jpg")
    empty = InMemoryHashBankStore()
    empty.create_bank("csam-empty", "pdq")
    before = len(env.platform.orders)
    result = ModerationPipeline(env.queue, HashMatcherAdapter(empty)).screen_upload("vid:ok-1", image=image)
    assert result.verdict is Verdict.ALLOW and result.case is None and result.scan.signals
    assert len(env.platform.orders) == before
    assert env.queue.cases_of_content("vid:ok-1") == []


class _FakeHashes:
    """A HashMatchSource returning fixed hits (exercises the seam without images)."""

    def __init__(self, hits: tuple[HashHit, ...]) -> None:
        self.hits = hits

    def scan_image(self, data: bytes) -> HashScan:
        return HashScan(self.hits, (("md5", hashlib.md5(data).hexdigest()),))

    def scan_signals(self, signals: object) -> HashScan:
        return HashScan(self.hits)


def test_labels_name_the_category_when_the_bank_policy_does_not(env: QueueEnv) -> None:
    """A hit whose entry label is a category code (C-CSAM) is treated as that category."""
    fake = _FakeHashes((HashHit("partner-bank", "md5", 5, 0, 0, None, None, "C-CSAM"),))
    result = ModerationPipeline(env.queue, fake).screen_upload("vid:csam-2", owner_ref=OWNER, image=b"bytes")
    assert result.verdict is Verdict.BLOCKED
    no_labels = ModerationPipeline(env.queue, fake, banks=BankPolicy(trust_labels=False))
    assert no_labels.screen_upload("vid:csam-3", image=b"bytes").verdict is Verdict.HELD


def test_screening_without_media_is_a_typed_error() -> None:
    """screen_upload needs an image or signals; a bad bank policy is refused."""
    with pytest.raises(ModerationInputError):
        ModerationPipeline.screen_upload(object.__new__(ModerationPipeline), "vid:1")
    with pytest.raises(ModerationInputError):
        BankPolicy({"b": "not a code"})


def test_fixture_dir_resolves_outside_the_repo() -> None:
    """The shared fixtures are found beside the repository (../shared/fixtures)."""
    assert isinstance(FIXTURES, Path) and (FIXTURES / "pdq" / "expected.csv").is_file()
