"""Bluesky live collection against a loopback AppView replaying real-format responses."""

from __future__ import annotations

import copy
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from pileon.collect.run import CollectOptions, collect_round
from pileon.errors import CollectError

from . import payloads as p
from .server import ReplayServer, Reply

XRPC = "/xrpc/"


def serve_bluesky(server: ReplayServer, thread: dict | None = None) -> None:
    cut, subtree = p.bsky_thread_cut()
    first, second = p.bsky_quotes_pages()
    server.route(XRPC + "com.atproto.identity.resolveHandle", Reply.json({"did": p.BSKY_DID}))
    server.route(XRPC + "app.bsky.feed.getPostThread", Reply.json(thread or cut), uri=p.BSKY_ROOT)
    server.route(XRPC + "app.bsky.feed.getPostThread", Reply.json(subtree), uri=p.KIRILL_POST)
    server.route(XRPC + "app.bsky.feed.getQuotes", Reply.json(first), uri=p.BSKY_ROOT)
    server.route(XRPC + "app.bsky.feed.getQuotes", Reply.json(second), uri=p.BSKY_ROOT,
                 cursor=first["cursor"])
    server.route(XRPC + "app.bsky.actor.getProfiles", Reply.json(p.bsky_profiles()))


def posts(conn: sqlite3.Connection) -> dict[str, sqlite3.Row]:
    return {r["id"]: r for r in conn.execute("SELECT * FROM posts WHERE platform='bluesky'")}


def test_whole_tree_cut_subtree_refetched_and_quotes_paged(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object
) -> None:
    serve_bluesky(server)
    result = collect_round(conn, p.BSKY_URL, options, clock=clock)  # type: ignore[arg-type]
    stored = posts(conn)
    # The reply under kirill's post was only reachable by asking for kirill's subtree.
    deep = "at://did:plc:tsvnnwu7xtemojtamjfqywrd/app.bsky.feed.post/3mgz2fj4kfkxe"
    assert deep in stored and stored[deep]["reply_to"] == p.KIRILL_POST
    assert stored[deep]["text"].startswith("@kirill")
    thread_asks = [r for r in server.requests if r.path.endswith("getPostThread")]
    assert [r.query["uri"] for r in thread_asks] == [[p.BSKY_ROOT], [p.KIRILL_POST]]
    assert thread_asks[0].query["depth"] == ["1000"]
    # Both quote pages, the second one asked with the first page's cursor.
    assert "at://did:plc:snompj3obbb3du4ndtvv25mt/app.bsky.feed.post/3mh2b2222222a" in stored
    quote_asks = [r for r in server.requests if r.path.endswith("getQuotes")]
    assert quote_asks[1].query["cursor"] == [p.bsky_quotes_pages()[0]["cursor"]]
    # The blocked reply is a placeholder, the root is the root.
    assert stored[p.BSKY_ROOT]["kind"] == "root"
    assert result.complete and result.platform == "bluesky" and result.root_id == p.BSKY_ROOT
    assert len(result.new_posts) == len(stored) - 2  # minus the root and the blocked placeholder


def test_every_response_archived_byte_for_byte_with_url_status_headers(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object
) -> None:
    serve_bluesky(server)
    collect_round(conn, p.BSKY_URL, options, clock=clock)  # type: ignore[arg-type]
    exchanges = conn.execute(
        "SELECT e.*, r.data, r.source FROM http_exchanges e"
        " JOIN raw_payloads r ON r.sha256 = e.raw_sha256 ORDER BY e.id").fetchall()
    assert len(exchanges) == len(server.requests)
    for row in exchanges:
        assert hashlib.sha256(row["data"]).hexdigest() == row["raw_sha256"]
        assert row["source"] == row["url"] and row["url"].startswith(server.base_url)
        headers = dict((k.lower(), v) for k, v in json.loads(row["headers_json"]))
        assert headers["content-type"].startswith("application/json")
        assert int(headers["content-length"]) == len(row["data"])
    # The bytes are the server's own bytes (indented JSON), not a re-serialisation.
    thread_row = next(r for r in exchanges if "getPostThread" in r["url"])
    assert thread_row["data"] == json.dumps(p.bsky_thread_cut()[0], ensure_ascii=False,
                                            indent=1).encode()
    ua = server.requests[0].headers["user-agent"]
    assert ua.startswith("pileon/")
    # Profiles were asked for (in one batch of at most 25) for authors known only in brief.
    profile_asks = [r for r in server.requests if r.path.endswith("getProfiles")]
    assert len(profile_asks) == 1 and 0 < len(profile_asks[0].query["actors"]) <= 25
    kirill = conn.execute("SELECT followers_count FROM accounts WHERE id=?",
                          ("did:plc:cvu56hwf4v44hgjbq2gckx64",)).fetchone()
    assert kirill["followers_count"] is not None
    custody = conn.execute("SELECT * FROM custody_log WHERE action='collect'").fetchall()
    assert len(custody) == 1
    assert set(json.loads(custody[0]["sha256s_json"])) == {r["raw_sha256"] for r in exchanges}


