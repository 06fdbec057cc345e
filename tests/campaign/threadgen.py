"""Generated campaign threads, built differently from pileon's demo generator: JSON-lines files
(the generic `jsonl` adapter, not the X/Bluesky/Mastodon payloads), each with its own root post.

Ordinary replies are stitched from two or three sentences of the team's labelled dev set
(eval/dev/*.jsonl), so they are mostly unique; coordinated waves take a template of the demo's
waves.tsv, filled in per post, posted within minutes by fresh accounts — and some waves and
accounts hit several targets at once, which is what the cross-target tables must find.
Deterministic for a seed. Used by tests/campaign and benchmarks/campaign_bench.py.
"""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_CHOICE = re.compile(r"\[([^\]]*)\]")
_START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _pool() -> list[str]:
    texts = []
    for path in sorted((REPO / "eval" / "dev").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


def _templates() -> list[str]:
    rows = (REPO / "pileon" / "demo" / "data" / "waves.tsv").read_text(encoding="utf-8")
    out = []
    for line in rows.splitlines():
        if line.startswith("#") or line.startswith("key\t") or not line.strip():
            continue
        out.append(line.split("\t")[-1].replace("{wave_emoji}", "").strip())
    return out


def _fill(template: str, rng: random.Random) -> str:
    return _CHOICE.sub(lambda m: rng.choice(m.group(1).split("|")), template)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def write_threads(folder: Path, threads: int, posts_per_thread: int, seed: int = 7,
                  days: int = 3, shared_waves: int = 2) -> list[Path]:
    """`threads` JSONL files of `posts_per_thread` posts each (the root included)."""
    rng = random.Random(seed)
    pool, templates = _pool(), _templates()
    folder.mkdir(parents=True, exist_ok=True)
    # Shared waves: one template and one set of fresh accounts, hitting the first few targets
    # within the same ten minutes.
    shared = []
    for w in range(shared_waves):
        at = _START + timedelta(hours=5 + 9 * w, minutes=rng.randrange(50))
        accounts = [f"wave{w}-acct{i}" for i in range(12)]
        shared.append((templates[w % len(templates)], at, accounts,
                       min(threads, 3 + w)))
    paths = []
    span = days * 86400
    for t in range(threads):
        rows = []
        root_id = f"t{t}-root"
        start = _START + timedelta(minutes=17 * t)
        rows.append({"id": root_id, "kind": "root", "author_id": f"target{t}",
                     "author_handle": f"target{t}", "text": f"Target {t} writes about the war.",
                     "created_at": _iso(start), "author_created_at": "2015-01-01T00:00:00Z",
                     "author_followers": 5000})
        waves = [(tpl, at, accts) for tpl, at, accts, n in shared if t < n]
        local_at = start + timedelta(hours=2 + rng.randrange(20))
        waves.append((templates[(t + shared_waves) % len(templates)], local_at,
                       [f"t{t}-fresh{i}" for i in range(10)]))
        fresh = {a for _, _, accts in waves for a in accts}
        n = 1
        for tpl, at, accts in waves:
            for i, account in enumerate(accts):
                rows.append({"id": f"t{t}-p{n}", "kind": "reply", "reply_to": root_id,
                             "author_id": account, "author_handle": account,
                             "text": _fill(tpl, rng),
                             "created_at": _iso(at + timedelta(seconds=20 * i + rng.randrange(15))),
                             "author_created_at": _iso(at - timedelta(days=2)),
                             "author_followers": rng.randrange(3)})
                n += 1
        regulars = max(50, posts_per_thread // 20)
        while n < posts_per_thread:
            author = f"user{rng.randrange(regulars * 4)}"  # some users reply on many targets
            text = " ".join(rng.sample(pool, rng.choice((2, 2, 3))))
            moment = start + timedelta(seconds=int(span * rng.random() ** 2))
            rows.append({"id": f"t{t}-p{n}", "kind": "reply", "reply_to": root_id,
                         "author_id": author, "author_handle": author, "text": text,
                         "created_at": _iso(moment),
                         "author_created_at": "2019-06-01T00:00:00Z",
                         "author_followers": 100 + rng.randrange(900)})
            n += 1
        assert not fresh & {r["author_id"] for r in rows if r["author_id"].startswith("user")}
        path = folder / f"target{t:02d}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                        encoding="utf-8")
        paths.append(path)
    return paths
