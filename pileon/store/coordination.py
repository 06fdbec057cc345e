"""Coordination tables: reading posts and accounts as a batch for the coordination stage,
writing one run's clusters, bursts, account signals and co-action edges, and reading them back
for `pileon coordination`, `pileon clusters`, `pileon graph` and later stages.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from pileon.records import NO_TIME, Account, PostBatch
from pileon.store.custody import run_rows_digest
from pileon.store.db import from_iso, to_iso, transaction
from pileon.store.evidence import log_custody

__all__ = [
    "CoordinationRun",
    "cluster_categories",
    "count_posts",
    "database_path",
    "latest_run",
    "load_accounts",
    "load_batch",
    "read_account_signals",
    "read_bursts",
    "read_clusters",
    "read_edges",
    "rowid_ranges",
    "save_run",
]


def _times_ms(values: list[str | None]) -> np.ndarray:
    """ISO texts (our own `to_iso` format) to epoch ms, NO_TIME where missing."""
    out = np.full(len(values), NO_TIME, dtype=np.int64)
    present = [(i, v) for i, v in enumerate(values) if v]
    if not present:
        return out
    texts = [v[:-1] if v.endswith("Z") else v for _, v in present]
    try:
        parsed = np.array(texts, dtype="datetime64[ms]").astype(np.int64)
    except ValueError:  # an offset other than Z: parse one by one
        parsed = np.array([int(moment.timestamp() * 1000) if (moment := from_iso(v)) else NO_TIME
                           for _, v in present], dtype=np.int64)
    out[[i for i, _ in present]] = parsed
    return out


def count_posts(conn: sqlite3.Connection) -> int:
    """Posts with content: what `load_batch` would return, counted without loading them."""
    return int(conn.execute("SELECT COUNT(*) FROM posts WHERE placeholder IS NULL").fetchone()[0])


def database_path(conn: sqlite3.Connection) -> str | None:
    """The file behind `conn` ("main"), or None for an in-memory database."""
    for row in conn.execute("PRAGMA database_list"):
        if row[1] == "main":
            return str(row[2]) or None
    return None


def rowid_ranges(conn: sqlite3.Connection, parts: int) -> list[tuple[int, int]]:
    """`parts` half-open rowid ranges [lo, hi) holding about equally many posts with content,
    in rowid order: what `load_batch(rowids=...)` reads, one range per map process."""
    total = count_posts(conn)
    if total == 0:
        return [(0, 0)]
    parts = max(1, min(parts, total))
    cuts = []
    for k in range(1, parts):
        row = conn.execute("SELECT rowid FROM posts WHERE placeholder IS NULL ORDER BY rowid"
                           " LIMIT 1 OFFSET ?", (k * total // parts,)).fetchone()
        cuts.append(int(row[0]))
    last = int(conn.execute("SELECT MAX(rowid) FROM posts").fetchone()[0]) + 1
    bounds = [0, *cuts, last]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def load_batch(conn: sqlite3.Connection, *, rowids: tuple[int, int] | None = None,
               texts: bool = True) -> PostBatch:
    """Every post with content (placeholders known only by id are left out), as columns, in
    rowid order (the analysis does not depend on the order). `rowids` = [lo, hi) reads one
    part; `texts=False` leaves the text column empty (a map process reads the texts)."""
    where = " AND rowid >= ? AND rowid < ?" if rowids else ""
    cursor = conn.execute(
        "SELECT platform, id, " + ("text" if texts else "''") + ", author_id, created_at, kind,"
        " reply_to, quote_of FROM posts WHERE placeholder IS NULL" + where + " ORDER BY rowid",
        rowids or (),
    )
    columns: list[list[Any]] = [[] for _ in range(8)]
    times: list[np.ndarray] = []
    # Repeated values (platform, kind, author, reply target) share one string object: SQLite
    # hands out a new one per row, which costs hundreds of MB at a million posts.
    shared: dict[Any, Any] = {}
    while rows := cursor.fetchmany(50_000):
        part = list(zip(*rows, strict=True))
        for i in (0, 3, 5, 6, 7):
            columns[i].extend([shared.setdefault(v, v) for v in part[i]])
        columns[1].extend(part[1])
        columns[2].extend([t or "" for t in part[2]] if texts else [""] * len(rows))
        times.append(_times_ms(list(part[4])))
    return PostBatch(
        platforms=columns[0], ids=columns[1], texts=columns[2], authors=columns[3],
        created_ms=np.concatenate(times) if times else np.zeros(0, dtype=np.int64),
        kinds=columns[5], reply_to=columns[6], quote_of=columns[7],
    )


def load_accounts(conn: sqlite3.Connection) -> dict[str, Account]:
    """Every stored account profile, keyed "platform:id"."""
    found = {}
    for row in conn.execute(
        "SELECT platform, id, handle, display_name, created_at, followers_count,"
        " following_count, posts_count, has_avatar FROM accounts"
    ):
        found[f"{row[0]}:{row[1]}"] = Account(
            platform=row[0], id=row[1], handle=row[2], display_name=row[3],
            created_at=from_iso(row[4]), followers_count=row[5], following_count=row[6],
            posts_count=row[7], has_avatar=None if row[8] is None else bool(row[8]),
        )
    return found


@dataclass(frozen=True, slots=True)
class CoordinationRun:
    """One coordination run as the rows of its tables, built by pileon.coordinate.tables.
    Each row is a tuple in its table's column order without the leading run_id (the store
    assigns it): clusters, cluster_members, bursts, account_signals, coaction_edges."""

    started_at: str
    tool_version: str
    params_json: str
    window_semantics: str
    posts: int
    not_computed_json: str
    summary: Mapping[str, Any]
    clusters: Sequence[tuple[Any, ...]]
    members: Sequence[tuple[Any, ...]]
    bursts: Sequence[tuple[Any, ...]]
    accounts: Sequence[tuple[Any, ...]]
    edges: Sequence[tuple[Any, ...]]


def save_run(conn: sqlite3.Connection, run: CoordinationRun) -> int:
    """Write one run in one transaction; returns its id. Older runs stay as they were."""
    with transaction(conn):
        run_id = int(conn.execute(
            "INSERT INTO coordination_runs (started_at, tool_version, params_json,"
            " window_semantics, posts, not_computed_json, summary_json) VALUES (?,?,?,?,?,?,?)",
            (run.started_at, run.tool_version, run.params_json, run.window_semantics,
             run.posts, run.not_computed_json, json.dumps(run.summary, sort_keys=True)),
        ).lastrowid or 0)
        for table, rows in (("clusters", run.clusters), ("cluster_members", run.members),
                            ("bursts", run.bursts), ("account_signals", run.accounts),
                            ("coaction_edges", run.edges)):
            if rows:
                marks = ",".join("?" * (len(rows[0]) + 1))
                conn.executemany(f"INSERT INTO {table} VALUES ({marks})",
                                 [(run_id, *row) for row in rows])
        conn.execute("UPDATE coordination_runs SET finished_at = ? WHERE id = ?",
                     (to_iso(datetime.now(UTC)), run_id))
        log_custody(conn, "analyze", {"stage": "coordination", "run_id": run_id,
                                      **run.summary}, [],
                    wrote=[run_rows_digest(conn, table, run_id) for table in
                           ("clusters", "cluster_members", "account_signals", "bursts")])
    return run_id


def run_by_id(conn: sqlite3.Connection, run_id: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM coordination_runs WHERE id = ?", (run_id,)).fetchone()
    return row


def latest_run(conn: sqlite3.Connection) -> sqlite3.Row | None:
    """The newest finished coordination run, or None if there is none yet."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM coordination_runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return row


