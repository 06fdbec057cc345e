"""What the demo pile-on contains: which posts, by whom, when, replying to what, saying what.

Every ordinary post is a pure function of (seed, stream, index), so a payload writer can walk a
stream newest-first or oldest-first, or look up a parent, without holding the thread in memory.
Coordinated waves are small lists merged in by time.
"""

from __future__ import annotations

import heapq
import json
import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from pileon.demo.ids import X_EPOCH_MS, bluesky_tid, mastodon_id, stable_int, x_snowflake
from pileon.demo.people import MASTODON_HOME, Person, Pool, wave_person
from pileon.demo.scripts import SCRIPTS_BY_LANG, write_in
from pileon.demo.texts import (
    STANCES,
    Template,
    TextBank,
    fill,
    load_rows,
    parse_labels,
    text_bank,
)
from pileon.demo.timeline import ROOT_AT, ViralCurve

__all__ = ["DEFAULT_SEED", "DemoPlan", "PlannedPost", "ReplyTree", "Stream", "Wave", "root_person",
           "root_post_id", "root_profile"]

#: The seed of `make demo` and `pileon demo`: its root posts keep the ids of data/root.json.
DEFAULT_SEED = 13

_ROOT_MS = int(ROOT_AT.timestamp() * 1000)
PLATFORM_SHARE = {"x": 0.60, "bluesky": 0.25, "mastodon": 0.15}
_KIND_SHARE = {"x": {"reply": 0.80, "quote": 0.14, "mention": 0.06},
               "bluesky": {"reply": 0.85, "quote": 0.15}, "mastodon": {"reply": 1.0}}
_ID_BASE = {"reply": 0, "quote": 1_500_000, "mention": 2_500_000}
WAVE_ID_BASE = 3_600_000
TOMBSTONE_ID_BASE = 3_800_000
_STANCE_MIX = (0.45, 0.25, 0.30)
_SCRIPT_HARD = {"latin_plain": "no_diacritics", "latin_translit": "latin_translit",
                "cyrillic": "cyrillic_script"}


@dataclass(frozen=True, slots=True)
class Stream:
    platform: str
    kind: str  # reply | quote | mention
    count: int  # ordinary posts (waves come on top)

    @property
    def key(self) -> str:
        return f"{self.platform}-{self.kind}"


@dataclass(frozen=True, slots=True)
class Wave:
    key: str  # "w1", "w2", ...
    number: int
    platform: str
    kind: str
    lang: str
    labels: tuple[str, ...]
    translit: str | None
    text: str
    size: int
    start_ms: int
    duration_ms: int


@dataclass(frozen=True, slots=True)
class PlannedPost:
    platform: str
    kind: str
    index: int  # position in its stream (ordinary) or in its wave
    unique: int  # distinct within the platform: the low bits of its id
    at_ms: int
    author: Person
    parent: int | None  # index of an ordinary post in the same stream; None = the root
    parent_deleted: bool  # the parent was deleted at the source before we fetched
    text: str
    lang: str
    script: str
    labels: tuple[str, ...]
    hard: str | None
    wave: str | None
    planted: str | None  # hostile | organic_phrase | author
    mentions: tuple[Person, ...] = ()  # extra @-mentions typed into the text


@dataclass(frozen=True, slots=True)
class _Skeleton:
    at_ms: int
    parent: int | None
    parent_deleted: bool
    role: str  # ordinary | hostile | organic_phrase | author


@cache
def root_profile() -> dict[str, Any]:
    return json.loads((resources.files("pileon.demo") / "data" / "root.json").read_text("utf-8"))


