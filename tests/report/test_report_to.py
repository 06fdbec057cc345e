"""`pileon report-to`: reports filed on loopback Mastodon and Bluesky servers (real HTTP on
127.0.0.1), their request bodies checked against the platforms' documented shapes (atproto's
lexicons, Mastodon's permitted parameters: tests/fixtures/atproto_lexicons/README.md), and the
X report sheet.

The threads are the shared real-format fixtures, collected through the real live clients
(Mastodon) or ingested by the real adapter (Bluesky), so ids, URIs and CIDs are the platforms'.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent.parent))
from collect import payloads as p  # noqa: E402
from collect.server import ReplayServer, Reply  # noqa: E402
from filing_db import (  # noqa: E402
    FORMATS,
    KIRILL_M,
    KIRILL_POSTS,
    bluesky_thread,
    mastodon_thread,
    run,
)

from pileon.cli import main  # noqa: E402

LEXICONS = Path(__file__).parent.parent / "fixtures" / "atproto_lexicons"
TOKEN = "tok-3f9a1c0e7b2d4a68SECRET"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
#: What Mastodon's ReportsController permits, and its Report model's categories.
MASTODON_PARAMS = {"account_id", "comment", "category", "forward", "status_ids", "rule_ids",
                   "forward_to_domains"}
MASTODON_CATEGORIES = {"other", "spam", "legal", "violation"}


def lexicon(name: str) -> dict[str, Any]:
    return json.loads((LEXICONS / name).read_text(encoding="utf-8"))


def check_against_lexicon(body: dict[str, Any], procedure: str) -> None:
    """The body satisfies the lexicon's input schema: required fields, no unknown ones, types."""
    schema = lexicon(procedure)["defs"]["main"]["input"]["schema"]
    assert set(schema["required"]) <= body.keys()
    assert body.keys() <= schema["properties"].keys()
    for name, value in body.items():
        spec = schema["properties"][name]
        if spec["type"] == "string":
            assert isinstance(value, str) and len(value) <= spec.get("maxLength", 10**9)
            assert len(value) <= spec.get("maxGraphemes", 10**9)
    if procedure == "createReport.json":
        known = lexicon("moderation_defs.json")["defs"]["reasonType"]["knownValues"]
        assert body["reasonType"] in known
        ref = lexicon("strongRef.json")["defs"]["main"]
        subject = body["subject"]
        assert subject["$type"] == "com.atproto.repo.strongRef"
        assert set(ref["required"]) <= subject.keys() <= {"$type", *ref["properties"]}
        assert subject["uri"].startswith("at://") and subject["cid"].startswith("bafy")


def check_mastodon_body(body: dict[str, Any]) -> None:
    assert body.keys() <= MASTODON_PARAMS and "account_id" in body
    assert body["category"] in MASTODON_CATEGORIES
    assert isinstance(body["status_ids"], list) and all(isinstance(s, str)
                                                       for s in body["status_ids"])
    assert isinstance(body["forward"], bool) and len(body["comment"]) <= 1000
    assert ("rule_ids" in body) == (body["category"] == "violation")


def custody(db: Path, action: str = "report_to") -> list[dict[str, Any]]:
    conn = sqlite3.connect(db)
    rows = [json.loads(r[0]) | {"_read": json.loads(r[1]), "_wrote": json.loads(r[2])}
            for r in conn.execute("SELECT details_json, read_json, wrote_json FROM custody_log"
                                  " WHERE action = ? ORDER BY id", (action,))]
    conn.close()
    return rows


def assert_secret_nowhere(db: Path, secret: str) -> None:
    for path in db.parent.glob(db.name + "*"):
        assert secret.encode() not in path.read_bytes(), path


@pytest.fixture
def mastodon_db(tmp_path: Path, server: ReplayServer) -> Path:
    return mastodon_thread(tmp_path / "thread.db", server)


