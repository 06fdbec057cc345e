"""X API v2 adapter on the real-format conversation-search and quote-tweet pages."""

from __future__ import annotations

import json
from pathlib import Path

from pileon.ingest.x import has_custom_avatar
from pileon.records import sha256_hex

from .conftest import IngestFn
from .rows import account, count, post

ROOT = "2032759188149411755"
DELETED = "2032766679825524794"


def test_conversation_replies_keep_text_lang_and_parent(ingest: IngestFn, formats: Path) -> None:
    conn = ingest(formats / "x_v2_conversation_search.json")
    kirill = post(conn, "x", "2032763734600623268")
    assert kirill["text"] == "@sample_nargiz И сколько тебе заплатили за этот пост?"
    assert kirill["kind"] == "reply"
    assert kirill["reply_to"] == ROOT
    assert kirill["root_id"] == ROOT
    assert kirill["author_id"] == "2032179832714626753"
    assert kirill["created_at"] == "2026-03-14T10:20:15.000Z"
    assert kirill["url"] == "https://x.com/sample_kirill/status/2032763734600623268"
    # Azerbaijani text tagged "tr" by X stays "tr": our own language ID comes later.
    aysel = post(conn, "x", "2032781545229662642")
    assert aysel["lang_reported"] == "tr"
    assert aysel["reply_to"] == "2032763734600623268"
    assert json.loads(aysel["metrics_json"])["like_count"] == 140


def test_root_from_includes_uses_full_note_tweet_text(ingest: IngestFn, formats: Path) -> None:
    conn = ingest(formats / "x_v2_conversation_search.json")
    root = post(conn, "x", ROOT)
    assert root["kind"] == "root"
    assert root["text"].endswith("for my mother, who never talks about it. #memory")
    assert len(root["text"]) == 333  # the truncated `text` is 270 characters


def test_deleted_parent_in_errors_becomes_a_placeholder(ingest: IngestFn, formats: Path) -> None:
    conn = ingest(formats / "x_v2_conversation_search.json")
    gone = post(conn, "x", DELETED)
    assert gone["placeholder"] == "not_found"
    assert gone["text"] == ""
    assert gone["author_id"] == "2032581911470110682"  # from the orphan's in_reply_to_user_id
    assert gone["deleted_at_source"] is not None
    assert post(conn, "x", "2032770885666688002")["reply_to"] == DELETED


def test_tweets_repeated_in_data_and_includes_are_stored_once(
    ingest: IngestFn, formats: Path
) -> None:
    conn = ingest(formats / "x_v2_conversation_search.json")
    # 5 in data, the root from includes, the deleted placeholder (2 includes repeat data)
    assert count(conn, "posts") == 7
    assert count(conn, "accounts") == 6


def test_accounts_carry_age_followers_and_avatar(ingest: IngestFn, formats: Path) -> None:
    conn = ingest(formats / "x_v2_conversation_search.json")
    kirill = account(conn, "x", "2032179832714626753")
    assert kirill["handle"] == "sample_kirill"
    assert kirill["created_at"] == "2026-03-12T19:40:02.000Z"
    assert kirill["followers_count"] == 2
    assert kirill["posts_count"] == 41
    assert kirill["has_avatar"] == 0  # X's default_profile image
    assert account(conn, "x", "767738930341944826")["has_avatar"] == 1


def test_default_avatar_detection() -> None:
    default = "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"
    assert has_custom_avatar(default) is False
    assert has_custom_avatar("https://pbs.twimg.com/profile_images/1/a_normal.jpg") is True
    assert has_custom_avatar(None) is None


def test_quote_tweets_and_retweet_of_a_quote(ingest: IngestFn, formats: Path) -> None:
    conn = ingest(formats / "x_v2_quote_tweets.json")
    q = post(conn, "x", "2032772675388256342")
    assert q["kind"] == "quote"
    assert q["quote_of"] == ROOT
    assert q["text"] == "Очередная сказка для грантоедов. https://t.co/jyN8fw4LIh"
    rt = post(conn, "x", "2032774320941400771")
    assert rt["kind"] == "repost"
    assert rt["quote_of"] == "2032768724482246078"
    assert post(conn, "x", "2032768724482246078")["kind"] == "quote"
    assert account(conn, "x", "2032756499108142847")["has_avatar"] == 0


def test_html_entities_in_text_are_unescaped(ingest: IngestFn, formats: Path, tmp_path: Path) -> None:
    page = json.loads((formats / "x_v2_quote_tweets.json").read_text("utf-8"))
    page["data"][1]["text"] = "Очередная &lt;сказка&gt; &amp; ложь"
    path = tmp_path / "escaped.json"
    path.write_text(json.dumps(page, ensure_ascii=False), "utf-8")
    conn = ingest(path)
    assert post(conn, "x", "2032772675388256342")["text"] == "Очередная <сказка> & ложь"


def _pages(formats: Path) -> list[bytes]:
    return [
        json.dumps(json.loads((formats / name).read_text("utf-8")), ensure_ascii=False).encode()
        for name in ("x_v2_conversation_search.json", "x_v2_quote_tweets.json")
    ]


def test_jsonl_of_pages_keeps_each_page_byte_for_byte(
    ingest: IngestFn, formats: Path, tmp_path: Path
) -> None:
    pages = _pages(formats)
    path = tmp_path / "pages.jsonl"
    path.write_bytes(b"\n".join(pages) + b"\n")
    conn = ingest(path)
    stored = conn.execute("SELECT sha256, data, locator FROM raw_payloads ORDER BY locator").fetchall()
    assert [(r["data"], r["locator"]) for r in stored] == [(pages[0], "line 1"), (pages[1], "line 2")]
    assert stored[0]["sha256"] == sha256_hex(pages[0])
    assert count(conn, "posts") == 10  # 7 + 4, the root appears in both pages


def test_json_array_of_pages_is_read_page_by_page(
    ingest: IngestFn, formats: Path, tmp_path: Path
) -> None:
    pages = _pages(formats)
    path = tmp_path / "pages.json"
    path.write_bytes(b"[\n  " + b",\n  ".join(pages) + b"\n]\n")
    conn = ingest(path)
    data = [r[0] for r in conn.execute("SELECT data FROM raw_payloads ORDER BY locator")]
    assert data == pages
    assert post(conn, "x", DELETED)["placeholder"] == "not_found"
    assert post(conn, "x", "2032772675388256342")["quote_of"] == ROOT


def test_single_page_payload_is_the_file_itself(ingest: IngestFn, formats: Path) -> None:
    path = formats / "x_v2_quote_tweets.json"
    conn = ingest(path)
    (data,) = conn.execute("SELECT data FROM raw_payloads").fetchone()
    assert data == path.read_bytes().strip()