def test_not_found_reply_kept_as_deleted_placeholder(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object
) -> None:
    serve_bluesky(server, thread=p.bsky_thread_with_not_found())
    collect_round(conn, p.BSKY_URL, options, clock=clock)  # type: ignore[arg-type]
    gone = posts(conn)[p.GONE_REPLY]
    assert gone["placeholder"] == "not_found" and gone["deleted_at_source"] is not None
    assert gone["reply_to"] == p.BSKY_ROOT


def test_reply_deleted_between_two_rounds_is_kept_and_marked(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object
) -> None:
    serve_bluesky(server, thread=p.bsky_thread())
    first = collect_round(conn, p.BSKY_URL, options, clock=clock)  # type: ignore[arg-type]
    assert first.deleted == ()
    text_before = posts(conn)[p.MIRA_REPLY]["text"]
    # mira deletes her reply: it vanishes with its subtree; getPosts still has nargiz's answer.
    server.route(XRPC + "app.bsky.feed.getPostThread",
                 Reply.json(p.bsky_thread_without(p.MIRA_REPLY)), uri=p.BSKY_ROOT)
    server.route(XRPC + "app.bsky.feed.getPosts", Reply.json(p.bsky_posts(p.NARGIZ_UNDER_MIRA)))
    second = collect_round(conn, p.BSKY_URL, options, clock=clock)  # type: ignore[arg-type]
    assert second.deleted == (p.MIRA_REPLY,)
    stored = posts(conn)
    assert stored[p.MIRA_REPLY]["text"] == text_before  # kept, word for word
    assert stored[p.MIRA_REPLY]["deleted_at_source"] is not None
    assert stored[p.NARGIZ_UNDER_MIRA]["deleted_at_source"] is None
    check = [r for r in server.requests if r.path.endswith("getPosts")]
    assert sorted(check[0].query["uris"]) == sorted([p.MIRA_REPLY, p.NARGIZ_UNDER_MIRA])
    versions = conn.execute("SELECT COUNT(*) FROM post_versions WHERE post_id=?",
                            (p.MIRA_REPLY,)).fetchone()[0]
    assert versions == 2  # as first seen, and as deleted
    assert second.new_posts == ()


def test_unknown_handle_is_one_clear_error(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object
) -> None:
    server.route(XRPC + "com.atproto.identity.resolveHandle",
                 Reply.json({"error": "InvalidRequest", "message": "Unable to resolve handle"},
                            400))
    url = "https://bsky.app/profile/nobody.example.net/post/3mgyy7clrxsva"
    with pytest.raises(CollectError, match="unknown Bluesky handle 'nobody.example.net'"):
        collect_round(conn, url, options, clock=clock)  # type: ignore[arg-type]


def test_deleted_root_is_a_clear_error_when_never_collected(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object
) -> None:
    server.route(XRPC + "app.bsky.feed.getPostThread",
                 Reply.json({"error": "NotFound", "message": f"Post not found: {p.BSKY_ROOT}"},
                            400))
    url = f"https://bsky.app/profile/{p.BSKY_DID}/post/{p.BSKY_RKEY}"
    with pytest.raises(CollectError, match="no such post"):
        collect_round(conn, url, options, clock=clock)  # type: ignore[arg-type]


def test_unauthenticated_search_refusal_is_said_clearly(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object
) -> None:
    serve_bluesky(server)
    server.route(XRPC + "app.bsky.feed.searchPosts",
                 Reply.json({"error": "Forbidden", "message": "Forbidden"}, 403))
    said: list[str] = []
    result = collect_round(conn, p.BSKY_URL, CollectOptions(
        base_url=options.base_url, policy=options.policy, mentions=True),
        clock=clock, say=said.append)  # type: ignore[arg-type]
    assert result.complete
    assert any("refused search without a login (HTTP 403)" in n for n in result.notes)
    assert any("--bsky-app-password-env" in m for m in said)


