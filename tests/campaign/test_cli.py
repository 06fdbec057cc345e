"""`pileon campaign` through the CLI, with worker processes: bad input, resume, failures."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
from click.testing import CliRunner

from pileon.cli import main
from pileon.store.db import MIGRATIONS, _split_sql, schema_version

PILEON = [str(Path(sys.executable).parent / "pileon")]


def _cli(*args: object, tmpdir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = None if tmpdir is None else {**os.environ, "TMPDIR": str(tmpdir)}
    return subprocess.run([*PILEON, *map(str, args)], capture_output=True, text=True,
                          timeout=600, env=env)


def test_a_thread_added_twice_is_refused_naming_the_earlier_one(fresh_dbs: list[Path],
                                                                tmp_path: Path) -> None:
    camp = tmp_path / "camp"
    runner = CliRunner()
    assert runner.invoke(main, ["campaign", "init", str(camp)]).exit_code == 0
    first = runner.invoke(main, ["campaign", "add", str(camp), str(fresh_dbs[0])])
    assert first.exit_code == 0, first.output
    # The same file again, and a copy of it under another name (same root post).
    copy = tmp_path / "copy-of-first.db"
    copy.write_bytes(fresh_dbs[0].read_bytes())
    again = runner.invoke(main, ["campaign", "add", str(camp), str(fresh_dbs[0]), str(copy),
                                 str(fresh_dbs[1])])
    assert again.exit_code == 1
    errors = [line for line in again.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 2
    assert "already in the campaign as thread 'target00'" in errors[0]
    assert "copy-of-first.db" in errors[1] and "same thread as 'target00'" in errors[1]
    threads = json.loads((camp / "campaign.json").read_text())["threads"]
    assert [t["name"] for t in threads] == ["target00", "target01"]  # the third still added
    assert sorted(p.name for p in (camp / "threads").iterdir()) == ["target00.db", "target01.db"]


def test_two_demo_pile_ons_of_different_seeds_are_two_threads(tmp_path: Path) -> None:
    runner = CliRunner()
    dbs = []
    for seed in (5, 6, 6):
        db = tmp_path / f"demo-{seed}-{len(dbs)}.db"
        done = runner.invoke(main, ["demo", str(db), "--size", "200", "--seed", str(seed),
                                    "--out", str(tmp_path / f"files-{len(dbs)}")])
        assert done.exit_code == 0, done.output
        dbs.append(db)
    camp = tmp_path / "camp"
    assert runner.invoke(main, ["campaign", "init", str(camp)]).exit_code == 0
    added = runner.invoke(main, ["campaign", "add", str(camp), *map(str, dbs)])
    assert added.exit_code == 1  # the second seed-6 pile-on is the same thread again
    errors = [line for line in added.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "same thread as 'demo-6-1'" in errors[0], added.output
    threads = json.loads((camp / "campaign.json").read_text())["threads"]
    assert [t["name"] for t in threads] == ["demo-5-0", "demo-6-1"]


def _older_schema_db(path: Path, source: Path) -> int:
    """A thread database as an older pileon wrote it: only the first migrations applied,
    posts copied in from a current database."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
                 "NULL, applied_at TEXT NOT NULL)")
    old = [m for m in MIGRATIONS if m[0] <= 3]
    for version, name, sql in old:
        for statement in _split_sql(sql):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (?,?,?)", (version, name, "x"))
    conn.execute("ATTACH ? AS cur", (str(source),))
    cols = [r[1] for r in conn.execute("PRAGMA main.table_info(posts)")]
    for table in ("raw_payloads", "accounts", "posts"):
        names = [r[1] for r in conn.execute(f"PRAGMA main.table_info({table})")]
        have = {r[1] for r in conn.execute(f"PRAGMA cur.table_info({table})")}
        shared = ", ".join(n for n in names if n in have)
        conn.execute(f"INSERT INTO main.{table} ({shared}) SELECT {shared} FROM cur.{table}")
    assert cols
    conn.execute("DETACH cur")
    version = schema_version(conn)
    conn.close()
    return version


def test_an_older_schema_thread_db_is_migrated_on_the_copy_only(fresh_dbs: list[Path],
                                                                tmp_path: Path) -> None:
    old = tmp_path / "old-thread.db"
    before = _older_schema_db(old, fresh_dbs[0])
    assert before == 3 < MIGRATIONS[-1][0]
    old_bytes = old.read_bytes()
    camp = tmp_path / "camp"
    runner = CliRunner()
    runner.invoke(main, ["campaign", "init", str(camp)])
    added = runner.invoke(main, ["campaign", "add", str(camp), str(old)])
    assert added.exit_code == 0, added.output
    assert "500 posts" in added.output
    assert old.read_bytes() == old_bytes  # the user's file is untouched
    conn = sqlite3.connect(camp / "threads" / "old-thread.db")
    assert schema_version(conn) == MIGRATIONS[-1][0]
    conn.close()


