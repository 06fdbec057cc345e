"""`pileon serve` as a person runs it: a real process on 127.0.0.1, a port already taken, a
database never triaged, and one from an older pileon."""

from __future__ import annotations

import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner
from thread_db import build_thread_db
from webclient import Client

from pileon.cli import main
from pileon.store.db import MIGRATIONS, _split_sql, schema_version

LINK = re.compile(r"http://127\.0\.0\.1:(\d+)/\?token=\S+")


def _serve(db: Path, port: int) -> tuple[subprocess.Popen[str], list[str]]:
    """Start `pileon serve` and read its stderr until it prints the link."""
    process = subprocess.Popen(
        [sys.executable, "-c", "from pileon.cli import main; main()", "serve", str(db),
         "--port", str(port), "--no-browser"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 60
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if LINK.search(line):
            return process, lines
    process.kill()
    process.wait(timeout=10)
    process.stderr.close()
    raise AssertionError(f"no link printed: {lines}")


def test_serve_takes_the_next_port_says_so_and_triages_first(tmp_path: Path) -> None:
    db = build_thread_db(tmp_path / "thread.db")  # scored but never triaged
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    process, lines = _serve(db, port)
    try:
        said = "\n".join(lines)
        assert "no triage yet: sorting the replies with the default rules first." in said
        match = LINK.search(said)
        assert match is not None
        actual = int(match.group(1))
        assert actual != port and f"port {port} is in use; using {actual} instead." in said
        with httpx.Client(follow_redirects=True) as client:  # a real socket on loopback
            page = client.get(match.group(0))
        assert page.status_code == 200 and "What people said to you" in page.text
        assert str(page.url) == f"http://127.0.0.1:{actual}/"
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stderr is not None
        process.stderr.close()
        taken.close()


def _older_database(path: Path) -> Path:
    """A database as the first pileon release left it: only migration 0001 applied."""
    conn = sqlite3.connect(path, isolation_level=None)
    version, name, sql = MIGRATIONS[0]
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT"
                 " NULL, applied_at TEXT NOT NULL)")
    for statement in _split_sql(sql):
        conn.execute(statement)
    conn.execute("INSERT INTO schema_migrations VALUES (?, ?, '2026-01-01T00:00:00.000Z')",
                 (version, name))
    conn.close()
    return path


def test_an_older_database_is_brought_up_to_date_by_triage_and_the_ui(tmp_path: Path) -> None:
    db = _older_database(tmp_path / "old.db")
    result = CliRunner().invoke(main, ["triage", str(db)])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(db)
    assert schema_version(conn) == MIGRATIONS[-1][0]
    conn.close()
    page = Client(_older_database(tmp_path / "old2.db")).login().get("/")
    assert page.status_code == 200 and "Nothing here yet" in page.text