def test_app_password_login_brings_mentions_and_keeps_secrets_out(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object,
    monkeypatch: pytest.MonkeyPatch, db_path: object
) -> None:
    password, jwt = "abcd-efgh-ijkl-mnop", "eyJ0eXAiOiJhdCtqd3QifQ.session.signature"
    monkeypatch.setenv("BSKY_APP_PASSWORD", password)
    serve_bluesky(server)
    mention = copy.deepcopy(p.load("bluesky_getQuotes.json")["posts"][2])
    mention["uri"] = mention["uri"].replace("3mgz3hou4q2bf", "3mh2c2222222a")
    del mention["record"]["embed"], mention["embed"]
    server.route(XRPC + "com.atproto.server.createSession",
                 Reply.json({"did": p.BSKY_DID, "handle": "nargiz.example.com",
                             "accessJwt": jwt, "refreshJwt": jwt + "-refresh"}))
    server.route(XRPC + "app.bsky.notification.listNotifications", Reply.json({"notifications": [{
        "uri": mention["uri"], "cid": mention["cid"], "author": mention["author"],
        "reason": "mention", "record": mention["record"], "isRead": False,
        "indexedAt": mention["indexedAt"], "labels": []}]}))
    server.route(XRPC + "app.bsky.feed.getPosts", Reply.json({"posts": [mention]}))
    server.route(XRPC + "app.bsky.feed.searchPosts", Reply.json({"posts": []}))
    result = collect_round(conn, p.BSKY_URL, CollectOptions(
        base_url=options.base_url, policy=options.policy,
        bsky_app_password_env="BSKY_APP_PASSWORD"), clock=clock)  # type: ignore[arg-type]
    assert result.complete
    login = next(r for r in server.requests if r.path.endswith("createSession"))
    assert json.loads(login.body) == {"identifier": p.BSKY_DID, "password": password}
    stored = posts(conn)[mention["uri"]]
    assert stored["kind"] == "mention"
    via = conn.execute("SELECT found_via FROM collect_seen WHERE post_id=?",
                       (mention["uri"],)).fetchone()[0]
    assert via == "notifications"
    by_path = {r.path: r for r in server.requests}
    assert by_path[XRPC + "app.bsky.notification.listNotifications"].headers[
        "authorization"] == f"Bearer {jwt}"
    assert "authorization" not in by_path[XRPC + "app.bsky.feed.getPostThread"].headers
    assert "authorization" in by_path[XRPC + "app.bsky.feed.searchPosts"].headers
    conn.execute("PRAGMA wal_checkpoint(FULL)")
    files = b"".join(f.read_bytes() for f in Path(str(db_path)).parent.glob("thread.db*"))
    assert password.encode() not in files and jwt.encode() not in files