def root_post_id(platform: str, seed: int, bluesky_us: int = 0) -> str:
    """The id of the thread's root post on `platform`. Another seed is another pile-on, so
    another thread: its root gets its own id (same author, same moment), and two demo
    databases of different seeds are told apart (`pileon campaign add`). The default seed keeps
    the ids of data/root.json. `bluesky_us` is the Bluesky root's time (a TID holds it)."""
    accounts = root_profile()["accounts"]
    if platform == "bluesky":
        clock = 7 if seed == DEFAULT_SEED else 8 + stable_int(seed, "root", platform) % 1016
        return bluesky_tid(bluesky_us, clock)
    default = str(accounts[platform]["post_id"])
    if seed == DEFAULT_SEED:
        return default
    unique = stable_int(seed, "root", platform)
    if platform == "x":
        found = x_snowflake((int(default) >> 22) + X_EPOCH_MS, unique)
    else:
        found = mastodon_id(int(default) >> 16, unique)
    return found if found != default else str(int(found) ^ 1)


def root_person(platform: str) -> Person:
    info = root_profile()
    account = info["accounts"][platform]
    return Person(platform=platform, key="root", lang="az", stance="other", script="latin",
                  display_name=info["display_name"], handle=account["handle"],
                  created_ms=int(account["created_ms"]), followers=int(account["followers"]),
                  following=int(account["following"]), posts=int(account["posts"]),
                  has_avatar=True, bio=info["bio"], fresh=False, server=MASTODON_HOME)


