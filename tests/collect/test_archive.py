"""Every response is archived the moment it arrives, before parsing: a page the parser cannot
read, a parser that crashes, or a crash between archiving and parsing loses nothing."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from pileon.collect import bluesky as bluesky_client
from pileon.collect.run import CollectOptions, collect_round
from pileon.errors import CollectError
from pileon.store.evidence import EvidenceWriter

from . import payloads as p
from .conftest import FakeClock
from .server import ReplayServer, Reply
from .test_bluesky import XRPC, serve_bluesky


def raw(conn: sqlite3.Connection, url_part: str, also: str = "") -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT r.*, e.status FROM http_exchanges e JOIN raw_payloads r ON r.sha256 = e.raw_sha256"
        " WHERE e.url LIKE ? AND e.url LIKE ?", (f"%{url_part}%", f"%{also}%")).fetchall()


def test_a_page_of_unexpected_shape_is_archived_and_kept_aside(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: FakeClock
) -> None:
    serve_bluesky(server)
    odd = Reply.json({"feed": [], "note": "a shape no lexicon has"})
    server.route(XRPC + "app.bsky.feed.getQuotes", odd, uri=p.BSKY_ROOT)
    result = collect_round(conn, p.BSKY_URL, options, clock=clock)  # type: ignore[arg-type]
    assert result.complete
    [row] = raw(conn, "getQuotes")
    assert row["data"] == odd.body and row["sha256"] == hashlib.sha256(odd.body).hexdigest()
    reject = conn.execute("SELECT reason, raw FROM rejects").fetchone()
    assert "not a Bluesky" in reject["reason"] and reject["raw"] == odd.body


def test_a_parser_crash_loses_no_bytes(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_bluesky(server)

    def broken(page: object, found: object) -> None:
        raise RuntimeError("parser bug")

    monkeypatch.setattr(bluesky_client, "parse_bluesky_page", broken)
    collect_round(conn, p.BSKY_URL, options, clock=clock)  # type: ignore[arg-type]
    thread = raw(conn, "getPostThread")
    assert thread and thread[0]["data"] == Reply.json(p.bsky_thread_cut()[0]).body
    reasons = [r[0] for r in conn.execute("SELECT reason FROM rejects")]
    assert reasons and all(r == "RuntimeError: parser bug" for r in reasons)


def test_html_instead_of_json_is_archived_then_one_clear_error(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: FakeClock
) -> None:
    portal = b"<html><body>Sign in to the hotel wifi</body></html>"
    server.route(XRPC + "com.atproto.identity.resolveHandle", Reply.json({"did": p.BSKY_DID}))
    server.route(XRPC + "app.bsky.feed.getPostThread", Reply(200, portal, {"Content-Type": "text/html"}))
    with pytest.raises(CollectError, match="not JSON; kept in the archive as"):
        collect_round(conn, p.BSKY_URL, options, clock=clock)  # type: ignore[arg-type]
    assert raw(conn, "getPostThread")[0]["data"] == portal


def test_killed_between_archiving_and_parsing_then_resumed(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_bluesky(server)
    real_flush = EvidenceWriter.flush

    def killed(self: EvidenceWriter) -> None:
        if self._pending:
            raise KeyboardInterrupt  # the process dies after the bytes were archived
        real_flush(self)

    monkeypatch.setattr(EvidenceWriter, "flush", killed)
    with pytest.raises(KeyboardInterrupt):
        collect_round(conn, p.BSKY_URL, options, clock=clock)  # type: ignore[arg-type]
    custody = conn.execute("SELECT details_json, sha256s_json FROM custody_log").fetchone()
    assert '"stopped": "interrupted"' in custody[0]
    archived = raw(conn, "getPostThread", p.BSKY_RKEY)
    assert archived[0]["sha256"] in custody[1]
    assert len(archived) == 1 and archived[0]["ingest_run_id"] is None  # kept, not parsed yet
    assert conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 0
    monkeypatch.setattr(EvidenceWriter, "flush", real_flush)
    result = collect_round(conn, p.BSKY_URL, options, clock=clock)  # type: ignore[arg-type]
    assert result.resumed and result.complete
    # The same bytes came again: stored once, and parsed now.
    again = raw(conn, "getPostThread", p.BSKY_RKEY)
    assert len({r["sha256"] for r in again}) == 1 and again[0]["ingest_run_id"] is not None
    assert p.KIRILL_POST in {r[0] for r in conn.execute("SELECT id FROM posts")}
