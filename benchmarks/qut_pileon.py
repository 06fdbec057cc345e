"""A second, independent pile-on generator for the coordination benchmark, and its scorer.

Written from the issue's spec alone (NOT from pileon/demo's wave code): a 48-hour pile-on on
several target posts as ONE CSV in the QUT coordination-network-toolkit column layout

    message_id,user_id,username,repost_id,reply_id,message,timestamp,urls

(timestamp = Unix seconds; no account profile fields at all), ingested with

    pileon ingest thread.db thread.csv --map id=message_id,reply_to=reply_id

What is in it:
  organic   replies from many accounts whose activity is Zipf-skewed (a few accounts write
            hundreds of replies), words drawn Zipf-like from a pseudo-word vocabulary, at a
            rate that spikes when the post goes viral, decays and follows the day
  stock     ~4% short stock replies ("lol", "100%", "this", "👏👏👏", "well said", ...)
  slogan    ~6% popular slogans with a few own words before or after
  bait      ~1.5% chaining bait: sequences of texts, each two words away from the previous
            one, posted at random times by organic accounts (A~B~C~... but A !~ Z)
  wave      one planted wave per 1,000 posts: 25 accounts post near-copies of a FRESH
            14-24 word template, each with 1-3 small edits (word swap, drop, insert, typo),
            all within 6 minutes; each wave account joins about 3 waves and also posts a
            few organic replies
Ground truth goes beside the CSV: truth.csv (message_id, role, wave) and accounts.csv
(user_id, role, waves). `score` reads the newest coordination run from the DB and reports
wave-post precision/recall for the "coordinated" verdict, co-wave account pairs linked in the
co-action graph, organic accounts linked, and the largest cluster.

    python benchmarks/qut_pileon.py generate OUT --posts 100000 [--seed 1]
    python benchmarks/qut_pileon.py score thread.db OUT
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import sys
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

COLUMNS = ["message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp",
           "urls"]
INGEST_MAP = "id=message_id,reply_to=reply_id"
START = 1_780_000_000  # 2026-05-28, a Thursday
HOURS = 48
WAVE_SIZE = 25
WAVE_MINUTES = 6
STOCK = ["lol", "100%", "this", "👏👏👏", "well said", "exactly", "so true", "+1", "😂😂",
         "facts", "this!!", "lmao", "yes", "agreed", "👏", "ratio", "who asked", "🔥🔥",
         "same", "omg"]
FUNCTION_WORDS = ["the", "and", "you", "this", "that", "is", "not", "they", "are", "for", "with",
                  "she", "he", "we", "it", "of", "to", "in", "on", "what", "why", "no", "so",
                  "all", "just", "be", "was", "have", "do", "can"]
SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"] + ["an", "er", "in", "or", "ul"]


class Vocabulary:
    def __init__(self, rng: np.random.Generator, size: int = 8000) -> None:
        words: set[str] = set()
        while len(words) < size:
            n = int(rng.integers(1, 4))
            words.add("".join(SYLLABLES[int(i)] for i in rng.integers(0, len(SYLLABLES), n)))
        self.words = np.array(FUNCTION_WORDS + sorted(words))
        ranks = np.arange(1, len(self.words) + 1, dtype=np.float64)
        weights = 1 / ranks ** 1.05
        self.p = weights / weights.sum()
        self.cdf = np.cumsum(self.p)
        self.rng = rng

    def draw(self, n: int) -> list[str]:
        picked = np.minimum(np.searchsorted(self.cdf, self.rng.random(n)), len(self.words) - 1)
        return self.words[picked].tolist()

    def sentence(self, lo: int, hi: int) -> list[str]:
        return self.draw(int(self.rng.integers(lo, hi + 1)))


def _times(rng: np.random.Generator, n: int) -> np.ndarray:
    """n post times (Unix seconds) over 48 h: a viral spike decaying, plus the day's rhythm."""
    minutes = np.arange(HOURS * 60, dtype=np.float64)
    viral = np.exp(-minutes / 360.0) * 6 + np.exp(-np.abs(minutes - 1500) / 120.0) * 2
    daily = 1 + 0.6 * np.sin(2 * np.pi * (minutes / 1440.0 - 0.3))
    rate = viral + daily
    cdf = np.cumsum(rate) / rate.sum()
    picked = np.searchsorted(cdf, rng.random(n))
    return START + picked * 60 + rng.integers(0, 60, n)


