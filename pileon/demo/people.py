"""Who replies: ordinary accounts (mostly years old, with avatars and followers, some posting
several times) and the fresh, avatar-less, numbered accounts that carry coordinated waves.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache

from pileon.demo.ids import stable_int
from pileon.demo.scripts import SCRIPTS_BY_LANG
from pileon.demo.texts import LANGS, STANCES, load_rows
from pileon.demo.timeline import ROOT_AT

__all__ = ["MASTODON_HOME", "Person", "Pool", "wave_person"]

_DAY_MS = 86_400_000
_ROOT_MS = int(ROOT_AT.timestamp() * 1000)
MASTODON_HOME = "mastodon.example"
_MASTODON_REMOTES = ("social.example", "baku.example", "piaille.example", "toot.example.org",
                     "yerevan.example", "mstdn.example.net")

_LANG_WEIGHTS: dict[str, tuple[float, ...]] = {  # in LANGS order: az tr ru en hy fr
    "x": (0.36, 0.17, 0.17, 0.16, 0.07, 0.07),
    "bluesky": (0.22, 0.10, 0.14, 0.28, 0.12, 0.14),
    "mastodon": (0.18, 0.10, 0.12, 0.25, 0.13, 0.22),
}
_STANCE_WEIGHTS: dict[str, tuple[float, ...]] = {  # abusive supportive other
    "x": (0.50, 0.22, 0.28),
    "bluesky": (0.37, 0.31, 0.32),
    "mastodon": (0.30, 0.35, 0.35),
}
_SCRIPT_WEIGHTS: dict[str, tuple[float, ...]] = {
    "az": (0.4, 0.4, 0.2), "tr": (0.75, 0.25), "ru": (0.7, 0.3), "hy": (0.6, 0.4),
    "en": (1.0,), "fr": (1.0,),
}
_SIGNUP_FROM = {"x": datetime(2009, 2, 1, tzinfo=UTC), "bluesky": datetime(2023, 4, 1, tzinfo=UTC),
                "mastodon": datetime(2017, 4, 1, tzinfo=UTC)}
_SIGNUP_TO = datetime(2025, 12, 20, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Person:
    platform: str
    key: str  # "o<k>" ordinary, "w<wave>-<j>" wave account, "root" the author
    lang: str
    stance: str
    script: str
    display_name: str
    handle: str
    created_ms: int
    followers: int
    following: int
    posts: int
    has_avatar: bool
    bio: str
    fresh: bool
    server: str = MASTODON_HOME


@cache
def _names() -> dict[tuple[str, str], list[tuple[str, str]]]:
    names: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for row in load_rows("names.tsv"):
        names.setdefault((row["lang"], row["part"]), []).append((row["native"], row["ascii"]))
    return names


@cache
def _bios() -> dict[str, list[str]]:
    bios: dict[str, list[str]] = {}
    for row in load_rows("bios.tsv"):
        bios.setdefault(row["lang"], []).append(row["text"])
    return bios


def _lognormal_int(rng: random.Random, mu: float, sigma: float, cap: int) -> int:
    return min(cap, int(math.exp(rng.gauss(mu, sigma))))


class Pool:
    """The ordinary accounts of one platform; account k is computed from (seed, platform, k)."""

    def __init__(self, seed: int, platform: str, size: int) -> None:
        self.seed = seed
        self.platform = platform
        self.size = max(size, 40)
        self.regulars = max(self.size // 20, 5)
        self.person = lru_cache(maxsize=65536)(self._person)

    def pick(self, rng: random.Random) -> int:
        """An account index: a few regulars reply again and again, most reply once or twice."""
        if rng.random() < 0.22:
            return rng.randrange(self.regulars)
        return rng.randrange(self.size)

    def _person(self, k: int) -> Person:
        rng = random.Random(stable_int(self.seed, self.platform, "account", k))
        lang = rng.choices(LANGS, _LANG_WEIGHTS[self.platform])[0]
        stance = rng.choices(STANCES, _STANCE_WEIGHTS[self.platform])[0]
        script = rng.choices(SCRIPTS_BY_LANG[lang], _SCRIPT_WEIGHTS[lang])[0]
        given, given_ascii = rng.choice(_names()[(lang, "given")])
        surname, surname_ascii = rng.choice(_names()[(lang, "surname")])
        style = rng.random()
        if style < 0.4:
            display = f"{given} {surname}"
        elif style < 0.7:
            display = f"{given} {surname[:1]}."
        elif style < 0.9:
            display = given
        else:
            display = f"{given} {rng.choice(['🌿', '🕊️', '📚', '☕', '🌙', '🎻', '⚽'])}"
        handle = self._handle(rng, given_ascii.lower(), surname_ascii.lower(), k)
        newish = rng.random() < 0.08
        if newish:
            created = _ROOT_MS - rng.randint(5, 120) * _DAY_MS - rng.randint(0, _DAY_MS)
        else:
            start = int(_SIGNUP_FROM[self.platform].timestamp() * 1000)
            created = rng.randint(start, int(_SIGNUP_TO.timestamp() * 1000))
        years = (_ROOT_MS - created) / (365 * _DAY_MS)
        return Person(
            platform=self.platform, key=f"o{k}", lang=lang, stance=stance, script=script,
            display_name=display, handle=handle, created_ms=created,
            followers=_lognormal_int(rng, 4.6 + min(years, 6) * 0.25, 1.4, 250_000),
            following=_lognormal_int(rng, 5.4, 0.9, 7_500),
            posts=_lognormal_int(rng, 5.5 + min(years, 8) * 0.3, 1.2, 400_000),
            has_avatar=rng.random() < (0.6 if newish else 0.93),
            bio=rng.choice(_bios()[lang]) if rng.random() < 0.75 else "",
            fresh=False,
            server=MASTODON_HOME if rng.random() < 0.45 else rng.choice(_MASTODON_REMOTES),
        )

    @staticmethod
    def _handle(rng: random.Random, given: str, surname: str, k: int) -> str:
        """A username valid everywhere (X: 15 chars of [a-z0-9_]); base-36 k keeps it unique."""
        tag = _base36(k)
        style = rng.randrange(5)
        if style == 0:
            stem, suffix = given, "_" + tag
        elif style == 1:
            stem, suffix = given, surname[:1] + tag
        elif style == 2:
            stem, suffix = surname, "_" + tag
        elif style == 3:
            stem, suffix = given, f"{1970 + k % 40}{tag}"
        else:
            stem, suffix = given + "_" + surname, tag
        return stem[:15 - len(suffix)] + suffix


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def wave_person(seed: int, platform: str, wave: str, j: int, lang: str, post_ms: int) -> Person:
    """A throwaway account: created days before the wave, no avatar, `aysel48213907`."""
    rng = random.Random(stable_int(seed, platform, "wave-account", wave, j))
    given, given_ascii = rng.choice(_names()[(lang, "given")])
    digits = rng.randint(10_000_000, 99_999_999)
    return Person(
        platform=platform, key=f"w{wave}-{j}", lang=lang, stance="abusive",
        script=SCRIPTS_BY_LANG[lang][0], display_name=given if rng.random() < 0.7 else "",
        handle=f"{given_ascii.lower()[:7]}{digits}",
        created_ms=post_ms - rng.randint(1, 9) * _DAY_MS - rng.randint(0, _DAY_MS),
        followers=rng.randint(0, 9), following=rng.randint(15, 180), posts=rng.randint(2, 60),
        has_avatar=False, bio="", fresh=True,
    )
