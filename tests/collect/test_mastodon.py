"""Mastodon live collection against a loopback server replaying real-format responses."""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path

import pytest

from pileon.collect.run import CollectOptions, collect_round
from pileon.errors import CollectError

from . import payloads as p
from .server import ReplayServer, Reply

API = "/api/v1/statuses/"
R = "116226800000000000"


def capped_thread() -> tuple[dict, dict, list[str]]:
    """A root whose public context stops at 60 descendants: R's two replies are cut off."""
    direct = [p.masto_status(str(116226710000000000 + i), p.MASTO_ROOT) for i in range(59)]
    r = p.masto_status(R, p.MASTO_ROOT, replies=2, template=2)
    context = {"ancestors": [], "descendants": direct[:30] + [r] + direct[30:]}
    below = [p.masto_status(str(116226900000000000 + i), R, template=3) for i in range(2)]
    r_context = {"ancestors": [p.masto_root(60)], "descendants": below}
    return context, r_context, [s["id"] for s in below]


def stored(conn: sqlite3.Connection) -> dict[str, sqlite3.Row]:
    return {r["id"]: r for r in conn.execute("SELECT * FROM posts WHERE platform='mastodon'")}


def test_capped_context_is_walked_until_the_tree_is_complete(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object
) -> None:
    context, r_context, below = capped_thread()
    server.route(API + p.MASTO_ROOT, Reply.json(p.masto_root(60)))
    server.route(API + p.MASTO_ROOT + "/context", Reply.json(context))
    server.route(API + R + "/context", Reply.json(r_context))
    said: list[str] = []
    result = collect_round(conn, p.MASTO_URL, options, clock=clock, say=said.append)  # type: ignore[arg-type]
    posts = stored(conn)
    assert all(posts[b]["reply_to"] == R for b in below)
    assert len(posts) == 1 + 60 + 2
    assert any("stopped at 60 replies" in m for m in said)
    walked = [r.path for r in server.requests if r.path.endswith("/context")]
    assert walked == [API + p.MASTO_ROOT + "/context", API + R + "/context"]
    assert result.complete and len(result.new_posts) == 62
    assert not any("could not be reached" in n for n in result.notes)
    assert any("quotes not collected" in n for n in result.notes)


def test_replies_no_public_view_reaches_are_counted_and_explained(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object
) -> None:
    context, _, _ = capped_thread()
    server.route(API + p.MASTO_ROOT, Reply.json(p.masto_root(75)))  # 15 more than anyone shows
    server.route(API + p.MASTO_ROOT + "/context", Reply.json(context))
    server.route(API + R + "/context", Reply.json({"ancestors": [], "descendants": []}))
    result = collect_round(conn, p.MASTO_URL, options, clock=clock)  # type: ignore[arg-type]
    note = next(n for n in result.notes if "could not be reached" in n)
    assert note.startswith("17 replies") and "--mastodon-token-env" in note


def test_orphan_reply_gets_a_placeholder_parent_and_its_author_looked_up(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object
) -> None:
    context = p.masto_context()
    hidden_author = context["descendants"][-1]["in_reply_to_account_id"]
    account = copy.deepcopy(context["descendants"][2]["account"])
    account.update(id=hidden_author, username="user8812", acct="user8812")
    server.route(API + p.MASTO_ROOT, Reply.json(p.masto_root(3)))
    server.route(API + p.MASTO_ROOT + "/context", Reply.json(context))
    server.route("/api/v1/accounts", Reply.json([account]))
    collect_round(conn, p.MASTO_URL, options, clock=clock)  # type: ignore[arg-type]
    orphan_parent = stored(conn)[context["descendants"][-1]["in_reply_to_id"]]
    assert orphan_parent["placeholder"] == "unavailable"
    looked_up = [r for r in server.requests if r.path == "/api/v1/accounts"]
    assert looked_up[0].query["id[]"] == [hidden_author]
    row = conn.execute("SELECT handle FROM accounts WHERE platform='mastodon' AND id=?",
                       (hidden_author,)).fetchone()
    assert row["handle"].startswith("user8812")


def test_reply_deleted_between_two_rounds_is_kept_and_marked(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object
) -> None:
    context = p.masto_context()
    server.route(API + p.MASTO_ROOT, Reply.json(p.masto_root(3)))
    server.route(API + p.MASTO_ROOT + "/context", Reply.json(context))
    server.route("/api/v1/accounts", Reply.json([]))
    collect_round(conn, p.MASTO_URL, options, clock=clock)  # type: ignore[arg-type]
    gone = context["descendants"][4]["id"]  # kirill's second reply
    text = stored(conn)[gone]["text"]
    later = p.masto_context()
    del later["descendants"][4]
    later["descendants"][3]["replies_count"] = 0
    server.route(API + p.MASTO_ROOT + "/context", Reply.json(later))
    server.route(API + gone, Reply.json({"error": "Record not found"}, 404))
    result = collect_round(conn, p.MASTO_URL, options, clock=clock)  # type: ignore[arg-type]
    assert result.deleted == (gone,)
    row = stored(conn)[gone]
    assert row["text"] == text and row["deleted_at_source"] is not None
    gone_check = conn.execute("SELECT status, purpose FROM http_exchanges WHERE url LIKE ?",
                              (f"%/statuses/{gone}",)).fetchone()
    assert tuple(gone_check) == (404, "deletion-check")


