"""kill -9 at random points of `pileon ingest`, `analyze`, `triage`, `coordination`, `report`.

    python benchmarks/kill_bench.py                # 20 kills per stage on a 3,000-reply demo
    python benchmarks/kill_bench.py --kills 3 --size 1000

For each stage: one uninterrupted run gives the reference result and its wall time T; then, KILLS
times, a fresh copy of the stage's input database, the stage started in its own process group and
SIGKILLed at a random moment in [0, T), then the same command run again to the end. Each time:
`PRAGMA integrity_check` is ok, the result equals the reference (rows compared without their
timestamps, floats to 12 significant digits; a report: the same files and `pileon verify` OK), no file but the database, its
-wal/-shm and the report folder is left in the folder (no temporary report copy), and no process
of the killed group is still alive. Exit status 1 if any check failed (issue 19).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PILEON = [str(Path(sys.executable).parent / "pileon")]  # the installed console script
#: What each stage writes, without times and run ids (those differ between two honest runs).
RESULT_SQL = {
    "ingest": [
        "SELECT platform, id, kind, text, author_id, uri, url, lang_reported, created_at,"
        " reply_to, quote_of, root_id, metrics_json, placeholder, raw_sha256 FROM posts",
        "SELECT platform, id, handle, display_name, followers_count, raw_sha256 FROM accounts",
        "SELECT sha256, size_bytes, locator FROM raw_payloads",
        "SELECT source, locator, reason, raw_sha256 FROM rejects",
        "SELECT platform, post_id, content_sha256 FROM post_versions",
    ],
    "analyze": ["SELECT platform, post_id, backend, model_version, lang, labels_json,"
                " scores_json, evidence_json FROM scores"],
    "triage": ["SELECT f.platform, f.post_id, f.folder, f.category, f.rule FROM post_folders f"
               " WHERE f.run_id = (SELECT MAX(id) FROM triage_runs WHERE finished_at IS NOT NULL)"],
    # The newest finished coordination run (an interrupted run is never read: no finished_at).
    "coordination": [
        f"SELECT {columns} FROM {table} WHERE run_id = (SELECT MAX(id) FROM coordination_runs"
        " WHERE finished_at IS NOT NULL)" for table, columns in (
            ("clusters", "id, kind, verdict, size, accounts, first_at, last_at, undated,"
             " template_platform, template_post_id, template_text, mean_similarity,"
             " min_similarity, groups_json"),
            ("cluster_members", "cluster_id, platform, post_id, author_id, created_at,"
             " similarity, group_index, coordinated"),
            ("bursts", "start_at, end_at, posts, expected, peak_per_minute, peak_z,"
             " clustered_posts"),
            ("account_signals", "platform, account_id, handle, score, profile_score,"
             " signals_json, reasons_json, replies, clusters, component"),
            ("coaction_edges", "source, target, co_posts, co_replies"),
        )],
}


def report_digest(folder: Path) -> str:
    """A report holds its creation time, so two honest runs differ byte for byte: compare what
    it is made of (every file's path) and that `pileon verify` accepts it whole."""
    checked = subprocess.run([*PILEON, "verify", str(folder)], capture_output=True, text=True)
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    return hashlib.sha256(repr((checked.returncode, files)).encode()).hexdigest()


def _steady(value: object) -> object:
    """Floats to 12 significant digits, inside JSON text too: two uninterrupted coordination runs
    can differ in the last bit of a mean (summation order), which is not a different result."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, list):
        return [_steady(v) for v in value]
    if isinstance(value, dict):
        return {k: _steady(v) for k, v in value.items()}
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.dumps(_steady(json.loads(value)), sort_keys=True, ensure_ascii=False)
        except ValueError:
            return value
    return value


def digest(db: Path, stage: str) -> str:
    if stage == "report":
        return report_digest(db.parent / f"{db.stem}-report")
    conn = sqlite3.connect(db)
    try:
        h = hashlib.sha256()
        for sql in RESULT_SQL[stage]:
            rows = [tuple(_steady(v) for v in row) for row in conn.execute(sql)]
            for row in sorted(rows, key=repr):
                h.update(repr(row).encode("utf-8", "surrogatepass"))
        return h.hexdigest()
    finally:
        conn.close()


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def command(stage: str, db: Path, files: list[Path]) -> list[str]:
    if stage == "ingest":
        return [*PILEON, "ingest", str(db), *map(str, files), "-q"]
    if stage == "analyze":
        return [*PILEON, "analyze", str(db), "--quiet"]
    if stage == "coordination":
        return [*PILEON, "coordination", str(db), "--json"]
    if stage == "report":  # HTML only: a PDF of the 3,000-reply demo takes minutes
        return [*PILEON, "report", str(db), "--out", str(db.parent / f"{db.stem}-report"),
                "--force", "-q"]
    return [*PILEON, "triage", str(db)]


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def group_members(pgid: int) -> list[str]:
    """Live (not zombie) processes of the process group, as "pid state name"."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name_end = text.rindex(")")
        fields = text[name_end + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(f"{stat.parent.name} {fields[0]} {text[text.index('(') + 1:name_end]}")
    return found


def alive(pgid: int, wait: float = 3.0) -> list[str]:
    """Processes of the group still running after `wait` seconds (SIGKILL is asynchronous)."""
    deadline = time.monotonic() + wait
    while True:
        members = group_members(pgid)
        if not members or time.monotonic() > deadline:
            return members
        time.sleep(0.05)


def kill_once(stage: str, start_db: Path, files: list[Path], at: float, expect: str,
              work: Path) -> list[str]:
    """Kill the stage at `at` seconds, run it again; the problems found (empty: all good)."""
    folder = Path(tempfile.mkdtemp(dir=work))
    db = folder / "thread.db"
    shutil.copyfile(start_db, db)
    process = subprocess.Popen(command(stage, db, files), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(at)
    finished_first = process.poll() is not None
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    time.sleep(0.05)
    problems = []
    left_running = alive(process.pid)
    if left_running:
        problems.append(f"processes of the killed command still running: {left_running}")
    if integrity(db) != "ok":
        problems.append(f"integrity after the kill: {integrity(db)}")
    run(command(stage, db, files))
    if integrity(db) != "ok":
        problems.append(f"integrity after the re-run: {integrity(db)}")
    if digest(db, stage) != expect:
        problems.append("the re-run's result differs from the uninterrupted run's")
    left = sorted(p.name for p in folder.iterdir()
                  if p.name not in ("thread.db", "thread.db-wal", "thread.db-shm",
                                    "thread-report"))
    if left:
        problems.append(f"left behind: {left}")
    shutil.rmtree(folder, ignore_errors=True)
    return [f"{'(had finished) ' if finished_first else ''}{p}" for p in problems]


def prepare(work: Path, size: int) -> tuple[Path, list[Path], dict[str, Path]]:
    """The demo files, and the database each stage starts from (the one before it, done)."""
    files_dir = work / "files"
    run([*PILEON, "demo", str(work / "unused.db"), "--size", str(size), "--out", str(files_dir),
         "--no-ingest", "-q"])
    files = sorted(p for p in files_dir.iterdir() if p.suffix in (".json", ".jsonl", ".csv")
                   and p.name != "truth.jsonl")
    empty = work / "empty.db"
    sqlite3.connect(empty).close()  # an empty file: `pileon ingest` creates the schema
    starts = {"ingest": empty}
    ingested = work / "ingested.db"
    shutil.copyfile(empty, ingested)
    run(command("ingest", ingested, files))
    starts["analyze"] = ingested
    analysed = work / "analysed.db"
    shutil.copyfile(ingested, analysed)
    run(command("analyze", analysed, files))
    starts["triage"] = analysed
    starts["coordination"] = ingested
    triaged = work / "triaged.db"
    shutil.copyfile(analysed, triaged)
    run(command("triage", triaged, files))
    starts["report"] = triaged
    return files_dir, files, starts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20, help="kills per stage")
    parser.add_argument("--size", type=int, default=3000, help="demo size (replies)")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--stages", default="ingest,analyze,triage,coordination,report")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="pileon-kill-") as tmp:
        work = Path(tmp)
        _, files, starts = prepare(work, args.size)
        for stage in args.stages.split(","):
            reference = work / f"reference-{stage}.db"
            shutil.copyfile(starts[stage], reference)
            started = time.monotonic()
            run(command(stage, reference, files))
            took = time.monotonic() - started
            expect = digest(reference, stage)
            bad = 0
            for i in range(args.kills):
                at = rng.uniform(0.0, took)
                problems = kill_once(stage, starts[stage], files, at, expect, work)
                if problems:
                    bad += 1
                    print(f"  {stage} kill {i + 1} at {at:.2f} s: " + "; ".join(problems))
            failures += bad
            print(f"{stage}: uninterrupted {took:.1f} s; {args.kills} kills at random points,"
                  f" {args.kills - bad} fully recovered (integrity ok, same result, nothing left"
                  f" behind, no process left)", flush=True)
    print(json.dumps({"failures": failures}))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
