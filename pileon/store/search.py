"""The search index's SQL: FTS5 rows of normalized spellings, and search pages over them.

The spellings themselves are computed outside the store (`pileon.web.search` runs the
analyzer's normalizer) and arrive here as plain strings: an FTS5 match expression to search
with, or each post's indexed body to write.

What waits for the index costs an ingest nothing per post: every post above the watermark
`post_search_state.indexed_upto` (posts.rowid order, migration 0031) is new to the index, and
only a post whose text changed after it was indexed gets a post_search_pending row.

A search page is driven by what FTS5 found, never by the folder: the matches (a few thousand
in a 100k thread) are joined once, through the small `post_search_keys` rows and a covering
index on post_folders (migration 0026), to their folder and time; one pass sorts them, counts
them (a window count) and keeps one page of keys; only that page is joined to the wide posts
and accounts rows. (Before: the match list was joined twice, once for the page with every
matching post's wide row, once more for the count.)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from pileon.store.db import transaction
from pileon.store.triage import _PAGE_COLUMNS, PageFilter, _where

__all__ = ["IndexItem", "hit_count", "index_reset", "pending", "pending_count", "pending_posts",
           "search_keys", "search_page", "write_index"]

#: (posts.rowid, indexed body or None when the post is gone, platform, post id)
IndexItem = tuple[int, str | None, str | None, str | None]

_HITS = ("WITH hits AS (SELECT k.platform, k.post_id FROM post_search s"
         " JOIN post_search_keys k ON k.id = s.rowid WHERE post_search MATCH ?)")
# CROSS JOIN keeps SQLite from walking a whole folder by its index instead of the matches;
# INDEXED BY keeps it on the covering index even where ANALYZE statistics favour the key.
_HIT_FOLDERS = (" FROM hits h CROSS JOIN post_folders f INDEXED BY post_folders_search"
                " ON f.run_id = ? AND f.platform = h.platform AND f.post_id = h.post_id")


_UPTO = "(SELECT indexed_upto FROM post_search_state)"


def pending(conn: sqlite3.Connection) -> bool:
    """True when some post is new (its rowid above the watermark, migration 0031) or its text
    changed, and the index does not hold it yet."""
    return conn.execute(
        f"SELECT EXISTS (SELECT 1 FROM posts WHERE rowid > {_UPTO})"
        " OR EXISTS (SELECT 1 FROM post_search_pending)").fetchone()[0] == 1


def pending_count(conn: sqlite3.Connection) -> int:
    # a changed post above the watermark is waiting once, as a new one
    return int(conn.execute(
        f"SELECT (SELECT COUNT(*) FROM posts WHERE rowid > {_UPTO})"
        f" + (SELECT COUNT(*) FROM post_search_pending WHERE post_rowid <= {_UPTO})").fetchone()[0])


def pending_posts(conn: sqlite3.Connection, limit: int) -> list[IndexItem]:
    """Up to `limit` waiting posts as (rowid, text, platform, id); text None: the post is gone.
    Changed posts come first, then new ones in rowid order from the watermark up."""
    changed = [(int(r[0]), r[1], r[2], r[3]) for r in conn.execute(
        "SELECT q.post_rowid, p.text, p.platform, p.id FROM post_search_pending q"
        f" LEFT JOIN posts p ON p.rowid = q.post_rowid WHERE q.post_rowid <= {_UPTO} LIMIT ?",
        (limit,))]
    if len(changed) >= limit:
        return changed
    return changed + [(int(r[0]), r[1], r[2], r[3]) for r in conn.execute(
        f"SELECT rowid, text, platform, id FROM posts WHERE rowid > {_UPTO} ORDER BY rowid"
        " LIMIT ?", (limit - len(changed),))]


def write_index(conn: sqlite3.Connection, items: Sequence[IndexItem]) -> None:
    """Index `(rowid, body, platform, post_id)` rows in one transaction (body None: the post
    is gone, its row is only removed), and mark them no longer waiting: the watermark moves up
    over every new post now indexed, as far as they follow one another."""
    bodies = [(rowid, body, platform, post_id) for rowid, body, platform, post_id in items
              if body is not None and platform is not None and post_id is not None]
    gone = [(item[0],) for item in items]
    written = {b[0] for b in bodies}
    with transaction(conn):
        conn.executemany("DELETE FROM post_search WHERE rowid = ?", gone)
        conn.executemany("DELETE FROM post_search_keys WHERE id = ?", gone)
        conn.executemany("INSERT INTO post_search (rowid, body) VALUES (?, ?)",
                         [(b[0], b[1]) for b in bodies])
        conn.executemany("INSERT INTO post_search_keys (id, platform, post_id) VALUES (?, ?, ?)",
                         [(b[0], b[2], b[3]) for b in bodies])
        conn.executemany("DELETE FROM post_search_pending WHERE post_rowid = ?", gone)
        upto = None
        for (rowid,) in conn.execute(f"SELECT rowid FROM posts WHERE rowid > {_UPTO}"
                                     " ORDER BY rowid LIMIT ?", (len(written) + 1,)):
            if rowid not in written:
                break
            upto = rowid
        if upto is not None:
            conn.execute("UPDATE post_search_state SET indexed_upto = ?", (upto,))


def index_reset(conn: sqlite3.Connection) -> None:
    """Empty the index and mark every post waiting (a benchmark's clean start)."""
    conn.execute("DELETE FROM post_search")
    conn.execute("DELETE FROM post_search_keys")
    conn.execute("DELETE FROM post_search_pending")
    conn.execute("UPDATE post_search_state SET indexed_upto = 0")


def hit_count(conn: sqlite3.Connection, match: str) -> int:
    """How many posts of the whole database `match` finds (any folder, any run)."""
    return int(conn.execute("SELECT COUNT(*) FROM post_search WHERE post_search MATCH ?",
                            (match,)).fetchone()[0])


def _folder_where(run_id: int, flt: PageFilter) -> tuple[str, list[Any]]:
    # The filter's other conditions name post_folders alone (no text LIKE with a match).
    return _where(run_id, replace(flt, match=None, query=None))


def search_page(conn: sqlite3.Connection, run_id: int, flt: PageFilter, *, offset: int,
                limit: int, newest_first: bool = True) -> tuple[list[sqlite3.Row], int]:
    """One page of the posts FTS5 finds for `flt.match` that pass `flt`'s other conditions
    (in run `run_id`), and how many pass in all."""
    assert flt.match is not None
    where, args = _folder_where(run_id, flt)
    order = "DESC" if newest_first else "ASC"
    sort = f"ORDER BY f.created_at {order}, f.post_id"
    page = (f"{_HITS} SELECT f.platform, f.post_id, f.created_at, COUNT(*) OVER () AS total"
            f"{_HIT_FOLDERS} WHERE {where} {sort} LIMIT ? OFFSET ?")
    rows = conn.execute(
        f"WITH page AS MATERIALIZED ({page})"
        f" SELECT {_PAGE_COLUMNS}, page.total AS total FROM page"
        " CROSS JOIN post_folders f ON f.run_id = ? AND f.platform = page.platform"
        " AND f.post_id = page.post_id"
        " JOIN posts p ON p.platform = f.platform AND p.id = f.post_id"
        " LEFT JOIN accounts a ON a.platform = p.platform AND a.id = p.author_id"
        f" {sort}", [flt.match, run_id, *args, limit, offset, run_id]).fetchall()
    if rows:
        return rows, int(rows[0]["total"])
    if offset == 0:
        return rows, 0
    # past the last page: the count alone
    total = conn.execute(f"{_HITS} SELECT COUNT(*){_HIT_FOLDERS} WHERE {where}",
                         [flt.match, run_id, *args]).fetchone()[0]
    return rows, int(total)


def search_keys(conn: sqlite3.Connection, run_id: int, flt: PageFilter,
                cap: int = 200_000) -> list[tuple[str, str]]:
    """Every (platform, post_id) the search `flt` finds: the target of a bulk action."""
    assert flt.match is not None
    where, args = _folder_where(run_id, flt)
    return [(str(a), str(b)) for a, b in conn.execute(
        f"{_HITS} SELECT f.platform, f.post_id{_HIT_FOLDERS} WHERE {where} LIMIT ?",
        [flt.match, run_id, *args, cap])]
