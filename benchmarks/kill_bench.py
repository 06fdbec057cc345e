"""kill -9 at random points of `pileon ingest`, `analyze`, `triage`, `coordination`, `report`,
`export`, `run` (every stage in one command), `campaign run` and `collect`.

    python benchmarks/kill_bench.py                # 20 kills per stage on a 3,000-reply demo
    python benchmarks/kill_bench.py --kills 3 --size 1000
    python benchmarks/kill_bench.py --stages report-pdf --size 600   # a PDF: minutes per run
    python benchmarks/kill_bench.py --stages run,export,export-wacz --size 600
    python benchmarks/kill_bench.py --stages campaign,collect --size 600

For each stage: one uninterrupted run gives the reference result and its wall time T; then, KILLS
times, a fresh copy of the stage's input database, the stage started in its own process group and
SIGKILLed at a random moment in [0, T), then the same command run again to the end. Each time:
`PRAGMA integrity_check` is ok, the result equals the reference (rows compared without their
timestamps, exactly: floats to the last bit; a report: the same files and `pileon verify` OK;
a JSONL export: the same bytes; a WACZ: the same members and a whole archive),
no file but the database, its -wal/-shm and the report folder is left in the folder (no
temporary report copy) nor in the command's own TMPDIR (no PDF parts), and no process of the
killed group is still alive, whether the whole group was killed or the pileon process alone
(`--kill`). Stages with worker processes: `analyze` (2 workers), `coordination-pool` (the map
step in 2 processes), `report-pdf` (the PDF printed in parts), `campaign` (a Dask LocalCluster
of 2 worker processes over two demo threads; the result: every Parquet partition's rows, every
table of campaign.sqlite and summary.json but its time, and the same files as the uninterrupted
run, no `.tmp-` write left). `collect` fetches the replies of an X post from a loopback server
in this process (X API v2 search pages of 100 replies; the same bytes every time); the result:
posts, accounts, payloads, what the round saw and one finished round with no post marked
deleted. Exit status 1 if any check failed (issue 19).
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
import zipfile
from pathlib import Path
from typing import Any

from pileon.report.keys import KEY_ENV

sys.path.insert(0, str(Path(__file__).parent))
from collect_bench import ROOT as COLLECT_ROOT  # noqa: E402
from collect_bench import serve as collect_server  # noqa: E402

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


RESULT_SQL["coordination-pool"] = RESULT_SQL["coordination"]
#: `pileon run`: ingest, analyze, coordination and triage in one command, killed anywhere.
RESULT_SQL["run"] = [sql for stage in ("ingest", "analyze", "coordination", "triage")
                     for sql in RESULT_SQL[stage]]
#: `pileon collect`: what was collected and how each post was found (first seen once), every
#: round finished, and nothing marked deleted: an interrupted round is resumed. (A kill that
#: lands after the round was committed, as the process exits, makes the re-run a second round
#: that finds nothing new: allowed, so rounds are summed, not counted.)
RESULT_SQL["collect"] = [
    *RESULT_SQL["ingest"][:3],
    "SELECT platform, post_id, found_via, MAX(first_seen), SUM(first_seen) FROM collect_seen"
    " GROUP BY platform, post_id, found_via",
    "SELECT COUNT(*) - COUNT(finished_at), SUM(new_posts), SUM(deleted) FROM collect_rounds",
    "SELECT platform, id FROM posts WHERE deleted_at_source IS NOT NULL",
]
STAGES = ("ingest", "analyze", "triage", "coordination", "coordination-pool", "report",
          "report-pdf", "export", "export-wacz", "run", "campaign", "collect")
#: What a stage leaves in its folder besides the database: its output.
OUTPUTS = ("thread-report", "thread-export.jsonl", "thread-export.wacz")
#: `campaign`: the campaign folder is the stage's "database" (copied whole for each kill).
CAMPAIGN = "camp"
#: `collect`: the loopback server's base URL and the token variable (set by `start_collect`).
COLLECT: dict[str, str] = {}
COLLECT_TOKEN_ENV = "PILEON_KILL_BENCH_X_TOKEN"
#: A reference digest -> its parts, to name what differs after a kill.
EXPECTED_PARTS: dict[str, dict[str, str]] = {}


def export_digest(path: Path) -> str:
    """A JSONL export is the same bytes run after run. A WACZ holds its creation time: compare
    its members' names and that the archive is whole (every member's CRC checks)."""
    if path.suffix == ".jsonl":
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"
    try:  # the WARC inside is named after the file (archive/STEM.warc.gz)
        with zipfile.ZipFile(path) as archive:
            found = (archive.testzip(),
                     sorted(n.replace(path.stem, "OUT") for n in archive.namelist()))
    except (OSError, zipfile.BadZipFile) as exc:
        found = (type(exc).__name__, [])
    return hashlib.sha256(repr(found).encode()).hexdigest()


def report_digest(folder: Path) -> str:
    """A report holds its creation time, so two honest runs differ byte for byte: compare what
    it is made of (every file's path) and that `pileon verify` accepts it whole."""
    checked = subprocess.run([*PILEON, "verify", str(folder)], capture_output=True, text=True)
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    return hashlib.sha256(repr((checked.returncode, files)).encode()).hexdigest()


def campaign_files(camp: Path) -> list[str]:
    """Every file of a campaign folder but Dask's own scratch locks."""
    return sorted(str(p.relative_to(camp)) for p in camp.rglob("*")
                  if p.is_file() and ".dask-scratch" not in p.parts)


def campaign_parts(camp: Path) -> dict[str, str]:
    """Every Parquet dataset's rows (in any order, by partition), every campaign.sqlite table,
    summary.json without its time, and the list of files (a `.tmp-` partition left changes it)."""
    import pyarrow.parquet as pq

    parts = {"files": hashlib.sha256(repr(campaign_files(camp)).encode()).hexdigest()}
    for dataset in sorted(p for p in (camp / "parquet").iterdir() if p.is_dir()):
        h = hashlib.sha256()
        for path in sorted(dataset.rglob("*")):
            if path.is_file():
                h.update(str(path.relative_to(camp)).encode())
                if path.suffix == ".parquet":
                    for row in sorted(map(repr, pq.read_table(path).to_pylist())):
                        h.update(row.encode("utf-8", "surrogatepass"))
                else:
                    h.update(path.read_bytes())
        parts[f"parquet/{dataset.name}"] = h.hexdigest()
    conn = sqlite3.connect(camp / "campaign.sqlite")
    try:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                    " ORDER BY name"):
            h = hashlib.sha256()
            for row in sorted(map(repr, conn.execute(f'SELECT * FROM "{name}"'))):
                h.update(row.encode("utf-8", "surrogatepass"))
            parts[f"campaign.sqlite {name}"] = h.hexdigest()
    finally:
        conn.close()
    summary: dict[str, Any] = json.loads((camp / "summary.json").read_text(encoding="utf-8"))
    summary.pop("written_at", None)
    summary.pop("campaign", None)  # the folder's name, not a result
    for key, value in summary.items():
        parts[f"summary.json {key}"] = hashlib.sha256(
            json.dumps(value, sort_keys=True).encode()).hexdigest()
    return parts


