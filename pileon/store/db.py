"""Opening a pileon database: SQLite in WAL mode, numbered migrations applied in order.

Migrations live in store/migrations/NNNN_name.sql; each runs once inside a transaction and is
recorded in `schema_migrations`, so an older database is brought up to date on open.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from pileon.errors import StoreError

__all__ = [
    "MIGRATIONS", "connect", "from_iso", "is_disk_full", "schema_version", "to_iso", "transaction",
]

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def _load_migrations() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files("pileon.store.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


MIGRATIONS: list[tuple[int, str, str]] = _load_migrations()


def to_iso(moment: datetime | None) -> str | None:
    """UTC ISO 8601 with milliseconds and a Z, so text order is time order in SQL."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def from_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def is_disk_full(exc: BaseException) -> bool:
    """True for SQLite's (and the OS's) way of saying there is no space left."""
    text = str(exc).lower()
    return "disk is full" in text or "no space left" in text or getattr(exc, "errno", 0) == 28


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: BEGIN IMMEDIATE, COMMIT on success, ROLLBACK on any exception
    (KeyboardInterrupt too), so nothing half-written is ever stored. Not re-entrant: inside an
    open transaction it raises rather than silently nesting."""
    if conn.in_transaction:
        raise StoreError("a transaction is already open on this connection")
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        # SQLite may have rolled back already (a full disk does): rolling back again would hide
        # the real error behind "cannot rollback - no transaction is active".
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_migrations'"
    ).fetchone()
    if row is None:
        return 0
    value = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0]
    return int(value or 0)


def connect(path: str | Path, *, create: bool = True) -> sqlite3.Connection:
    """Open (and if needed create and migrate) the database at `path`."""
    db_path = Path(path)
    if not create and not db_path.exists():
        raise StoreError(
            "no such database", path=str(db_path), hint="run `pileon ingest` or `pileon demo` first"
        )
    if db_path.exists() and db_path.is_dir():
        raise StoreError("is a directory, not a database file", path=str(db_path))
    if db_path.exists() and not _writable(db_path):
        return _connect_read_only(db_path)
    try:
        conn = sqlite3.connect(db_path, isolation_level=None, timeout=30)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        _migrate(conn)
    except sqlite3.DatabaseError as exc:
        if "readonly" in str(exc) and db_path.exists():
            return _connect_read_only(db_path)
        if is_disk_full(exc):
            raise StoreError("the disk is full", path=str(db_path),
                             hint="free some space and run it again") from exc
        raise StoreError(
            f"not a pileon database or damaged ({exc})",
            path=str(db_path),
            hint="check the path; a damaged file can be inspected with `sqlite3 FILE .recover`",
        ) from exc
    return conn


def _writable(db_path: Path) -> bool:
    """Writing needs the file and its folder (for the -wal and -shm files) to be writable."""
    folder = db_path.resolve().parent
    return os.access(db_path, os.W_OK) and os.access(folder, os.W_OK)


def _connect_read_only(db_path: Path) -> sqlite3.Connection:
    """A read-only file or file system: open for reading, never set WAL (that writes), never
    migrate. Commands that only read (stats, show, folders, serve) work; writes fail clearly."""
    uri = db_path.resolve().as_uri()
    last: sqlite3.DatabaseError | None = None
    # mode=ro shares the WAL with a live writer; immutable=1 reads a file whose folder is read-only
    # and that has no -shm file (SQLite could not create one).
    for query in ("mode=ro", "mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(f"{uri}?{query}", uri=True, isolation_level=None, timeout=30,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout=30000")
            version = schema_version(conn)
        except sqlite3.DatabaseError as exc:
            last = exc
            continue
        missing = sorted({v for v, _, _ in MIGRATIONS} - _applied(conn))
        if missing:
            conn.close()
            raise StoreError(
                f"the database is read-only and needs this pileon's schema upgrade (schema"
                f" {version}; missing migration(s) {', '.join(map(str, missing))})",
                path=str(db_path),
                hint="open it once where it can be written, or copy it somewhere writable",
            )
        return conn
    raise StoreError(
        f"cannot open the read-only database ({last})",
        path=str(db_path),
        hint="check the path and the file's permissions",
    )


def _applied(conn: sqlite3.Connection) -> set[int]:
    if schema_version(conn) == 0:
        return set()
    return {int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations")}


def _migrate(conn: sqlite3.Connection) -> None:
    """Apply every known migration not yet applied, in order (a gap left by a migration added
    later with a lower number is filled too)."""
    current = schema_version(conn)
    known = MIGRATIONS[-1][0] if MIGRATIONS else 0
    if current > known:
        raise StoreError(
            f"database schema {current} is newer than this pileon understands ({known})",
            hint="upgrade pileon",
        )
    if {version for version, _, _ in MIGRATIONS} <= _applied(conn):
        return
    with transaction(conn):
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        applied = _applied(conn)  # another process may have migrated meanwhile
        for version, name, sql in MIGRATIONS:
            if version in applied:
                continue
            for statement in _split_sql(sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, to_iso(datetime.now(UTC))),
            )


def _split_sql(sql: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    statements, buffer = [], []
    for line in sql.splitlines():
        if line.strip().startswith("--"):
            continue
        buffer.append(line)
        candidate = "\n".join(buffer)
        if sqlite3.complete_statement(candidate):
            statements.append(candidate.strip())
            buffer = []
    if "\n".join(buffer).strip():
        statements.append("\n".join(buffer).strip())
    return statements
