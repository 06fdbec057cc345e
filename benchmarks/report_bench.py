"""Report speed and peak memory on the demo pile-on, beside baselines measured in the same run.

    python benchmarks/report_bench.py                       # 100k demo: generate, ingest, score, triage
    python benchmarks/report_bench.py --db thread.db --truth thread-demo-files/truth.jsonl

Every measurement runs in its own subprocess, so its peak RSS (getrusage ru_maxrss, of the
process or of its largest PDF worker; "tree": the highest sum over the process and all its
descendants, Chromium's included, sampled every 0.2 s) and its CPU time (workers included)
are its own:
  text baseline   the same selected rows gathered from the store and written as plain text lines
  html all        `pileon report` HTML of every reply of the thread (all four folders)
  html shielded   `pileon report` HTML of the default selection (the shielded folder)
  pdf baseline    WeasyPrint of a bare HTML page holding only the 2,000 posts' text
  pdf 2000        `pileon report --pdf` of 2,000 shielded posts (a copy of the DB whose newest
                  triage run keeps the first 2,000 shielded posts in shielded, the rest in inbox)
  pdf abusive     with --full-pdf: `pileon report --pdf` of the default selection of the whole
                  thread (every abusive post, mentions, coordinated groups; issue 17's target
                  is <= 120 s on 2 cores)
The demo is not analysed by a classifier here: when the database has no scores, the generator's
truth labels (truth.jsonl) are written as scores (backend "demo-truth"), then `pileon
coordination` and `pileon triage` run for real. Targets (issue 7): HTML of the 100k thread
<= 20 s, PDF of 2,000 shielded posts <= 60 s, peak RSS <= 1 GB.
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
import time
from pathlib import Path
from typing import Any

from demo_truth import seed_scores

PDF_POSTS = 2000


def _rss_mb() -> float:
    """Peak RSS of this process or of the largest worker it started (PDF parts), in MB."""
    return max(resource.getrusage(who).ru_maxrss
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024


class _TreeRss:
    """Samples the summed RSS of this process and all its descendants (the PDF printers:
    Playwright's driver, Chromium and its renderers, or WeasyPrint workers) every 0.2 s and
    keeps the highest sum: what the machine had to hold at once. Shared pages are counted
    once per process, so this overstates; it never understates a sampled moment."""

    def __init__(self) -> None:
        import threading

        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(pid) for pid in _tree(os.getpid())))


def _tree(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [root], [root]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_s() -> float:
    """CPU seconds of this process and of the workers it waited for."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def _pileon(*args: str) -> None:
    pileon = Path(sys.executable).parent / "pileon"
    subprocess.run([str(pileon), *args], check=True, stdout=subprocess.DEVNULL)


# --- preparing the databases ------------------------------------------------------------------

def _pdf_copy(db: Path, target: Path) -> int:
    """A copy of DB whose newest triage run keeps exactly the first PDF_POSTS shielded posts."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    shutil.copyfile(db, target)
    conn = sqlite3.connect(target)
    run = conn.execute("SELECT MAX(id) FROM triage_runs WHERE finished_at IS NOT NULL"
                       ).fetchone()[0]
    conn.execute(
        "UPDATE post_folders SET folder = 'inbox' WHERE run_id = ? AND folder = 'shielded'"
        " AND post_id NOT IN (SELECT post_id FROM post_folders WHERE run_id = ?"
        " AND folder = 'shielded' ORDER BY created_at, post_id LIMIT ?)",
        (run, run, PDF_POSTS))
    kept = conn.execute("SELECT COUNT(*) FROM post_folders WHERE run_id = ? AND folder ="
                        " 'shielded'", (run,)).fetchone()[0]
    conn.commit()
    conn.close()
    return int(kept)


# --- one measurement (runs in a child process) ------------------------------------------------

def measure(what: str, db: Path, out: Path) -> dict[str, Any]:
    started = time.perf_counter()
    cpu_started = _cpu_s()
    with _TreeRss() as tree:
        posts = _run(what, db, out)
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) if out.is_dir() \
        else out.stat().st_size
    return {"what": what, "posts": posts, "seconds": round(seconds, 2),
            "cpu_s": round(_cpu_s() - cpu_started, 2), "rss_mb": round(_rss_mb()),
            "tree_rss_mb": round(tree.peak_kb / 1024), "output_mb": round(size / 1e6, 1)}


def _run(what: str, db: Path, out: Path) -> int:
    from datetime import UTC

    from pileon.report.build import ReportOptions, build_report
    from pileon.report.data import gather
    from pileon.store import connect

    all_folders = ("shielded", "review", "inbox", "support")
    posts = 0
    if what in ("text baseline", "pdf baseline"):
        conn = connect(db, create=False)
        folders = all_folders if what == "text baseline" else ("shielded",)
        data = gather(conn, db_name=db.name, folders=folders, zone=UTC, zone_name="UTC",
                      generated_at="")
        conn.close()
        posts = len(data.posts)
        if what == "text baseline":
            with out.open("w", encoding="utf-8") as handle:
                for p in data.posts:
                    handle.write(f"{p.created_at}\t{p.handle}\t{p.raw_sha256}\t{p.text}\n")
        else:
            import html

            import weasyprint

            body = "".join(f"<p>{html.escape(p.text)}</p>" for p in data.posts)
            weasyprint.HTML(string=f"<html><body>{body}</body></html>").write_pdf(str(out))
    else:
        folders = all_folders if what == "html all" else ("shielded",)
        result = build_report(db, ReportOptions(out=out, folders=folders,
                                                pdf=what.startswith("pdf"), zone="UTC"))
        posts = result.posts
        if result.pdf_engine:
            print(f"pdf printed with {result.pdf_engine}", file=sys.stderr)
    return posts


def _child(what: str, db: Path, out: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", what, "--db", str(db), "--out", str(out)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--db")
    parser.add_argument("--truth")
    parser.add_argument("--child")
    parser.add_argument("--out")
    parser.add_argument("--full-pdf", action="store_true",
                        help="also print the PDF of the whole default selection (slow)")
    args = parser.parse_args(argv[1:])
    if args.child:
        print(json.dumps(measure(args.child, Path(args.db), Path(args.out))))
        return 0
    work = Path(tempfile.mkdtemp(prefix="pileon-report-bench-"))
    os.environ["PILEON_SIGNING_KEY"] = str(work / "key" / "signing_key.pem")
    try:
        if args.db:
            db = work / "thread.db"
            shutil.copyfile(args.db, db)
            truth = Path(args.truth) if args.truth else None
        else:
            db = work / "thread.db"
            print(f"generating and ingesting the {args.size} demo…", flush=True)
            _pileon("demo", str(db), "--size", args.size, "--quiet")
            truth = work / "thread-demo-files" / "truth.jsonl"
        seeded = seed_scores(db, truth) if truth else 0
        if seeded:
            print(f"wrote {seeded} truth labels as scores (no classifier run here)", flush=True)
        _pileon("coordination", str(db), "--json")
        _pileon("triage", str(db), "--json")
        pdf_db = work / "pdf.db"
        kept = _pdf_copy(db, pdf_db)
        print(f"pdf database: {kept} shielded posts", flush=True)
        rows = [
            _child("text baseline", db, work / "baseline.txt"),
            _child("html all", db, work / "report-all"),
            _child("html shielded", db, work / "report-shielded"),
            _child("pdf baseline", pdf_db, work / "baseline.pdf"),
            _child("pdf 2000", pdf_db, work / "report-pdf"),
        ]
        if args.full_pdf:
            rows.append(_child("pdf abusive", db, work / "report-pdf-all"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(f"{'measurement':<16}{'posts':>8}{'wall s':>9}{'CPU s':>8}{'peak RSS MB':>13}"
          f"{'tree MB':>9}{'output MB':>11}")
    for r in rows:
        print(f"{r['what']:<16}{r['posts']:>8}{r['seconds']:>9}{r['cpu_s']:>8}{r['rss_mb']:>13}"
              f"{r['tree_rss_mb']:>9}{r['output_mb']:>11}")
    by = {r["what"]: r for r in rows}
    print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on"
          f" {os.cpu_count()} cores (wall time stretches under load; CPU time does not)")
    print(f"html all / text baseline: {by['html all']['cpu_s'] / by['text baseline']['cpu_s']:.1f}x"
          f" CPU (target <= 20 s: {by['html all']['seconds']} s wall,"
          f" {by['html all']['cpu_s']} s CPU)")
    print(f"pdf 2000 / pdf baseline: {by['pdf 2000']['cpu_s'] / by['pdf baseline']['cpu_s']:.1f}x"
          f" CPU (target <= 60 s: {by['pdf 2000']['seconds']} s wall,"
          f" {by['pdf 2000']['cpu_s']} s CPU)")
    if "pdf abusive" in by:
        print(f"pdf abusive: {by['pdf abusive']['seconds']} s wall,"
              f" {by['pdf abusive']['cpu_s']} s CPU (target <= 120 s)")
    print(f"peak RSS, worst: {max(r['rss_mb'] for r in rows)} MB of one process,"
          f" {max(r['tree_rss_mb'] for r in rows)} MB summed over a measurement's processes"
          f" (target <= 1024 MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