def digest(db: Path, stage: str) -> str:
    return hashlib.sha256(repr(digest_parts(db, stage)).encode()).hexdigest()


def differing(db: Path, stage: str, expect: dict[str, str]) -> list[str]:
    """The parts of the result (a query, a campaign's table) that differ from `expect`."""
    found = digest_parts(db, stage)
    return [name[:60] for name in sorted(set(found) | set(expect))
            if found.get(name) != expect.get(name)]


def digest_parts(db: Path, stage: str) -> dict[str, str]:
    """Each part of a stage's result (a query, or the whole report/export/campaign) -> hash."""
    if stage == "campaign":
        return campaign_parts(db)
    if stage in RESULT_SQL:
        conn = sqlite3.connect(db)
        try:
            parts = {}
            for sql in RESULT_SQL[stage]:
                h = hashlib.sha256()
                for row in sorted(conn.execute(sql).fetchall(), key=repr):
                    h.update(repr(row).encode("utf-8", "surrogatepass"))
                parts[sql] = h.hexdigest()
            return parts
        finally:
            conn.close()
    return {stage: whole_digest(db, stage)}


def whole_digest(db: Path, stage: str) -> str:
    if stage.startswith("report"):
        return report_digest(db.parent / f"{db.stem}-report")
    if stage.startswith("export"):
        return export_digest(db.parent / f"{db.stem}-export.{'wacz' if 'wacz' in stage else 'jsonl'}")
    raise ValueError(f"unknown stage {stage}")