def _edit(rng: np.random.Generator, vocab: Vocabulary, words: list[str]) -> list[str]:
    words = list(words)
    for _ in range(int(rng.integers(1, 4))):
        kind = int(rng.integers(0, 4))
        i = int(rng.integers(0, len(words)))
        if kind == 0:
            words[i] = vocab.draw(1)[0]
        elif kind == 1 and len(words) > 8:
            del words[i]
        elif kind == 2:
            words.insert(i, vocab.draw(1)[0])
        else:
            w = words[i]
            if len(w) >= 3:
                j = int(rng.integers(0, len(w) - 1))
                words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
            else:
                words[i] = w + w[-1]
    return words


def _handle(rng: np.random.Generator, vocab: Vocabulary) -> str:
    base = "_".join(vocab.draw(int(rng.integers(1, 3))))
    r = rng.random()
    if r < 0.3:
        return f"{base}{int(rng.integers(1, 100))}"
    if r < 0.4:
        return f"{base}{int(rng.integers(10**6, 10**8))}"
    return base


def generate(out: Path, posts: int, seed: int = 1) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    vocab = Vocabulary(rng)
    out.mkdir(parents=True, exist_ok=True)
    n_waves = max(1, posts // 1000)
    wave_pool = max(WAVE_SIZE, round(n_waves * WAVE_SIZE / 3))
    organic_accounts = max(50, posts // 3)
    users = [f"{100000 + i}" for i in range(organic_accounts + wave_pool + 5)]
    handles = [_handle(rng, vocab) + f"_{i}" if i % 7 == 0 else _handle(rng, vocab)
               for i in range(len(users))]
    targets = list(range(organic_accounts + wave_pool, organic_accounts + wave_pool + 5))
    target_weight = np.array([0.45, 0.25, 0.15, 0.1, 0.05])
    ranks = np.arange(1, organic_accounts + 1, dtype=np.float64)
    activity = 1 / ranks ** 1.1
    activity /= activity.sum()

    rows: list[tuple[str, int, str, str, int, str]] = []  # id, user, role, wave, time, text
    # Several targets: their root posts come first.
    for t, user in enumerate(targets):
        rows.append((f"root{t}", user, "root", "", START + t * 1800,
                     " ".join(vocab.sentence(10, 20))))
    wave_posts = n_waves * WAVE_SIZE
    wave_accounts_organic = wave_pool * 2
    other = posts - len(rows) - wave_posts - wave_accounts_organic
    n_stock, n_slogan, n_bait = int(other * 0.04), int(other * 0.06), int(other * 0.015)
    n_organic = other - n_stock - n_slogan - n_bait
    slogans = [" ".join(vocab.sentence(4, 8)) for _ in range(12)]
    slogan_p = 1 / np.arange(1, 13) ** 0.8
    slogan_p /= slogan_p.sum()

    def organic_author(n: int) -> np.ndarray:
        return rng.choice(organic_accounts, n, p=activity)

    times = iter(_times(rng, n_organic + n_stock + n_slogan + n_bait + wave_accounts_organic))
    for user in organic_author(n_organic):
        rows.append(("", int(user), "organic", "", int(next(times)),
                     " ".join(vocab.sentence(3, 28))))
    for user in organic_author(n_stock):
        rows.append(("", int(user), "stock", "", int(next(times)), str(rng.choice(STOCK))))
    for user in organic_author(n_slogan):
        slogan = slogans[int(rng.choice(12, p=slogan_p))]
        own = " ".join(vocab.sentence(1, 4))
        text = f"{own} {slogan}" if rng.random() < 0.5 else f"{slogan} {own}"
        rows.append(("", int(user), "slogan", "", int(next(times)), text))
    made = 0
    while made < n_bait:
        words = vocab.sentence(10, 16)
        for _ in range(min(30, n_bait - made)):
            for _ in range(2):
                words[int(rng.integers(0, len(words)))] = vocab.draw(1)[0]
            rows.append(("", int(organic_author(1)[0]), "bait", "", int(next(times)),
                         " ".join(words)))
            made += 1
    pool = np.arange(organic_accounts, organic_accounts + wave_pool)
    for user in rng.choice(pool, wave_accounts_organic):  # wave accounts also reply organically
        rows.append(("", int(user), "organic", "", int(next(times)),
                     " ".join(vocab.sentence(3, 20))))
    account_waves: dict[int, list[str]] = {}
    for w in range(n_waves):
        template = vocab.sentence(14, 24)
        start = START + int(rng.integers(3600, (HOURS - 1) * 3600))
        members = rng.choice(pool, WAVE_SIZE, replace=False)
        for user in members:
            account_waves.setdefault(int(user), []).append(f"w{w}")
            at = start + int(rng.integers(0, WAVE_MINUTES * 60))
            rows.append(("", int(user), "wave", f"w{w}", at, " ".join(_edit(rng, vocab, template))))
    order = rng.permutation(len(rows) - 5) + 5  # ids do not give the role away
    final = rows[:5] + [rows[i] for i in order]
    with open(out / "thread.csv", "w", newline="", encoding="utf-8") as f, \
            open(out / "truth.csv", "w", newline="", encoding="utf-8") as g:
        writer, truth = csv.writer(f), csv.writer(g)
        writer.writerow(COLUMNS)
        truth.writerow(["message_id", "role", "wave"])
        for n, (mid, user, role, wave, at, text) in enumerate(final):
            message_id = mid or f"{9_000_000_000 + n}"
            if role == "root":
                reply = ""
            else:
                reply = f"root{int(rng.choice(5, p=target_weight))}"
                if rng.random() < 0.3:
                    text = f"@{handles[targets[int(reply[4:])]]} {text}"
            writer.writerow([message_id, users[user], handles[user], "", reply, text, at, ""])
            truth.writerow([message_id, role, wave])
    with open(out / "accounts.csv", "w", newline="", encoding="utf-8") as h:
        writer = csv.writer(h)
        writer.writerow(["user_id", "role", "waves"])
        for i, user in enumerate(users):
            role = "target" if i in targets else ("wave" if i >= organic_accounts else "organic")
            writer.writerow([user, role, ";".join(account_waves.get(i, []))])
    return {"posts": len(final), "waves": n_waves, "wave_accounts": wave_pool,
            "organic_accounts": organic_accounts}


def score(db: Path, folder: Path, platform: str = "csv") -> dict[str, Any]:
    """Quality of the newest coordination run in `db` against the truth in `folder`."""
    wave_posts = set()
    with open(folder / "truth.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["wave"]:
                wave_posts.add(row["message_id"])
    waves_of: dict[str, list[str]] = {}
    organic: set[str] = set()
    with open(folder / "accounts.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            key = f"{platform}:{row['user_id']}"
            if row["role"] == "organic":
                organic.add(key)
            if row["waves"]:
                waves_of[key] = row["waves"].split(";")
    members: dict[str, list[str]] = {}
    for key, waves in waves_of.items():
        for w in waves:
            members.setdefault(w, []).append(key)
    co_wave = {tuple(sorted(p)) for m in members.values() for p in combinations(m, 2)}
    conn = sqlite3.connect(db)
    run = conn.execute("SELECT id FROM coordination_runs WHERE finished_at IS NOT NULL"
                       " ORDER BY id DESC LIMIT 1").fetchone()[0]
    found = {r[0] for r in conn.execute(
        "SELECT post_id FROM cluster_members WHERE run_id = ? AND coordinated = 1", (run,))}
    edges = {(a, b) if a < b else (b, a) for a, b in conn.execute(
        "SELECT source, target FROM coaction_edges WHERE run_id = ?", (run,))}
    largest = conn.execute("SELECT MAX(size) FROM clusters WHERE run_id = ?", (run,)).fetchone()[0]
    conn.close()
    linked = {a for e in edges for a in e}
    hit = len(found & wave_posts)
    return {
        "coordinated_precision": round(hit / len(found), 4) if found else None,
        "coordinated_recall": round(hit / len(wave_posts), 4) if wave_posts else None,
        "co_wave_pairs_linked": round(len(co_wave & edges) / len(co_wave), 4) if co_wave else None,
        "organic_accounts_linked": round(len(linked & organic) / len(organic), 4),
        "largest_cluster": largest or 0,
        "coordinated_posts": len(found), "wave_posts": len(wave_posts),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("out", type=Path)
    gen.add_argument("--posts", type=int, default=100_000)
    gen.add_argument("--seed", type=int, default=1)
    sc = sub.add_parser("score")
    sc.add_argument("db", type=Path)
    sc.add_argument("folder", type=Path)
    args = parser.parse_args(argv[1:])
    if args.command == "generate":
        print(json.dumps(generate(args.out, args.posts, args.seed)))
    else:
        print(json.dumps(score(args.db, args.folder)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
