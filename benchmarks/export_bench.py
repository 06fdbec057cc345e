"""Export speed and peak memory on the demo pile-on, beside baselines measured in the same run.

    python benchmarks/export_bench.py                    # 100k demo: generate, ingest, score, triage
    python benchmarks/export_bench.py --db thread.db     # an already triaged database

Every measurement runs in its own subprocess, so its peak RSS (getrusage ru_maxrss) is its own.
The selection is the shielded folder of the newest triage run.
  csv baseline    one SQL query (post_folders + posts) written with csv.writer: no author,
                  scores, evidence, notes or formula quoting
  warc baseline   the same raw payloads' bytes written one after another into one gzip stream
  csv, jsonl, mastodon-blocks, x-ids, warc, wacz   `pileon export` of the same selection
When the database has no scores, the generator's labels (truth.jsonl) are written as scores
(backend "demo-truth"), then `pileon triage` runs for real.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from demo_truth import seed_scores

FORMATS = ("csv", "jsonl", "mastodon-blocks", "x-ids", "warc", "wacz")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pileon(*args: str) -> None:
    subprocess.run([str(Path(sys.executable).parent / "pileon"), *args], check=True,
                   stdout=subprocess.DEVNULL)


def measure(what: str, db: Path, out: Path) -> dict[str, Any]:
    from pileon.export.run import make_selection, run_export
    from pileon.store import connect
    from pileon.store.export import ExportFilter

    started = time.perf_counter()
    conn = connect(db, create=False)
    selection = make_selection(conn, db, ExportFilter(folder="shielded"))
    if what == "csv baseline":
        rows = 0
        with out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            for row in conn.execute(
                    "SELECT f.platform, f.post_id, p.created_at, p.text, f.folder, f.category,"
                    " p.raw_sha256 FROM post_folders f JOIN posts p ON p.platform = f.platform"
                    " AND p.id = f.post_id WHERE f.run_id = ? AND f.folder = 'shielded'"
                    " ORDER BY f.created_at", (selection.run_id,)):
                writer.writerow(row)
                rows += 1
    elif what == "warc baseline":
        rows = 0
        with gzip.open(out, "wb") as handle:
            for sha in selection.payload_hashes():
                data = conn.execute("SELECT data FROM raw_payloads WHERE sha256 = ?",
                                    (sha,)).fetchone()[0]
                handle.write(data)
                rows += 1
    else:
        rows = run_export(conn, selection, what, out, force=True).result.rows
    conn.close()
    return {"what": what, "seconds": time.perf_counter() - started, "rows": rows,
            "rss_mb": _rss_mb(), "bytes": out.stat().st_size}


def _child(what: str, db: Path, out: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--measure", what, "--db", str(db),
                           "--out", str(out)], check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path)
    parser.add_argument("--size", default="100k")
    parser.add_argument("--measure")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.db, args.out)))
        return 0
    with tempfile.TemporaryDirectory(prefix="pileon-export-bench-") as tmp:
        work = Path(tmp)
        db = args.db
        if db is None:
            db = work / "thread.db"
            print(f"generating the {args.size} demo and ingesting it...", flush=True)
            _pileon("demo", str(db), "--size", args.size, "-q")
            seed_scores(db, work / "thread-demo-files" / "truth.jsonl")
            _pileon("triage", str(db))
        results = {}
        for what in ("csv baseline", "warc baseline", *FORMATS):
            out = work / f"out-{what.replace(' ', '-')}"
            results[what] = r = _child(what, db, out)
            print(f"{what:16} {r['rows']:>7} rows  {r['seconds']:6.1f} s  peak RSS"
                  f" {r['rss_mb']:5.0f} MB  {r['bytes'] / 1e6:7.1f} MB out", flush=True)
        for fmt, base in (("csv", "csv baseline"), ("jsonl", "csv baseline"),
                          ("warc", "warc baseline"), ("wacz", "warc baseline")):
            ratio = results[fmt]["seconds"] / max(results[base]["seconds"], 1e-9)
            print(f"{fmt} / {base}: {ratio:.1f}x the time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
