"""Reading the evidence core for the CLI: counts for `stats`, one post for `show`."""

from __future__ import annotations

import sqlite3
from typing import Any

__all__ = ["find_post", "raw_payload", "stats"]


def stats(conn: sqlite3.Connection) -> dict[str, Any]:
    def pairs(sql: str) -> dict[str, int]:
        return {str(k): int(v) for k, v in conn.execute(sql).fetchall()}

    one = lambda sql: int(conn.execute(sql).fetchone()[0] or 0)  # noqa: E731
    span = conn.execute(
        "SELECT MIN(created_at), MAX(created_at) FROM posts WHERE placeholder IS NULL"
    ).fetchone()
    return {
        "posts": one("SELECT COUNT(*) FROM posts"),
        "placeholders": one("SELECT COUNT(*) FROM posts WHERE placeholder IS NOT NULL"),
        "deleted_at_source": one("SELECT COUNT(*) FROM posts WHERE deleted_at_source IS NOT NULL"),
        "post_versions": one("SELECT COUNT(*) FROM post_versions"),
        "accounts": one("SELECT COUNT(*) FROM accounts"),
        "raw_payloads": one("SELECT COUNT(*) FROM raw_payloads"),
        "raw_bytes": one("SELECT COALESCE(SUM(size_bytes), 0) FROM raw_payloads"),
        "rejected": one("SELECT COUNT(*) FROM rejects"),
        "first_post_at": span[0],
        "last_post_at": span[1],
        "by_platform": pairs(
            "SELECT platform, COUNT(*) FROM posts GROUP BY platform ORDER BY 2 DESC"
        ),
        "by_kind": pairs("SELECT kind, COUNT(*) FROM posts GROUP BY kind ORDER BY 2 DESC"),
        "by_lang_reported": pairs(
            "SELECT COALESCE(lang_reported, 'unknown'), COUNT(*) FROM posts"
            " GROUP BY 1 ORDER BY 2 DESC"
        ),
        "by_hour": pairs(
            "SELECT substr(created_at, 1, 13) || ':00Z', COUNT(*) FROM posts"
            " WHERE created_at IS NOT NULL GROUP BY 1 ORDER BY 1"
        ),
        "rejected_by_reason": pairs(
            "SELECT reason, COUNT(*) FROM rejects GROUP BY reason ORDER BY 2 DESC LIMIT 20"
        ),
        # An interrupted run no longer counts once a later run of the same file has finished.
        "ingest_runs_unfinished": one(
            "SELECT COUNT(*) FROM ingest_runs r WHERE r.finished_at IS NULL AND NOT EXISTS"
            " (SELECT 1 FROM ingest_runs later WHERE later.source = r.source"
            " AND later.id > r.id AND later.finished_at IS NOT NULL)"
        ),
    }


def find_post(conn: sqlite3.Connection, post_id: str) -> list[sqlite3.Row]:
    """Posts whose id, URI or URL equals `post_id` (ids are only unique per platform)."""
    return conn.execute(
        "SELECT p.*, a.handle AS author_handle, a.display_name AS author_display_name"
        " FROM posts p LEFT JOIN accounts a ON a.platform = p.platform AND a.id = p.author_id"
        " WHERE p.id = ? OR p.uri = ? OR p.url = ?",
        (post_id, post_id, post_id),
    ).fetchall()


def raw_payload(conn: sqlite3.Connection, sha256: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM raw_payloads WHERE sha256 = ?", (sha256,)
    ).fetchone()
    return row
