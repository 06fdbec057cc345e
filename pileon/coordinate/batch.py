"""A batch of posts as columns: what every coordination function takes. Built from `Post`
records (tests, plugins) or straight from store rows (large threads) without per-post objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from pileon.records import Post

__all__ = ["NO_TIME", "PostBatch"]

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
