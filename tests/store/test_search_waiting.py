"""What waits for the search index (migration 0031): new posts by their rowid, changed posts by a
row each. A database built before 0031 and one built after it index the same thread into the
same FTS5 rows; a post stored after the largest one was deleted is still found."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pileon.ingest.run import ingest_file
from pileon.store import connect
from pileon.store.db import MIGRATIONS, _split_sql
from pileon.web import search

FIXTURES = Path(__file__).parent.parent / "fixtures"
THREAD = FIXTURES / "formats" / "x_v2_conversation_search.json"
WEB = FIXTURES / "xweb" / "twscrape_TweetDetail_2026.json"
QUOTES = FIXTURES / "formats" / "x_v2_quote_tweets.json"


def _database_before_0031(path: Path) -> None:
    """A database migrated by a pileon that did not have migration 0031 yet."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                 " applied_at TEXT NOT NULL)")
    conn.execute("BEGIN")
    for version, name, sql in MIGRATIONS:
        if version >= 31:
            break
        for statement in _split_sql(sql):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, '2026-11-01T00:00:00Z')",
                     (version, name))
    conn.execute("COMMIT")
    conn.close()


def _index(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    search.sync(conn)
    assert not search.pending(conn) and search.pending_count(conn) == 0
    return conn.execute(
        "SELECT s.rowid, s.body, k.platform, k.post_id FROM post_search s"
        " JOIN post_search_keys k ON k.id = s.rowid ORDER BY s.rowid").fetchall()


def _ingest_with_old_schema(path: Path) -> None:
    """Ingest through 0025's triggers, with no pileon code that knows about 0031."""
    from pileon.store import db as store_db

    real = store_db.MIGRATIONS
    store_db.MIGRATIONS = [m for m in real if m[0] < 31]
    try:
        conn = connect(path)
        ingest_file(conn, THREAD)
        assert conn.execute("SELECT COUNT(*) FROM post_search_pending").fetchone()[0] > 0
        conn.close()
    finally:
        store_db.MIGRATIONS = real


def test_a_database_from_before_0031_indexes_the_same_rows_as_a_new_one(tmp_path: Path) -> None:
    old, new = tmp_path / "old.db", tmp_path / "new.db"
    _database_before_0031(old)
    _ingest_with_old_schema(old)  # its posts wait in post_search_pending, 0025's way
    upgraded = connect(old)  # applies 0031 (and any later migration)
    assert {r[0] for r in upgraded.execute("SELECT version FROM schema_migrations")} >= {31}
    assert search.pending(upgraded)
    for path in (WEB, QUOTES):  # posts stored after the upgrade wait by rowid
        ingest_file(upgraded, path)
    fresh = connect(new)
    for path in (THREAD, WEB, QUOTES):
        ingest_file(fresh, path)
    assert search.pending_count(fresh) == fresh.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
    rows = _index(fresh)
    assert len(rows) == fresh.execute("SELECT COUNT(*) FROM posts").fetchone()[0] >= 20
    assert _index(upgraded) == rows


def test_only_a_real_change_of_text_waits_again(db_path: Path) -> None:
    conn = connect(db_path)
    ingest_file(conn, THREAD)
    before = _index(conn)
    ingest_file(conn, THREAD)  # the same bytes again: nothing new
    assert not search.pending(conn)
    post_id = str(before[0][3])
    conn.execute("UPDATE posts SET text = text WHERE id = ?", (post_id,))
    assert not search.pending(conn)  # rewritten with the same text
    conn.execute("UPDATE posts SET text = 'zzyzx changed' WHERE id = ?", (post_id,))
    assert search.pending_count(conn) == 1
    assert any("zzyzx" in str(r[1]) for r in _index(conn))


def test_a_post_stored_after_the_newest_was_deleted_is_indexed(db_path: Path) -> None:
    conn = connect(db_path)
    ingest_file(conn, THREAD)
    indexed = _index(conn)
    newest = conn.execute("SELECT MAX(rowid) FROM posts").fetchone()[0]
    conn.execute("DELETE FROM posts WHERE rowid = ?", (newest,))  # its rowid is free again
    assert len(_index(conn)) == len(indexed) - 1
    ingest_file(conn, WEB)
    assert conn.execute("SELECT MIN(rowid) FROM posts WHERE raw_sha256 IN (SELECT sha256 FROM"
                        " raw_payloads WHERE adapter = 'x-web')").fetchone()[0] == newest
    rows = _index(conn)
    assert len(rows) == conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
    assert newest in {r[0] for r in rows}


def test_an_index_built_in_small_steps_equals_one_built_at_once(tmp_path: Path) -> None:
    whole, steps = connect(tmp_path / "a.db"), connect(tmp_path / "b.db")
    for conn in (whole, steps):
        for path in (THREAD, WEB):
            ingest_file(conn, path)
    conn = steps
    conn.execute("UPDATE posts SET text = text || ' edited' WHERE rowid % 3 = 0")
    whole.execute("UPDATE posts SET text = text || ' edited' WHERE rowid % 3 = 0")
    waiting = search.pending_count(conn)
    done = 0
    while search.pending(conn):
        done += _one_step(conn, 4)
    assert done == waiting
    assert _index(steps) == _index(whole)


def _one_step(conn: sqlite3.Connection, size: int) -> int:
    from pileon.store import search as store_search

    items = store_search.pending_posts(conn, size)
    store_search.write_index(conn, [
        (rowid, None if text is None else search.spellings(text), platform, post_id)
        for rowid, text, platform, post_id in items])
    return len(items)
