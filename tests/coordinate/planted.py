"""Planted threads for the coordination tests: organic replies from old accounts spread over
hours, and coordinated waves (near-copies with edits, from fresh numbered accounts, inside a
few minutes). Texts are benign; what is planted is the pattern, not abuse.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pileon.records import Account, Post

ROOT_AT = datetime(2026, 3, 14, 6, 5, tzinfo=UTC)
WORDS = ["the", "war", "people", "city", "story", "mother", "years", "home", "family", "road", "river", "night", "school", "friends", "light", "winter", "summer", "voice", "memory", "truth", "street", "village", "children", "garden", "bread", "music", "book", "window", "letter", "morning", "evening", "bridge", "mountain", "sea", "train", "market", "square"]
EMOJI = ["😀", "🙏", "👏", "🔥", "💯", "❤️", ""]


@dataclass
class Thread:
    posts: list[Post] = field(default_factory=list)
    accounts: dict[str, Account] = field(default_factory=dict)
    waves: dict[str, set[str]] = field(default_factory=dict)  # wave id -> post ids

    def add_account(self, account: Account) -> str:
        self.accounts[f"{account.platform}:{account.id}"] = account
        return account.id

    def add_post(self, text: str, author: str | None, at: datetime | None, *,
                 kind: str = "reply", reply_to: str | None = "p0", wave: str | None = None,
                 platform: str = "x") -> Post:
        post = Post(platform=platform, id=f"p{len(self.posts)}", text=text, author_id=author,
                    created_at=at, kind=kind, reply_to=reply_to)
        self.posts.append(post)
        if wave:
            self.waves.setdefault(wave, set()).add(post.id)
        return post


def old_account(rng: random.Random, n: int) -> Account:
    return Account(platform="x", id=f"o{n}", handle=f"{rng.choice(WORDS)}_{rng.choice(WORDS)}",
                   created_at=ROOT_AT - timedelta(days=rng.randint(400, 4000)),
                   followers_count=rng.randint(50, 5000), posts_count=rng.randint(200, 20000),
                   has_avatar=True)


def fresh_account(rng: random.Random, wave: str, n: int) -> Account:
    return Account(platform="x", id=f"{wave}-{n}", handle=f"user{rng.randint(10**7, 10**8)}",
                   created_at=ROOT_AT - timedelta(days=rng.randint(0, 10)),
                   followers_count=rng.randint(0, 3), posts_count=rng.randint(0, 12),
                   has_avatar=False)


def organic_sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))


def edit(template: str, rng: random.Random, edits: int) -> str:
    """A copy with `edits` word swaps, a mention, an emoji and punctuation noise."""
    words = template.split()
    for _ in range(edits):
        words[rng.randrange(len(words))] = rng.choice(WORDS)
    text = " ".join(words) + rng.choice(["", "!", "!!", "."]) + " " + rng.choice(EMOJI)
    if rng.random() < 0.5:
        text = f"@someone{rng.randint(1, 999)} " + text
    return text.strip()


def organic_thread(rng: random.Random, replies: int, hours: float = 48.0) -> Thread:
    thread = Thread()
    root_author = thread.add_account(old_account(rng, 0))
    thread.add_post("root post", root_author, ROOT_AT, kind="root", reply_to=None)
    people = [thread.add_account(old_account(rng, n)) for n in range(1, replies // 2 + 2)]
    for _ in range(replies):
        at = ROOT_AT + timedelta(seconds=rng.uniform(60, hours * 3600))
        thread.add_post(organic_sentence(rng), rng.choice(people), at)
    return thread


def plant_wave(thread: Thread, rng: random.Random, wave: str, template: str, size: int,
               start: datetime, *, minutes: float = 6.0, edits: int = 2,
               variants: list[str] | None = None) -> None:
    """`size` near-copies of `template` (or of `variants`, e.g. other scripts) from fresh
    numbered accounts within `minutes` of `start`."""
    for n in range(size):
        author = thread.add_account(fresh_account(rng, wave, n))
        base = variants[n % len(variants)] if variants else template
        at = start + timedelta(seconds=rng.uniform(0, minutes * 60))
        thread.add_post(edit(base, rng, edits), author, at, wave=wave)
