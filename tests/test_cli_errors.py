"""The one top-level error handler: every failure is one `Error:` line; the traceback of an
unexpected one goes to a log file, never the terminal (issue 19)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import pileon.store.db as store_db
from pileon.cli import explain, main
from pileon.commands.output import terminal_safe

FORMATS = Path(__file__).parent / "fixtures" / "formats"


def _run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="pileon")


def test_an_unexpected_error_is_one_line_naming_the_log_with_the_traceback(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = tmp_path / "logs"
    monkeypatch.setenv("PILEON_LOG_DIR", str(logs))

    def broken(*_: object, **__: object) -> object:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("pileon.commands.ingest.stats", broken)
    assert _run("ingest", db_path, FORMATS / "mastodon_context.json").exit_code == 0
    result = _run("stats", db_path)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: unexpected ZeroDivisionError: boom")
    assert str(logs / "errors.log") in line
    log = (logs / "errors.log").read_text(encoding="utf-8")
    assert "Traceback" in log and "ZeroDivisionError: boom" in log and "stats" in log


def test_known_errors_keep_their_own_message(db_path: Path) -> None:
    result = _run("stats", db_path)  # no such database
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {db_path}: no such database")


def test_a_full_disk_is_reported_as_such() -> None:
    message = explain(sqlite3.OperationalError("database or disk is full"))
    assert message.startswith("the disk is full")
    assert explain(OSError(28, "No space left on device")).startswith("the disk is full")


def test_a_locked_database_says_busy() -> None:
    assert "busy" in explain(sqlite3.OperationalError("database is locked"))


def test_the_error_line_itself_is_terminal_safe(tmp_path: Path) -> None:
    evil = tmp_path / "a\x1b]0;pwned\x07.db"
    evil.mkdir()
    result = _run("stats", evil)
    assert result.exit_code != 0
    assert "\x1b" not in result.output and "\x07" not in result.output


@pytest.mark.parametrize("header", ['"a\nb",c', '"x\ry",z', '"p\u2028q",r'])
def test_an_error_quoting_a_hostile_file_stays_one_line(
    db_path: Path, tmp_path: Path, header: str
) -> None:
    """A CSV header cell holding a line break used to split the `Error:` line in two (found by
    `make fuzz`): every line break in an error is shown as a visible escape."""
    path = tmp_path / "in.csv"
    path.write_text(header + "\n1,2\n", encoding="utf-8")
    result = _run("ingest", db_path, path, "--format", "csv")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()  # the file's error, then ingest's summary
    assert all(line.startswith("Error: ") for line in lines), lines
    line = lines[0]
    assert "no id column" in line
    assert any(escape in line for escape in ("\\u000a", "\\u000d", "\\u2028")), line


def test_terminal_safe_escapes_controls_bidi_and_surrogates_but_keeps_text() -> None:
    raw = "ok\x1b]52;c;ZXZpbA==\x07 \u202egnp.exe \x9b31m \ud800 Ünïcødé Հայերեն\tend\n"
    safe = terminal_safe(raw)
    for bad in ("\x1b", "\x07", "\u202e", "\x9b", "\ud800"):
        assert bad not in safe
    assert "\\u001b]52;c;ZXZpbA==\\u0007" in safe
    assert "Ünïcødé Հայերեն\tend\n" in safe
    safe.encode("utf-8")  # printable on any UTF-8 terminal


def test_a_read_only_database_can_still_be_read(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _run("ingest", db_path, FORMATS / "mastodon_context.json").exit_code == 0
    for extra in ("-wal", "-shm"):
        Path(f"{db_path}{extra}").unlink(missing_ok=True)
    before = db_path.read_bytes()
    db_path.chmod(0o444)
    # The tests may run as root, for whom chmod does not stop writes: ask the OS's own check.
    real_access = os.access
    monkeypatch.setattr(store_db.os, "access", lambda p, mode: (
        False if mode == os.W_OK else real_access(p, mode)))
    result = _run("stats", db_path)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("posts ")
    shown = _run("show", db_path, "116226767644741780")
    assert "Traceback" not in shown.output
    assert db_path.read_bytes() == before  # no WAL switch, no migration: nothing written
    written = _run("ingest", db_path, FORMATS / "bluesky_getQuotes.json")
    assert written.exit_code == 1
    assert "read-only" in written.output and "Traceback" not in written.output


def test_ingest_on_a_full_disk_says_so_and_keeps_the_database_whole(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _run("ingest", db_path, FORMATS / "mastodon_context.json").exit_code == 0
    pages = sqlite3.connect(db_path).execute("PRAGMA page_count").fetchone()[0]
    real_connect = sqlite3.connect

    def small_disk(*args: object, **kwargs: object) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)  # type: ignore[arg-type]
        conn.execute(f"PRAGMA max_page_count={pages + 2}")  # SQLite's own SQLITE_FULL path
        return conn

    big = tmp_path / "big.jsonl"
    big.write_text("".join(f'{{"id": "{i}", "text": "{"x" * 2000} {i}"}}\n' for i in range(400)),
                   encoding="utf-8")
    monkeypatch.setattr(store_db.sqlite3, "connect", small_disk)
    result = _run("ingest", db_path, big)
    monkeypatch.undo()
    assert result.exit_code == 1
    assert "the disk is full" in result.output
    assert "cannot rollback" not in result.output and "Traceback" not in result.output
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert _run("stats", db_path).exit_code == 0