class DemoPlan:
    """The whole pile-on for one (size, seed), computed lazily post by post."""

    def __init__(self, size: int, seed: int) -> None:
        self.size = size
        self.seed = seed
        self.bank: TextBank = text_bank()
        self.curve = ViralCurve()
        self.waves = self._plan_waves()
        self.streams: dict[str, Stream] = {}
        for platform, share in PLATFORM_SHARE.items():
            ordinary = round(size * share) - sum(w.size for w in self.waves
                                                 if w.platform == platform)
            kinds = list(_KIND_SHARE[platform].items())
            left = ordinary
            for n, (kind, kind_share) in enumerate(kinds):
                count = left if n == len(kinds) - 1 else round(ordinary * kind_share)
                left -= count
                self.streams[f"{platform}-{kind}"] = Stream(platform, kind, max(count, 0))
        drift = size - sum(s.count for s in self.streams.values()) - sum(w.size for w in self.waves)
        first = self.streams["x-reply"]
        self.streams["x-reply"] = Stream("x", "reply", first.count + drift)
        self.pools = {p: Pool(seed, p, int(size * share * 0.7)) for p, share in
                      PLATFORM_SHARE.items()}
        self._hostile = self._plan_hostile()
        self._author_texts = [(r["lang"], r["text"]) for r in load_rows("texts_author.tsv")]
        self._phrases = [(r["lang"], r["text"]) for r in load_rows("organic_phrase.tsv")]
        self.organic = lru_cache(maxsize=8192)(self._organic)
        self._skeleton = lru_cache(maxsize=16384)(self._skeleton_uncached)

    # -- plan-level decisions ------------------------------------------------------------------
    def _plan_waves(self) -> list[Wave]:
        definitions = list(load_rows("waves.tsv"))
        count = min(max(3, round(self.size / 1000)), 400)
        waves = []
        for number in range(count):
            row = definitions[number % len(definitions)]
            rng = random.Random(stable_int(self.seed, "wave", number))
            quantile = 0.06 + 0.8 * (number + rng.random()) / count
            waves.append(Wave(
                key=f"w{number + 1}", number=number, platform=row["platform"], kind=row["kind"],
                lang=row["lang"], labels=parse_labels(row["labels"], where="waves.tsv"),
                translit=row["translit"] if row["translit"] != "-" else None, text=row["text"],
                size=rng.randint(15, 60), start_ms=self.curve.at_ms(quantile),
                duration_ms=rng.randint(90, 420) * 1000,
            ))
        return waves

    def _plan_hostile(self) -> dict[tuple[str, int], dict[str, str]]:
        rows = list(load_rows("hostile.tsv"))
        placed: dict[tuple[str, int], dict[str, str]] = {}
        for platform in PLATFORM_SHARE:
            mine = [row for row in rows if row["platform"] == platform]
            stream = f"{platform}-reply"
            count = self.streams[stream].count
            for n, row in enumerate(mine):
                placed[(stream, int(count * (0.04 + 0.9 * (n + 0.5) / len(mine))))] = row
        return placed

    # -- ordinary posts ------------------------------------------------------------------------
    def _rng(self, stream: Stream, index: int) -> random.Random:
        return random.Random(stable_int(self.seed, stream.key, index))

    def _skeleton_uncached(self, stream: Stream, index: int) -> _Skeleton:
        rng = self._rng(stream, index)
        at_ms = self.curve.at_ms((index + rng.random()) / max(stream.count, 1))
        roll, role_roll = rng.random(), rng.random()
        if (stream.key, index) in self._hostile:
            return _Skeleton(at_ms, None, False, "hostile")
        if stream.kind != "reply" or index == 0:
            return _Skeleton(at_ms, None, False, "organic_phrase" if role_roll < 0.012
                             else "ordinary")
        parent: int | None = None
        if roll < 0.002 or index in (stream.count * 3 // 10, stream.count * 7 // 10):
            return _Skeleton(at_ms, None, True, "ordinary")
        role = "author" if role_roll < 0.006 else (
            "organic_phrase" if role_roll < 0.018 else "ordinary")
        if roll < 0.2 or role == "author":
            parent = max(0, index - 1 - int(rng.expovariate(1 / 30)))
            above = self._skeleton(stream, parent)
            # Keep threads at most three replies deep (Bluesky's default depth is 6).
            if above.parent is not None and self._skeleton(stream, above.parent).parent is not None:
                parent = above.parent
            if above.parent_deleted:
                parent = None
        return _Skeleton(at_ms, parent, False, role)

    def parent_of(self, stream: Stream, index: int) -> int | None:
        return self._skeleton(stream, index).parent

    def _organic(self, stream: Stream, index: int) -> PlannedPost:
        skeleton = self._skeleton(stream, index)
        rng = self._rng(stream, index)
        for _ in range(3):  # the draws the skeleton used
            rng.random()
        pool = self.pools[stream.platform]
        if skeleton.role == "author":
            author = root_person(stream.platform)
            lang, text = rng.choice(self._author_texts)
            return self._post(stream, index, skeleton, author, fill(text, lang, self.bank, rng),
                              lang, SCRIPTS_BY_LANG[lang][0], ("neutral",), None, "author")
        if skeleton.role == "organic_phrase":
            author = pool.person(pool.pick(rng))
            for _ in range(20):  # an ordinary, established account
                if author.has_avatar and author.created_ms < _ROOT_MS - 400 * 86_400_000:
                    break
                author = pool.person(pool.pick(rng))
            lang, text = rng.choice(self._phrases)
            return self._post(stream, index, skeleton, author, fill(text, lang, self.bank, rng),
                              lang, "latin", ("supportive",), None, "organic_phrase")
        author = pool.person(pool.pick(rng))
        if skeleton.role == "hostile":
            row = self._hostile[(stream.key, index)]
            return self._post(stream, index, skeleton, author, row["text"], "en", "latin",
                              parse_labels(row["labels"], where="hostile.tsv"),
                              row["hard"] or None, "hostile")
        stance = author.stance if rng.random() < 0.85 else rng.choices(STANCES, _STANCE_MIX)[0]
        template: Template = self.bank.pick(author.lang, stance, rng)
        text = fill(template.text, author.lang, self.bank, rng)
        script = author.script if template.hard is None else SCRIPTS_BY_LANG[author.lang][0]
        text = _casual(write_in(text, author.lang, script), rng)
        hard = template.hard or _SCRIPT_HARD.get(script)
        return self._post(stream, index, skeleton, author, text, author.lang, script,
                          template.labels, hard, None)

    def _post(self, stream: Stream, index: int, skeleton: _Skeleton, author: Person, text: str,
              lang: str, script: str, labels: tuple[str, ...], hard: str | None,
              planted: str | None) -> PlannedPost:
        return PlannedPost(
            platform=stream.platform, kind=stream.kind, index=index,
            unique=_ID_BASE[stream.kind] + index, at_ms=skeleton.at_ms, author=author,
            parent=skeleton.parent, parent_deleted=skeleton.parent_deleted, text=text, lang=lang,
            script=script, labels=labels, hard=hard, wave=None, planted=planted,
        )

    # -- coordinated waves ---------------------------------------------------------------------
    def wave_posts(self, wave: Wave) -> list[PlannedPost]:
        rng = random.Random(stable_int(self.seed, "wave-posts", wave.number))
        offsets = sorted(rng.randint(0, wave.duration_ms) for _ in range(wave.size))
        pool = self.pools[wave.platform]
        posts = []
        for j, offset in enumerate(offsets):
            at_ms = wave.start_ms + offset
            author = wave_person(self.seed, wave.platform, wave.key, j, wave.lang, at_ms)
            text = fill(wave.text, wave.lang, self.bank, rng)
            script = SCRIPTS_BY_LANG[wave.lang][0]
            if wave.translit and rng.random() < 0.4:
                script = wave.translit
                text = write_in(text, wave.lang, script)
            mentions = tuple(pool.person(pool.pick(rng)) for _ in range(rng.randint(0, 2)))
            posts.append(PlannedPost(
                platform=wave.platform, kind=wave.kind, index=j,
                unique=WAVE_ID_BASE + wave.number * 100 + j, at_ms=at_ms, author=author,
                parent=None, parent_deleted=False, text=text, lang=wave.lang, script=script,
                labels=wave.labels, hard=_SCRIPT_HARD.get(script), wave=wave.key, planted=None,
                mentions=mentions,
            ))
        return posts

    # -- walking a stream ----------------------------------------------------------------------
    def posts(self, stream: Stream, *, newest_first: bool) -> Iterator[PlannedPost]:
        """Every post of a stream, ordinary and wave, in time order."""
        waves: list[PlannedPost] = []
        for wave in self.waves:
            if wave.platform == stream.platform and wave.kind == stream.kind:
                waves.extend(self.wave_posts(wave))
        order = range(stream.count - 1, -1, -1) if newest_first else range(stream.count)
        ordinary = (self.organic(stream, i) for i in order)
        waves.sort(key=lambda p: (p.at_ms, p.unique), reverse=newest_first)
        yield from heapq.merge(ordinary, waves, key=lambda p: (p.at_ms, p.unique),
                               reverse=newest_first)


def _casual(text: str, rng: random.Random) -> str:
    """Small habits of real typing: no capital at the start, no full stop at the end."""
    if text[:1].isupper() and rng.random() < 0.25:
        text = text[:1].lower() + text[1:]
    if text.endswith(".") and not text.endswith("..") and rng.random() < 0.3:
        text = text[:-1]
    return text


class ReplyTree:
    """Who replies to whom inside one stream, as compact arrays (CSR), for nested payloads."""

    def __init__(self, plan: DemoPlan, stream: Stream) -> None:
        count = stream.count
        parents = array("l", [-1]) * count
        sizes = array("l", [0]) * (count + 1)
        for index in range(count):
            parent = plan.parent_of(stream, index)
            if parent is not None:
                parents[index] = parent
                sizes[parent + 1] += 1
        for index in range(count):
            sizes[index + 1] += sizes[index]
        self._offsets = sizes
        self.top_level_count = parents.count(-1)
        self._children = array("l", [0]) * count
        fill = array("l", sizes[:count]) if count else array("l")
        for index in range(count):
            parent = parents[index]
            if parent >= 0:
                self._children[fill[parent]] = index
                fill[parent] += 1

    def children(self, index: int) -> list[int]:
        """Direct replies to ordinary post `index`, oldest first."""
        return list(self._children[self._offsets[index]:self._offsets[index + 1]])