def test_a_file_that_is_not_a_thread_is_one_error_line(tmp_path: Path) -> None:
    camp = tmp_path / "camp"
    runner = CliRunner()
    runner.invoke(main, ["campaign", "init", str(camp)])
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    result = runner.invoke(main, ["campaign", "add", str(camp), str(other),
                                  str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 2 and "no posts table" in lines[0] and "no such file" in lines[1]
    assert "Traceback" not in result.output
    assert not (camp / "threads" / "other.db").exists()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_scheduler_that_does_not_answer_is_a_clear_error_within_seconds(
        fresh_dbs: list[Path], tmp_path: Path) -> None:
    camp = tmp_path / "camp"
    runner = CliRunner()
    runner.invoke(main, ["campaign", "init", str(camp)])
    runner.invoke(main, ["campaign", "add", str(camp), str(fresh_dbs[0])])
    started = time.monotonic()
    result = _cli("campaign", "run", camp, "--scheduler", f"tcp://127.0.0.1:{_closed_port()}")
    took = time.monotonic() - started
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("Error: Dask scheduler tcp://")
    assert "did not answer within 5 s" in result.stderr and "Traceback" not in result.stderr
    assert took < 30  # 5 s connect timeout plus interpreter start-up on a busy machine


def test_run_resumes_and_a_failing_partition_is_named_while_the_others_finish(
        fresh_dbs: list[Path], tmp_path: Path) -> None:
    camp = tmp_path / "camp"
    runner = CliRunner()
    runner.invoke(main, ["campaign", "init", str(camp)])
    runner.invoke(main, ["campaign", "add", str(camp), *map(str, fresh_dbs[:2])])
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    first = _cli("campaign", "run", camp, "--workers", "2", tmpdir=tmp)
    assert first.returncode == 0, first.stderr
    assert "0 failed" in first.stderr and "Dask: 2 worker(s)" in first.stderr
    # The workers' scratch (spilled partitions are post text) stays in the campaign folder
    assert (camp / ".dask-scratch").is_dir() and not list(tmp.iterdir())
    summary = json.loads(_cli("campaign", "summary", camp, "--json").stdout)
    assert summary["overall"]["posts"] == summary["overall"]["scored_posts"] == 1000

    assert sum(summary["overall"]["folders"].values()) > 900  # triaged (root, own posts: not)

    # Resume: remove one finished scores partition; only it runs again, and the triage of its
    # thread (which reads it); the other thread's folders are left as they were.
    scores = sorted((camp / "parquet" / "scores" / "thread=target00").glob("day=*/part.parquet"))
    assert len(scores) >= 2
    kept = pq.read_table(scores[0])
    folders = {t: camp / "parquet" / "folders" / f"thread={t}" / "part.parquet"
               for t in ("target00", "target01")}
    folders_before = {t: (p.stat().st_mtime_ns, pq.read_table(p)) for t, p in folders.items()}
    scores[0].unlink()
    resumed = _cli("campaign", "run", camp, "--workers", "2")
    assert resumed.returncode == 0, resumed.stderr
    assert "ran 2 partition task(s)" in resumed.stderr
    assert pq.read_table(scores[0]).equals(kept)
    assert folders["target01"].stat().st_mtime_ns == folders_before["target01"][0]
    assert folders["target00"].stat().st_mtime_ns != folders_before["target00"][0]
    assert pq.read_table(folders["target00"]).equals(folders_before["target00"][1])

    # A damaged posts partition of one thread: one line names it, the rest finishes.
    day = scores[1].parent.name
    bad = camp / "parquet" / "posts" / "thread=target00" / day / "part.parquet"
    bad.write_bytes(b"not parquet")
    scores[1].unlink()
    for done in (camp / "parquet" / "clusters").glob("thread=*/_done.json"):
        done.unlink()  # coordination of both threads runs again
    failed = _cli("campaign", "run", camp, "--workers", "2")
    assert failed.returncode == 1
    errors = [line for line in failed.stderr.splitlines() if line.startswith("Error:")]
    assert errors and all(f"thread=target00 {day}:" in e for e in errors), errors
    # Its scores map and its coordination map; neither the reduce nor the triage it blocks.
    assert len(errors) == 2
    assert "Traceback" not in failed.stderr
    assert (camp / "parquet" / "clusters" / "thread=target01" / "_done.json").is_file()
    assert not (camp / "parquet" / "clusters" / "thread=target00" / "_done.json").exists()
    assert (camp / "summary.html").is_file() and (camp / "campaign.sqlite").is_file()


def test_a_killed_run_resumes_from_its_finished_partitions(fresh_dbs: list[Path],
                                                           tmp_path: Path) -> None:
    import os
    import signal

    camp = tmp_path / "camp"
    runner = CliRunner()
    runner.invoke(main, ["campaign", "init", str(camp)])
    runner.invoke(main, ["campaign", "add", str(camp), *map(str, fresh_dbs)])
    proc = subprocess.Popen([*PILEON, "campaign", "run", str(camp), "--workers", "2", "-q"],
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    scores = camp / "parquet" / "scores"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None \
            and not list(scores.glob("thread=*/day=*/part.parquet")):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its worker processes, mid-run
    proc.wait()
    finished = list(scores.glob("thread=*/day=*/part.parquet"))
    assert finished, "no partition finished before the kill"
    assert not (camp / "summary.json").exists()
    resumed = _cli("campaign", "run", camp, "--workers", "2")
    assert resumed.returncode == 0, resumed.stderr
    skipped = int(resumed.stderr.split("skipped ")[1].split()[0])
    assert skipped >= len(finished) + len(fresh_dbs)  # finished scores + every export
    summary = json.loads(_cli("campaign", "summary", camp, "--json").stdout)
    assert summary["overall"]["scored_posts"] == summary["overall"]["posts"] > 1500
    assert not list((camp / "parquet").glob("**/.*.tmp-*"))  # a killed write is cleared
