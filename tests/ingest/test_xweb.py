"""X web captures: real GraphQL bodies (twscrape's test data, both X layouts) in HAR, Zeeschuimer,
4CAT, saved-answer, twitter-web-exporter and account-archive form."""

from __future__ import annotations

import base64
import copy
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pileon.cli import main
from pileon.errors import RecordError
from pileon.ingest import parallel
from pileon.ingest.pages import parse_time

from .conftest import IngestFn
from .rows import account, count, post

XWEB = Path(__file__).parent.parent / "fixtures" / "xweb"
DETAIL_2026 = XWEB / "twscrape_TweetDetail_2026.json"
DETAIL_2025 = XWEB / "twscrape_TweetDetail_2025.json"
USER_TWEETS = XWEB / "twscrape_UserTweets_2025.json"
SEARCH_2026 = XWEB / "twscrape_SearchTimeline_2026.json"
ROOT_2025 = "1649191520250245121"
SECRETS = ("auth_token=SECRETCOOKIE1", "Bearer SECRETBEARER2", "SECRETCSRF3", "ct0=SECRETCT04")


def _tweet_results(answer: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            inner = value.get("tweet_results")
            if isinstance(inner, dict) and isinstance(inner.get("result"), dict):
                found.append(inner["result"])
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(answer)
    return found


def _har_entry(url: str, body: bytes, *, started: str, base64_body: bool = False) -> dict[str, Any]:
    text = base64.b64encode(body).decode() if base64_body else body.decode("utf-8")
    headers = [
        {"name": "cookie", "value": SECRETS[0] + "; " + SECRETS[3]},
        {"name": "authorization", "value": SECRETS[1]},
        {"name": "x-csrf-token", "value": SECRETS[2]},
    ]
    return {
        "startedDateTime": started,
        "time": 120.5,
        "request": {"method": "GET", "url": url, "httpVersion": "HTTP/2", "headers": headers,
                    "cookies": [{"name": "auth_token", "value": SECRETS[0]}],
                    "queryString": [], "headersSize": -1, "bodySize": 0},
        "response": {"status": 200, "statusText": "", "httpVersion": "HTTP/2",
                     "headers": [{"name": "set-cookie", "value": SECRETS[3]}], "cookies": [],
                     "content": {"size": len(body), "mimeType": "application/json", "text": text,
                                 **({"encoding": "base64"} if base64_body else {})},
                     "redirectURL": "", "headersSize": -1, "bodySize": len(body)},
        "cache": {}, "timings": {"send": 0, "wait": 100, "receive": 20},
    }


def _write_har(path: Path, entries: list[dict[str, Any]]) -> Path:
    har = {"log": {"version": "1.2", "creator": {"name": "Firefox", "version": "128.0"},
                   "pages": [], "entries": entries}}
    path.write_text(json.dumps(har), encoding="utf-8")
    return path


def _x_har(tmp_path: Path) -> Path:
    detail = DETAIL_2026.read_bytes()
    search = SEARCH_2026.read_bytes()
    return _write_har(tmp_path / "x.com.har", [
        _har_entry("https://x.com/home", b"<html>not an answer</html>", started="2026-07-09T10:00:00.000Z"),
        _har_entry("https://x.com/i/api/graphql/abc123/TweetDetail?variables=%7B%7D", detail,
                   started="2026-07-09T10:00:01.250+02:00"),
        _har_entry("https://x.com/i/api/graphql/def456/SearchTimeline?variables=%7B%7D", search,
                   started="2026-07-09T10:00:02.000Z", base64_body=True),
        _har_entry("https://abs.twimg.com/responsive-web/client-web/main.js", b"var x=1;",
                   started="2026-07-09T10:00:03.000Z"),
    ])


def test_tweet_detail_2026_layout_replies_and_account_fields(ingest: IngestFn) -> None:
    conn = ingest(DETAIL_2026)
    root = post(conn, "x", "1649191520250245121")
    assert root["kind"] == "root" and root["author_id"] == "2244994945"
    assert root["url"] == "https://x.com/XDevelopers/status/1649191520250245121"
    assert root["created_at"] == "2023-04-20T23:21:13.000Z"  # from "Thu Apr 20 23:21:13 +0000 2023"
    reply = post(conn, "x", "1649263296434806785")
    assert reply["kind"] == "reply" and reply["reply_to"] == ROOT_2025
    assert reply["root_id"] == ROOT_2025 and reply["author_id"] == "108209516"
    chain = post(conn, "x", "1649191522485817345")  # the author's own thread continues
    assert chain["reply_to"] == "1649191521323995138"
    dev = account(conn, "x", "2244994945")  # user fields only under core/relationship_counts/...
    assert dev["handle"] == "XDevelopers" and dev["display_name"] == "Developers"
    assert dev["followers_count"] == 695696 and dev["posts_count"] == 4319
    assert dev["created_at"] == "2013-12-14T04:35:55.000Z" and dev["has_avatar"] == 1
    assert json.loads(reply["metrics_json"])["impression_count"] > 0


def test_tweet_detail_2025_legacy_layout_and_note_tweet(ingest: IngestFn) -> None:
    conn = ingest(DETAIL_2025)
    answer = json.loads(DETAIL_2025.read_text())
    noted = [r for r in _tweet_results(answer) if r.get("note_tweet")]
    assert noted, "the 2025 fixture holds one long post"
    long_text = noted[0]["note_tweet"]["note_tweet_results"]["result"]["text"]
    stored = post(conn, "x", noted[0]["rest_id"])
    assert stored["text"] == long_text and len(long_text) > len(noted[0]["legacy"]["full_text"]) - 30
    users = {r["core"]["user_results"]["result"]["rest_id"] for r in _tweet_results(answer)}
    assert {row[0] for row in conn.execute("SELECT id FROM accounts")} == users


def test_quotes_and_reposts_inside_results_are_posts(ingest: IngestFn) -> None:
    conn = ingest(USER_TWEETS)
    quote = post(conn, "x", "1897348926325596236")
    assert quote["kind"] == "quote" and quote["quote_of"] == "1896984310282088640"
    quoted = post(conn, "x", "1896984310282088640")  # only ever seen inside the quote
    assert quoted["author_id"] == "2244994945" and quoted["text"].startswith("Join us tomorrow")
    repost = post(conn, "x", "1897349232258130236")
    assert repost["kind"] == "repost" and repost["quote_of"] == "1897348926325596236"


def test_har_keeps_each_x_body_with_url_status_and_time_and_no_headers(
    ingest: IngestFn, tmp_path: Path, db_path: Path
) -> None:
    har = _x_har(tmp_path)
    conn = ingest(har)
    rows = conn.execute(
        "SELECT locator, fetched_at, data, adapter FROM raw_payloads ORDER BY locator").fetchall()
    assert [r["adapter"] for r in rows] == ["har", "har"]
    assert rows[0]["locator"].startswith("entry 2: HTTP 200 https://x.com/i/api/graphql/abc123/TweetDetail")
    assert rows[0]["fetched_at"].startswith("2026-07-09T08:00:01.25")  # +02:00 in the HAR
    assert rows[0]["data"] == DETAIL_2026.read_bytes()
    assert rows[1]["data"] == SEARCH_2026.read_bytes()  # base64 in the HAR, exact bytes stored
    assert post(conn, "x", "1649263296434806785")["reply_to"] == ROOT_2025
    conn.commit()
    blob = db_path.read_bytes()
    for wal in db_path.parent.glob(db_path.name + "-wal"):
        blob += wal.read_bytes()
    for secret in SECRETS:
        assert secret.split("=")[-1].split()[-1].encode() not in blob


def test_har_cli_says_headers_are_not_stored_and_report_has_no_secret(
    tmp_path: Path, db_path: Path
) -> None:
    har = _x_har(tmp_path)
    result = CliRunner().invoke(main, ["ingest", str(db_path), str(har)])
    assert result.exit_code == 0, result.output
    assert "cookies, authorization, x-csrf-token" in result.output
    out = tmp_path / "pack"
    report = CliRunner().invoke(main, ["report", str(db_path), "--out", str(out)])
    texts = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file()) if out.exists() else b""
    assert report.exit_code == 0 or texts == b"", report.output
    for secret in SECRETS:
        assert secret.split("=")[-1].split()[-1].encode() not in texts


