"""`pileon bluesky-list` against a fake PDS on loopback: the list and list items the atproto
SDK really sent, the app password kept out of every output and file, --dry-run without any
network, a wrong password and a rate limit with a clear way to resume."""

from __future__ import annotations

import os
import pty
import select
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from fake_xrpc import OWNER_DID, FakePds, FakePdsServer

from pileon.cli import main

PASSWORD = "abcd-efgh-ijkl-mnop"
HANDLE = "nargiz.example.com"


def _expected_dids(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    dids = [d for (d,) in conn.execute(
        "SELECT p.author_id FROM post_folders f JOIN posts p ON p.platform=f.platform AND"
        " p.id=f.post_id WHERE f.folder='shielded' AND f.platform='bluesky' AND f.run_id="
        "(SELECT MAX(id) FROM triage_runs) AND p.author_id NOT IN (SELECT author_id FROM posts"
        " WHERE kind='root')"
        # supporters are never blocked, even when one of their replies was shielded
        " AND p.author_id NOT IN (SELECT q.author_id FROM post_folders g JOIN posts q ON"
        " q.platform=g.platform AND q.id=g.post_id WHERE g.run_id=f.run_id AND q.author_id IS"
        " NOT NULL AND (g.folder='support' OR (g.labels_json LIKE '%\"supportive\"%' AND"
        " g.rule != 'copies_share_fate')))"
        " ORDER BY f.created_at, f.platform, f.post_id")]
    conn.close()
    return list(dict.fromkeys(dids))


def _run(args: list[str], **kwargs: object):
    return CliRunner().invoke(main, ["bluesky-list", *args], catch_exceptions=False, **kwargs)


def test_creates_a_moderation_list_with_every_shielded_bluesky_account(
        demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILEON_BSKY_APP_PASSWORD", PASSWORD)
    pds = FakePds(HANDLE, PASSWORD)
    with FakePdsServer(pds) as server:
        result = _run([str(demo_db), "--name", "pile-on", "--handle", HANDLE,
                       "--service-url", server.url, "--json"])
    assert result.exit_code == 0, result.output
    lists = pds.created("app.bsky.graph.list")
    assert len(lists) == 1
    record = lists[0]["record"]
    assert record["name"] == "pile-on"
    assert record["purpose"] == "app.bsky.graph.defs#modlist"
    assert datetime.fromisoformat(record["createdAt"]).utcoffset() == timedelta(0)
    items = pds.created("app.bsky.graph.listitem")
    expected = _expected_dids(demo_db)
    assert expected and [i["record"]["subject"] for i in items] == expected
    assert all(i["record"]["list"] == lists[0]["uri"] for i in items)
    assert all(i["uri"].startswith(f"at://{OWNER_DID}/") for i in items)
    posted = [r for r in pds.requests if r[1].endswith("createRecord")]
    assert all(r[2]["Authorization"] == f"Bearer {pds.access}" for r in posted)
    # the password went to createSession and nowhere else
    carrying = [r[1] for r in pds.requests if PASSWORD in str(r[3]) or PASSWORD in str(r[2])]
    assert carrying == ["/xrpc/com.atproto.server.createSession"]
    assert PASSWORD not in result.output
    stored = b"".join(p.read_bytes() for p in demo_db.parent.glob(demo_db.name + "*"))
    assert PASSWORD.encode() not in stored
    conn = sqlite3.connect(demo_db)
    details = conn.execute("SELECT details_json FROM custody_log WHERE action='export'"
                           " ORDER BY id DESC").fetchone()[0]
    conn.close()
    assert lists[0]["uri"] in details and f'"added": {len(expected)}' in details


def test_the_password_can_be_piped_in_when_not_in_the_environment(
        demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PILEON_BSKY_APP_PASSWORD", raising=False)
    pds = FakePds(HANDLE, PASSWORD)
    with FakePdsServer(pds) as server:
        result = _run([str(demo_db), "--handle", HANDLE, "--service-url", server.url],
                      input=PASSWORD + "\n")
        empty = _run([str(demo_db), "--handle", HANDLE, "--service-url", server.url],
                     input="")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert pds.created("app.bsky.graph.listitem")
    assert empty.exit_code == 1 and "PILEON_BSKY_APP_PASSWORD" in empty.output


def test_in_a_terminal_the_password_is_asked_for_and_never_echoed(demo_db: Path) -> None:
    """A real pseudo-terminal and a real `pileon` process: what the person sees on screen."""
    env = {k: v for k, v in os.environ.items() if k != "PILEON_BSKY_APP_PASSWORD"}
    pds = FakePds(HANDLE, PASSWORD)
    with FakePdsServer(pds) as server:
        controller, terminal = pty.openpty()
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "pileon"), "bluesky-list", str(demo_db),
             "--handle", HANDLE, "--service-url", server.url],
            stdin=terminal, stdout=terminal, stderr=terminal, env=env, close_fds=True)
        os.close(terminal)
        screen = _read_until(controller, b"App password for")
        os.write(controller, PASSWORD.encode() + b"\n")
        screen += _read_until(controller, None)
        os.close(controller)
        assert proc.wait(timeout=60) == 0, screen.decode(errors="replace")
    assert b"App password for " + HANDLE.encode() in screen
    assert PASSWORD.encode() not in screen
    assert b"account(s) added" in screen
    assert pds.created("app.bsky.graph.listitem")


