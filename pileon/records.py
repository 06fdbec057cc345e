"""The records that cross module lines: posts, accounts, raw payloads and what stages add to them.

Every record is a frozen dataclass with named fields. A field a platform does not give is `None`
("unknown"), never a made-up default: `has_avatar=None` means we could not tell, not "no avatar".
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

__all__ = [
    "ABUSIVE_LABELS",
    "LABELS",
    "NO_TIME",
    "Account",
    "Cluster",
    "Decision",
    "Post",
    "PostBatch",
    "RawPayload",
    "Rejected",
    "Score",
    "SourceBatch",
    "sha256_hex",
    "utc_now",
]

#: The twelve categories of DESIGN.md, in display order.
LABELS: tuple[str, ...] = (
    "identity_attack",
    "sexual_harassment",
    "identity_denial",
    "bad_faith",
    "ridicule",
    "insult",
    "threat",
    "atrocity_denial",
    "profanity",
    "supportive",
    "disagreement",
    "neutral",
)

#: Labels that make a post abuse. Profanity alone is not abuse ("fucking brave post").
ABUSIVE_LABELS: frozenset[str] = frozenset(
    {
        "identity_attack",
        "sexual_harassment",
        "identity_denial",
        "bad_faith",
        "ridicule",
        "insult",
        "threat",
        "atrocity_denial",
    }
)


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of raw bytes, as lowercase hex: the evidence hash used everywhere."""
    return hashlib.sha256(data).hexdigest()


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RawPayload:
    """Bytes exactly as read from a file or received from an API, with where and when."""

    data: bytes
    source: str  # file path or request URL
    adapter: str  # e.g. "x" / "bluesky" / "mastodon" / "csv"
    adapter_version: str
    fetched_at: datetime
    locator: str | None = None  # where inside the source: "line 12", "page 3", "record 40"
    sha256: str = field(default="")

    def __post_init__(self) -> None:
        if not self.sha256:
            object.__setattr__(self, "sha256", sha256_hex(self.data))


def _check_fields(record: object, text: tuple[str, ...], numbers: tuple[str, ...]) -> None:
    """A value of the wrong JSON type (an object where text belongs) is refused when the record
    is built, so the adapter keeps that one item aside instead of failing at the SQLite bind."""
    for name in text:
        value = getattr(record, name)
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} is a JSON {type(value).__name__}, not text")
    for name in numbers:
        value = getattr(record, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"{name} is a JSON {type(value).__name__}, not an integer")


@dataclass(frozen=True, slots=True)
class Account:
    platform: str
    id: str
    handle: str | None = None
    display_name: str | None = None
    created_at: datetime | None = None
    followers_count: int | None = None
    following_count: int | None = None
    posts_count: int | None = None
    has_avatar: bool | None = None
    description: str | None = None
    url: str | None = None
    #: Labels delivered with the profile, as (value, who set it: "self" or a labeler's id);
    #: None when the source says nothing about labels.
    labels: tuple[tuple[str, str], ...] | None = None

    def __post_init__(self) -> None:
        for value in (self.platform, self.id, self.handle, self.display_name, self.description,
                      self.url):
            if value is not None and type(value) is not str:
                _check_fields(self, _ACCOUNT_TEXT, _ACCOUNT_NUMBERS)
                return
        for count in (self.followers_count, self.following_count, self.posts_count):
            if count is not None and type(count) is not int:
                _check_fields(self, _ACCOUNT_TEXT, _ACCOUNT_NUMBERS)
                return


