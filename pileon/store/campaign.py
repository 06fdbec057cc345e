"""The campaign mode's SQL: snapshotting a thread database into a campaign (migrated, the
original untouched), telling two threads apart, and the SQLite export Datasette reads."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pileon.errors import StoreError
from pileon.store.db import connect, is_disk_full, transaction

__all__ = ["count_posts", "snapshot_thread_db", "thread_fingerprint", "write_sqlite_export"]


def snapshot_thread_db(source: Path, target: Path) -> None:
    """Copy the pileon database `source` to `target` (SQLite's online backup: consistent even
    while another pileon writes to it) and bring the copy up to this pileon's schema."""
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        try:
            tables = {r[0] for r in src.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
            if "posts" not in tables:
                raise StoreError("not a pileon thread database (no posts table)",
                                 path=str(source),
                                 hint="add a pileon database, or a file `pileon ingest` reads")
            tmp.unlink(missing_ok=True)
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.DatabaseError as exc:
        tmp.unlink(missing_ok=True)  # a half copy holds the thread's posts: never left behind
        if is_disk_full(exc):  # the copy's disk, not the thread database, is at fault
            raise StoreError(f"the disk is full; {source.name} was not added", path=str(target.parent),
                             hint="free some space and run it again") from exc
        raise StoreError(f"not a pileon database or damaged ({exc})", path=str(source)) from exc
    try:
        connect(tmp).close()  # migrations of an older schema run on the copy only
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)


def count_posts(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM posts WHERE placeholder IS NULL").fetchone()[0])


def thread_fingerprint(conn: sqlite3.Connection) -> str:
    """What makes two databases the same thread: its root post, else all its post keys."""
    root = conn.execute("SELECT platform, id FROM posts WHERE kind='root' ORDER BY platform, id"
                        " LIMIT 1").fetchone()
    if root is not None:
        return f"root {root[0]}:{root[1]}"
    digest = hashlib.sha256()
    for platform, post_id in conn.execute("SELECT platform, id FROM posts ORDER BY platform, id"):
        digest.update(f"{platform}:{post_id}\n".encode())
    return f"posts sha256:{digest.hexdigest()}"


def write_sqlite_export(path: Path, tables: Iterable[tuple[str, Sequence[str],
                                                              Iterable[Sequence[Any]]]]) -> None:
    """A fresh SQLite file with one table per (name, columns, rows): written beside `path` and
    moved into place, so a reader never sees half an export."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        with transaction(conn):
            for name, columns, rows in tables:
                cols = ", ".join(f'"{c}"' for c in columns)
                conn.execute(f'CREATE TABLE "{name}" ({cols})')
                marks = ", ".join("?" for _ in columns)
                conn.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)
    finally:
        conn.close()
    os.replace(tmp, path)