def integrity(db: Path) -> str:
    if db.is_dir():  # a campaign: its own database (once written) and its threads' copies
        found = [f"{p.name}: {integrity(p)}" for p in
                 [*db.glob("campaign.sqlite"), *sorted(db.glob("threads/*.db"))]]
        return "ok" if all(f.endswith(": ok") for f in found) else "; ".join(found)
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def command(stage: str, db: Path, files: list[Path]) -> list[str]:
    if stage == "ingest":
        return [*PILEON, "ingest", str(db), *map(str, files), "-q"]
    if stage == "analyze":  # two worker processes (one per core) below this one
        return [*PILEON, "analyze", str(db), "--quiet", "--workers", "2"]
    if stage == "coordination":
        return [*PILEON, "coordination", str(db), "--json"]
    if stage == "coordination-pool":  # the map step in 2 processes (default from 150k posts)
        return [*PILEON, "coordination", str(db), "--json", "--workers", "2"]
    if stage in ("report", "report-pdf"):  # the PDF: printed in parallel parts
        return [*PILEON, "report", str(db), "--out", str(db.parent / f"{db.stem}-report"),
                "--force", "-q", *(["--pdf"] if stage == "report-pdf" else [])]
    if stage.startswith("export"):  # every post: the largest file an export writes
        kind = "wacz" if stage == "export-wacz" else "jsonl"
        return [*PILEON, "export", str(db), "--format", kind, "--folder", "all", "--force", "-q",
                "--out", str(db.parent / f"{db.stem}-export.{kind}")]
    if stage == "run":  # every stage, the classifier in two worker processes
        return [*PILEON, "run", str(db), *map(str, files), "--workers", "2", "-q"]
    if stage == "campaign":  # `db` is the campaign folder; a LocalCluster of 2 processes
        return [*PILEON, "campaign", "run", str(db), "--workers", "2", "-q"]
    if stage == "collect":  # from the loopback server, without the polite pause
        return [*PILEON, "collect", str(db), f"https://x.com/nargiz/status/{COLLECT_ROOT}",
                "--base-url", COLLECT["base"], "--x-bearer-token-env", COLLECT_TOKEN_ENV,
                "--max-cost", "1000000", "--rate", "0", "-q"]
    return [*PILEON, "triage", str(db)]


def run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


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


def kill_once(stage: str, start_db: Path, files: list[Path], at: float | None, expect: str,
              work: Path, whole_group: bool = True) -> list[str]:
    """Kill the stage at `at` seconds, run it again; the problems found (empty: all good).
    `at` None: as soon as the command has started worker processes.

    `whole_group`: SIGKILL every process of the command (a closed terminal, a kill of the
    session); else only the pileon process itself (the OOM killer, `kill -9 PID`), and its
    workers must then go by themselves. The command runs with its own empty TMPDIR, which
    must be empty again after the re-run: a PDF's parts or a pool's scratch files hold abuse.
    """
    folder = Path(tempfile.mkdtemp(dir=work))
    if start_db.is_dir():  # a campaign folder
        db = folder / CAMPAIGN
        shutil.copytree(start_db, db, symlinks=True)
    else:
        db = folder / "thread.db"
        shutil.copyfile(start_db, db)
    scratch = work / f"{folder.name}-tmp"
    scratch.mkdir()
    logs = work / f"{folder.name}-logs"
    env = {**os.environ, "TMPDIR": str(scratch), "PILEON_LOG_DIR": str(logs)}
    process = subprocess.Popen(command(stage, db, files), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True, env=env)
    if at is None:
        deadline = time.monotonic() + 120
        while (len(group_members(process.pid)) < 2 and process.poll() is None
               and time.monotonic() < deadline):
            time.sleep(0.02)
    else:
        time.sleep(at)
    finished_first = process.poll() is not None
    with contextlib.suppress(ProcessLookupError):
        if whole_group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            os.kill(process.pid, signal.SIGKILL)
    process.wait()
    time.sleep(0.05)
    problems = []
    left_running = alive(process.pid, wait=3.0 if whole_group else 10.0)
    if left_running:
        problems.append(f"processes of the killed command still running: {left_running}")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # so they cannot disturb the re-run
        alive(process.pid)
    if integrity(db) != "ok":
        problems.append(f"integrity after the kill: {integrity(db)}")
    try:
        run(command(stage, db, files), env)
    except subprocess.CalledProcessError as exc:
        problems.append(f"the re-run failed: {exc.stderr.decode(errors='replace').strip()[-300:]}")
    if logs.exists():
        problems.append(f"an unexpected error was logged: {sorted(p.name for p in logs.iterdir())}")
    if integrity(db) != "ok":
        problems.append(f"integrity after the re-run: {integrity(db)}")
    if digest(db, stage) != expect:
        problems.append("the re-run's result differs from the uninterrupted run's"
                        + (f" in {differing(db, stage, EXPECTED_PARTS[expect])}"
                           if expect in EXPECTED_PARTS else ""))
    left = sorted(p.name for p in folder.iterdir()
                  if p.name not in ("thread.db", "thread.db-wal", "thread.db-shm", CAMPAIGN,
                                    *OUTPUTS))
    if db.is_dir():  # a killed partition write (`.NAME.tmp-*`) must be cleared by the re-run
        left += [f for f in campaign_files(db) if ".tmp-" in f]
    if left:
        problems.append(f"left behind: {left}")
    in_tmp = sorted(str(p.relative_to(scratch)) for p in scratch.rglob("*"))
    if in_tmp:
        problems.append(f"left in TMPDIR: {in_tmp[:5]}")
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(logs, ignore_errors=True)
    return [f"{'(had finished) ' if finished_first else ''}{p}" for p in problems]


