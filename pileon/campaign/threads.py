"""`campaign add`: each THREAD (a pileon database, or any file `pileon ingest` reads) becomes a
database of its own under DIR/threads/. A database is copied (the original is never touched;
an older schema is migrated on the copy); a file is ingested into a new one. A thread already in
the campaign — the same path, or the same root post — is refused, naming the earlier thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pileon.campaign.layout import Campaign, Thread, thread_name
from pileon.errors import ConfigError, InputFileError, PileonError
from pileon.store import connect
from pileon.store.campaign import count_posts, snapshot_thread_db, thread_fingerprint
from pileon.store.db import to_iso

__all__ = ["Added", "add_threads"]

_SQLITE = b"SQLite format 3\x00"


@dataclass(frozen=True, slots=True)
class Added:
    source: Path
    thread: Thread | None
    error: str | None = None


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(16) == _SQLITE


def _add_one(campaign: Campaign, path: Path, threads: list[Thread]) -> Thread:
    if not path.exists():
        raise InputFileError("no such file", path=str(path))
    if path.is_dir():
        raise InputFileError("is a directory; give a thread database or a file", path=str(path))
    source = str(path.resolve())
    for t in threads:
        if t.source == source:
            raise ConfigError(f"already in the campaign as thread {t.name!r}", path=str(path))
    name = thread_name(path.stem, {t.name for t in threads})
    target = campaign.thread_db(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    kind = "db" if _is_sqlite(path) else "file"
    try:
        if kind == "db":
            snapshot_thread_db(path, target)
            conn = connect(target, create=False)
        else:
            from pileon.ingest.run import ingest_file

            conn = connect(target)
            try:
                ingest_file(conn, path)
            except BaseException:
                conn.close()
                raise
        try:
            fingerprint = thread_fingerprint(conn)
            posts = count_posts(conn)
        finally:
            conn.close()
        for t in threads:
            if t.fingerprint == fingerprint:
                raise ConfigError(f"the same thread as {t.name!r} (added from {t.source}): "
                                  f"same {fingerprint.split(' ')[0]} post", path=str(path),
                                  hint="each target thread is added once")
        if posts == 0:
            raise InputFileError("holds no posts", path=str(path))
    except BaseException:
        for leftover in (target, target.with_name(target.name + "-wal"),
                         target.with_name(target.name + "-shm")):
            leftover.unlink(missing_ok=True)
        raise
    return Thread(name=name, source=source, kind=kind, fingerprint=fingerprint,
                  added_at=to_iso(datetime.now(UTC)) or "", posts=posts)


def add_threads(campaign: Campaign, paths: list[Path]) -> list[Added]:
    """Add each path; one failure is reported and the others are still added."""
    threads = campaign.threads()
    done = []
    for path in paths:
        try:
            thread = _add_one(campaign, path, threads)
        except PileonError as exc:
            done.append(Added(path, None, str(exc)))
            continue
        threads.append(thread)
        campaign.save(threads)  # after each thread: an interrupted add keeps what it finished
        done.append(Added(path, thread))
    return done
