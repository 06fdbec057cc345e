"""The stage order, written once: ingest → analyze → coordination → triage.

`pileon run`, `pileon demo --run`, `make demo` and every round of `pileon watch` call
`run_pipeline`; nothing else strings the stages together. Each stage reads what the one before it
stored and writes its own run, so the pipeline can stop after any stage and resume later.
The campaign mode (pileon/campaign/) runs the same analyzers partition by partition on Dask.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pileon.errors import ConfigError, PileonError

__all__ = [
    "STAGES", "PipelineOptions", "PipelineResult", "StageDone", "coordinate_thread",
    "run_live_round", "run_pipeline",
]

#: The stages in data-flow order. A run can skip any of them, never reorder them.
STAGES: tuple[str, ...] = ("ingest", "analyze", "coordination", "triage")


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    stages: tuple[str, ...] = STAGES
    backend: str = "builtin"
    workers: int | None = None  # analyze processes (None: every core)
    rules_path: Path | None = None  # triage rules (None: the shipped defaults)
    window_s: int = 600
    jaccard_threshold: float = 0.4
    min_group: int = 5
    ingest_format: str = "auto"

    def __post_init__(self) -> None:
        unknown = [s for s in self.stages if s not in STAGES]
        if unknown:
            raise ConfigError(f"unknown pipeline stage(s): {', '.join(unknown)}",
                              hint="stages are " + ", ".join(STAGES))


@dataclass(frozen=True, slots=True)
class StageDone:
    """One stage's outcome: what it counted, in a form the CLI prints and --json emits."""

    stage: str
    seconds: float
    summary: dict[str, Any]


@dataclass(slots=True)
class PipelineResult:
    stages: list[StageDone] = field(default_factory=list)

    def get(self, stage: str) -> StageDone | None:
        return next((s for s in self.stages if s.stage == stage), None)

    def to_json(self) -> dict[str, Any]:
        return {s.stage: {**s.summary, "seconds": round(s.seconds, 2)} for s in self.stages}


Say = Callable[[str], None]
IngestProgress = Callable[[Path], Callable[[int], None] | None]
AnalyzeProgress = Callable[[int, int], None]


def _ingest(conn: sqlite3.Connection, files: Sequence[Path], options: PipelineOptions,
            progress: IngestProgress | None) -> dict[str, Any]:
    from pileon.ingest.run import ingest_file

    totals = {"files": 0, "posts": 0, "accounts": 0, "rejected": 0, "payloads_new": 0,
              "payloads_already_stored": 0}
    for path in files:
        result = ingest_file(conn, path, fmt=options.ingest_format,
                             progress=progress(path) if progress else None)
        totals["files"] += 1
        totals["posts"] += result.counts.posts
        totals["accounts"] += result.counts.accounts
        totals["rejected"] += result.counts.rejected
        totals["payloads_new"] += result.counts.payloads_new
        totals["payloads_already_stored"] += result.counts.payloads_seen
    return totals


def _analyze(conn: sqlite3.Connection, options: PipelineOptions,
             progress: AnalyzeProgress | None) -> dict[str, Any]:
    from pileon.analyze.run import analyze_db  # scikit-learn loads only when needed

    result = analyze_db(conn, options.backend, options.workers, False, progress)
    return {"run_id": result.run_id, "backend": result.backend,
            "model_version": result.model_version, "analysed": result.analysed,
            "scored_in_run": result.total}


#: From this many posts up, `coordinate_thread` runs the map step in a pool of processes.
PARALLEL_FROM = 150_000


def _map_rows(db: str, rowids: tuple[int, int], params: Any) -> Any:
    """In a pool process: one rowid range of the thread read and mapped; the sketch goes back
    without its post columns (the parent reads those itself, meanwhile)."""
    from pileon.coordinate.mapreduce import map_partition, without_posts
    from pileon.store import connect
    from pileon.store.coordination import load_batch

    conn = connect(db, create=False)
    try:
        batch = load_batch(conn, rowids=rowids)
    finally:
        conn.close()
    return without_posts(map_partition(batch, params))


