"""Bluesky adapter on the real-format getPostThread, getQuotes and getProfiles bodies."""

from __future__ import annotations

import json
from pathlib import Path

from pileon.ingest.bluesky import web_url

from .conftest import IngestFn
from .rows import account, count, post

ROOT = "at://did:plc:3qcahf3obfm3dacetfblea2k/app.bsky.feed.post/3mgyy7clrxsva"
KIRILL_REPLY = "at://did:plc:cvu56hwf4v44hgjbq2gckx64/app.bsky.feed.post/3mgyz3pne6km4"
AYSEL_REPLY = "at://did:plc:tsvnnwu7xtemojtamjfqywrd/app.bsky.feed.post/3mgz2fj4kfkxe"
BLOCKED = "at://did:plc:niyxtcwntu6ooev7sfrw764e/app.bsky.feed.post/3mgyzisujdkr6"


def test_thread_replies_at_every_depth(ingest: IngestFn, formats: Path) -> None:
    conn = ingest(formats / "bluesky_getPostThread.json")
    assert count(conn, "posts") == 7  # root, 5 replies over 3 levels, 1 blocked placeholder
    root = post(conn, "bluesky", ROOT)
    assert root["kind"] == "root"
    assert root["root_id"] == ROOT
    kirill = post(conn, "bluesky", KIRILL_REPLY)
    assert kirill["text"] == "И сколько тебе заплатили за этот пост?"
    assert kirill["reply_to"] == ROOT
    assert kirill["lang_reported"] == "ru"
    assert kirill["url"] == "https://bsky.app/profile/kirill.example.org/post/3mgyz3pne6km4"
    aysel = post(conn, "bluesky", AYSEL_REPLY)
    assert aysel["reply_to"] == KIRILL_REPLY
    assert aysel["root_id"] == ROOT
    assert aysel["lang_reported"] == "az"
    deepest = post(conn, "bluesky", "at://did:plc:cvu56hwf4v44hgjbq2gckx64/app.bsky.feed.post/3mgz32mwnkktn")
    assert deepest["text"] == "Ну-ну. Посмотрим, кто за этим стоит."
    assert deepest["reply_to"] == AYSEL_REPLY


def test_blocked_reply_is_a_placeholder_without_text(ingest: IngestFn, formats: Path) -> None:
    conn = ingest(formats / "bluesky_getPostThread.json")
    blocked = post(conn, "bluesky", BLOCKED)
    assert blocked["placeholder"] == "blocked"
    assert blocked["text"] == ""
    assert blocked["author_id"] == "did:plc:niyxtcwntu6ooev7sfrw764e"
    assert blocked["reply_to"] == ROOT
    assert blocked["deleted_at_source"] is None  # blocked is not deleted


def test_deleted_parent_is_a_not_found_placeholder(ingest: IngestFn, formats: Path) -> None:
    conn = ingest(formats / "bluesky_getPostThread_deleted_parent.json")
    gone_uri = "at://did:plc:wl7ugrbvqu5dgyc3tsijnmyh/app.bsky.feed.post/3mgz3p7mmoccs"
    gone = post(conn, "bluesky", gone_uri)
    assert gone["placeholder"] == "not_found"
    assert gone["author_id"] == "did:plc:wl7ugrbvqu5dgyc3tsijnmyh"
    assert gone["root_id"] == ROOT
    orphan = post(conn, "bluesky", "at://did:plc:tsvnnwu7xtemojtamjfqywrd/app.bsky.feed.post/3mgz3roaw5skm")
    assert orphan["text"] == "Bunu yazmağa utanmırsan? Onun anası haqqında belə danışmaq olmaz."
    assert orphan["reply_to"] == gone_uri


def test_quotes_link_to_the_quoted_post(ingest: IngestFn, formats: Path) -> None:
    conn = ingest(formats / "bluesky_getQuotes.json")
    quotes = conn.execute("SELECT id, kind, quote_of FROM posts WHERE id <> ? ORDER BY id",
                          (ROOT,)).fetchall()
    assert len(quotes) == 3
    assert {(q["kind"], q["quote_of"]) for q in quotes} == {("quote", ROOT)}
    # the quoted post itself arrives inside each quote's embed (record#viewRecord): stored too
    quoted = post(conn, "bluesky", ROOT)
    assert quoted["kind"] == "root" and quoted["text"]
    # recordWithMedia nests the quoted record one level deeper
    mira = post(conn, "bluesky", "at://did:plc:mrm4z7wqnadd7aoz32t3eje6/app.bsky.feed.post/3mgz5lbkedkfg")
    assert mira["quote_of"] == ROOT
    # an invalid handle is replaced by the DID in the web link
    q = post(conn, "bluesky", "at://did:plc:ejp43slxoncs4pfrg6wzxiv4/app.bsky.feed.post/3mgz45trv2stc")
    assert q["text"] == "Очередная сказка для грантоедов 🤡"
    assert q["url"] == "https://bsky.app/profile/did:plc:ejp43slxoncs4pfrg6wzxiv4/post/3mgz45trv2stc"
    assert account(conn, "bluesky", "did:plc:ejp43slxoncs4pfrg6wzxiv4")["handle"] == "handle.invalid"


def test_profiles_give_account_signals(ingest: IngestFn, formats: Path) -> None:
    conn = ingest(formats / "bluesky_getProfiles.json")
    assert count(conn, "posts") == 0
    kirill = account(conn, "bluesky", "did:plc:cvu56hwf4v44hgjbq2gckx64")
    assert kirill["handle"] == "kirill.example.org"
    assert kirill["has_avatar"] == 0
    assert kirill["followers_count"] == 2
    assert kirill["posts_count"] == 41
    assert kirill["created_at"] == "2026-03-12T21:03:55.201Z"
    anna = account(conn, "bluesky", "did:plc:sczhscwcgeqmwffgvl5j3sdj")
    assert anna["has_avatar"] == 1
    assert anna["following_count"] == 602


def test_profiles_fill_in_what_the_thread_did_not_say(ingest: IngestFn, formats: Path) -> None:
    conn = ingest(formats / "bluesky_getPostThread.json")
    assert account(conn, "bluesky", "did:plc:cvu56hwf4v44hgjbq2gckx64")["followers_count"] is None
    ingest(formats / "bluesky_getProfiles.json")
    kirill = account(conn, "bluesky", "did:plc:cvu56hwf4v44hgjbq2gckx64")
    assert kirill["followers_count"] == 2
    assert kirill["display_name"] == "Кирилл"


def test_paged_quotes_as_json_lines(ingest: IngestFn, formats: Path, tmp_path: Path) -> None:
    page = json.loads((formats / "bluesky_getQuotes.json").read_text("utf-8"))
    first = {"posts": page["posts"][:2], "cursor": "1773480000000::bafyrei", "uri": page["uri"]}
    second = {"posts": page["posts"][2:], "uri": page["uri"]}
    path = tmp_path / "quotes.jsonl"
    path.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in (first, second)), "utf-8")
    conn = ingest(path)
    assert count(conn, "raw_payloads") == 2
    assert count(conn, "posts") == 4  # three quotes and the quoted post from their embeds


def test_web_url_of_an_at_uri() -> None:
    assert web_url(ROOT, "nargiz.example.com") == (
        "https://bsky.app/profile/nargiz.example.com/post/3mgyy7clrxsva"
    )
    assert web_url("at://did:plc:x/app.bsky.feed.like/abc", "a.b") is None
