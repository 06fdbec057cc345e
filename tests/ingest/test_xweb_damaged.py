"""Damaged X web captures (issue 14; found by tests/fuzz/test_fuzz_real_payloads.py): each case is
one real twscrape TweetDetail result with one field changed the way the fuzz changed it. Every
case ingests without a traceback, keeps the other items, and counts what it could not read."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from pileon.errors import RecordError
from pileon.ingest import har as har_module
from pileon.ingest import zeeschuimer as zeeschuimer_module
from pileon.ingest.pages import PageRecords, as_int
from pileon.ingest.xweb import parse_tweet_result, parse_user, parse_web_answer

from .conftest import IngestFn
from .rows import count, post
from .test_xweb import DETAIL_2026, _har_entry, _tweet_results, _write_har

REPLY = "1649263296434806785"  # a reply in the 2026 TweetDetail fixture, with a views count


def _results() -> list[dict[str, Any]]:
    return _tweet_results(json.loads(DETAIL_2026.read_text()))


def _reply() -> dict[str, Any]:
    return copy.deepcopy(next(r for r in _results() if r["rest_id"] == REPLY))


def _zeeschuimer(path: Path, results: list[Any]) -> Path:
    lines = [json.dumps({"item_id": str(i), "timestamp_collected": 1783591200123 + i,
                         "source_platform": "twitter.com", "data": r}) for i, r in enumerate(results)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("value", ["9" * 5000, "9" * 20, "9223372036854775808", " ", "١٢٣", True])
def test_as_int_refuses_what_is_not_a_64_bit_count(value: Any) -> None:
    assert as_int(value) is None  # before: "9" * 5000 raised ValueError (the 4,300-digit limit)


@pytest.mark.parametrize(("value", "expected"), [("12", 12), (" 7 ", 7), (2**63 - 1, 2**63 - 1),
                                                  ("9223372036854775807", 2**63 - 1), (0, 0)])
def test_as_int_keeps_real_counts(value: Any, expected: int) -> None:
    assert as_int(value) == expected


def test_a_5000_digit_views_count_is_dropped_not_a_crash(ingest: IngestFn, tmp_path: Path) -> None:
    reply = _reply()
    reply["views"]["count"] = "9" * 5000
    conn = ingest(_zeeschuimer(tmp_path / "zs.ndjson", [reply]))
    stored = post(conn, "x", REPLY)
    assert stored["text"] == reply["legacy"]["full_text"] and count(conn, "rejects") == 0
    assert "impression_count" not in json.loads(stored["metrics_json"] or "{}")


@pytest.mark.parametrize("bad", [0, True, 1.5, "x", ["a"]])
@pytest.mark.parametrize("field", ["core", "views", "note_tweet", "quoted_status_result",
                                   "tombstone"])
def test_a_result_field_of_another_type_counts_as_absent(field: str, bad: Any) -> None:
    reply = _reply()
    reply[field] = bad
    found = PageRecords("f", "line 1")
    assert parse_tweet_result(reply, found, "tweet") == REPLY  # before: AttributeError
    assert found.posts[REPLY].text == reply["legacy"]["full_text"]


@pytest.mark.parametrize("bad", [0, False, [], "x"])
@pytest.mark.parametrize("field", ["avatar", "relationship_counts", "tweet_counts", "profile_bio",
                                   "legacy", "core"])
def test_a_user_field_of_another_type_counts_as_absent(field: str, bad: Any) -> None:
    user = _reply()["core"]["user_results"]["result"]
    user[field] = bad
    account = parse_user(user)  # before: AttributeError on int/bool
    assert account is not None and account.id == user["rest_id"]


def test_a_garbled_author_is_kept_aside_and_the_post_still_read() -> None:
    reply = _reply()
    reply["core"]["user_results"]["result"]["core"]["created_at"] = "not a date"
    found = PageRecords("f", "line 1")
    parse_tweet_result(reply, found, "tweet")
    assert REPLY in found.posts and found.posts[REPLY].author_id is not None
    assert [r.locator for r in found.rejected] == ["line 1, tweet.core.user_results"]


@pytest.mark.parametrize("typename", [["Tweet"], {"k": "Tweet"}])
def test_an_unhashable_typename_is_not_a_crash(typename: Any) -> None:
    reply = _reply()
    reply["__typename"] = typename
    found = PageRecords("f", "line 1")
    parse_web_answer(reply, found)  # before: TypeError, unhashable list
    assert REPLY in found.posts


def test_a_result_of_another_type_is_refused_by_name() -> None:
    with pytest.raises(RecordError):
        parse_web_answer(["not", "an", "answer"], PageRecords("f", "line 1"))


def test_zeeschuimer_damaged_items_are_counted_rejects_and_the_rest_stored(
        ingest: IngestFn, tmp_path: Path) -> None:
    results = _results()
    bad = _reply()
    bad["views"]["count"] = "9" * 5000
    bad["core"] = True
    bad["__typename"] = ["Tweet"]
    broken = {"__typename": "Tweet", "legacy": {"full_text": 5}, "rest_id": "1"}  # no text
    path = _zeeschuimer(tmp_path / "zs.ndjson", [*results[:2], bad, broken, *results[2:]])
    conn = ingest(path)
    stored = {r[0] for r in conn.execute("SELECT id FROM posts")}
    assert {r["rest_id"] for r in results} <= stored
    rejects = conn.execute("SELECT source, locator, reason FROM rejects").fetchall()
    assert [(s, loc) for s, loc, _ in rejects] == [(str(path), "line 4")]


@pytest.mark.parametrize("error", [TypeError, AttributeError, ValueError, KeyError, RecursionError])
def test_any_failure_of_one_zeeschuimer_item_is_a_reject_with_its_line(
        ingest: IngestFn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        error: type[Exception]) -> None:
    results = _results()
    real = zeeschuimer_module.parse_web_answer

    def failing(item: Any, found: PageRecords) -> None:
        if item.get("rest_id") == REPLY:
            raise error("an adapter bug")
        real(item, found)

    monkeypatch.setattr(zeeschuimer_module, "parse_web_answer", failing)
    path = _zeeschuimer(tmp_path / "zs.ndjson", results)
    conn = ingest(path)
    line = next(i for i, r in enumerate(results, start=1) if r["rest_id"] == REPLY)
    rejects = conn.execute("SELECT locator FROM rejects").fetchall()
    assert [r[0] for r in rejects] == [f"line {line}"]
    stored = {r[0] for r in conn.execute("SELECT id FROM posts")}
    assert {r["rest_id"] for r in results if r["rest_id"] != REPLY} <= stored


@pytest.mark.parametrize("error", [TypeError, AttributeError, ValueError, RecursionError])
def test_any_failure_of_one_har_answer_is_a_reject_with_its_entry(
        ingest: IngestFn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        error: type[Exception]) -> None:
    real = har_module.parse_web_answer
    calls = []

    def failing(answer: Any, found: PageRecords) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise error("an adapter bug")
        real(answer, found)

    monkeypatch.setattr(har_module, "parse_web_answer", failing)
    body = DETAIL_2026.read_bytes()
    url = "https://x.com/i/api/graphql/abc/TweetDetail?variables=%7B%7D"
    har = _write_har(tmp_path / "x.har", [
        _har_entry(url, body, started="2026-07-09T10:00:01.000Z"),
        _har_entry(url.replace("abc", "def"), body, started="2026-07-09T10:00:02.000Z"),
        {"request": {"url": "http://[::1"}, "response": {"content": ["a list"]}},  # not a URL
        {"request": {"url": url}, "response": {"status": 200, "content": 7}},  # no body
    ])
    conn = ingest(har)
    rejects = [r[0] for r in conn.execute("SELECT locator FROM rejects")]
    assert rejects == [f"entry 2: HTTP 200 {url.replace('abc', 'def')}"]
    assert post(conn, "x", REPLY)["text"]
