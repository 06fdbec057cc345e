"""Re-running is safe: a second ingest adds nothing, and an ingest killed with SIGKILL half-way
is finished by running it again, with nothing lost, nothing duplicated, the database intact."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from pileon.ingest.run import ingest_file
from pileon.store import connect

from .conftest import IngestFn
from .rows import count
from .synthetic import write_x_pages

TABLES = ("raw_payloads", "posts", "accounts", "post_versions", "rejects")
FIXTURES = sorted(
    p.name for p in (Path(__file__).parent.parent / "fixtures" / "formats").glob("*.json")
)


@pytest.mark.parametrize("name", FIXTURES)
def test_second_ingest_of_the_same_file_adds_nothing(
    ingest: IngestFn, formats: Path, name: str
) -> None:
    conn = ingest(formats / name)
    before = {t: count(conn, t) for t in TABLES}
    again = ingest_file(conn, formats / name)
    assert again.counts.payloads_new == 0
    assert again.counts.payloads_seen == before["raw_payloads"]
    assert again.counts.posts == 0
    assert {t: count(conn, t) for t in TABLES} == before


def test_an_edited_post_keeps_both_versions(ingest: IngestFn, formats: Path, tmp_path: Path) -> None:
    page = json.loads((formats / "x_v2_quote_tweets.json").read_text("utf-8"))
    conn = ingest(formats / "x_v2_quote_tweets.json")
    page["data"][1]["text"] = "Очередная сказка. (edited)"
    edited = tmp_path / "later.json"
    edited.write_text(json.dumps(page, ensure_ascii=False), "utf-8")
    ingest(edited)
    versions = conn.execute(
        "SELECT text FROM post_versions WHERE post_id = '2032772675388256342' ORDER BY seen_at"
    ).fetchall()
    assert [v[0] for v in versions] == [
        "Очередная сказка для грантоедов. https://t.co/jyN8fw4LIh",
        "Очередная сказка. (edited)",
    ]


def _stored(db: Path) -> int:
    try:
        with closing(sqlite3.connect(db, timeout=1)) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM raw_payloads").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # not created or migrated yet


def test_kill_9_mid_ingest_then_rerun_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    pages, per_page = 400, 100
    source = tmp_path / "replies.jsonl"
    replies = write_x_pages(source, pages, per_page)
    db = tmp_path / "thread.db"
    pileon = Path(sys.executable).parent / "pileon"
    command = [str(pileon), "ingest", str(db), str(source), "--quiet"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _stored(db) == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, "the ingest finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    partial = _stored(db)
    assert 0 < partial < pages

    rerun = subprocess.run([*command[:-1], "--json"], capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["payloads_already_stored"] == partial
    assert report["payloads_new"] == pages - partial

    conn = connect(db, create=False)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert count(conn, "raw_payloads") == pages
    assert count(conn, "posts") == replies
    assert conn.execute("SELECT COUNT(DISTINCT id) FROM posts").fetchone()[0] == replies
    assert count(conn, "post_versions") == replies
    assert count(conn, "rejects") == 0
    runs = conn.execute("SELECT finished_at FROM ingest_runs ORDER BY id").fetchall()
    assert [r[0] is None for r in runs] == [True, False]  # the killed run stays visible
    conn.close()
