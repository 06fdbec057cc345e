"""Builds a small real-looking thread database for triage and UI tests.

Posts and accounts go through the real EvidenceWriter (raw payload = the JSON line, hashed);
classifier scores and clusters are written into the documented tables, as the analyze and
coordination stages would, so these tests do not depend on those stages.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from pileon.records import Account, Post, RawPayload, SourceBatch
from pileon.store import connect
from pileon.store.db import from_iso
from pileon.store.evidence import EvidenceWriter

DATA = Path(__file__).parent / "data" / "thread.jsonl"
PLATFORM = "bluesky"


def thread_rows() -> list[dict]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]


def build_thread_db(path: Path, *, scores: bool = True, clusters: bool = True) -> Path:
    conn = connect(path)
    writer = EvidenceWriter(conn, source=str(DATA), fmt="jsonl")
    fetched = datetime(2024, 11, 26, tzinfo=UTC)
    root_raw = b'{"id": "root", "text": "What I saw in the war."}'
    writer.add(SourceBatch(
        RawPayload(root_raw, str(DATA), "jsonl", "test", fetched, "root"),
        posts=(Post(PLATFORM, "root", "What I saw in the war, and what it did to me.",
                    author_id="did:plc:author", kind="root",
                    created_at=datetime(2024, 11, 25, 9, 0, tzinfo=UTC)),),
        accounts=(Account(PLATFORM, "did:plc:author", "author.bsky.social", "The Author"),)))
    for number, row in enumerate(thread_rows(), start=1):
        raw = json.dumps(row, ensure_ascii=False).encode("utf-8")
        account = Account(PLATFORM, row["author_id"], row["handle"], row["display_name"],
                          from_iso(row["account_created_at"]), row["followers_count"], 3, 10,
                          row["has_avatar"])
        post = Post(PLATFORM, row["id"], row["text"], author_id=row["author_id"],
                    created_at=from_iso(row["created_at"]), reply_to="root", root_id="root",
                    lang_reported=row["lang"], url=f"https://bsky.app/post/{row['id']}")
        writer.add(SourceBatch(RawPayload(raw, str(DATA), "jsonl", "test", fetched,
                                          f"line {number}"), (post,), (account,)))
    writer.finish()
    if scores:
        write_scores(conn, "builtin", "test-1")
    if clusters:
        write_clusters(conn)
    conn.close()
    return path


def write_scores(conn: sqlite3.Connection, backend: str, version: str,
                 override: dict[str, dict[str, float]] | None = None,
                 rows: list[dict] | None = None) -> None:
    """Scores as the classifier writes them (one row per post, beside older versions)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS scores (platform TEXT, post_id TEXT, backend TEXT,"
        " model_version TEXT, lang TEXT, lang_confidence REAL, labels_json TEXT,"
        " scores_json TEXT, evidence_json TEXT, analyzed_at TEXT,"
        " PRIMARY KEY (platform, post_id, backend, model_version))")
    columns = {r[1] for r in conn.execute("PRAGMA table_info(scores)")}
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    conn.execute("PRAGMA foreign_keys=OFF")  # a stand-in for the classifier's own run rows
    for row in rows if rows is not None else thread_rows():
        values = (override or {}).get(row["id"]) or row.get("scores") or {
            label: 0.9 for label in row["labels"]}
        labels = [k for k, v in values.items() if v >= 0.5] or ["neutral"]
        evidence = []
        for word in ("xain", "idiot", "предатель", "pay"):
            at = row.get("text", "").find(word)
            if at >= 0:
                evidence.append({"start": at, "end": at + len(word), "text": word,
                                 "category": labels[0], "rule": "lexicon"})
        record = {"platform": row.get("platform", PLATFORM), "post_id": row["id"], "backend": backend,
                  "model_version": version, "lang": row["lang"], "lang_confidence": 0.9,
                  "labels_json": json.dumps(labels), "scores_json": json.dumps(values),
                  "evidence_json": json.dumps(evidence, ensure_ascii=False), "analyzed_at": now}
        if "run_id" in columns:
            record["run_id"] = 1
        keys = [k for k in record if k in columns]
        conn.execute(f"INSERT OR REPLACE INTO scores ({','.join(keys)}) VALUES"
                     f" ({','.join('?' * len(keys))})", [record[k] for k in keys])
    conn.execute("PRAGMA foreign_keys=ON")


def write_clusters(conn: sqlite3.Connection) -> None:
    """The planted wave as one cluster of a finished coordination run."""
    if has_table(conn, "coordination_runs"):
        conn.execute("INSERT INTO coordination_runs (id, started_at, finished_at, tool_version,"
                     " params_json, window_semantics, posts) VALUES (1, '2024-11-26T00:00:00Z',"
                     " '2024-11-26T00:00:01Z', 'test', '{}', 'test', 30)")
    conn.execute("CREATE TABLE IF NOT EXISTS cluster_members (run_id INTEGER, cluster_id TEXT,"
                 " platform TEXT, post_id TEXT)")
    columns = {r[1] for r in conn.execute("PRAGMA table_info(cluster_members)")}
    for row in thread_rows():
        if row["cluster"]:
            record = {"run_id": 1, "cluster_id": 7, "platform": PLATFORM, "post_id": row["id"],
                      "author_id": row["author_id"], "created_at": row["created_at"],
                      "similarity": 0.9, "coordinated": 1}
            keys = [k for k in record if k in columns]
            conn.execute(f"INSERT INTO cluster_members ({','.join(keys)}) VALUES"
                         f" ({','.join('?' * len(keys))})", [record[k] for k in keys])


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name=?", (name,)).fetchone() is not None
