"""Analyze throughput and peak memory on the 100k-reply demo pile-on, beside a baseline in the
same run.

    python benchmarks/analyze_bench.py                 # generate + ingest the 100k demo, measure
    python benchmarks/analyze_bench.py --db thread.db  # an ingested thread (copied, not changed)
    python benchmarks/analyze_bench.py --size 10k --transformers-posts 2000

Each measurement runs in its own subprocess on its own copy of the database:
  baseline      the texts read from the DB, then the builtin model's own hashed char/word n-grams
                and linear weights (plain HashingVectorizer + predict, no rules, no writes), 1 core
  builtin       `pileon analyze` (analyze_db): rules, model, explanations, scores written, on both
                cores and on one; where an embedding head is shipped, also without it (the
                n-gram model alone, on both cores): the head's cost
  transformers  `pileon analyze --backend transformers` on a tiny random BERT (hidden 32, 2 layers)
                built here, on the first --transformers-posts posts (10,000 by default: slower)
The demo generator reuses templates, so the thread has fewer distinct texts than posts: distinct
texts/s is printed beside posts/s, since a backend that reads each distinct text once would
otherwise look faster than it is. Peak memory: the largest single process (getrusage) and the
whole process tree (sum of proportional set sizes, sampled 4 times a second from /proc).
Targets (issue 4): builtin >= 5,000 posts/s on 2 cores, peak <= 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
POSTS_SQL = "SELECT text FROM posts WHERE placeholder IS NULL ORDER BY rowid"


def copy_db(source: Path, target: Path, keep_posts: int | None = None) -> Path:
    """A consistent copy (sqlite backup); with keep_posts, only the first posts stay."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    src.backup(dst)
    src.close()
    if keep_posts is not None:
        with dst:
            dst.execute("DELETE FROM posts WHERE rowid NOT IN (SELECT rowid FROM posts"
                        " WHERE placeholder IS NULL ORDER BY rowid LIMIT ?)", (keep_posts,))
    dst.close()
    return target


def text_counts(db: Path) -> tuple[int, int]:
    conn = sqlite3.connect(db)
    row = conn.execute("SELECT count(*), count(DISTINCT text) FROM posts"
                       " WHERE placeholder IS NULL").fetchone()
    conn.close()
    return int(row[0]), int(row[1])


# --- children -----------------------------------------------------------------------------------

class TreeMemory:
    """Peak of the summed PSS of this process and its children, sampled in a thread.

    Reads /proc/<pid>/smaps_rollup (one line per process, summed by the kernel) a few times a
    second; the thread's own CPU time is kept apart so it can be left out of the measurement.
    """

    def __init__(self, every: float = 0.25) -> None:
        import psutil

        self._me = psutil.Process()
        self.peak_mb = 0.0
        self.cpu_seconds = 0.0
        self._stop = threading.Event()
        self._every = every
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> float:
        total = 0
        for proc in [self._me, *self._me.children(recursive=True)]:
            try:
                with open(f"/proc/{proc.pid}/smaps_rollup", "rb") as handle:
                    for line in handle:
                        if line.startswith(b"Pss:"):
                            total += int(line.split()[1])  # KiB
                            break
            except OSError:  # a worker that just exited
                continue
        return total / 1024

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self._sample())
            self._stop.wait(self._every)
        self.cpu_seconds = time.thread_time()

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measure_baseline(db: Path) -> int:
    """The floor: the same hashed n-grams and linear weights over the raw texts, nothing else."""
    import numpy as np
    import scipy.sparse as sp

    from pileon.analyze.features import _CHARS, _WORDS, DENSE_NAMES
    from pileon.analyze.model import load_model

    model, _ = load_model()
    conn = sqlite3.connect(db)
    texts = [str(r[0]) for r in conn.execute(POSTS_SQL)]
    conn.close()
    for start in range(0, len(texts), 2000):
        chunk = texts[start:start + 2000]
        X = sp.hstack([_CHARS.transform(chunk), _WORDS.transform(chunk),
                       sp.csr_matrix((len(chunk), len(DENSE_NAMES)), dtype=np.float32)],
                      format="csr")
        logits = X @ model.coef_.T + model.intercept_
        _ = 1.0 / (1.0 + np.exp(-np.asarray(logits)))  # the same probabilities predict gives
    return len(texts)


def measure_analyze(db: Path, backend: str, workers: int) -> int:
    from pileon.analyze.run import analyze_db
    from pileon.store import connect

    conn = connect(db)
    result = analyze_db(conn, backend, workers=workers)
    conn.close()
    return result.analysed