def test_wrong_app_password_is_one_line_naming_the_variable(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BSKY_APP_PASSWORD", "wrong-pass-word-1234")
    serve_bluesky(server)
    server.route(XRPC + "com.atproto.server.createSession", Reply.json(
        {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}, 401))
    with pytest.raises(CollectError) as caught:
        collect_round(conn, p.BSKY_URL, CollectOptions(
            base_url=options.base_url, policy=options.policy,
            bsky_app_password_env="BSKY_APP_PASSWORD"), clock=clock)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "$BSKY_APP_PASSWORD" in message and "Invalid identifier or password" in message
    assert "wrong-pass-word-1234" not in message


def test_an_appview_without_search_is_a_note_not_a_failure(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object
) -> None:
    serve_bluesky(server)  # no searchPosts route: the server answers 404
    result = collect_round(conn, p.BSKY_URL, CollectOptions(
        base_url=options.base_url, policy=options.policy, mentions=True), clock=clock)  # type: ignore[arg-type]
    assert result.complete
    assert any("has no post search (HTTP 404)" in n for n in result.notes)


def test_quote_threads_bring_replies_under_quotes_and_quotes_of_quotes(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object
) -> None:
    serve_bluesky(server)
    first, second = p.bsky_quotes_pages()
    mira_quote, odd_quote, ramin_quote = (copy.deepcopy(v) for v in first["posts"])
    first["posts"][2]["quoteCount"] = 1  # ramin's quote was quoted in turn
    server.route(XRPC + "app.bsky.feed.getQuotes", Reply.json(first), uri=p.BSKY_ROOT)
    # Under mira's quote (replyCount 2 in the example): one reply shaped like the thread's.
    reply = copy.deepcopy(p.bsky_thread()["thread"]["replies"][1])
    reply["replies"] = []
    reply["post"]["uri"] = reply["post"]["uri"].replace("3mgyz3pne6km4", "3mh2d2222222a")
    reply["post"]["record"]["reply"] = {"root": {"uri": mira_quote["uri"], "cid": mira_quote["cid"]},
                                        "parent": {"uri": mira_quote["uri"], "cid": mira_quote["cid"]}}
    server.route(XRPC + "app.bsky.feed.getPostThread", Reply.json({"thread": {
        "$type": "app.bsky.feed.defs#threadViewPost", "post": mira_quote, "replies": [reply]}}),
        uri=mira_quote["uri"])
    server.route(XRPC + "app.bsky.feed.getPostThread", Reply.json({"thread": {
        "$type": "app.bsky.feed.defs#threadViewPost", "post": odd_quote, "replies": []}}),
        uri=odd_quote["uri"])
    requote = copy.deepcopy(odd_quote)
    requote["uri"] = requote["uri"].replace("3mgz45trv2stc", "3mh2e2222222a")
    requote["record"]["embed"]["record"] = {"uri": ramin_quote["uri"], "cid": ramin_quote["cid"]}
    server.route(XRPC + "app.bsky.feed.getQuotes", Reply.json({"posts": [requote]}),
                 uri=ramin_quote["uri"])
    collect_round(conn, p.BSKY_URL, CollectOptions(
        base_url=options.base_url, policy=options.policy, quote_threads=True), clock=clock)  # type: ignore[arg-type]
    stored = posts(conn)
    assert stored[reply["post"]["uri"]]["reply_to"] == mira_quote["uri"]
    assert stored[requote["uri"]]["quote_of"] == ramin_quote["uri"]
    via = dict(conn.execute("SELECT post_id, found_via FROM collect_seen").fetchall())
    assert via[reply["post"]["uri"]] == "quote-replies"
    assert via[requote["uri"]] == "quotes-of-quotes"


def test_a_cut_that_gave_nothing_is_not_asked_again_until_it_changes(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object
) -> None:
    def kirill(body: dict) -> dict:
        return next(r for r in body["thread"]["replies"]
                    if r.get("post", {}).get("uri") == p.KIRILL_POST)

    def thread_with_kirill_count(count: int) -> dict:
        body = p.bsky_thread()
        kirill(body)["post"]["replyCount"] = count  # one reply shown, the rest hidden (blocks)
        return body

    serve_bluesky(server, thread=thread_with_kirill_count(2))
    server.route(XRPC + "app.bsky.feed.getPostThread",
                 Reply.json({"thread": kirill(thread_with_kirill_count(2))}), uri=p.KIRILL_POST)

    def subtree_asks() -> int:
        return sum(1 for r in server.requests if r.query.get("uri") == [p.KIRILL_POST])

    collect_round(conn, p.BSKY_URL, options, clock=clock)  # type: ignore[arg-type]
    assert subtree_asks() == 1
    collect_round(conn, p.BSKY_URL, options, clock=clock)  # type: ignore[arg-type]
    assert subtree_asks() == 1  # same cut, same answer expected: not asked
    server.route(XRPC + "app.bsky.feed.getPostThread", Reply.json(thread_with_kirill_count(3)),
                 uri=p.BSKY_ROOT)
    collect_round(conn, p.BSKY_URL, options, clock=clock)  # type: ignore[arg-type]
    assert subtree_asks() == 2  # the count moved: worth asking again


def test_collecting_a_post_that_is_itself_a_reply_counts_only_what_is_below_it(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: object
) -> None:
    full = p.bsky_thread()["thread"]
    node = copy.deepcopy(p._node(full, p.KIRILL_POST))
    parent = {k: v for k, v in copy.deepcopy(full).items() if k != "replies"}
    answer = {"thread": {**node, "parent": parent}}  # what getPostThread gives for a reply
    did, rkey = p.KIRILL_POST[len("at://"):].split("/")[0], p.KIRILL_POST.rsplit("/", 1)[1]
    server.route(XRPC + "app.bsky.feed.getPostThread", Reply.json(answer), uri=p.KIRILL_POST)
    server.route(XRPC + "app.bsky.feed.getQuotes", Reply.json({"posts": [], "uri": p.KIRILL_POST}),
                 uri=p.KIRILL_POST)
    server.route(XRPC + "app.bsky.actor.getProfiles", Reply.json(p.bsky_profiles()))
    result = collect_round(conn, f"https://bsky.app/profile/{did}/post/{rkey}", options,
                           clock=clock)  # type: ignore[arg-type]
    stored = posts(conn)
    assert stored[p.KIRILL_POST]["kind"] == "reply" and p.BSKY_ROOT in stored  # both kept
    below = {"at://did:plc:tsvnnwu7xtemojtamjfqywrd/app.bsky.feed.post/3mgz2fj4kfkxe",
             "at://did:plc:cvu56hwf4v44hgjbq2gckx64/app.bsky.feed.post/3mgz32mwnkktn"}
    assert {pid for _, pid in result.new_posts} == below
    assert result.new_by_kind == {"reply": 2}