def coordinate_thread(conn: sqlite3.Connection, params: Any, workers: int | None = None
                      ) -> tuple[Any, Any]:
    """The coordination analysis of the whole thread in `conn`: (posts batch, result).

    With `workers` > 1 (default: both cores from `PARALLEL_FROM` posts up) the map step
    (text keys, shingles, MinHash, bands) runs over rowid ranges in that many processes while
    this one reads the other columns; the merge and the reduce run here. The result does not
    depend on the number of processes (see pileon.coordinate.mapreduce)."""
    import os
    from multiprocessing import get_context

    from pileon.coordinate.mapreduce import map_partition, merge_sketches, with_posts
    from pileon.coordinate.run import analyse_sketch, reference_time
    from pileon.store.coordination import (
        count_posts,
        database_path,
        load_accounts,
        load_batch,
        rowid_ranges,
    )
    from pileon.worker_pool import worker_pool

    db = database_path(conn)
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if count_posts(conn) >= PARALLEL_FROM else 1
    if workers <= 1 or db is None:
        batch = load_batch(conn)
        reference = reference_time(batch)
        sketch = map_partition(batch, params)
        del batch  # past the map step one sample text per distinct text is enough
    else:
        ranges = rowid_ranges(conn, workers)
        with worker_pool(len(ranges), get_context("spawn")) as pool:
            futures = [pool.submit(_map_rows, db, r, params) for r in ranges]
            batch = load_batch(conn, texts=False)
            parts = [f.result() for f in futures]
            del futures  # each future holds its sketch: free them once merged
            merged = merge_sketches(parts)
            del parts
            sketch = with_posts(merged, batch)
            del merged
        reference = reference_time(batch)
        del batch
    result = analyse_sketch(sketch, load_accounts(conn), params, reference)
    return sketch.posts, result


def _coordination(conn: sqlite3.Connection, options: PipelineOptions) -> dict[str, Any]:
    import json

    from pileon.coordinate.results import CoordinationParams
    from pileon.coordinate.tables import save_result
    from pileon.store.coordination import latest_run

    params = CoordinationParams(window_s=options.window_s,
                                jaccard_threshold=options.jaccard_threshold,
                                min_group_size=options.min_group,
                                min_group_accounts=options.min_group)
    # One account-signal config for both stages: the rules file's [account_signals].
    from pileon.triage.rules import load_rules

    params = params.with_account_signals(load_rules(options.rules_path).accounts.signals)
    batch, result = coordinate_thread(conn, params)
    run_id = save_result(conn, batch, result)
    run = latest_run(conn)
    counts = json.loads(run["summary_json"]) if run is not None else {}
    return {"run_id": run_id, **counts}


def _triage(conn: sqlite3.Connection, options: PipelineOptions) -> dict[str, Any]:
    from pileon.triage.rules import load_rules
    from pileon.triage.run import run_triage

    result = run_triage(conn, load_rules(options.rules_path))
    return {"run_id": result.run_id, "posts": result.posts, "counts": result.counts,
            "analysed": result.analysed, "user_decisions_applied": result.decided}


def run_pipeline(conn: sqlite3.Connection, files: Sequence[Path] = (),
                 options: PipelineOptions | None = None, *,
                 ingest_progress: IngestProgress | None = None,
                 analyze_progress: AnalyzeProgress | None = None,
                 on_stage: Callable[[StageDone], None] | None = None) -> PipelineResult:
    """Run the chosen stages in order on the open database `conn`.

    `files` are ingested first (when the ingest stage is on); with no files the ingest stage is
    skipped and the later stages work on what the database already holds. A stage's error
    (a PileonError) stops the pipeline there: every earlier stage's run is already stored.
    """
    options = options or PipelineOptions()
    result = PipelineResult()
    for stage in STAGES:
        if stage not in options.stages or (stage == "ingest" and not files):
            continue
        started = time.perf_counter()
        if stage == "ingest":
            summary = _ingest(conn, files, options, ingest_progress)
        elif stage == "analyze":
            summary = _analyze(conn, options, analyze_progress)
        elif stage == "coordination":
            summary = _coordination(conn, options)
        else:
            summary = _triage(conn, options)
        done = StageDone(stage, time.perf_counter() - started, summary)
        result.stages.append(done)
        if on_stage is not None:
            on_stage(done)
    return result


def run_live_round(conn: sqlite3.Connection, options: PipelineOptions | None = None
                   ) -> str | None:
    """What `pileon watch` runs after a round that brought new posts: analyze, coordination
    (so a copy-paste wave is clustered while the pile-on is live), triage.

    Returns a note when the classifier could not run; coordination and triage run anyway, so
    the new replies reach the review UI (unanalysed replies land in review).
    """
    options = options or PipelineOptions()
    note = None
    try:
        run_pipeline(conn, (), replace(options, stages=("analyze",)))
    except ImportError:
        note = "not analysed: pileon analyze not available"
    except PileonError as exc:
        note = f"not analysed: {exc}"
    run_pipeline(conn, (), replace(options, stages=("coordination", "triage")))
    return note
