"""Regression tests for the ingest bugs found with third-party payloads (issue 14), each on a
real-format file: the X v2 fixtures reshaped the way twarc2, GET /2/users and edits deliver them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from pileon.cli import main

from .conftest import IngestFn
from .rows import account, count, post

RETRIEVED = "2026-03-14T11:02:03.000Z"


def _page(formats: Path) -> dict[str, Any]:
    return json.loads((formats / "x_v2_conversation_search.json").read_text())


def _flatten(page: dict[str, Any]) -> list[dict[str, Any]]:
    """What `twarc2 flatten` writes: one tweet a line, its author and twarc's metadata embedded."""
    users = {u["id"]: u for u in page["includes"]["users"]}
    return [{**tweet, "author": users.get(tweet.get("author_id")),
             "__twarc": {"url": "https://api.twitter.com/2/tweets/search/recent?query=x",
                         "version": "2.14.0", "retrieved_at": RETRIEVED}}
            for tweet in page["data"]]


def test_twarc2_flatten_lines_are_x_posts_with_kinds_and_capture_time(
    ingest: IngestFn, tmp_path: Path, formats: Path
) -> None:
    page = _page(formats)
    path = tmp_path / "flat.jsonl"
    path.write_text("\n".join(json.dumps(t, ensure_ascii=False) for t in _flatten(page)) + "\n")
    conn = ingest(path)
    assert {r[0] for r in conn.execute("SELECT adapter FROM raw_payloads")} == {"x"}
    assert count(conn, "rejects") == 0
    for tweet in page["data"]:
        stored = post(conn, "x", tweet["id"])
        refs = {r["type"] for r in tweet.get("referenced_tweets", [])}
        assert stored["kind"] == ("reply" if "replied_to" in refs else stored["kind"])
        assert stored["author_id"] == tweet["author_id"]
    assert account(conn, "x", page["data"][0]["author_id"])["handle"]
    fetched = {r[0] for r in conn.execute("SELECT fetched_at FROM raw_payloads")}
    assert fetched == {RETRIEVED}


def test_users_page_gives_accounts_not_rejected_tweets(
    ingest: IngestFn, tmp_path: Path, formats: Path
) -> None:
    users = _page(formats)["includes"]["users"]
    path = tmp_path / "users.json"
    path.write_text(json.dumps({"data": users, "meta": {"result_count": len(users)}}))
    conn = ingest(path)
    assert count(conn, "accounts") == len(users) and count(conn, "rejects") == 0
    assert count(conn, "posts") == 0


def test_edited_post_is_one_post_with_two_versions(
    ingest: IngestFn, tmp_path: Path, formats: Path
) -> None:
    page = _page(formats)
    tweet = page["data"][0]
    first = {**tweet, "edit_history_tweet_ids": [tweet["id"]]}
    edited = {**tweet, "id": str(int(tweet["id"]) + 1000), "text": tweet["text"] + " (edited)",
              "edit_history_tweet_ids": [tweet["id"], str(int(tweet["id"]) + 1000)]}
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"data": [first], "includes": page["includes"]}))
    two = tmp_path / "two.json"
    two.write_text(json.dumps({"data": [edited], "includes": page["includes"]}))
    conn = ingest(one, two)
    assert conn.execute("SELECT COUNT(*) FROM posts WHERE id IN (?, ?)",
                        (tweet["id"], edited["id"])).fetchone()[0] == 1
    assert post(conn, "x", tweet["id"])["text"].endswith("(edited)")
    versions = conn.execute("SELECT COUNT(*) FROM post_versions WHERE post_id = ?",
                            (tweet["id"],)).fetchone()[0]
    assert versions == 2


def test_poorer_second_export_does_not_overwrite_kinds(
    ingest: IngestFn, tmp_path: Path, formats: Path
) -> None:
    conn = ingest(formats / "x_v2_conversation_search.json")
    before = dict(conn.execute("SELECT id, kind FROM posts").fetchall())
    before_sha = post(conn, "x", _page(formats)["data"][0]["id"])["raw_sha256"]
    assert set(before.values()) - {"reply"}, "the fixture has posts that are not replies"
    rows = [{"id": t["id"], "text": t["text"], "author": t["author_id"]}
            for t in _page(formats)["data"]] + [
        {"id": i, "text": "root again", "author": "1"} for i, k in before.items() if k == "root"]
    poorer = tmp_path / "export.jsonl"
    poorer.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    ingest(poorer, platform="x")
    assert count(conn, "rejects") == 0
    assert post(conn, "x", rows[0]["id"])["raw_sha256"] != before_sha  # the export did land
    after = dict(conn.execute("SELECT id, kind FROM posts").fetchall())
    assert after == before


def test_empty_mastodon_list_is_zero_posts_and_error_bodies_are_named(
    tmp_path: Path, db_path: Path
) -> None:
    empty = tmp_path / "statuses.json"
    empty.write_text("[]\n")
    result = CliRunner().invoke(main, ["ingest", str(db_path), str(empty)])
    assert result.exit_code == 0 and "0 posts" in result.output
    error = tmp_path / "context.json"
    error.write_text('{"error":"Record not found"}')
    result = CliRunner().invoke(main, ["ingest", str(db_path), str(error)])
    assert result.exit_code != 0
    assert "an error answer, not data: 'Record not found'" in result.output


def test_mastodon_quote_fallback_dropped_and_port_kept(
    ingest: IngestFn, tmp_path: Path, formats: Path
) -> None:
    context = json.loads((formats / "mastodon_context.json").read_text())
    status = context["descendants"][0]
    status["content"] = ('<p class="quote-inline">RE: <a href="https://social.example/@a/1">'
                         'https://social.example/@a/1</a></p><p>this is my answer</p>')
    status["spoiler_text"] = ""
    status["account"] = {**status["account"], "acct": "lena",
                         "url": "https://tiny.example:8443/@lena"}
    path = tmp_path / "context.json"
    path.write_text(json.dumps(context))
    conn = ingest(path)
    assert post(conn, "mastodon", status["id"])["text"] == "this is my answer"
    assert account(conn, "mastodon", status["account"]["id"])["handle"] == "lena@tiny.example:8443"