def prepare_campaign(work: Path, size: int) -> Path:
    """A campaign folder holding two demo threads of `size` replies (different seeds), added
    but not yet run: what each `campaign run` starts from."""
    threads = []
    for seed in (5, 6):
        db = work / f"campaign-thread-{seed}.db"
        run([*PILEON, "demo", str(db), "--size", str(size), "--seed", str(seed),
             "--out", str(work / f"campaign-files-{seed}"), "-q"])
        threads.append(str(db))
    camp = work / "campaign-start"
    run([*PILEON, "campaign", "init", str(camp)])
    run([*PILEON, "campaign", "add", str(camp), *threads])
    return camp


def start_collect(work: Path, size: int) -> Path:
    """The loopback X server (size // 100 search pages) and an empty database to collect into."""
    server = collect_server(max(1, size // 100))
    COLLECT["base"] = f"http://127.0.0.1:{server.server_address[1]}"
    os.environ[COLLECT_TOKEN_ENV] = "kill-bench-token"  # the loopback server checks nothing
    empty = work / "collect-empty.db"
    sqlite3.connect(empty).close()
    return empty


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
    starts["report"] = starts["report-pdf"] = triaged
    starts["export"] = starts["export-wacz"] = triaged
    starts["run"] = empty
    starts["coordination-pool"] = ingested
    return files_dir, files, starts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20, help="kills per stage")
    parser.add_argument("--size", type=int, default=3000, help="demo size (replies)")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--stages", default=",".join(s for s in STAGES if s != "report-pdf"),
                        help=f"comma-separated, of {', '.join(STAGES)}")
    parser.add_argument("--kill", choices=("group", "parent", "both"), default="both",
                        help="what is killed: the whole process group, the pileon process"
                             " alone (its workers must go by themselves), or each in turn")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="pileon-kill-") as tmp:
        work = Path(tmp)
        os.environ[KEY_ENV] = str(work / "signing_key.pem")  # never the user's own key
        stages = args.stages.split(",")
        _, files, starts = prepare(work, args.size)
        if "campaign" in stages:  # 2 threads, each min(size, 600) replies: ~15 s a run
            starts["campaign"] = prepare_campaign(work, min(args.size, 600))
        if "collect" in stages:
            starts["collect"] = start_collect(work, args.size)
        for stage in stages:
            reference = work / f"reference-{stage}.db"
            if starts[stage].is_dir():
                shutil.copytree(starts[stage], reference / CAMPAIGN, symlinks=True)
                reference = reference / CAMPAIGN
            else:
                shutil.copyfile(starts[stage], reference)
            started = time.monotonic()
            run(command(stage, reference, files))
            took = time.monotonic() - started
            expect = digest(reference, stage)
            EXPECTED_PARTS[expect] = digest_parts(reference, stage)
            bad = 0
            for i in range(args.kills):
                at = rng.uniform(0.0, took)
                group = args.kill == "group" or (args.kill == "both" and i % 2 == 0)
                problems = kill_once(stage, starts[stage], files, at, expect, work, group)
                if problems:
                    bad += 1
                    print(f"  {stage} kill {i + 1} ({'group' if group else 'parent'}) at"
                          f" {at:.2f} s: " + "; ".join(problems), flush=True)
            failures += bad
            print(f"{stage}: uninterrupted {took:.1f} s; {args.kills} kills ({args.kill}) at"
                  f" random points, {args.kills - bad} fully recovered (integrity ok, same"
                  f" result, nothing left behind in the folder or TMPDIR, no process left)",
                  flush=True)
    print(json.dumps({"failures": failures}))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