@pytest.fixture(params=[False, True], ids=["one-process", "second-process"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Both ways to read a file: here, and (any size) in a forked second process."""
    if request.param:
        if not parallel.can_fork():
            pytest.skip("no fork here")
        monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    return bool(request.param)


@pytest.mark.parametrize("case", ["other_site", "no_x_answers", "truncated", "graphql_error"])
def test_bad_har_is_one_error_line_and_stores_nothing(
    case: str, tmp_path: Path, db_path: Path, reader: bool
) -> None:
    if case == "other_site":
        har = _write_har(tmp_path / "a.har", [
            _har_entry("https://example.org/api/items", b'{"items": []}', started="2026-07-09T10:00:00Z")])
    elif case == "no_x_answers":
        har = _write_har(tmp_path / "a.har", [
            _har_entry("https://x.com/home", b"<html></html>", started="2026-07-09T10:00:00Z")])
    elif case == "truncated":
        full = _x_har(tmp_path).read_bytes()
        har = tmp_path / "a.har"
        har.write_bytes(full[: len(full) // 2])
    else:
        body = b'{"errors":[{"message":"Authorization: Denied by access control","code":37}]}'
        har = _write_har(tmp_path / "a.har", [
            _har_entry("https://x.com/i/api/graphql/abc/TweetDetail", body, started="2026-07-09T10:00:00Z")])
    result = CliRunner().invoke(main, ["ingest", str(db_path), str(har)])
    assert result.exit_code != 0
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert errors and str(har) in errors[0] and "Traceback" not in result.output
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM raw_payloads").fetchone()[0] == 0


def _zeeschuimer_lines(tmp_path: Path, *, four_cat: bool = False) -> Path:
    results = _tweet_results(json.loads(DETAIL_2026.read_text()))
    lines = []
    for i, result in enumerate(results):
        collected = 1783591200123 + i  # milliseconds, as Zeeschuimer writes it
        if four_cat:
            item = {**result, "__import_meta": {"timestamp_collected": collected,
                                                "source_platform": "x.com", "id": i}}
        else:
            item = {"nav_index": f"1:1:{i}", "item_id": result["rest_id"],
                    "timestamp_collected": collected, "source_platform": "twitter.com",
                    "source_platform_url": "https://x.com/XDevelopers/status/1649191520250245121",
                    "source_url": "https://x.com/i/api/graphql/x/TweetDetail",
                    "user_agent": "Mozilla/5.0", "data": result}
        text = json.dumps(item, ensure_ascii=False)
        # Zeeschuimer's own `id` is a JSON number; past 2^53 it cannot hold a tweet id.
        text = text[:-1] + f', "id": {result["rest_id"]}0' + "}"
        lines.append(text)
    path = tmp_path / ("zs-4cat.ndjson" if four_cat else "zeeschuimer-twitter.ndjson")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("four_cat", [False, True])
def test_zeeschuimer_items_keyed_by_rest_id_with_capture_time(
    ingest: IngestFn, tmp_path: Path, four_cat: bool
) -> None:
    path = _zeeschuimer_lines(tmp_path, four_cat=four_cat)
    conn = ingest(path)
    assert conn.execute("SELECT DISTINCT adapter FROM raw_payloads").fetchall()[0][0] == "zeeschuimer"
    assert count(conn, "rejects") == 0
    assert post(conn, "x", "1649263296434806785")["reply_to"] == ROOT_2025
    ids = {row[0] for row in conn.execute("SELECT id FROM posts")}
    assert all(i.isdigit() and not i.endswith("0" * 3) for i in ids if i != ROOT_2025)
    first = conn.execute("SELECT MIN(fetched_at) FROM raw_payloads").fetchone()[0]
    assert first.startswith("2026-07-09T10:00:00.123")


@pytest.mark.parametrize(("platform", "item"), [
    ("tiktok.com", {"desc": "hi", "id": "7301"}),
    ("instagram.com", {"code": "C1x", "caption": {"text": "hi"}, "pk": "3301"}),
])
def test_zeeschuimer_capture_of_another_platform_is_refused(
        platform: str, item: dict[str, Any], tmp_path: Path, db_path: Path, reader: bool) -> None:
    CliRunner().invoke(main, ["ingest", str(db_path), str(_x_har(tmp_path))])  # stored before
    conn = sqlite3.connect(db_path)
    before = [conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("posts", "raw_payloads", "rejects")]
    path = tmp_path / f"zeeschuimer-{platform}.ndjson"
    path.write_text(json.dumps({"item_id": "7301", "timestamp_collected": 1700000000000,
                                "source_platform": platform, "data": item}) + "\n")
    result = CliRunner().invoke(main, ["ingest", str(db_path), str(path)])
    assert result.exit_code != 0 and f"{platform}, not of X" in result.output
    assert "Traceback" not in result.output and before[0] > 0
    assert before == [conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                      for t in ("posts", "raw_payloads", "rejects")]


def test_har_answers_before_the_first_with_posts_are_kept_too(
        ingest: IngestFn, tmp_path: Path) -> None:
    error = b'{"errors":[{"message":"Rate limit exceeded","code":88}]}'
    har = _write_har(tmp_path / "x.com.har", [
        _har_entry("https://x.com/i/api/graphql/q/TweetDetail", error, started="2026-07-09T10:00:00Z"),
        _har_entry("https://x.com/i/api/graphql/q/TweetDetail", DETAIL_2026.read_bytes(),
                   started="2026-07-09T10:00:05Z"),
    ])
    conn = ingest(har)
    [(locator, reason)] = conn.execute("SELECT locator, reason FROM rejects").fetchall()
    assert locator.startswith("entry 1: HTTP 200") and "Rate limit exceeded" in reason
    assert conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] > 0


def test_visibility_results_tombstones_and_default_avatar(ingest: IngestFn, tmp_path: Path) -> None:
    answer = json.loads(DETAIL_2026.read_text())
    entries = answer["data"]["threaded_conversation_with_injections_v2"]["instructions"][1]["entries"]
    result = _tweet_results(entries[0])[0]
    wrapped = copy.deepcopy(result)
    wrapped["rest_id"] = "1900000000000000001"
    wrapped["core"]["user_results"]["result"]["rest_id"] = "555"
    wrapped["core"]["user_results"]["result"]["avatar"] = {
        "image_url": "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"}
    entries.append({"entryId": "tweet-1900000000000000001", "content": {"itemContent": {
        "tweet_results": {"result": {"__typename": "TweetWithVisibilityResults", "tweet": wrapped}}}}})
    entries.append({"entryId": "tweet-1900000000000000002", "content": {"itemContent": {
        "tweet_results": {"result": {"__typename": "TweetTombstone", "tombstone": {
            "text": {"text": "This Post was deleted by the Post author. Learn more"}}}}}}})
    entries.append({"entryId": "tweet-1900000000000000003", "content": {"itemContent": {
        "tweet_results": {"result": {"__typename": "TweetUnavailable", "reason": "Suspended"}}}}})
    path = tmp_path / "detail.json"
    path.write_text(json.dumps(answer))
    conn = ingest(path)
    assert post(conn, "x", "1900000000000000001")["placeholder"] is None
    assert account(conn, "x", "555")["has_avatar"] == 0
    deleted = post(conn, "x", "1900000000000000002")
    assert deleted["placeholder"] == "not_found" and deleted["deleted_at_source"] is not None
    assert post(conn, "x", "1900000000000000003")["placeholder"] == "unavailable"


def test_twitter_web_exporter_rows_and_x_archive(ingest: IngestFn, tmp_path: Path) -> None:
    results = _tweet_results(json.loads(DETAIL_2025.read_text()))
    rows = [{"id": r["rest_id"], "full_text": r["legacy"]["full_text"], "metadata": r,
             "screen_name": r["core"]["user_results"]["result"]["legacy"]["screen_name"]}
            for r in results]
    exported = tmp_path / "twitter-web-exporter-tweets.json"
    exported.write_text(json.dumps(rows))
    conn = ingest(exported)
    assert count(conn, "posts") == len({r["rest_id"] for r in results})
    own = [r["legacy"] for r in results if r["legacy"]["user_id_str"] == "2244994945"]
    archive = tmp_path / "data"
    archive.mkdir()
    (archive / "tweets.js").write_text("window.YTD.tweets.part0 = " + json.dumps(
        [{"tweet": {k: v for k, v in t.items() if k != "user_id_str"}} for t in own]))
    (archive / "account.js").write_text('window.YTD.account.part0 = [{"account": {'
                                        '"accountId": "2244994945", "username": "XDevelopers"}}]')
    conn = ingest(archive / "tweets.js")
    assert conn.execute("SELECT COUNT(*) FROM posts WHERE author_id = '2244994945'").fetchone()[0] >= len(own)


def test_graphql_error_answer_is_named(tmp_path: Path, db_path: Path) -> None:
    path = tmp_path / "TweetDetail.json"
    path.write_text('{"errors":[{"message":"Rate limit exceeded","code":88}],"data":{}}')
    result = CliRunner().invoke(main, ["ingest", str(db_path), str(path), "--format", "x-web"])
    assert result.exit_code != 0
    assert "Rate limit exceeded" in result.output or "rejected" in result.output


@pytest.mark.parametrize(("value", "expected"), [
    (1696924673, "2023-10-10T07:57:53+00:00"),
    (1696924673123, "2023-10-10T07:57:53.123000+00:00"),
    ("1696924673123", "2023-10-10T07:57:53.123000+00:00"),
    ("Tue Oct 10 07:57:53 +0000 2023", "2023-10-10T07:57:53+00:00"),
])
def test_parse_time_tells_seconds_from_milliseconds_and_reads_x_dates(value: Any, expected: str) -> None:
    moment = parse_time(value)
    assert moment is not None and moment.isoformat() == expected


@pytest.mark.parametrize("value", [1e20, float("nan"), 1e14, 1e308, float("inf"), -1, 2**80])
def test_parse_time_out_of_range_is_a_record_error(value: Any) -> None:
    with pytest.raises(RecordError):
        parse_time(value)


def test_sniff_sees_past_a_long_first_text_and_leading_whitespace(
    ingest: IngestFn, tmp_path: Path, formats: Path
) -> None:
    page = json.loads((formats / "x_v2_conversation_search.json").read_text())
    page = {"data": [{**page["data"][0], "text": "ü" * 135_000}, *page["data"][1:]], **{
        k: v for k, v in page.items() if k != "data"}}
    long_first = tmp_path / "long.json"
    long_first.write_text(json.dumps(page, ensure_ascii=False))
    assert long_first.stat().st_size > 260 * 1024
    conn = ingest(long_first)
    assert conn.execute("SELECT MAX(LENGTH(text)) FROM posts").fetchone()[0] == 135_000
    spaced = tmp_path / "spaced.json"
    with spaced.open("wb") as handle:
        handle.write(b" " * (50 * 1024 * 1024))
        handle.write((formats / "x_v2_quote_tweets.json").read_bytes())
    conn = ingest(spaced)
    assert conn.execute("SELECT COUNT(*) FROM raw_payloads WHERE adapter = 'x'").fetchone()[0] == 2
