"""Real databases for the export tests.

`demo_thread_db` generates the demo pile-on (X, Bluesky and Mastodon payloads), ingests it with
the real adapters, writes classifier scores from the generator's own labels into the `scores`
table (as `pileon analyze` would) and runs the real triage, so the shielded folder holds the
abusive posts of all three platforms. `small_db` writes hand-made accounts and posts through
the real EvidenceWriter for the bad-input cases (odd handles, a 50 KB post).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pileon.demo import generate
from pileon.ingest.run import ingest_file
from pileon.records import ABUSIVE_LABELS, LABELS, Account, Post, RawPayload, SourceBatch
from pileon.store import connect
from pileon.store.evidence import EvidenceWriter
from pileon.store.triage import DecisionInput
from pileon.triage.rules import load_rules
from pileon.triage.run import record_decisions, run_triage

DEMO_SIZE = 300

_SCORES_DDL = (
    "CREATE TABLE IF NOT EXISTS scores (run_id INTEGER, platform TEXT NOT NULL, post_id TEXT"
    " NOT NULL, backend TEXT NOT NULL, model_version TEXT NOT NULL, lang TEXT NOT NULL,"
    " lang_confidence REAL NOT NULL, labels_json TEXT NOT NULL, scores_json TEXT NOT NULL,"
    " evidence_json TEXT NOT NULL DEFAULT '[]', analyzed_at TEXT NOT NULL,"
    " PRIMARY KEY (platform, post_id, backend, model_version))")


def write_scores(conn: sqlite3.Connection, truth: Sequence[dict]) -> None:
    """One score row per post from its labels, with an evidence span on abusive posts."""
    conn.execute(_SCORES_DDL)  # the analysis migration creates it; older schemas do not
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    texts = {(p, i): t for p, i, t in conn.execute("SELECT platform, id, text FROM posts")}
    for row in truth:
        key = (row["platform"], row["id"])
        if key not in texts:
            continue
        labels = row["labels"] or ["neutral"]
        scores = {label: (0.95 if label in labels else 0.02) for label in LABELS}
        abusive = [label for label in labels if label in ABUSIVE_LABELS]
        evidence = ([{"start": 0, "end": min(10, len(texts[key])), "text": texts[key][:10],
                      "category": abusive[0], "rule": "test", "severity": 2,
                      "source": "lexicon"}] if abusive and texts[key] else [])
        conn.execute(
            "INSERT OR REPLACE INTO scores (platform, post_id, backend, model_version, lang,"
            " lang_confidence, labels_json, scores_json, evidence_json, analyzed_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            (row["platform"], row["id"], "builtin", "test-1", row.get("lang") or "und", 0.9,
             json.dumps(labels), json.dumps(scores), json.dumps(evidence, ensure_ascii=False),
             now))


def demo_thread_db(folder: Path, size: int = DEMO_SIZE) -> Path:
    files = generate(folder / "files", size, seed=13)
    db = folder / "thread.db"
    conn = connect(db)
    try:
        for path in files:
            ingest_file(conn, path)
        truth = [json.loads(line) for line in
                 (folder / "files" / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
        write_scores(conn, truth)
        run_triage(conn, load_rules(None))
    finally:
        conn.close()
    return db


@dataclass(frozen=True)
class Person:
    """One hand-made account and the reply it wrote."""

    account_id: str
    handle: str | None
    url: str | None = None
    text: str = "Sən xainsən, get burdan."


def small_db(path: Path, platform: str, people: Sequence[Person], *, shield: bool = True,
             triage: bool = True) -> Path:
    """A thread on `platform` whose replies the user marked as abuse (so they are shielded)."""
    conn = connect(path)
    writer = EvidenceWriter(conn, source="/data/replies.jsonl", fmt="jsonl")
    start = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
    root = RawPayload(b'{"id": "root"}', "/data/replies.jsonl", "jsonl", "test", start, "line 1")
    writer.add(SourceBatch(root, posts=(Post(platform, "root", "What I saw in the war.",
                                             author_id="me", kind="root", created_at=start),),
                           accounts=(Account(platform, "me", "me@home.example"),)))
    for n, person in enumerate(people, start=2):
        raw = json.dumps({"id": f"p{n}", "author": person.account_id, "text": person.text},
                         ensure_ascii=False).encode("utf-8")
        post_url = f"https://home.example/@x/{n}" if platform == "mastodon" else None
        writer.add(SourceBatch(
            RawPayload(raw, "/data/replies.jsonl", "jsonl", "test", start, f"line {n}"),
            posts=(Post(platform, f"p{n}", person.text, author_id=person.account_id,
                        url=post_url, reply_to="root", root_id="root",
                        created_at=start + timedelta(minutes=n)),),
            accounts=(Account(platform, person.account_id, person.handle, url=person.url),)))
    writer.finish()
    if triage:
        run_triage(conn, load_rules(None))
        if shield:
            record_decisions(conn, [DecisionInput(platform, f"p{n}", "mark_abuse")
                                    for n in range(2, len(people) + 2)], via="cli")
    conn.close()
    return path
