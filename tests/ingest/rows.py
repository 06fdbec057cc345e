"""Reading rows back from a test database, with a clear failure when a row is missing."""

from __future__ import annotations

import sqlite3

__all__ = ["account", "count", "post"]


def post(conn: sqlite3.Connection, platform: str, post_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM posts WHERE platform = ? AND id = ?", (platform, post_id)
    ).fetchone()
    assert row is not None, f"no {platform} post {post_id}"
    return row


def account(conn: sqlite3.Connection, platform: str, account_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM accounts WHERE platform = ? AND id = ?", (platform, account_id)
    ).fetchone()
    assert row is not None, f"no {platform} account {account_id}"
    return row


def count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
