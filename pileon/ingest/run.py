"""Running one ingest: choose the adapter, stream its batches into the store, log custody."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pileon.errors import PileonError
from pileon.ingest.parallel import read_prepared
from pileon.ingest.sniff import choose_source, read_head
from pileon.plugins import sources
from pileon.store.evidence import EvidenceWriter, IngestCounts, log_custody

__all__ = ["IngestResult", "ingest_file"]


@dataclass(frozen=True)
class IngestResult:
    path: str
    format: str
    counts: IngestCounts


def ingest_file(
    conn: sqlite3.Connection,
    path: Path,
    *,
    fmt: str = "auto",
    options: dict[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
    parallel: bool | None = None,
) -> IngestResult:
    """Ingest one file. Re-running on the same file adds nothing; an interrupted run resumes.

    `parallel`: read and parse in a second process while this one writes (None: for a file of
    PARALLEL_MIN_BYTES or more, on a machine with two cores or more); the rows are the same.
    """
    read_head(path)  # missing / empty / directory: one clear error before anything is written
    source = choose_source(path, sources(), fmt)
    writer = EvidenceWriter(conn, source=str(path), fmt=source.name)
    settings = dict(options or {})
    prepared = read_prepared(lambda: source.read(path, settings), path, parallel)
    try:
        for batch in prepared:
            writer.add_prepared(batch)
            if progress is not None:
                progress(len(batch.data))
    except PileonError as exc:
        writer.flush()  # keep what was read before the fatal error; the run stays unfinished
        exc.path = exc.path or str(path)
        raise
    finally:
        close = getattr(prepared, "close", None)
        if close is not None:
            close()  # a second process still reading is stopped
    counts = writer.finish()
    source_sha256 = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            source_sha256.update(block)
    log_custody(
        conn,
        "ingest",
        {
            "source": str(path),
            "format": source.name,
            "adapter_version": source.version,
            "payloads_new": counts.payloads_new,
            "payloads_already_stored": counts.payloads_seen,
            "posts": counts.posts,
            "accounts": counts.accounts,
            "rejected": counts.rejected,
            "source_sha256": source_sha256.hexdigest(),
        },
        writer.payloads_new | writer.payloads_seen,
        read=[source_sha256.hexdigest()],
        wrote=writer.payloads_new,
    )
    return IngestResult(path=str(path), format=source.name, counts=counts)