def cluster_categories(conn: sqlite3.Connection, run_id: int) -> dict[int, dict[str, int]]:
    """cluster id -> {label: members with that label}, from the classifier's newest scores;
    {} when the classifier has not run (no `scores` table)."""
    present = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='scores'").fetchone()
    if present is None:
        return {}
    columns = {r[1] for r in conn.execute("PRAGMA table_info(scores)")}
    if not {"platform", "post_id", "labels_json"} <= columns:
        return {}
    order = " ORDER BY s.analyzed_at" if "analyzed_at" in columns else ""
    labels_of: dict[tuple[int, str, str], list[str]] = {}
    for cluster_id, platform, post_id, labels in conn.execute(
        "SELECT m.cluster_id, m.platform, m.post_id, s.labels_json FROM cluster_members m"
        " JOIN scores s ON s.platform = m.platform AND s.post_id = m.post_id"
        " WHERE m.run_id = ?" + order, (run_id,)
    ):
        labels_of[(cluster_id, platform, post_id)] = json.loads(labels or "[]")  # newest wins
    found: dict[int, Counter[str]] = {}
    for (cluster_id, _, _), labels in labels_of.items():
        found.setdefault(cluster_id, Counter()).update(labels)
    return {k: dict(v.most_common()) for k, v in found.items()}


def read_clusters(conn: sqlite3.Connection, run_id: int, min_size: int = 2) -> list[dict[str, Any]]:
    categories = cluster_categories(conn, run_id)
    clusters = []
    for row in conn.execute(
        "SELECT * FROM clusters WHERE run_id = ? AND size >= ? ORDER BY size DESC, id",
        (run_id, min_size)
    ):
        record = {k: v for k, v in dict(row).items() if k not in ("run_id", "groups_json")}
        record["groups"] = json.loads(row["groups_json"])
        record["categories"] = categories.get(row["id"])
        clusters.append(record)
    return clusters


def read_bursts(conn: sqlite3.Connection, run_id: int) -> list[dict[str, Any]]:
    return [{k: v for k, v in dict(row).items() if k != "run_id"} for row in conn.execute(
        "SELECT * FROM bursts WHERE run_id = ? ORDER BY start_at", (run_id,))]


def read_account_signals(conn: sqlite3.Connection, run_id: int,
                         min_score: float = 0.0) -> list[dict[str, Any]]:
    found = []
    for row in conn.execute(
        "SELECT * FROM account_signals WHERE run_id = ? AND score >= ?"
        " ORDER BY score DESC, platform, account_id", (run_id, min_score)
    ):
        record = {k: v for k, v in dict(row).items()
                  if k not in ("run_id", "signals_json", "reasons_json")}
        record["signals"] = json.loads(row["signals_json"])
        record["reasons"] = json.loads(row["reasons_json"])
        found.append(record)
    return found


def read_edges(conn: sqlite3.Connection, run_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT source, target, co_posts, co_replies FROM coaction_edges WHERE run_id = ?"
        " ORDER BY source, target", (run_id,)).fetchall()
