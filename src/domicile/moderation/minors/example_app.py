"""An example in-memory short-video app whose endpoints enforce the minors' policy through an adapter.

The point is where the policy sits: every endpoint that serves content (feed, search, profile)
or delivers a message (DM) asks a :class:`PlatformAdapter` first, so no code path serves an item
the adapter has not allowed (MIN-5 "technical and software protection measures", MIN-6 tests).
:class:`MinorsGuard` is the adapter: it combines the account's age band (from the birth date,
on the clock's date), the :class:`~.policy.MinorsPolicy` and, when given, moderation's
:class:`~domicile.moderation.actions.platform.Visibility` (removed, held, geo-restricted or
age-gated 18+ by a review decision). Signup applies the band's defaults (private, DMs only from
mutual followers or approved contacts, no precise location, no live streaming or gifting).

The app holds fictitious data only and is not a product: it shows how a platform wires the seam.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from domicile.core.clock import Clock
from domicile.moderation.actions.errors import CaseNotFoundError, ModerationInputError, ModerationPolicyError
from domicile.moderation.actions.model import check_ref
from domicile.moderation.actions.platform import Visibility
from domicile.moderation.minors.age import AgeBand
from domicile.moderation.minors.policy import (
    AccountSettings,
    AgeLabel,
    ContentRating,
    DmDecision,
    MinorsPolicy,
    SettingsChange,
    SignupDecision,
    ViewDecision,
)

__all__ = [
    "Account",
    "DmRefusedError",
    "ExampleApp",
    "FeedPage",
    "Message",
    "MinorsGuard",
    "PlatformAdapter",
    "Post",
    "SignupRefusedError",
    "Viewer",
]


class SignupRefusedError(ModerationPolicyError):
    """Signup refused (below the minimum age, or guardian consent missing; PD-MIN-1)."""

    def __init__(self, decision: SignupDecision) -> None:
        super().__init__(f"signup refused: {decision.rule} (band {decision.band.value})")
        self.decision = decision


class DmRefusedError(ModerationPolicyError):
    """A direct message was refused (MIN-5); ``decision`` holds the evidence."""

    def __init__(self, decision: DmDecision) -> None:
        super().__init__(f"direct message refused: {decision.rule}")
        self.decision = decision


@dataclass(frozen=True, slots=True)
class Account:
    """An account: pseudonymous id, birth date (the platform's own data), country, settings."""

    user_id: str
    birth_date: date
    country: str
    settings: AccountSettings


@dataclass(frozen=True, slots=True)
class Post:
    """A piece of content with its label and MIN-1 codes / categories."""

    content_id: str
    author_id: str
    rating: ContentRating
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Message:
    """A delivered direct message, with the decision that let it through."""

    sender_id: str
    recipient_id: str
    body: str
    sent_at: datetime
    decision: DmDecision


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking: account id, band on today's date, country."""

    user_id: str
    band: AgeBand
    country: str


@dataclass(frozen=True, slots=True)
class FeedPage:
    """Items served, with how many candidates the adapter dropped and the policy version."""

    items: tuple[Post, ...]
    dropped: int
    policy_version: str


@runtime_checkable
class PlatformAdapter(Protocol):
    """The seam every serving endpoint calls."""

    def viewer(self, user_id: str) -> Viewer:
        """Who is asking."""
        ...

    def may_view(self, viewer: Viewer, post: Post) -> ViewDecision:
        """May ``viewer`` be served ``post``?"""
        ...

    def may_dm(self, sender_id: str, recipient_id: str) -> DmDecision:
        """May ``sender_id`` message ``recipient_id``?"""
        ...


@dataclass
class _State:
    accounts: dict[str, Account] = field(default_factory=dict)
    follows: set[tuple[str, str]] = field(default_factory=set)  # (follower, followee)
    contacts: set[tuple[str, str]] = field(default_factory=set)  # (owner, approved contact)
    posts: dict[str, Post] = field(default_factory=dict)
    inboxes: dict[str, list[Message]] = field(default_factory=dict)


class MinorsGuard:
    """The :class:`PlatformAdapter` that enforces the minors' policy and moderation decisions.

    Args:
        policy: The minors' policy.
        state: The app's accounts and graph (read only).
        clock: Today's date decides the age band.
        visibility: Moderation's visibility of a content id (removed, held, restricted, age-gated).
    """

    def __init__(
        self,
        policy: MinorsPolicy,
        state: _State,
        clock: Clock,
        visibility: Callable[[str], Visibility] | None = None,
    ) -> None:
        self.policy = policy
        self._state = state
        self._clock = clock
        self._visibility = visibility

    def _account(self, user_id: str) -> Account:
        account = self._state.accounts.get(user_id)
        if account is None:
            raise CaseNotFoundError(f"no account {user_id!r}")
        return account

    def _today(self) -> date:
        return self._clock.now().date()

    def viewer(self, user_id: str) -> Viewer:
        """The viewer's band is computed on today's date (accounts age into adulthood)."""
        account = self._account(user_id)
        return Viewer(user_id, self.policy.band(account.birth_date, self._today()), account.country)

    def may_view(self, viewer: Viewer, post: Post) -> ViewDecision:
        """Moderation first (removed / held / restricted here / age-gated), then the minors' policy."""
        rating = post.rating
        if self._visibility is not None:
            vis = self._visibility(post.content_id)
            if not vis.visible_in(viewer.country):
                return ViewDecision(
                    False,
                    "moderation_restricted",
                    viewer.band,
                    rating.label,
                    rating.label,
                    (),
                    self.policy.version,
                )
            if vis.age_gated:
                rating = ContentRating(AgeLabel.EIGHTEEN, rating.codes)
        author = self._state.accounts.get(post.author_id)
        if author is not None and author.settings.private and viewer.user_id != author.user_id:
            mutual = {
                (viewer.user_id, author.user_id),
                (author.user_id, viewer.user_id),
            } <= self._state.follows
            if not mutual:
                return ViewDecision(
                    False, "private_author", viewer.band, rating.label, rating.label, (), self.policy.version
                )
        return self.policy.can_view(viewer.band, rating)

    def may_dm(self, sender_id: str, recipient_id: str) -> DmDecision:
        """Mutual follow or approved contact is required to reach an under-18 account (MIN-5)."""
        self._account(sender_id)
        recipient = self._account(recipient_id)
        follows = self._state.follows
        return self.policy.can_dm(
            recipient_band=self.policy.band(recipient.birth_date, self._today()),
            recipient_settings=recipient.settings,
            mutual_follow=(sender_id, recipient_id) in follows and (recipient_id, sender_id) in follows,
            approved_contact=(recipient_id, sender_id) in self._state.contacts,
            same_account=sender_id == recipient_id,
        )


class ExampleApp:
    """A tiny short-video app: signup, follow, post, feed, search, profile, DMs, settings.

    Args:
        policy: The minors' policy.
        clock: Time source (today's date sets age bands).
        visibility: Moderation's visibility lookup (e.g. ``MemoryPlatform.visibility``).
        adapter: Another adapter to enforce instead of :class:`MinorsGuard`.
    """

    def __init__(
        self,
        policy: MinorsPolicy,
        clock: Clock,
        *,
        visibility: Callable[[str], Visibility] | None = None,
        adapter: PlatformAdapter | None = None,
    ) -> None:
        self.policy = policy
        self.clock = clock
        self._state = _State()
        self._lock = threading.RLock()
        self.adapter: PlatformAdapter = adapter or MinorsGuard(policy, self._state, clock, visibility)

    # -- accounts and graph ---------------------------------------------------------------------
    def signup(
        self, user_id: str, birth_date: date, country: str, *, guardian_consent: bool = False
    ) -> Account:
        """Create an account with its band's default settings.

        Raises:
            SignupRefusedError: Below the minimum age, or a guardian's consent is missing.
            ModerationInputError: A malformed id, a taken id, or a bad birth date.
        """
        user_id = check_ref("user_id", user_id, max_len=64)
        decision = self.policy.signup(birth_date, self.clock.now().date(), guardian_consent=guardian_consent)
        if not decision.allowed:
            raise SignupRefusedError(decision)
        with self._lock:
            if user_id in self._state.accounts:
                raise ModerationInputError(f"account {user_id!r} exists")
            account = Account(user_id, birth_date, country, self.policy.defaults_for(decision.band))
            self._state.accounts[user_id] = account
            self._state.inboxes[user_id] = []
        return account

    def account(self, user_id: str) -> Account:
        """The account.

        Raises:
            CaseNotFoundError: No such account.
        """
        with self._lock:
            account = self._state.accounts.get(user_id)
        if account is None:
            raise CaseNotFoundError(f"no account {user_id!r}")
        return account

    def follow(self, follower: str, followee: str) -> None:
        """``follower`` follows ``followee``."""
        self.account(follower), self.account(followee)
        with self._lock:
            self._state.follows.add((follower, followee))

    def approve_contact(self, owner: str, contact: str) -> None:
        """``owner`` approves ``contact`` to message them (e.g. a parent-approved contact)."""
        self.account(owner), self.account(contact)
        with self._lock:
            self._state.contacts.add((owner, contact))

    def update_settings(
        self, user_id: str, changes: Mapping[str, object]
    ) -> tuple[AccountSettings, tuple[SettingsChange, ...]]:
        """Change settings; loosening a setting locked for the holder's band is refused and reported."""
        with self._lock:
            account = self.account(user_id)
            band = self.adapter.viewer(user_id).band
            settings, report = self.policy.apply_settings(band, account.settings, changes)
            self._state.accounts[user_id] = Account(
                account.user_id, account.birth_date, account.country, settings
            )
        return settings, report

    # -- content --------------------------------------------------------------------------------------
    def post(
        self,
        author_id: str,
        content_id: str,
        *,
        label: AgeLabel | str = AgeLabel.UNRATED,
        codes: frozenset[str] = frozenset(),
        tags: frozenset[str] = frozenset(),
    ) -> Post:
        """Publish a post with its label and MIN-1 codes."""
        self.account(author_id)
        content_id = check_ref("content_id", content_id)
        try:
            rating = ContentRating(AgeLabel(label), frozenset(codes))
        except ValueError:
            raise ModerationInputError("label must be one of 0+, 6+, 12+, 16+, 18+, unrated") from None
        post = Post(content_id, author_id, rating, frozenset(tags))
        with self._lock:
            if content_id in self._state.posts:
                raise ModerationInputError(f"content {content_id!r} exists")
            self._state.posts[content_id] = post
        return post

    def _serve(self, viewer_id: str, candidates: list[Post], limit: int) -> FeedPage:
        viewer = self.adapter.viewer(viewer_id)
        items: list[Post] = []
        dropped = 0
        for post in candidates:
            if self.adapter.may_view(viewer, post).allowed:
                items.append(post)
                if len(items) == limit:
                    break
            else:
                dropped += 1
        return FeedPage(tuple(items), dropped, self.policy.version)

    def feed(self, viewer_id: str, *, limit: int = 50) -> FeedPage:
        """Recommended feed: posts of followed accounts first, then everything else, newest first."""
        with self._lock:
            followed = {b for a, b in self._state.follows if a == viewer_id}
            posts = list(reversed(self._state.posts.values()))
        ordered = [p for p in posts if p.author_id in followed] + [
            p for p in posts if p.author_id not in followed
        ]
        return self._serve(viewer_id, ordered, limit)

    def search(self, viewer_id: str, tag: str, *, limit: int = 50) -> FeedPage:
        """Posts carrying ``tag``."""
        with self._lock:
            found = [p for p in reversed(self._state.posts.values()) if tag in p.tags]
        return self._serve(viewer_id, found, limit)

    def profile(self, viewer_id: str, author_id: str, *, limit: int = 50) -> FeedPage:
        """An author's posts as ``viewer_id`` may see them."""
        self.account(author_id)
        with self._lock:
            found = [p for p in reversed(self._state.posts.values()) if p.author_id == author_id]
        return self._serve(viewer_id, found, limit)

    # -- messages ------------------------------------------------------------------------------------------
    def send_dm(self, sender_id: str, recipient_id: str, body: str) -> Message:
        """Deliver a direct message if the adapter allows it.

        Raises:
            DmRefusedError: The adapter refused it (the evidence is in ``decision``).
        """
        if not isinstance(body, str) or not 1 <= len(body) <= 2000:
            raise ModerationInputError("a message body is 1-2000 characters")
        with self._lock:
            decision = self.adapter.may_dm(sender_id, recipient_id)
            if not decision.allowed:
                raise DmRefusedError(decision)
            message = Message(sender_id, recipient_id, body, self.clock.now(), decision)
            self._state.inboxes[recipient_id].append(message)
        return message

    def inbox(self, user_id: str) -> tuple[Message, ...]:
        """Messages delivered to ``user_id``."""
        self.account(user_id)
        with self._lock:
            return tuple(self._state.inboxes[user_id])

    def location_precision(self, user_id: str) -> str:
        """``precise`` only when the account has precise location on (never by default for minors)."""
        return "precise" if self.account(user_id).settings.precise_location else "city"