def test_wrong_token_is_one_line_without_the_token(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object,
    monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    secret = "tok-" + "s3cr3t-value-4471"
    monkeypatch.setenv("MASTO_TOKEN", secret)
    server.route(API + p.MASTO_ROOT,
                 Reply.json({"error": "The access token is invalid"}, 401))
    with pytest.raises(CollectError) as caught:
        collect_round(conn, p.MASTO_URL, CollectOptions(
            base_url=options.base_url, policy=options.policy, mastodon_token_env="MASTO_TOKEN"),
            clock=clock)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "refused the credentials from $MASTO_TOKEN (HTTP 401)" in message
    assert "access token is invalid" in message and "\n" not in message
    assert secret not in message
    assert server.requests[0].headers["authorization"] == f"Bearer {secret}"
    conn.execute("PRAGMA wal_checkpoint(FULL)")
    everything = b"".join(f.read_bytes() for f in db_path.parent.glob("thread.db*"))
    assert secret.encode() not in everything


def test_private_or_missing_status_is_a_clear_error(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object
) -> None:
    server.route(API + p.MASTO_ROOT, Reply.json({"error": "Record not found"}, 404))
    with pytest.raises(CollectError, match="has no public status 116226706668358875"):
        collect_round(conn, p.MASTO_URL, options, clock=clock)  # type: ignore[arg-type]


def test_with_a_token_quotes_and_mentions_are_paged_and_labelled(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASTO_TOKEN", "a-token")
    quote = p.masto_status("116226950000000000", None, template=1)
    quote["quote"] = {"state": "accepted", "quoted_status": p.masto_root(3)}
    mention = p.masto_status("116226960000000000", None, template=5)
    later_quote = p.masto_status("116226970000000000", None, template=2)
    later_quote["quote"] = {"state": "accepted", "quoted_status_id": p.MASTO_ROOT}
    next_page = f"{server.base_url}{API}{p.MASTO_ROOT}/quotes?limit=40&max_id=116226950000000000"
    server.route(API + p.MASTO_ROOT, Reply.json(p.masto_root(3)))
    server.route(API + p.MASTO_ROOT + "/context", Reply.json(p.masto_context()))
    server.route(API + p.MASTO_ROOT + "/quotes", Reply.json([quote], Link=f'<{next_page}>; rel="next"'))
    server.route(API + p.MASTO_ROOT + "/quotes", Reply.json([later_quote]), max_id="116226950000000000")
    server.route("/api/v1/notifications", Reply.json([{
        "id": "9001", "type": "mention", "created_at": mention["created_at"],
        "account": mention["account"], "status": mention}]))
    server.route("/api/v1/accounts", Reply.json([]))
    collect_round(conn, p.MASTO_URL, CollectOptions(
        base_url=options.base_url, policy=options.policy, mastodon_token_env="MASTO_TOKEN",
        mentions=True), clock=clock)  # type: ignore[arg-type]
    posts = stored(conn)
    assert posts["116226950000000000"]["kind"] == "quote"
    assert posts["116226970000000000"]["quote_of"] == p.MASTO_ROOT
    assert posts["116226960000000000"]["kind"] == "mention"
    via = dict(conn.execute("SELECT post_id, found_via FROM collect_seen").fetchall())
    assert via["116226960000000000"] == "mentions" and via["116226970000000000"] == "quotes"
    notif = next(r for r in server.requests if r.path == "/api/v1/notifications")
    assert notif.query["types[]"] == ["mention"]


def test_a_server_without_the_quotes_list_is_noted_not_fatal(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASTO_TOKEN", "a-token")
    server.route(API + p.MASTO_ROOT, Reply.json(p.masto_root(3)))
    server.route(API + p.MASTO_ROOT + "/context", Reply.json(p.masto_context()))
    server.route("/api/v1/accounts", Reply.json([]))
    result = collect_round(conn, p.MASTO_URL, CollectOptions(
        base_url=options.base_url, policy=options.policy, mastodon_token_env="MASTO_TOKEN"),
        clock=clock)  # type: ignore[arg-type]
    assert result.complete and len(result.new_posts) == 6
    assert any(n.startswith("quotes not collected") and "HTTP 404" in n for n in result.notes)


def test_a_walk_that_gave_nothing_is_not_repeated_next_round(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object
) -> None:
    context, _, _ = capped_thread()
    server.route(API + p.MASTO_ROOT, Reply.json(p.masto_root(60)))
    server.route(API + p.MASTO_ROOT + "/context", Reply.json(context))
    server.route(API + R + "/context", Reply.json({"ancestors": [], "descendants": []}))

    def walks_of_r() -> int:
        return sum(1 for r in server.requests if r.path == API + R + "/context")

    first = collect_round(conn, p.MASTO_URL, options, clock=clock)  # type: ignore[arg-type]
    assert walks_of_r() == 1
    second = collect_round(conn, p.MASTO_URL, options, clock=clock)  # type: ignore[arg-type]
    assert walks_of_r() == 1 and second.complete
    # Still honest about what is missing.
    assert [n for n in first.notes if "could not be reached" in n] == \
           [n for n in second.notes if "could not be reached" in n]
