"""Running the classifier over a database: unscored posts in batches, on every core, written back
batch by batch so an interrupted run resumes where it stopped. The store stays at the edge.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from pileon.analyze.classify import Classification
from pileon.errors import ModelError
from pileon.plugins import classifiers
from pileon.records import Score
from pileon.store.analysis import (
    count_unscored,
    finish_run,
    iter_unscored,
    start_run,
    write_scores,
)
from pileon.store.custody import run_rows_digest
from pileon.store.evidence import log_custody
from pileon.worker_pool import worker_pool

__all__ = ["AnalyzeResult", "analyze_db", "get_classifier"]

BATCH = 1000

_worker_classifier: Any = None


@dataclass(frozen=True, slots=True)
class AnalyzeResult:
    run_id: int
    backend: str
    model_version: str
    analysed: int  # posts scored by this call
    total: int  # posts the run has scored in all (including before an interruption)
    seconds: float


def get_classifier(backend: str = "builtin") -> Any:
    found = classifiers()
    if backend not in found:
        raise ModelError(f"no classifier backend named {backend!r}; available: "
                         + ", ".join(sorted(found)))
    return found[backend]


def _init_worker(backend: str) -> None:
    global _worker_classifier
    _worker_classifier = get_classifier(backend)


def _classify_chunk(texts: list[str]) -> list[Classification]:
    return list(_worker_classifier.classify(texts))


def _scores(batch: Sequence[tuple[str, str, str]], results: Sequence[Any]) -> list[Score]:
    return [
        Score(platform, post_id, r.backend, r.model_version, r.lang, float(r.lang_confidence),
              {k: float(v) for k, v in r.scores.items()}, tuple(r.labels),
              tuple(e.to_json() if hasattr(e, "to_json") else dict(e) for e in r.evidence))
        for (platform, post_id, _), r in zip(batch, results, strict=True)
    ]


def _parallel(batches: Iterator[list[tuple[str, str, str]]], backend: str, workers: int
              ) -> Iterator[tuple[list[tuple[str, str, str]], list[Any]]]:
    """Results in submission order, at most 2 batches per worker in flight (bounded memory)."""
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with worker_pool(workers, context, _init_worker, (backend,)) as pool:
        pending: list[tuple[list[tuple[str, str, str]], Future[list[Classification]]]] = []
        for batch in batches:
            pending.append((batch, pool.submit(_classify_chunk, [t for _, _, t in batch])))
            if len(pending) >= 2 * workers:
                done, future = pending.pop(0)
                yield done, future.result()
        for done, future in pending:
            yield done, future.result()


def analyze_db(conn: Any, backend: str = "builtin", workers: int | None = None,
               force: bool = False, progress: Callable[[int, int], None] | None = None
               ) -> AnalyzeResult:
    """Score every post not yet scored by this backend and model version (all with `force`)."""
    started = time.perf_counter()
    classifier = get_classifier(backend)
    version = str(classifier.version)
    run_id = start_run(conn, backend, version)
    total = count_unscored(conn, backend, version, force)
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    # Read everything to score first: the writer must not hold a read cursor open across commits.
    pending = list(iter_unscored(conn, backend, version, BATCH, force))
    done = 0
    if pending:
        # Load the model, lexicons and language tables once, before forking: the workers
        # inherit them instead of each loading its own.
        classifier.classify(["warm up"])
    if workers == 1 or total <= BATCH:
        stream: Iterator[tuple[list[tuple[str, str, str]], list[Any]]] = (
            (batch, classifier.classify([t for _, _, t in batch])) for batch in pending)
    else:
        stream = _parallel(iter(pending), backend, workers)
    for batch, results in stream:
        write_scores(conn, run_id, _scores(batch, results))
        done += len(batch)
        if progress:
            progress(done, total)
    posts = finish_run(conn, run_id)
    seconds = time.perf_counter() - started
    log_custody(conn, "analyze", {"stage": "classify", "run_id": run_id, "backend": backend,
                                  "model_version": version, "posts": done},
                wrote=[run_rows_digest(conn, "scores", run_id)])
    return AnalyzeResult(run_id, backend, version, done, posts, seconds)
