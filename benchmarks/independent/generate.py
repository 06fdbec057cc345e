"""An independent 48-hour pile-on with planted coordinated waves, as a QUT-toolkit CSV.

    python benchmarks/independent/generate.py OUT_DIR --posts 100000 [--seed 7]

Written from issue 15's description and the spec in README.md only, without reading pileon's
detector or its other generators. Writes, streamed (memory does not grow with --posts):

- `OUT_DIR/thread.csv`: the QUT coordination-network-toolkit CSV layout, in this column order:
  message_id, user_id, username, repost_id, reply_id, message, timestamp (Unix seconds), urls
  (space separated). No account profile fields exist in this layout.
- `OUT_DIR/truth.csv`: message_id, user_id, category, wave_id (empty unless planted).
  category: root | organic | stock | slogan | headline | wave
- `OUT_DIR/waves.jsonl`: one planted wave a line (id, kind fast|slow|multilingual, lang, start,
  end, accounts, posts, template, template_cyrillic).
- `OUT_DIR/meta.json`: seed, sizes, counts per category, the parameters below.

Ingest into pileon with:  pileon ingest DB OUT_DIR/thread.csv --map id=message_id,reply_to=reply_id
"""

from __future__ import annotations

import argparse
import bisect
import csv
import json
import math
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
VOCAB = json.loads((HERE / "vocab.json").read_text(encoding="utf-8"))

START = 1773504000  # 2026-03-14 16:00:00 UTC (20:00 in Baku): the target post
MINUTES = 48 * 60
COLUMNS = ["message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp",
           "urls"]
TARGET_HANDLE = "target_writer"

#: The mix of background (not planted) posts.
SHARE_STOCK = 0.04
SHARE_SLOGAN = 0.06
SHARE_HEADLINE = 0.03
POSTS_PER_WAVE = 1000  # one planted wave per this many posts
WAVE_KINDS = (("fast", 0.70), ("slow", 0.15), ("multilingual", 0.15))
FAST_MINUTES = (2.0, 15.0)
SLOW_MINUTES = (60.0, 180.0)
WAVE_SIZE = (15, 40)
WAVE_TEMPLATE_WORDS = (12, 30)
WAVE_EDITS = (1, 4)
WAVES_PER_ACCOUNT = (1, 5)
#: Share of background posts written by an account that also takes part in waves.
WAVE_ACCOUNT_ORGANIC = 0.01