@dataclass(frozen=True, slots=True)
class Post:
    platform: str
    id: str
    text: str
    author_id: str | None = None
    uri: str | None = None
    url: str | None = None
    lang_reported: str | None = None
    created_at: datetime | None = None
    reply_to: str | None = None
    quote_of: str | None = None
    root_id: str | None = None
    kind: str = "reply"  # reply | quote | mention | root | repost
    metrics: Mapping[str, int] | None = None
    deleted_at_source: datetime | None = None
    # Placeholders such as Bluesky's #notFoundPost carry no text of their own.
    placeholder: str | None = None
    #: Labels delivered with the post (Bluesky self-labels such as "!no-unauthenticated", and
    #: moderation services' labels), as (value, "self" or the labeler's id); None: not stated.
    labels: tuple[tuple[str, str], ...] | None = None

    def __post_init__(self) -> None:
        # The check below, spelled out: a post is built per reply, so this is an ingest's hot path.
        for value in (self.platform, self.id, self.text, self.author_id, self.uri, self.url,
                      self.lang_reported, self.reply_to, self.quote_of, self.root_id, self.kind,
                      self.placeholder):
            if value is not None and type(value) is not str:
                _check_fields(self, _POST_TEXT, ())
                return


_ACCOUNT_TEXT = ("platform", "id", "handle", "display_name", "description", "url")
_ACCOUNT_NUMBERS = ("followers_count", "following_count", "posts_count")
_POST_TEXT = (
    "platform", "id", "text", "author_id", "uri", "url", "lang_reported", "reply_to", "quote_of",
    "root_id", "kind", "placeholder",
)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that could not be read: kept aside with the reason, never silently dropped."""

    source: str
    locator: str
    reason: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class SourceBatch:
    """What an adapter yields for one raw payload: the payload and everything parsed from it."""

    payload: RawPayload
    posts: tuple[Post, ...] = ()
    accounts: tuple[Account, ...] = ()
    rejected: tuple[Rejected, ...] = ()


@dataclass(frozen=True, slots=True)
class Score:
    """One classifier's verdict on one post."""

    platform: str
    post_id: str
    backend: str
    model_version: str
    lang: str
    lang_confidence: float
    scores: Mapping[str, float]
    labels: tuple[str, ...]
    evidence: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Cluster:
    id: str
    kind: str  # near_duplicate | co_action
    members: tuple[tuple[str, str], ...]  # (platform, post_id)
    template: str | None = None
    first_at: datetime | None = None
    last_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """A decision the user made about a post. Always wins over the model; never deleted."""

    platform: str
    post_id: str
    action: str  # move | mark_abuse | mark_not_abuse | mark_supportive | note | block | evidence
    value: str | None
    reason: str | None
    decided_at: datetime


#: `created_ms` value of a post without a timestamp.
NO_TIME = np.iinfo(np.int64).min


@dataclass(frozen=True)
class PostBatch:
    """Column i of every field describes the same post (row i)."""

    platforms: Sequence[str]
    ids: Sequence[str]
    texts: Sequence[str]
    authors: Sequence[str | None]
    created_ms: np.ndarray  # int64 epoch milliseconds, NO_TIME when unknown
    kinds: Sequence[str]
    reply_to: Sequence[str | None]
    quote_of: Sequence[str | None]

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def dated(self) -> np.ndarray:
        return self.created_ms != NO_TIME

    def account_key(self, row: int) -> str | None:
        author = self.authors[row]
        return None if author is None else f"{self.platforms[row]}:{author}"

    def account_keys(self) -> list[str | None]:
        """"platform:author_id" of every row (None without an author), computed in one pass."""
        shared: dict[tuple[str, str], str] = {}  # one string per account, not one per post
        return [None if a is None else shared.setdefault((p, a), f"{p}:{a}")
                for p, a in zip(self.platforms, self.authors, strict=True)]

    @classmethod
    def from_posts(cls, posts: Iterable[Post]) -> PostBatch:
        rows = [post for post in posts if post.placeholder is None]
        created = np.array(
            [NO_TIME if p.created_at is None else int(p.created_at.timestamp() * 1000)
             for p in rows],
            dtype=np.int64,
        )
        return cls(
            platforms=[p.platform for p in rows],
            ids=[p.id for p in rows],
            texts=[p.text or "" for p in rows],
            authors=[p.author_id for p in rows],
            created_ms=created,
            kinds=[p.kind for p in rows],
            reply_to=[p.reply_to for p in rows],
            quote_of=[p.quote_of for p in rows],
        )
