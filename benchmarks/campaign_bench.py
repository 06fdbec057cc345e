"""Campaign mode on Dask vs the single-process path, on the same generated threads.

    .venv/bin/python benchmarks/campaign_bench.py --threads 10 --posts 20000 --workers 1,2

Generates THREADS JSON-lines threads of POSTS posts each (tests/campaign/threadgen.py: its
own generator, not the demo's), ingests each into a pileon database (timed apart), then:

- single: for each thread, the one pipeline's analyze + coordination + triage stages in this
  process
  (`workers=1`: one process, the classifier's own pool off) — what `pileon run` does;
- dask-N: `campaign run` over the same databases on a LocalCluster of N worker processes
  (one thread each), for each N in --workers; and for each --days, the same with the posts
  spread over that many day partitions per thread.

Prints wall time, peak RSS (this process for single; each worker for Dask), the load average
before and after, and whether scores, clusters, verdicts and folders are identical to the
single path. One JSON object at the end.

5M posts over 50 threads (the issue's target size; hours on 2 shared cores):

    .venv/bin/python benchmarks/campaign_bench.py --threads 50 --posts 100000 --days 3 \
        --workers 2 --out /tmp/campaign-5m
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "campaign"))

from threadgen import write_threads  # noqa: E402

from pileon.ingest.run import ingest_file  # noqa: E402
from pileon.pipeline import PipelineOptions, run_pipeline  # noqa: E402
from pileon.store import connect  # noqa: E402


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _single_results(db: Path) -> tuple[dict[Any, Any], set[Any], dict[Any, Any]]:
    raw = sqlite3.connect(db)
    scores = {(p, i): (labels, s) for p, i, labels, s in raw.execute(
        "SELECT platform, post_id, labels_json, scores_json FROM scores")}
    run = raw.execute("SELECT max(id) FROM coordination_runs").fetchone()[0]
    members: dict[int, set[Any]] = {}
    for cid, p, i in raw.execute("SELECT cluster_id, platform, post_id FROM cluster_members"
                                 " WHERE run_id=?", (run,)):
        members.setdefault(cid, set()).add((p, i))
    clusters = {(frozenset(members[cid]), verdict) for cid, verdict in raw.execute(
        "SELECT id, verdict FROM clusters WHERE run_id=?", (run,))}
    triage = raw.execute("SELECT max(id) FROM triage_runs").fetchone()[0]
    folders = {(p, i): (f, r) for p, i, f, r in raw.execute(
        "SELECT platform, post_id, folder, rule FROM post_folders WHERE run_id=?", (triage,))}
    raw.close()
    return scores, clusters, folders


def _dask_results(root: Path, thread: str) -> tuple[dict[Any, Any], set[Any], dict[Any, Any]]:
    import pyarrow.parquet as pq

    from pileon.records import LABELS

    scores = {}
    for path in (root / "parquet" / "scores" / f"thread={thread}").glob("day=*/part.parquet"):
        for row in pq.read_table(path).to_pylist():
            s = {k: row[f"score_{k}"] for k in LABELS if row[f"score_{k}"] is not None}
            scores[(row["platform"], row["id"])] = (json.dumps(row["labels"]),
                                                    json.dumps(s, sort_keys=True))
    members: dict[int, set[Any]] = {}
    base = root / "parquet"
    for row in pq.read_table(base / "cluster_members" / f"thread={thread}" / "part.parquet"
                             ).to_pylist():
        members.setdefault(row["cluster_id"], set()).add((row["platform"], row["id"]))
    clusters = {(frozenset(members[r["cluster_id"]]), r["verdict"]) for r in pq.read_table(
        base / "clusters" / f"thread={thread}" / "part.parquet").to_pylist()}
    folders = {(r["platform"], r["id"]): (r["folder"], r["rule"]) for r in pq.read_table(
        base / "folders" / f"thread={thread}" / "part.parquet",
        columns=["platform", "id", "folder", "rule"]).to_pylist()}
    return scores, clusters, folders


def _cpu_s() -> float:
    import resource as r

    use = r.getrusage(r.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def _run_dask(dbs: list[Path], root: Path, workers: int, in_flight: int | None = None
              ) -> dict[str, Any]:
    from distributed import Client, LocalCluster

    from pileon.campaign.layout import Campaign
    from pileon.campaign.run import run_campaign
    from pileon.campaign.threads import add_threads

    if root.exists():
        shutil.rmtree(root)
    campaign = Campaign.init(root)
    started = time.perf_counter()
    added = add_threads(campaign, dbs)
    add_s = time.perf_counter() - started
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None,
                           silence_logs=logging.CRITICAL)
    client = Client(cluster)
    started = time.perf_counter()
    cpu_before = sum(client.run(_cpu_s).values())
    report = run_campaign(campaign, client=client, in_flight=in_flight)
    cpu = sum(client.run(_cpu_s).values()) - cpu_before
    wall = time.perf_counter() - started

    def peak() -> float:
        import resource as r

        return r.getrusage(r.RUSAGE_SELF).ru_maxrss / 1024

    peaks = list(client.run(peak).values())
    client.close()
    cluster.close()
    return {"workers": workers, "run_s": round(wall, 1), "add_s": round(add_s, 1),
            "worker_cpu_s": round(cpu, 1), "in_flight": in_flight or 2 * workers,
            "failed": len(report.failed), "phases_s": report.phases,
            "task_s": report.task_seconds, "peak_worker_mb": [round(p) for p in peaks],
            "threads": [a.thread.name for a in added if a.thread]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=10)
    ap.add_argument("--posts", type=int, default=20000, help="posts per thread")
    ap.add_argument("--days", default="3", help="day spans to try, e.g. 1,6 (partitions)")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--in-flight", type=int, default=None,
                    help="threads submitted at a time (default: 2 x workers)")
    ap.add_argument("--out", type=Path, default=REPO / "bench-out" / "campaign")
    args = ap.parse_args()
    out: dict[str, Any] = {"threads": args.threads, "posts_per_thread": args.posts, "runs": [],
                           "load_before": os.getloadavg()}
    print(f"load average before: {out['load_before']}", flush=True)
    for days in [int(d) for d in args.days.split(",")]:
        work = args.out / f"days{days}"
        if work.exists():
            shutil.rmtree(work)
        files = write_threads(work / "files", args.threads, args.posts, seed=11, days=days)
        started = time.perf_counter()
        dbs = []
        for path in files:
            db = work / "dbs" / f"{path.stem}.db"
            db.parent.mkdir(parents=True, exist_ok=True)
            conn = connect(db)
            ingest_file(conn, path)
            conn.close()
            dbs.append(db)
        ingest_s = time.perf_counter() - started
        single_dbs = []
        for db in dbs:
            copy = work / "single" / db.name
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(db, copy)
            single_dbs.append(copy)
        started, cpu = time.perf_counter(), _cpu_s()
        for db in single_dbs:
            conn = connect(db, create=False)
            run_pipeline(conn, (), PipelineOptions(
                stages=("analyze", "coordination", "triage"), workers=1))
            conn.close()
        single_s = time.perf_counter() - started
        single_cpu = _cpu_s() - cpu
        row: dict[str, Any] = {"days": days, "ingest_s": round(ingest_s, 1),
                               "single_s": round(single_s, 1),
                               "single_cpu_s": round(single_cpu, 1),
                               "single_peak_mb": round(_peak_mb())}
        print(f"days={days}: {args.threads * args.posts:,} posts; ingest {ingest_s:.1f} s; "
              f"single process {single_s:.1f} s, {single_cpu:.1f} CPU-s (peak {row['single_peak_mb']} MB)", flush=True)
        row["dask"] = []
        for workers in [int(w) for w in args.workers.split(",")]:
            result = _run_dask(dbs, work / f"campaign-{workers}", workers, args.in_flight)
            same = all(_single_results(s) == _dask_results(work / f"campaign-{workers}", t)
                       for s, t in zip(single_dbs, result.pop("threads"), strict=True))
            result["same_results"] = same
            result["ratio_to_single"] = round(result["run_s"] / single_s, 2)
            row["dask"].append(result)
            print(f"  dask {workers} worker(s): run {result['run_s']} s "
                  f"({result['ratio_to_single']}x single), {result['worker_cpu_s']} worker CPU-s, "
                  f"{result['in_flight']} threads in flight, add {result['add_s']} s, "
                  f"peak per worker {result['peak_worker_mb']} MB, same results: {same}; "
                  f"phases {result['phases_s']}; worker seconds {result['task_s']}",
                  flush=True)
        out["runs"].append(row)
    out["load_after"] = os.getloadavg()
    print(f"load average after: {out['load_after']}", flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