def mix64(n: int) -> int:
    """A bijection on 64-bit integers (splitmix64's finaliser): ids that look random, never repeat."""
    n = (n + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    n = ((n ^ (n >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    n = ((n ^ (n >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return n ^ (n >> 31)


class Language:
    """A Zipf-distributed vocabulary: real common words first, then syllable-built words."""

    def __init__(self, code: str, spec: dict, rng: random.Random, size: int = 12000) -> None:
        self.code = code
        words: list[str] = list(dict.fromkeys(spec["common"]))
        seen = set(words)
        while len(words) < size:
            syllables = rng.choice((1, 2, 2, 2, 2, 3, 3))
            word = "".join(rng.choice(spec["onsets"]) + rng.choice(spec["vowels"])
                           + rng.choice(spec["codas"]) for _ in range(syllables))
            if len(word) >= 2 and word not in seen:
                seen.add(word)
                words.append(word)
        self.words = words
        weights = [1.0 / (rank + 2.0) ** 1.07 for rank in range(len(words))]
        self.cum = list(np.cumsum(weights))
        self.total = self.cum[-1]

    def word(self, rng: random.Random) -> str:
        return self.words[bisect.bisect_left(self.cum, rng.random() * self.total)]

    def rare_word(self, rng: random.Random) -> str:
        return self.words[rng.randrange(len(self.words) // 10, len(self.words))]


def translit(text: str, lang: str) -> str:
    table = VOCAB["translit"].get(lang, {})
    if not table:
        return text
    pairs = sorted(table.items(), key=lambda kv: -len(kv[0]))  # digraphs first (Armenian "ու")
    out = text
    for src, dst in pairs:
        out = out.replace(src, dst).replace(src.upper(), dst.capitalize() if dst else dst)
    return out


def az_cyrillic(text: str) -> str:
    table = VOCAB["az_cyrillic"]
    out = []
    for ch in text:
        low = ch.lower()
        if low in table:
            out.append(table[low] if ch == low else table[low].upper())
        else:
            out.append(ch)
    return "".join(out)


def rate_shape() -> np.ndarray:
    """Expected posts per minute (relative): a viral rise and decay, a second wave of attention
    the next evening, and a day/night rhythm in Baku time (UTC+4)."""
    t = np.arange(MINUTES, dtype=float)
    viral = np.exp(-t / 600.0) * (1.0 - np.exp(-t / 25.0)) + 0.12
    viral += 0.45 * np.exp(-(((t - 1560.0) / 100.0) ** 2))
    local_hour = ((START + t * 60.0) / 3600.0 + 4.0) % 24.0
    day = 0.25 + 0.75 * (0.5 + 0.5 * np.cos(2.0 * np.pi * (local_hour - 21.0) / 24.0))
    return viral * day


@dataclass
class Wave:
    id: int
    kind: str
    lang: str
    start: float
    end: float
    template: str
    template_cyrillic: str | None
    accounts: list[int] = field(default_factory=list)
    posts: int = 0


class Generator:
    def __init__(self, posts: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.posts_target = posts
        self.langs = {code: Language(code, spec, random.Random(seed * 31 + i))
                      for i, (code, spec) in enumerate(VOCAB["languages"].items())}
        self.lang_codes = list(self.langs)
        self.lang_cum = list(np.cumsum([VOCAB["languages"][c]["weight"] for c in self.lang_codes]))
        self.shape = rate_shape()
        self.shape_cum = np.cumsum(self.shape)
        self.seq = 0
        self.recent: list[int] = []

    # ---- accounts ------------------------------------------------------------------------------
    def lang_pick(self) -> str:
        return self.lang_codes[bisect.bisect_left(self.lang_cum, self.rng.random()
                                                  * self.lang_cum[-1])]

    def make_accounts(self, organic: int, coordinated: int) -> None:
        """Organic accounts with heavy-tailed activity (lognormal, sigma 1.3), and the accounts
        that take part in waves. Both get the same kind of handle: only text and time tell."""
        self.n_organic = organic
        self.n_coordinated = coordinated
        activity = self.np_rng.lognormal(0.0, 1.3, organic)
        self.organic_cum = list(np.cumsum(activity))
        self.account_lang = [self.lang_pick() for _ in range(organic + coordinated)]

    def user_id(self, index: int) -> str:
        return str(10**17 + mix64(index) % (9 * 10**17))

    def username(self, index: int) -> str:
        r = random.Random(mix64(index ^ 0x5EED))
        lang = self.langs["en" if r.random() < 0.5 else self.account_lang[index]]
        name = translit(r.choice(lang.words[50:4000]), lang.code)
        name = "".join(ch for ch in name if ch.isascii() and ch.isalnum()) or "user"
        style = r.random()
        if style < 0.22:
            return f"{name}{r.randrange(1000, 99999999)}"
        if style < 0.45:
            other = translit(r.choice(lang.words[50:4000]), lang.code)
            other = "".join(ch for ch in other if ch.isascii() and ch.isalnum())
            return f"{name}_{other}"
        if style < 0.6:
            return f"{name}{r.randrange(1, 99)}"
        return name

    def organic_author(self) -> int:
        if self.n_coordinated and self.rng.random() < WAVE_ACCOUNT_ORGANIC:
            return self.n_organic + self.rng.randrange(self.n_coordinated)
        return bisect.bisect_left(self.organic_cum, self.rng.random() * self.organic_cum[-1])

    # ---- texts ---------------------------------------------------------------------------------
    def free_words(self, lang: Language, n: int) -> list[str]:
        return [lang.word(self.rng) for _ in range(n)]

    def decorate(self, words: list[str], lang: str) -> str:
        rng = self.rng
        text = " ".join(words)
        if rng.random() < 0.5:
            text = text[:1].upper() + text[1:]
        roll = rng.random()
        if roll < 0.3:
            text += rng.choice(("!", "?", ".", "!!", "...", "?!"))
        if rng.random() < 0.2:
            text += " " + "".join(rng.choice(VOCAB["emoji"]) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.1:
            text = f"@{TARGET_HANDLE} " + text
        if rng.random() < 0.07:
            text += " " + rng.choice(VOCAB["hashtags"])
        if lang in ("az", "tr", "ru", "hy") and rng.random() < 0.12:
            text = translit(text, lang)  # people type without their keyboard's letters
        return text

    def organic_text(self, lang: str) -> str:
        n = max(1, min(45, int(round(self.rng.lognormvariate(math.log(8.0), 0.6)))))
        return self.decorate(self.free_words(self.langs[lang], n), lang)

    def stock_text(self) -> str:
        stock = VOCAB["stock"]
        i = min(len(stock) - 1, int(self.rng.paretovariate(1.2)) - 1)
        text = stock[i] if self.rng.random() < 0.6 else self.rng.choice(stock)
        if self.rng.random() < 0.2:
            text = text.capitalize()
        if self.rng.random() < 0.15:
            text += self.rng.choice(("!", "!!", " 👏", " 🔥", "."))
        return text

    def slogan_text(self, lang: str) -> str:
        slogans = VOCAB["slogans"][lang]
        slogan = slogans[min(len(slogans) - 1, int(self.rng.paretovariate(1.5)) - 1)]
        own = self.free_words(self.langs[lang], self.rng.randint(1, 4))
        words = own + slogan.split() if self.rng.random() < 0.5 else slogan.split() + own
        return self.decorate(words, lang)

    # ---- planted waves -------------------------------------------------------------------------
    def wave_copy(self, wave: Wave, cyrillic: bool) -> str:
        rng = self.rng
        lang = self.langs[wave.lang]
        words = wave.template.split()
        edits = rng.randint(*WAVE_EDITS)
        casing = None
        punct = ""
        extra: list[str] = []
        do_translit = False
        for kind in rng.sample(("swap_word", "swap_order", "emoji", "hashtag", "case", "punct",
                                "translit", "drop_insert"), edits):
            if kind == "swap_word":
                i = rng.randrange(len(words))
                words[i] = lang.word(rng)
            elif kind == "swap_order":
                i = rng.randrange(len(words) - 1)
                words[i], words[i + 1] = words[i + 1], words[i]
            elif kind == "emoji":
                extra.append("".join(rng.choice(VOCAB["emoji"]) for _ in range(rng.randint(1, 3))))
            elif kind == "hashtag":
                extra.append(rng.choice(VOCAB["hashtags"]))
            elif kind == "case":
                casing = rng.choice(("upper", "title", "lower"))
            elif kind == "punct":
                punct = rng.choice(("!", "!!!", "...", "?!", ".", ","))
                if rng.random() < 0.5:
                    i = rng.randrange(1, len(words))
                    words[i - 1] += ","
            elif kind == "translit":
                do_translit = True
            else:
                if rng.random() < 0.5 and len(words) > 12:
                    del words[rng.randrange(len(words))]
                else:
                    words.insert(rng.randrange(len(words) + 1), lang.word(rng))
        text = " ".join(words) + punct
        if do_translit and not cyrillic:
            text = translit(text, wave.lang)
        if cyrillic:
            text = az_cyrillic(text)
        if casing == "upper":
            text = text.upper()
        elif casing == "title":
            text = text[:1].upper() + text[1:]
        elif casing == "lower":
            text = text.lower()
        if extra:
            text = text + " " + " ".join(extra) if rng.random() < 0.7 else " ".join(extra) + " " + text
        if rng.random() < 0.3:
            text = f"@{TARGET_HANDLE} " + text
        return text

    def plan_waves(self, n_waves: int) -> tuple[list[Wave], dict[int, list[tuple[float, int, str]]]]:
        rng = self.rng
        waves: list[Wave] = []
        kinds, weights = zip(*WAVE_KINDS, strict=True)
        for wid in range(n_waves):
            kind = rng.choices(kinds, weights)[0]
            lang = "az" if kind == "multilingual" else self.lang_pick()
            span = rng.uniform(*(SLOW_MINUTES if kind == "slow" else FAST_MINUTES))
            # Campaigns post when the thread is busy half the time, at any hour otherwise.
            if rng.random() < 0.5:
                minute = float(np.searchsorted(self.shape_cum, rng.random() * self.shape_cum[-1]))
            else:
                minute = rng.uniform(0.0, MINUTES)
            minute = min(max(minute, 5.0), MINUTES - span - 1.0)
            start = START + minute * 60.0
            n_words = rng.randint(*WAVE_TEMPLATE_WORDS)
            words = [self.langs[lang].word(rng) for _ in range(n_words)]
            for _ in range(rng.randint(1, 3)):  # a fresh message: a few uncommon words in it
                words[rng.randrange(n_words)] = self.langs[lang].rare_word(rng)
            template = " ".join(words)
            waves.append(Wave(wid, kind, lang, start, start + span * 60.0, template,
                              az_cyrillic(template) if kind == "multilingual" else None))
        sizes = [rng.randint(*WAVE_SIZE) for _ in waves]
        # Accounts join 1-5 waves (mean 3): a shuffled deck of account slots dealt to waves.
        deck: list[int] = []
        account = 0
        while len(deck) < sum(sizes):
            deck.extend([account] * rng.randint(*WAVES_PER_ACCOUNT))
            account += 1
        rng.shuffle(deck)
        self.n_coordinated_needed = account
        by_minute: dict[int, list[tuple[float, int, str]]] = defaultdict(list)
        pos = 0
        for wave, size in zip(waves, sizes, strict=True):
            members: list[int] = []
            skipped = 0
            while len(members) < size and pos < len(deck) and skipped < 100:
                a = deck[pos]
                pos += 1
                if a in members:  # put it back further down the deck
                    deck.append(a)
                    skipped += 1
                    continue
                members.append(a)
            wave.accounts = members
            wave.posts = len(members)
            offsets = sorted(rng.random() for _ in members)
            for member, off in zip(members, offsets, strict=True):
                ts = wave.start + off * (wave.end - wave.start)
                cyr = wave.kind == "multilingual" and rng.random() < 0.5
                text = self.wave_copy(wave, cyr)
                by_minute[int((ts - START) // 60)].append((ts, member, f"{wave.id}|{text}"))
        return waves, by_minute

    def plan_headlines(self, shares: int) -> tuple[list[tuple[str, str]],
                                                   dict[int, list[tuple[float, int]]]]:
        """News headlines that many people share independently: exact copies with a link,
        clustered after the news breaks (decay of 1-4 hours), from ordinary accounts."""
        rng = self.rng
        n = max(5, shares // 150)  # tens of headlines; the most popular is shared hundreds of times
        heads: list[tuple[str, str]] = []
        for i in range(n):
            lang = self.lang_pick()
            words = [self.langs[lang].word(rng) for _ in range(rng.randint(9, 16))]
            text = " ".join(words)
            text = text[:1].upper() + text[1:]
            slug = "-".join(translit(w, lang) for w in words[:5])
            url = f"https://{rng.choice(VOCAB['news_sites'])}/2026/03/{slug}-{i}"
            heads.append((text, url))
        popularity = [1.0 / (i + 1) for i in range(n)]
        breaks = [rng.uniform(0, MINUTES * 0.85) for _ in range(n)]
        decay = [rng.uniform(60.0, 240.0) for _ in range(n)]
        by_minute: dict[int, list[tuple[float, int]]] = defaultdict(list)
        made = 0
        while made < shares:
            h = rng.choices(range(n), popularity)[0]
            minute = breaks[h] + rng.expovariate(1.0 / decay[h])
            if minute >= MINUTES:
                continue
            by_minute[int(minute)].append((START + minute * 60.0, h))
            made += 1
        return heads, by_minute

    # ---- the thread ----------------------------------------------------------------------------
    def message_id(self, ts: float) -> int:
        self.seq += 1
        ms = int(ts * 1000) - 1288834974657  # X's id epoch: ids sort by time like real ones
        return (ms << 22) | (self.seq & 0x3FFFFF)

    def reply_id(self, root: int) -> str:
        if self.recent and self.rng.random() < 0.15:
            return str(self.rng.choice(self.recent))
        return str(root)

    def run(self, out: Path) -> dict:
        out.mkdir(parents=True, exist_ok=True)
        rng = self.rng
        n_waves = max(1, round(self.posts_target / POSTS_PER_WAVE))
        waves, wave_posts = self.plan_waves(n_waves)
        planted = sum(w.posts for w in waves)
        background = self.posts_target - 1 - planted
        headline_shares = round(background * SHARE_HEADLINE)
        heads, head_posts = self.plan_headlines(headline_shares)
        rest = background - headline_shares
        self.make_accounts(max(50, background // 5), self.n_coordinated_needed)
        lam = self.shape / self.shape.sum() * rest
        counts = self.np_rng.poisson(lam)
        diff = int(rest - counts.sum())
        probs = lam / lam.sum()
        if diff:
            fix = self.np_rng.choice(MINUTES, size=abs(diff) * 3, p=probs)
            for m in fix:
                if diff == 0:
                    break
                if diff > 0:
                    counts[m] += 1
                    diff -= 1
                elif counts[m] > 0:
                    counts[m] -= 1
                    diff += 1
        tallies = {"root": 0, "organic": 0, "stock": 0, "slogan": 0, "headline": 0, "wave": 0}
        with (out / "thread.csv").open("w", newline="", encoding="utf-8") as posts_f, \
                (out / "truth.csv").open("w", newline="", encoding="utf-8") as truth_f:
            posts_w = csv.writer(posts_f, lineterminator="\n")
            truth_w = csv.writer(truth_f, lineterminator="\n")
            posts_w.writerow(COLUMNS)
            truth_w.writerow(["message_id", "user_id", "category", "wave_id"])
            root = self.message_id(START)
            root_author = "1000000000000000001"
            posts_w.writerow([root, root_author, TARGET_HANDLE, "", "",
                              "Bu gün baş verənlər haqqında öz fikrimi yazdım. Oxuyun və "
                              "düşünün.", START, ""])
            truth_w.writerow([root, root_author, "root", ""])
            tallies["root"] = 1
            total_accounts = self.n_organic + self.n_coordinated
            for minute in range(MINUTES):
                rows: list[tuple[float, int, str, str, str]] = []  # ts, author, text, cat, urls
                base = START + minute * 60.0
                for _ in range(int(counts[minute])):
                    author = self.organic_author()
                    lang = self.account_lang[author]
                    roll = rng.random() * (1.0 - SHARE_HEADLINE)
                    if roll < SHARE_STOCK:
                        rows.append((base + rng.random() * 60.0, author, self.stock_text(),
                                     "stock", ""))
                    elif roll < SHARE_STOCK + SHARE_SLOGAN:
                        rows.append((base + rng.random() * 60.0, author, self.slogan_text(lang),
                                     "slogan", ""))
                    else:
                        urls = ""
                        text = self.organic_text(lang)
                        if rng.random() < 0.03:
                            urls = f"https://example.org/p/{rng.randrange(10**9)}"
                            text += " " + urls
                        rows.append((base + rng.random() * 60.0, author, text, "organic", urls))
                for ts, h in head_posts.pop(minute, ()):
                    author = self.organic_author()
                    text, url = heads[h]
                    roll = rng.random()
                    if roll < 0.25:
                        comment = " ".join(self.free_words(self.langs[self.account_lang[author]],
                                                           rng.randint(1, 5)))
                        text = f"{comment}: {text}" if rng.random() < 0.4 else f"{text} — {comment}"
                    rows.append((ts, author, f"{text} {url}" if rng.random() < 0.9 else text,
                                 "headline", url))
                for ts, member, tagged in wave_posts.pop(minute, ()):
                    rows.append((ts, self.n_organic + member, tagged, "wave", ""))
                rows.sort(key=lambda r: r[0])
                for ts, author, text, cat, urls in rows:
                    wave_id = ""
                    if cat == "wave":
                        wave_id, text = text.split("|", 1)
                    mid = self.message_id(ts)
                    uid = self.user_id(author)
                    posts_w.writerow([mid, uid, self.username(author), "", self.reply_id(root),
                                      text, int(ts), urls])
                    truth_w.writerow([mid, uid, cat, wave_id])
                    tallies[cat] += 1
                    if len(self.recent) < 500:
                        self.recent.append(mid)
                    else:
                        self.recent[rng.randrange(500)] = mid
            assert total_accounts > 0
        with (out / "waves.jsonl").open("w", encoding="utf-8") as f:
            for w in waves:
                f.write(json.dumps({
                    "id": w.id, "kind": w.kind, "lang": w.lang, "start": int(w.start),
                    "end": int(w.end), "minutes": round((w.end - w.start) / 60.0, 1),
                    "posts": w.posts, "accounts": [self.user_id(self.n_organic + a)
                                                   for a in w.accounts],
                    "template": w.template, "template_cyrillic": w.template_cyrillic,
                }, ensure_ascii=False) + "\n")
        meta = {
            "posts": sum(tallies.values()), "seed": None, "categories": tallies,
            "waves": {k: sum(1 for w in waves if w.kind == k) for k, _ in WAVE_KINDS},
            "organic_accounts": self.n_organic, "wave_accounts": self.n_coordinated,
            "headlines": len(heads),
            "params": {"share_stock": SHARE_STOCK, "share_slogan": SHARE_SLOGAN,
                       "share_headline": SHARE_HEADLINE, "posts_per_wave": POSTS_PER_WAVE,
                       "wave_kinds": dict(WAVE_KINDS), "fast_minutes": FAST_MINUTES,
                       "slow_minutes": SLOW_MINUTES, "wave_size": WAVE_SIZE,
                       "template_words": WAVE_TEMPLATE_WORDS, "edits": WAVE_EDITS,
                       "waves_per_account": WAVES_PER_ACCOUNT},
        }
        return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.posts < 2000:
        print("Error: --posts must be at least 2000 (one wave per 1,000 posts)", file=sys.stderr)
        return 2
    started = time.monotonic()
    meta = Generator(args.posts, args.seed).run(args.out)
    meta["seed"] = args.seed
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
    print(f"{meta['posts']:,} posts, {sum(meta['waves'].values())} waves "
          f"({meta['categories']['wave']:,} planted posts) in {time.monotonic() - started:.1f} s"
          f" -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