def _read_until(fd: int, marker: bytes | None, timeout: float = 60) -> bytes:
    """Read a pty until `marker` shows (or, with None, until the process closes it)."""
    got = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the process ended and closed the terminal
            return got
        if not chunk:
            return got
        got += chunk
        if marker is not None and marker in got:
            return got
    raise AssertionError(f"timed out waiting for {marker!r}: {got!r}")


def test_dry_run_lists_dids_and_handles_and_sends_nothing(demo_db: Path) -> None:
    pds = FakePds(HANDLE, PASSWORD)
    with FakePdsServer(pds) as server:
        result = _run([str(demo_db), "--handle", HANDLE, "--service-url", server.url,
                       "--dry-run"])
    assert result.exit_code == 0, result.output
    assert pds.requests == []
    conn = sqlite3.connect(demo_db)
    handles = dict(conn.execute("SELECT id, handle FROM accounts WHERE platform='bluesky'"))
    conn.close()
    lines = [line for line in result.stdout.splitlines() if line.startswith("did:")]
    assert lines == [f"{d}\t{handles[d]}" for d in _expected_dids(demo_db)]
    assert "dry run: would add" in result.output


def test_a_wrong_password_is_one_clear_line_and_creates_nothing(
        demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILEON_BSKY_APP_PASSWORD", "wrong-password")
    pds = FakePds(HANDLE, PASSWORD)
    with FakePdsServer(pds) as server:
        result = _run([str(demo_db), "--handle", HANDLE, "--service-url", server.url])
    assert result.exit_code == 1
    assert "refused the login" in result.output and "app password" in result.output
    assert "Traceback" not in result.output and "wrong-password" not in result.output
    assert pds.records == []


def test_a_rate_limit_says_how_to_resume_and_the_rerun_skips_listed_accounts(
        demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILEON_BSKY_APP_PASSWORD", PASSWORD)
    pds = FakePds(HANDLE, PASSWORD, rate_limit_after=4)  # the list and three items
    expected = _expected_dids(demo_db)
    with FakePdsServer(pds) as server:
        first = _run([str(demo_db), "--handle", HANDLE, "--service-url", server.url])
        assert first.exit_code == 1
        list_uri = pds.created("app.bsky.graph.list")[0]["uri"]
        assert "rate limit" in first.output and "after adding 3 account(s)" in first.output
        assert f"--list-uri {list_uri}" in " ".join(first.output.split())
        pds.rate_limit_after = None
        second = _run([str(demo_db), "--handle", HANDLE, "--service-url", server.url,
                       "--list-uri", list_uri, "--json"])
    assert second.exit_code == 0, second.output
    subjects = [i["record"]["subject"] for i in pds.created("app.bsky.graph.listitem")]
    assert subjects == expected  # each once, in order, across both runs
    assert len(pds.created("app.bsky.graph.list")) == 1
    assert '"already_on_list": 3' in second.stdout


def test_an_unreachable_service_is_a_clear_error(demo_db: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILEON_BSKY_APP_PASSWORD", PASSWORD)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    result = _run([str(demo_db), "--handle", HANDLE, "--service-url",
                   f"http://127.0.0.1:{port}"])
    assert result.exit_code == 1
    assert "cannot reach" in result.output and "Traceback" not in result.output


def test_no_bluesky_account_in_the_selection(tmp_path: Path) -> None:
    from dbs import Person, small_db

    db = small_db(tmp_path / "m.db", "mastodon", [Person("1", "a@x.example")])
    result = _run([str(db), "--dry-run"])
    assert result.exit_code == 1
    assert "no Bluesky account to list" in result.output
    assert "1 posts on mastodon, not bluesky" in result.output
