"""Reads and writes of the analyze stage: which posts still need scores, runs, and the scores.

Scores are keyed on (platform, post_id, backend, model_version): a newer model writes beside the
older rows; a re-run of the same model skips what it already scored (an interrupted run resumes).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from pileon import __version__
from pileon.records import Score
from pileon.store.db import to_iso, transaction

__all__ = [
    "count_unscored",
    "finish_run",
    "iter_unscored",
    "start_run",
    "write_scores",
]


def start_run(conn: sqlite3.Connection, backend: str, model_version: str) -> int:
    """Resume the newest unfinished run of this model, or start a new one."""
    row = conn.execute(
        "SELECT id FROM analysis_runs WHERE backend=? AND model_version=? AND finished_at IS NULL"
        " ORDER BY id DESC LIMIT 1", (backend, model_version)).fetchone()
    if row is not None:
        return int(row[0])
    cur = conn.execute(
        "INSERT INTO analysis_runs (started_at, backend, model_version, tool_version)"
        " VALUES (?,?,?,?)", (to_iso(datetime.now(UTC)), backend, model_version, __version__))
    return int(cur.lastrowid or 0)


def finish_run(conn: sqlite3.Connection, run_id: int) -> int:
    posts = conn.execute("SELECT count(*) FROM scores WHERE run_id=?", (run_id,)).fetchone()[0]
    conn.execute("UPDATE analysis_runs SET finished_at=?, posts=? WHERE id=?",
                 (to_iso(datetime.now(UTC)), posts, run_id))
    return int(posts)


_UNSCORED = (
    " FROM posts p WHERE p.placeholder IS NULL AND NOT EXISTS (SELECT 1 FROM scores s"
    " WHERE s.platform=p.platform AND s.post_id=p.id AND s.backend=? AND s.model_version=?)"
)


def count_unscored(conn: sqlite3.Connection, backend: str, model_version: str,
                   force: bool = False) -> int:
    if force:
        return int(conn.execute("SELECT count(*) FROM posts WHERE placeholder IS NULL"
                                ).fetchone()[0])
    return int(conn.execute("SELECT count(*)" + _UNSCORED, (backend, model_version)
                            ).fetchone()[0])


def iter_unscored(conn: sqlite3.Connection, backend: str, model_version: str, batch: int,
                  force: bool = False) -> Iterator[list[tuple[str, str, str]]]:
    """(platform, post_id, text) in batches, in storage order. With `force`, every post."""
    sql = ("SELECT p.platform, p.id, p.text FROM posts p WHERE p.placeholder IS NULL"
           if force else "SELECT p.platform, p.id, p.text" + _UNSCORED)
    params: Sequence[Any] = () if force else (backend, model_version)
    cur = conn.execute(sql + " ORDER BY p.rowid", params)
    while True:
        rows = cur.fetchmany(batch)
        if not rows:
            return
        yield [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


def write_scores(conn: sqlite3.Connection, run_id: int, scores: Sequence[Score]) -> None:
    """One transaction per batch: an interrupted run keeps every batch it finished."""
    now = to_iso(datetime.now(UTC))
    rows = [
        (run_id, s.platform, s.post_id, s.backend, s.model_version, s.lang, s.lang_confidence,
         json.dumps(list(s.labels)), json.dumps(dict(s.scores), sort_keys=True),
         json.dumps(list(s.evidence), ensure_ascii=False), now)
        for s in scores
    ]
    with transaction(conn):
        conn.executemany(
            "INSERT OR REPLACE INTO scores (run_id, platform, post_id, backend, model_version,"
            " lang, lang_confidence, labels_json, scores_json, evidence_json, analyzed_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