def test_mastodon_dry_run_prints_the_request_and_sends_nothing(
        mastodon_db: Path, server: ReplayServer) -> None:
    result = run("report-to", "mastodon", str(mastodon_db), "--instance", server.base_url,
                 "--json", env={"PILEON_MASTODON_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["dry_run"] and len(shown["reports"]) == 1
    report = shown["reports"][0]
    assert report["url"] == f"{server.base_url}/api/v1/reports"
    check_mastodon_body(report["body"])
    assert report["body"]["account_id"] == KIRILL_M
    assert report["body"]["status_ids"] == list(KIRILL_POSTS)  # the instance's own ids
    assert TOKEN not in result.output
    assert server.requests == [] and custody(mastodon_db) == []


def test_mastodon_send_files_one_report_per_account_and_logs_its_id(
        mastodon_db: Path, server: ReplayServer) -> None:
    server.route("/api/v1/reports", Reply.json({
        "id": "48914", "action_taken": False, "category": "other", "comment": "",
        "forwarded": True, "status_ids": list(KIRILL_POSTS), "rule_ids": None,
        "target_account": {"id": KIRILL_M, "acct": "kirill@mastodon.example"}}))
    result = run("report-to", "mastodon", str(mastodon_db), "--instance", server.base_url,
                 "--comment", "Coordinated harassment of a writer.", "--send",
                 env={"PILEON_MASTODON_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    assert "filed report 48914" in result.stdout
    [sent] = server.requests
    assert sent.method == "POST" and sent.path == "/api/v1/reports"
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    body = json.loads(sent.body)
    check_mastodon_body(body)
    assert body["account_id"] == KIRILL_M and body["status_ids"] == list(KIRILL_POSTS)
    assert body["comment"].startswith("Coordinated harassment of a writer.")
    [logged] = custody(mastodon_db)
    assert logged["report_id"] == "48914" and logged["post_ids"] == list(KIRILL_POSTS)
    assert logged["request"] == body and len(logged["_wrote"]) == 1 and logged["_read"]
    assert_secret_nowhere(mastodon_db, TOKEN)
    # Filed posts are left out next time: running again sends nothing.
    again = run("report-to", "mastodon", str(mastodon_db), "--instance", server.base_url,
                "--send", env={"PILEON_MASTODON_TOKEN": TOKEN})
    assert again.exit_code == 0 and "2 post(s) left out: already filed" in again.output
    assert len(server.requests) == 1


def test_mastodon_posts_seen_elsewhere_are_looked_up_on_the_users_instance(
        tmp_path: Path, server: ReplayServer) -> None:
    db = tmp_path / "file.db"
    assert run("ingest", str(db), str(FORMATS / "mastodon_context.json")).exit_code == 0
    run("decide", str(db), KIRILL_POSTS[0], "--action", "evidence")
    dry = json.loads(run("report-to", "mastodon", str(db), "--instance", server.base_url,
                         "--json").stdout)
    assert dry["reports"][0]["looked_up_when_sent"] == ["account_id", "status_ids"]
    server.route("/api/v2/search", Reply.json({"accounts": [], "hashtags": [], "statuses": [
        {"id": "9001", "account": {"id": "777", "acct": "kirill@mastodon.example"}}]}))
    server.route("/api/v1/reports", Reply.json({"id": "5", "category": "other"}))
    result = run("report-to", "mastodon", str(db), "--instance", server.base_url, "--send",
                 env={"PILEON_MASTODON_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    search, report = server.requests
    assert search.query["q"] == [
        "https://mastodon.example/users/kirill/statuses/116226744661635127"]
    assert search.query["resolve"] == ["true"]
    body = json.loads(report.body)
    check_mastodon_body(body)
    assert body["account_id"] == "777" and body["status_ids"] == ["9001"]


@pytest.mark.parametrize(("reply", "said"), [
    (Reply.json({"error": "The access token is invalid"}, 401), "refused your credentials"),
    (Reply.json({"error": "Too many requests"}, 429, **{"Retry-After": "120"}),
     "HTTP 429, Retry-After 120 s"),
    (Reply.json({"error": "oops"}, 503), "failed (HTTP 503)"),
    (Reply(200, b"<html>maintenance</html>", {"Content-Type": "text/html"}),
     "not a JSON object"),
    (Reply.json({"error": "Validation failed: Status ids is invalid"}, 422),
     "Validation failed"),
])
def test_mastodon_errors_are_one_line_and_nothing_is_logged(
        mastodon_db: Path, server: ReplayServer, reply: Reply, said: str) -> None:
    server.route("/api/v1/reports", reply)
    result = CliRunner().invoke(main, ["report-to", "mastodon", str(mastodon_db), "--instance",
                                       server.base_url, "--send"],
                                env={"PILEON_MASTODON_TOKEN": TOKEN})
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[0].startswith("Error:") and said in result.output, result.output
    assert "Traceback" not in result.output and TOKEN not in result.output
    assert "0 of 1 report(s) filed" in result.output or "not logged" in result.output
    assert custody(mastodon_db) == []


def test_mastodon_send_without_a_token_or_over_plain_http_is_refused(
        mastodon_db: Path, server: ReplayServer) -> None:
    result = CliRunner().invoke(main, ["report-to", "mastodon", str(mastodon_db),
                                       "--instance", server.base_url, "--send"], env={})
    assert result.exit_code == 1 and "PILEON_MASTODON_TOKEN is empty or not set" in result.output
    result = CliRunner().invoke(main, ["report-to", "mastodon", str(mastodon_db),
                                       "--instance", "http://mastodon.example", "--send"],
                                env={"PILEON_MASTODON_TOKEN": TOKEN})
    assert result.exit_code == 1 and "must use https" in result.output
    assert server.requests == []


# --- Bluesky ----------------------------------------------------------------------------------

@pytest.fixture
def bluesky_db(tmp_path: Path) -> Path:
    return bluesky_thread(tmp_path / "bsky.db")


def _thread_cid(uri: str) -> str:
    """The CID printed next to `uri` in the fixture file, read as text (not by our walker)."""
    text = (FORMATS / "bluesky_getPostThread.json").read_text(encoding="utf-8")
    match = re.search(re.escape(f'"uri": "{uri}",') + r'\s*"cid": "([a-z0-9]+)"', text)
    assert match is not None
    return match.group(1)


def test_bluesky_send_opens_a_session_and_reports_the_post_by_strong_ref(
        bluesky_db: Path, server: ReplayServer) -> None:
    server.route("/xrpc/com.atproto.server.createSession", Reply.json({
        "accessJwt": "eyJ.access.jwt", "refreshJwt": "eyJ.refresh.jwt",
        "handle": "nargiz.example.com", "did": p.BSKY_DID}))
    server.route("/xrpc/com.atproto.moderation.createReport", Reply.json({
        "id": 12345, "reasonType": "com.atproto.moderation.defs#reasonHarassment",
        "subject": {}, "reportedBy": p.BSKY_DID, "createdAt": "2026-12-07T13:00:00.000Z"}))
    dry = run("report-to", "bluesky", str(bluesky_db), "--pds", server.base_url, "--json")
    assert server.requests == []
    planned = json.loads(dry.stdout)["reports"][0]
    check_against_lexicon(planned["body"], "createReport.json")
    result = run("report-to", "bluesky", str(bluesky_db), "--pds", server.base_url,
                 "--handle", "nargiz.example.com", "--send",
                 env={"PILEON_BLUESKY_APP_PASSWORD": APP_PASSWORD})
    assert result.exit_code == 0, result.output
    session, report = server.requests
    check_against_lexicon(json.loads(session.body), "createSession.json")
    assert json.loads(session.body)["password"] == APP_PASSWORD
    body = json.loads(report.body)
    check_against_lexicon(body, "createReport.json")
    assert body == planned["body"]
    assert body["subject"]["uri"] == p.KIRILL_POST
    assert body["subject"]["cid"] == _thread_cid(p.KIRILL_POST)
    assert report.headers["authorization"] == "Bearer eyJ.access.jwt"
    assert report.headers["atproto-proxy"] == "did:plc:ar7c4by46qjdydhdevvrndac#atproto_labeler"
    [logged] = custody(bluesky_db)
    assert logged["report_id"] == "12345" and logged["post_ids"] == [p.KIRILL_POST]
    assert_secret_nowhere(bluesky_db, APP_PASSWORD)
    assert APP_PASSWORD not in result.output


def test_bluesky_bad_app_password_is_one_line(bluesky_db: Path, server: ReplayServer) -> None:
    server.route("/xrpc/com.atproto.server.createSession", Reply.json(
        {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}, 401))
    result = CliRunner().invoke(main, ["report-to", "bluesky", str(bluesky_db), "--pds",
                                       server.base_url, "--handle", "me.example", "--send"],
                                env={"PILEON_BLUESKY_APP_PASSWORD": APP_PASSWORD})
    assert result.exit_code == 1 and result.output.startswith("Error:")
    assert "refused your credentials (HTTP 401)" in result.output
    assert [r.path for r in server.requests] == ["/xrpc/com.atproto.server.createSession"]
    assert custody(bluesky_db) == []


def test_a_second_report_failing_keeps_the_first_logged(
        tmp_path: Path, server: ReplayServer) -> None:
    db = tmp_path / "bsky.db"
    run("ingest", str(db), str(FORMATS / "bluesky_getPostThread.json"))
    second = "at://did:plc:cvu56hwf4v44hgjbq2gckx64/app.bsky.feed.post/3mgz32mwnkktn"
    run("decide", str(db), p.KIRILL_POST, second, "--action", "evidence")
    server.route("/xrpc/com.atproto.server.createSession", Reply.json({
        "accessJwt": "a", "refreshJwt": "r", "handle": "h.example", "did": p.BSKY_DID}))
    server.route("/xrpc/com.atproto.moderation.createReport",
                 Reply.json({"id": 1, "reasonType": "x", "subject": {}, "reportedBy": "d",
                             "createdAt": "t"}),
                 Reply.json({"error": "RateLimitExceeded"}, 429, **{"Retry-After": "30"}))
    result = CliRunner().invoke(main, ["report-to", "bluesky", str(db), "--pds",
                                       server.base_url, "--handle", "h.example", "--send"],
                                env={"PILEON_BLUESKY_APP_PASSWORD": APP_PASSWORD})
    assert result.exit_code == 1 and "1 of 2 report(s) filed and logged" in result.output
    assert [r["post_ids"] for r in custody(db)] == [[p.KIRILL_POST]]
    # The rerun files only the one that failed.
    server.route("/xrpc/com.atproto.moderation.createReport", Reply.json(
        {"id": 2, "reasonType": "x", "subject": {}, "reportedBy": "d", "createdAt": "t"}))
    result = run("report-to", "bluesky", str(db), "--pds", server.base_url, "--handle",
                 "h.example", "--send", env={"PILEON_BLUESKY_APP_PASSWORD": APP_PASSWORD})
    assert result.exit_code == 0, result.output
    assert [r["post_ids"] for r in custody(db)] == [[p.KIRILL_POST], [second]]


# --- X ----------------------------------------------------------------------------------------

def test_x_sheet_groups_posts_per_account_in_the_forms_order(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    assert run("ingest", str(db), str(FORMATS / "x_v2_conversation_search.json")).exit_code == 0
    kirill = ("2032763734600623268", "2032783914234992406")
    other = "2032781545229662642"
    run("decide", str(db), *kirill, other, "--action", "evidence")
    result = run("report-to", "x", str(db), "--out", str(tmp_path / "sheet"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["reports"] == 2
    text = (tmp_path / "sheet" / "x-report-sheet.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["post_id"] for r in rows if r["account_handle"] == "sample_kirill"] == list(kirill)
    # Without labels, the account with more posts comes first; one report per account.
    assert {r["report"] for r in rows if r["account_handle"] == "sample_kirill"} == {"1"}
    assert [r["report"] for r in rows if r["post_id"] == other] == ["2"]
    assert all(r["step_1_who_is_targeted"] == "Me" and r["step_2_type_of_issue"] for r in rows)
    assert all(r["post_url"].startswith("https://x.com/") for r in rows)
    assert all(not r["text"].startswith(("=", "+", "-", "@")) for r in rows)  # no formulas
    html = (tmp_path / "sheet" / "x-report-sheet.html").read_text(encoding="utf-8")
    # Every text is behind a click, after the content warning.
    assert html.index("Content warning") < html.index("<details>")
    assert html.count("<details>") == 3
    assert "заплатили" in html.split("<details>", 1)[1]
    [logged] = custody(db, "export")
    assert logged["format"] == "x-report-sheet" and len(logged["_wrote"]) == 2