def child(which: str, db: Path, workers: int) -> None:
    started, cpu_started = time.perf_counter(), time.process_time()
    with TreeMemory() as tree:
        if which == "builtin-ngram":
            # The shipped model without its embedding head (the n-gram model alone): what the
            # e5-distilled head costs. Loaded before analyze forks its workers, which inherit it.
            from pileon.analyze.classify import builtin_classifier

            builtin_classifier()._load()
            builtin_classifier()._second = None
            which = "builtin"
        posts = (measure_baseline(db) if which == "baseline"
                 else measure_analyze(db, which, workers))
    seconds = time.perf_counter() - started
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (time.process_time() - cpu_started - tree.cpu_seconds
           + kids.ru_utime + kids.ru_stime)
    largest = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, kids.ru_maxrss) / 1024
    print(json.dumps({"posts": posts, "seconds": seconds, "cpu_seconds": cpu,
                      "peak_rss_mb": largest, "tree_pss_mb": tree.peak_mb}))


def run_child(which: str, db: Path, workers: int = 1,
              env: dict[str, str] | None = None) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", which, str(db), str(workers)],
                         check=True, capture_output=True, text=True,
                         env={**os.environ, **(env or {})})
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def build_model(folder: Path) -> Path:
    code = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
            "from tiny_transformer import build_tiny_model; build_tiny_model(Path(sys.argv[2]))")
    subprocess.run([sys.executable, "-c", code, str(HERE.parent / "tests" / "analyze"),
                    str(folder)], check=True, capture_output=True)
    return folder


def has_head() -> bool:
    from pileon.analyze.embed import EMBED_DIR
    from pileon.analyze.model import MODEL_DIR

    return (MODEL_DIR / "head.npz").is_file() and (EMBED_DIR / "table.npz").is_file()


# --- the report ---------------------------------------------------------------------------------

def prepare(args: argparse.Namespace, folder: Path) -> Path:
    if args.db:
        return copy_db(args.db, folder / "thread.db")
    db = folder / "thread.db"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from pileon.cli import main; main()", "demo", str(db),
                    "--size", args.size, "--quiet"], check=True)
    print(f"demo thread generated and ingested in {time.perf_counter() - started:.0f} s")
    return db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k", help="demo size when no --db (default 100k)")
    parser.add_argument("--db", type=Path, help="an ingested thread database to copy")
    parser.add_argument("--transformers-posts", type=int, default=10_000,
                        help="posts the transformers backend analyses (0: skip it)")
    parser.add_argument("--child", nargs=3, metavar=("WHICH", "DB", "WORKERS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), int(args.child[2]))
        return 0
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = prepare(args, folder)
        posts, distinct = text_counts(db)
        print(f"thread: {posts:,} posts to label, {distinct:,} distinct texts"
              f" ({posts / max(distinct, 1):.1f} posts per text); {cores} cores")
        rows: list[tuple[str, int, dict[str, Any]]] = [
            ("baseline HashingVectorizer + linear, 1 core", distinct,
             run_child("baseline", copy_db(db, folder / "b.db"))),
            (f"builtin analyze, {cores} workers", distinct,
             run_child("builtin", copy_db(db, folder / "p2.db"), cores)),
            ("builtin analyze, 1 worker", distinct,
             run_child("builtin", copy_db(db, folder / "p1.db"), 1)),
        ]
        if has_head():
            rows.append((f"builtin without the e5 head, {cores} workers", distinct,
                         run_child("builtin-ngram", copy_db(db, folder / "n2.db"), cores)))
        if args.transformers_posts:
            model = build_model(folder / "tiny-bert")
            subset = copy_db(db, folder / "t.db", args.transformers_posts)
            subset_one = copy_db(subset, folder / "t1.db")
            _, subset_distinct = text_counts(subset)
            env = {"PILEON_TRANSFORMERS_MODEL": str(model)}
            rows.append((f"transformers tiny, {cores} workers", subset_distinct,
                         run_child("transformers", subset, cores, env)))
            rows.append(("transformers tiny, 1 worker", subset_distinct,
                         run_child("transformers", subset_one, 1, env)))
            shutil.rmtree(model)
    base_rate = rows[0][2]["posts"] / rows[0][2]["seconds"]
    print(f"{'measurement':44} {'posts':>7} {'distinct':>8} {'seconds':>8} {'posts/s':>8}"
          f" {'distinct/s':>10} {'vs base':>7} {'posts/cpu-s':>11} {'largest':>8} {'tree':>8}")
    failed = False
    for name, texts, r in rows:
        rate = r["posts"] / r["seconds"]
        print(f"{name:44} {int(r['posts']):7d} {texts:8d} {r['seconds']:8.1f} {rate:8,.0f}"
              f" {texts / r['seconds']:10,.0f} {rate / base_rate:6.2f}x"
              f" {r['posts'] / r['cpu_seconds']:11,.0f} {r['peak_rss_mb']:5.0f} MB"
              f" {r['tree_pss_mb']:5.0f} MB")
        if name.startswith(f"builtin analyze, {cores}"):
            failed = rate < 5_000 or r["tree_pss_mb"] > 1024
    print("largest: peak RSS of the largest process; tree: peak summed PSS of the run's processes")
    print("baseline: no rules, no explanations, no DB writes (the floor for the model alone)")
    print("target (builtin on 2 cores): >= 5,000 posts/s, <= 1 GB peak:",
          "FAILED" if failed else "met")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
