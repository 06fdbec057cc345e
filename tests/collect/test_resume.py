"""Interrupted collection: network down, a body cut off, Ctrl-C. Nothing stored is damaged,
and the next run resumes where the last one stopped, with nothing lost or duplicated."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pileon.collect.run import CollectOptions, collect_round
from pileon.errors import NetworkError
from pileon.store import connect

from . import payloads as p
from .conftest import FakeClock
from .server import ReplayServer, Reply
from .test_bluesky import XRPC, serve_bluesky

API = "/api/v1/statuses/"


def post_ids(conn: sqlite3.Connection) -> list[str]:
    return sorted(r[0] for r in conn.execute("SELECT id FROM posts"))


def full_run_ids(tmp_path: Path, options: CollectOptions, clock: FakeClock) -> list[str]:
    """What one uninterrupted collect stores, in a database of its own."""
    db = connect(tmp_path / "reference.db")
    collect_round(db, p.BSKY_URL, options, clock=clock)  # type: ignore[arg-type]
    ids = post_ids(db)
    db.close()
    return ids


def test_network_down_mid_collect_then_resume_loses_and_duplicates_nothing(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: FakeClock,
    tmp_path: Path
) -> None:
    serve_bluesky(server)
    expected = full_run_ids(tmp_path, options, clock)
    server.requests.clear()
    first, _ = p.bsky_quotes_pages()
    # The first quotes page arrives, then the network goes away.
    page = Reply.json(first)
    server.route(XRPC + "app.bsky.feed.getQuotes", Reply(200, page.body, page.headers,
                                                         down_after=True), uri=p.BSKY_ROOT)
    with pytest.raises(NetworkError, match="run the same command again"):
        collect_round(conn, p.BSKY_URL, options, clock=clock)  # type: ignore[arg-type]
    kept = post_ids(conn)
    assert p.BSKY_ROOT in kept and len(kept) < len(expected)
    unfinished = conn.execute("SELECT COUNT(*) FROM collect_rounds WHERE finished_at IS NULL")
    assert unfinished.fetchone()[0] == 1
    stopped = conn.execute("SELECT details_json FROM custody_log WHERE action='collect'")
    assert '"complete": false' in stopped.fetchone()[0]

    server.up()
    asked = len(server.requests)
    result = collect_round(conn, p.BSKY_URL, options, clock=clock)  # type: ignore[arg-type]
    assert result.resumed and result.complete
    resumed_paths = [r.path for r in server.requests[asked:]]
    # The handle is looked up again (it may have changed); then no thread and no first quotes
    # page again: straight to the page after the saved cursor.
    assert resumed_paths[:2] == [XRPC + "com.atproto.identity.resolveHandle",
                                 XRPC + "app.bsky.feed.getQuotes"]
    assert server.requests[asked + 1].query["cursor"] == [first["cursor"]]
    assert XRPC + "app.bsky.feed.getPostThread" not in resumed_paths
    assert post_ids(conn) == expected
    dupes = conn.execute("SELECT COUNT(*) - COUNT(DISTINCT raw_sha256) FROM http_exchanges"
                         " WHERE status = 200 AND url LIKE '%getPostThread%'").fetchone()[0]
    assert dupes == 0


def test_truncated_body_stores_nothing_damaged_and_a_later_run_finishes(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: FakeClock
) -> None:
    context = Reply.json(p.masto_context())
    server.route(API + p.MASTO_ROOT, Reply.json(p.masto_root(3)))
    server.route(API + p.MASTO_ROOT + "/context",
                 Reply(200, context.body, context.headers, truncate=True))
    server.route("/api/v1/accounts", Reply.json([]))
    with pytest.raises(NetworkError, match="cut off"):
        collect_round(conn, p.MASTO_URL, options, clock=clock)  # type: ignore[arg-type]
    urls = [r[0] for r in conn.execute("SELECT url FROM http_exchanges")]
    assert not any(u.endswith("/context") for u in urls)
    assert post_ids(conn) == [p.MASTO_ROOT]
    sizes = conn.execute("SELECT COUNT(*) FROM raw_payloads WHERE size_bytes < ?",
                         (len(context.body),)).fetchone()[0]
    assert sizes == 1  # only the root status; no half body anywhere
    server.route(API + p.MASTO_ROOT + "/context", context)
    result = collect_round(conn, p.MASTO_URL, options, clock=clock)  # type: ignore[arg-type]
    assert result.resumed and result.complete
    assert len(post_ids(conn)) == 1 + 6 + 1  # root, six replies, one placeholder parent


class InterruptingClock(FakeClock):
    def sleep(self, seconds: float) -> None:
        raise KeyboardInterrupt


def test_ctrl_c_during_a_backoff_keeps_the_place(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions
) -> None:
    serve_bluesky(server)
    server.route(XRPC + "app.bsky.feed.getQuotes", Reply(503, b"busy"), uri=p.BSKY_ROOT)
    with pytest.raises(KeyboardInterrupt):
        collect_round(conn, p.BSKY_URL, options, clock=InterruptingClock())  # type: ignore[arg-type]
    state = dict(conn.execute("SELECT step, done FROM collect_state").fetchall())
    assert state["thread"] == 1 and "quotes" not in state
    custody = conn.execute("SELECT details_json FROM custody_log").fetchone()[0]
    assert '"stopped": "interrupted"' in custody
    serve_bluesky(server)
    result = collect_round(conn, p.BSKY_URL, options, clock=FakeClock())  # type: ignore[arg-type]
    assert result.resumed and result.complete


def test_handle_and_did_addresses_are_the_same_thread(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: FakeClock
) -> None:
    serve_bluesky(server)
    server.route(XRPC + "app.bsky.feed.getQuotes", Reply(503, b"busy"), uri=p.BSKY_ROOT)
    with pytest.raises(NetworkError):
        collect_round(conn, p.BSKY_URL, options, clock=clock)  # type: ignore[arg-type]
    serve_bluesky(server)
    # The author changed their handle meanwhile: the at:// address carries on the same round.
    at_uri = p.BSKY_ROOT
    result = collect_round(conn, at_uri, options, clock=clock)  # type: ignore[arg-type]
    assert result.resumed and result.complete
    targets = {r[0] for r in conn.execute("SELECT target FROM collect_rounds")}
    assert targets == {f"bluesky:{p.BSKY_DID}/{p.BSKY_RKEY}"}
