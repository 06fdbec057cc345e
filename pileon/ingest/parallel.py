"""Reading a file in a second process while this one writes: the two halves of an ingest on two cores.

The child process runs the adapter and builds every row (`store.evidence.prepare`); this
process only binds them into SQLite. Rows cross a pipe in small groups, so the child never runs
more than a pipe's buffer and one group ahead (memory stays bounded), and what is stored is
exactly what the one-process path stores (tests/ingest/test_parallel_same_rows.py).

The child is forked (nothing to import again, and it starts in about a millisecond), only on
Linux-like systems, only for files large enough to gain from it, and only from a process where
forking is safe (`can_fork`).
A PileonError in the child (a truncated HAR, a TikTok capture) is raised here, after everything
read before it has been handed over, exactly as the one-process path raises it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path

from pileon.errors import PileonError
from pileon.records import SourceBatch
from pileon.store.evidence import PreparedBatch, prepare

__all__ = [
    "PARALLEL_MIN_BYTES", "can_fork", "prepared_batches", "prepared_in_child", "read_prepared",
    "use_parallel",
]

#: Below this a file is read in this process: forking would cost more than it saves.
PARALLEL_MIN_BYTES = 1024 * 1024
#: Batches (and rows) per message: small enough to keep both processes busy and memory low.
_GROUP_BATCHES = 200
_GROUP_ROWS = 2000


def can_fork() -> bool:
    """Fork only where it is safe: a system with fork, a process allowed children (not a
    daemonic worker, e.g. a Dask worker), and no other thread but daemon helpers (a progress
    bar's refresh thread); from Python 3.12 on (which warns), no other thread at all."""
    if not hasattr(os, "fork") or "fork" not in multiprocessing.get_all_start_methods():
        return False
    if multiprocessing.current_process().daemon:
        return False
    others = [t for t in threading.enumerate() if t is not threading.current_thread()]
    if sys.version_info >= (3, 12):
        return not others
    return all(t.daemon for t in others)


def use_parallel(path: Path, parallel: bool | None) -> bool:
    """True to read `path` in a second process: asked for, or (None) a large file."""
    if parallel is False or not can_fork():
        return False
    if parallel:
        return True
    try:
        return path.stat().st_size >= PARALLEL_MIN_BYTES and (os.cpu_count() or 1) > 1
    except OSError:
        return False


def prepared_batches(batches: Iterable[SourceBatch]) -> Iterator[PreparedBatch]:
    """The one-process path: each batch's rows built here, as they come."""
    for batch in batches:
        yield prepare(batch)


def _child(read: Callable[[], Iterable[SourceBatch]], out: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the writer's to handle
    group: list[PreparedBatch] = []
    rows = 0
    try:
        try:
            for batch in read():
                prepared = prepare(batch)
                group.append(prepared)
                rows += 1 + len(prepared.posts) + len(prepared.accounts)
                if len(group) >= _GROUP_BATCHES or rows >= _GROUP_ROWS:
                    out.send(("batches", group))
                    group, rows = [], 0
        except PileonError as exc:
            if group:
                out.send(("batches", group))
            out.send(("error", (type(exc), exc.message, exc.path, exc.record, exc.hint)))
            return
        except Exception as exc:  # a bug: raised in the writer as it would be in one process
            if group:
                out.send(("batches", group))
            try:
                out.send(("crash", exc))
            except Exception:  # not picklable
                out.send(("crash", RuntimeError(f"{type(exc).__name__}: {exc}")))
            return
        if group:
            out.send(("batches", group))
        out.send(("done", None))
    except (BrokenPipeError, EOFError, OSError):
        pass  # the writer is gone (stopped or killed): nothing left to hand over
    finally:
        out.close()


def prepared_in_child(read: Callable[[], Iterable[SourceBatch]]) -> Iterator[PreparedBatch]:
    """`read()`'s batches, prepared in a forked child process, in file order."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(read, send), daemon=True,
                            name="pileon-ingest-reader")
    child.start()
    send.close()
    finished = False
    try:
        while True:
            try:
                kind, value = receive.recv()
            except EOFError:
                child.join(5)
                raise PileonError(
                    "the process reading the file stopped before the end"
                    f" (exit code {child.exitcode})",
                    hint="run the same command again: what was stored is kept, the rest is read",
                ) from None
            if kind == "batches":
                yield from value
            elif kind == "error":
                cls, message, path, record, hint = value
                raise cls(message, path=path, record=record, hint=hint)
            elif kind == "crash":
                raise value
            else:
                finished = True
                return
    finally:
        receive.close()
        if not finished and child.is_alive():
            child.terminate()
        child.join()


def read_prepared(
    read: Callable[[], Iterable[SourceBatch]], path: Path, parallel: bool | None
) -> Iterator[PreparedBatch]:
    """The prepared batches of one ingest: in a second process when `use_parallel` says so."""
    if use_parallel(path, parallel):
        return prepared_in_child(read)
    return prepared_batches(read())

