"""Hashes for the chain-of-custody log: one SHA-256 over the rows a stage read or wrote.

A digest is SHA-256 of the rows as canonical JSON lines, in the query's order, so anyone with
the database can recompute it with the same query and see that a stage's output is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence

__all__ = ["decision_batch_digest", "posts_payloads", "rows_digest", "run_rows_digest"]

#: Tables whose rows belong to one run of a stage, with a stable order of their rows.
_RUN_TABLES: dict[str, str] = {
    "scores": "SELECT platform, post_id, backend, model_version, lang, labels_json, scores_json,"
              " evidence_json FROM scores WHERE run_id = ? ORDER BY platform, post_id, backend,"
              " model_version",
    "clusters": "SELECT * FROM clusters WHERE run_id = ? ORDER BY id",
    "cluster_members": "SELECT * FROM cluster_members WHERE run_id = ?"
                       " ORDER BY platform, post_id",
    "account_signals": "SELECT * FROM account_signals WHERE run_id = ?"
                       " ORDER BY platform, account_id",
    "bursts": "SELECT * FROM bursts WHERE run_id = ? ORDER BY start_at",
    "post_folders": "SELECT platform, post_id, labels_json, category, model_folder, folder,"
                    " rule, signals, cluster_id, decided FROM post_folders WHERE run_id = ?"
                    " ORDER BY platform, post_id",
}


def rows_digest(rows: Iterable[Sequence[object]]) -> str:
    """SHA-256 of rows as JSON lines (bytes as hex), in the order given."""
    digest = hashlib.sha256()
    for row in rows:
        values = [v.hex() if isinstance(v, bytes) else v for v in row]
        digest.update(json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def run_rows_digest(conn: sqlite3.Connection, table: str, run_id: int) -> str:
    """The digest of one table's rows for one run of a stage (see _RUN_TABLES)."""
    return rows_digest(conn.execute(_RUN_TABLES[table], (run_id,)))


def decision_batch_digest(conn: sqlite3.Connection, batch: str) -> str:
    """The digest of one batch of the user's decisions (they are never changed afterwards)."""
    return rows_digest(conn.execute(
        "SELECT batch, platform, post_id, action, value, reason, decided_at, via FROM decisions"
        " WHERE batch = ? ORDER BY id", (batch,)))


def posts_payloads(conn: sqlite3.Connection, keys: Iterable[tuple[str, str]]) -> set[str]:
    """The raw payload SHA-256s the given posts were read from."""
    found: set[str] = set()
    for platform, post_id in keys:
        row = conn.execute("SELECT raw_sha256 FROM posts WHERE platform = ? AND id = ?",
                           (platform, post_id)).fetchone()
        if row is not None:
            found.add(str(row[0]))
    return found
