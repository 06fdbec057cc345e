"""Opening a pileon database: SQLite in WAL mode, numbered migrations applied in order.

Migrations live in store/migrations/NNNN_name.sql; each runs once inside a transaction and is
recorded in `schema_migrations`, so an older database is brought up to date on open.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from pileon.errors import StoreError
from pileon.store.wal import committed_image
from pileon.store.wal import has_frames as wal_frames

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


def set_busy_timeout(conn: sqlite3.Connection, milliseconds: int) -> None:
    """How long this connection waits for another writer before "database is locked"."""
    conn.execute(f"PRAGMA busy_timeout={int(milliseconds)}")


def _writable(db_path: Path) -> bool:
    """Writing needs the file and its folder (for the -wal and -shm files) to be writable."""
    folder = db_path.resolve().parent
    return os.access(db_path, os.W_OK) and os.access(folder, os.W_OK)


def _connect_read_only(db_path: Path) -> sqlite3.Connection:
    """A read-only file or file system: open for reading, never set WAL (that writes), never
    migrate. Commands that only read (stats, show, folders, serve) work; writes fail clearly."""
    uri = db_path.resolve().as_uri()
    wal = Path(f"{db_path}-wal")
    last: sqlite3.DatabaseError | None = None
    # mode=ro shares the WAL with a live writer. Without a -shm file on a folder SQLite cannot
    # write, only immutable=1 opens, and it ignores the -wal: with changes still in the -wal
    # the committed state is rebuilt in memory instead (pileon/store/wal.py).
    attempts = ["mode=ro", "memory" if wal_frames(wal) else "mode=ro&immutable=1"]
    for query in attempts:
        try:
            if query == "memory":
                conn = _connect_committed_image(db_path, wal)
            else:
                conn = sqlite3.connect(f"{uri}?{query}", uri=True, isolation_level=None,
                                       timeout=30, check_same_thread=False)
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


#: Largest read-only database (file + -wal) rebuilt in memory when its -wal cannot be shared.
READ_ONLY_MEMORY_MB = 512


def _connect_committed_image(db_path: Path, wal: Path) -> sqlite3.Connection:
    """An in-memory, query-only copy of the database as its last committed transaction left
    it (main file + committed -wal frames): nothing is written anywhere, no change is lost."""
    limit = int(os.environ.get("PILEON_READ_ONLY_MEMORY_MB", READ_ONLY_MEMORY_MB)) * 2**20
    size = db_path.stat().st_size + wal.stat().st_size
    if size > limit:
        raise StoreError(
            f"the database is read-only and its newest changes are still in {wal.name}, which"
            f" SQLite can read only where it may write a {db_path.name}-shm file beside it"
            f" ({size / 2**20:.0f} MB is too large to read in memory)",
            path=str(db_path),
            hint=f"open it once where its folder can be written (that merges {wal.name} into the"
                 f" file), or copy {db_path.name} and {wal.name} together to a writable folder",
        )
    try:
        image = _committed_image(str(db_path), *_stamp(db_path), *_stamp(wal))
    except (OSError, ValueError) as exc:
        raise sqlite3.DatabaseError(f"cannot read {wal.name}: {exc}") from exc
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    conn.deserialize(image)
    conn.execute("PRAGMA query_only=ON")  # a write fails as on any read-only database
    return conn


def _stamp(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_mtime_ns, info.st_size


@functools.lru_cache(maxsize=1)
def _committed_image(path: str, db_mtime: int, db_size: int, wal_mtime: int,
                     wal_size: int) -> bytes:
    """One rebuild per process and file state (the web UI opens a connection per thread)."""
    return committed_image(Path(path), Path(f"{path}-wal"))


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
