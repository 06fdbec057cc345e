"""The review UI's evidence pages, in-process (httpx.ASGITransport): the report is written by
the same `build_report` as `pileon report` (with its progress), and reports are filed on a
loopback Mastodon through the same plan as `pileon report-to`: the dry run first, then an
explicit send with the token, which is kept nowhere."""

from __future__ import annotations

import json
import re
import sqlite3
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "web"))
from collect.server import ReplayServer, Reply  # noqa: E402
from filing_db import KIRILL_M, KIRILL_POSTS, mastodon_thread, run  # noqa: E402
from report_db import PLATFORM, hostile_rows  # noqa: E402
from webclient import Client  # noqa: E402

from pileon.report.verify import verify_report  # noqa: E402
from pileon.web.security import HELPER  # noqa: E402

TOKEN = "tok-ui-5c1d9e0f2a7b4c83SECRET"


def _hostile(post_id: str) -> str:
    return next(r["text"] for r in hostile_rows() if r["id"] == post_id)


@pytest.fixture
def marked_db(report_db: Path) -> Path:
    """The report thread with an abusive Armenian reply (h01) marked as evidence too."""
    assert run("decide", str(report_db), "h01", "--action", "evidence").exit_code == 0
    return report_db


def _wait(client: Client, job: str) -> dict[str, object]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = client.get(f"/report/job/{job}/status").json()
        if status["finished"]:
            return dict(status)
        time.sleep(0.2)
    raise AssertionError("the report was not written in 120 s")


def test_evidence_page_lists_marked_replies_blurred(marked_db: Path) -> None:
    client = Client(marked_db).login()
    page = client.get("/report")
    assert page.status_code == 200
    assert "Marked as evidence" in page.text and ">2</span>" in page.text
    assert _hostile("h01") not in page.text  # abuse only after a click on "show"
    assert "Show this reply" in page.text and 'href="/block-list"' in page.text


def test_writing_the_report_from_the_ui_shows_progress_then_a_verifiable_folder(
        marked_db: Path) -> None:
    client = Client(marked_db).login()
    refused = client.post("/report/build", {"lang": "fr"}, csrf=False)
    assert refused.status_code == 403
    cross = client.post("/report/build", {"lang": "fr"},
                        headers={"origin": "http://evil.example"})
    assert cross.status_code == 403
    assert client.post("/report/build", {"lang": "xx"}).status_code == 400
    started = client.post("/report/build", {"lang": "fr", "include": "review"})
    assert started.status_code == 303
    job = started.headers["location"].rsplit("/", 1)[1]
    status = _wait(client, job)
    assert status == {"stage": "done", "fraction": 1.0, "finished": True, "failed": False,
                      "label": "Done"}
    done = client.get(f"/report/job/{job}")
    assert "The report is written" in done.text
    folder = Path(re.search(r"<dd><code>([^<]+)</code></dd>", done.text).group(1))
    assert folder.parent == marked_db.parent / "reports"
    result = verify_report(folder, None, None)
    assert result.ok and result.digest in done.text
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["lang"] == "fr" and manifest["selection"]["folders"] == ["shielded", "review"]
    posts = [json.loads(line) for line in
             (folder / "data" / "posts.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {p["post_id"] for p in posts} >= {"h01", "r04"}  # both marked replies are in it
    # A second report never replaces the first: it gets its own folder.
    again = client.post("/report/build", {"lang": "en"})
    second = again.headers["location"].rsplit("/", 1)[1]
    _wait(client, second)
    assert len(list((marked_db.parent / "reports").iterdir())) == 2


def test_a_report_that_cannot_be_written_says_why_in_one_line(tmp_path: Path,
                                                              marked_db: Path) -> None:
    conn = sqlite3.connect(marked_db)  # the database altered behind pileon's back
    sha = conn.execute("SELECT raw_sha256 FROM posts WHERE id = 'h01'").fetchone()[0]
    conn.execute("UPDATE raw_payloads SET data = CAST('x' AS BLOB) WHERE sha256 = ?", (sha,))
    conn.commit()
    conn.close()
    client = Client(marked_db).login()
    job = client.post("/report/build", {"lang": "en"}).headers["location"].rsplit("/", 1)[1]
    assert _wait(client, job)["failed"] is True
    page = client.get(f"/report/job/{job}")
    assert "The report could not be written." in page.text
    assert "does not match its SHA-256" in page.text and "Traceback" not in page.text
    assert not (marked_db.parent / "reports").exists() or not any(
        p.name.startswith("report-") for p in (marked_db.parent / "reports").iterdir())


def _digest(html: str) -> str:
    return re.search(r'name="digest" value="([0-9a-f]{64})"', html).group(1)


def test_filing_on_mastodon_from_the_ui_dry_run_then_explicit_send(
        tmp_path: Path, server: ReplayServer) -> None:
    db = mastodon_thread(tmp_path / "thread.db", server)
    server.route("/api/v1/reports", Reply.json({"id": "48915", "category": "other"}))
    client = Client(db).login()
    assert client.get("/report/file").status_code == 200
    form = {"platform": "mastodon", "what": "evidence", "instance": server.base_url,
            "category": "other", "forward": "1", "comment": "Harassment <b>of a writer</b>"}
    preview = client.post("/report/file/preview", form)
    assert preview.status_code == 200 and "Dry run: nothing was sent" in preview.text
    assert server.requests == []
    assert "Harassment &lt;b&gt;of a writer&lt;/b&gt;" in preview.text  # escaped, never markup
    assert f'"account_id": "{KIRILL_M}"' in preview.text.replace("&#34;", '"')
    digest = _digest(preview.text)
    # No confirmation, no token, or a plan changed since the preview: nothing is sent.
    unconfirmed = client.post("/report/file/send", {**form, "digest": digest, "secret": TOKEN})
    assert "Tick the box" in unconfirmed.text and server.requests == []
    tokenless = client.post("/report/file/send", {**form, "digest": digest, "confirm": "yes"})
    assert "access token or app password" in tokenless.text and server.requests == []
    changed = client.post("/report/file/send", {**form, "digest": "0" * 64, "confirm": "yes",
                                                "secret": TOKEN})
    assert "has changed since you looked" in changed.text and server.requests == []
    sent = client.post("/report/file/send", {**form, "digest": digest, "confirm": "yes",
                                             "secret": TOKEN})
    assert sent.status_code == 200 and "1 report filed" in sent.text and "48915" in sent.text
    [request] = server.requests
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    body = json.loads(request.body)
    assert body["account_id"] == KIRILL_M and body["status_ids"] == list(KIRILL_POSTS)
    assert body["comment"].startswith("Harassment <b>of a writer</b>")
    assert TOKEN not in sent.text and TOKEN not in preview.text
    for path in db.parent.glob(db.name + "*"):
        assert TOKEN.encode() not in path.read_bytes()
    conn = sqlite3.connect(db)
    [(details,)] = conn.execute("SELECT details_json FROM custody_log WHERE action = 'report_to'")
    conn.close()
    assert json.loads(details)["report_id"] == "48915"
    # Filed posts are left out of the next dry run.
    next_time = client.post("/report/file/preview", form)
    assert "left out: already reported" in next_time.text


def test_a_platform_error_is_one_line_and_nothing_is_logged(
        tmp_path: Path, server: ReplayServer) -> None:
    db = mastodon_thread(tmp_path / "thread.db", server)
    server.route("/api/v1/reports", Reply.json({"error": "The access token is invalid"}, 401))
    client = Client(db).login()
    form = {"platform": "mastodon", "what": "evidence", "instance": server.base_url}
    digest = _digest(client.post("/report/file/preview", form).text)
    sent = client.post("/report/file/send", {**form, "digest": digest, "confirm": "yes",
                                             "secret": TOKEN})
    assert "Not filed:" in sent.text and "refused your credentials (HTTP 401)" in sent.text
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM custody_log WHERE action = 'report_to'"
                        ).fetchone()[0] == 0
    conn.close()


def test_plain_http_to_another_host_is_refused_before_anything_is_sent(
        tmp_path: Path, server: ReplayServer) -> None:
    db = mastodon_thread(tmp_path / "thread.db", server)
    client = Client(db).login()
    page = client.post("/report/file/preview", {"platform": "mastodon", "what": "evidence",
                                                "instance": "http://mastodon.example"})
    assert page.status_code == 400 and "must use https" in page.text


def test_a_trusted_helper_cannot_file_reports(marked_db: Path) -> None:
    client = Client(marked_db)
    assert client.get(f"/?token={client.sessions.issue(HELPER, 'Ani')}").status_code == 303
    assert client.get("/report/file").status_code == 403
    assert client.post("/report/file/preview", {"platform": "mastodon",
                                                "instance": "https://m.example"}
                       ).status_code == 403
    assert "Only the author files reports" in client.get("/report").text
    assert PLATFORM == "bluesky"


def test_filing_on_bluesky_from_the_ui_dry_run_then_explicit_send(
        tmp_path: Path, server: ReplayServer) -> None:
    """The Bluesky fixture thread, its abusive post marked as evidence, reported from the UI
    to a loopback PDS: the dry run sends nothing, the send opens a session with the app
    password (kept nowhere) and files com.atproto.moderation.createReport by strong ref."""
    from collect import payloads as p
    from filing_db import bluesky_thread

    db = bluesky_thread(tmp_path / "bsky.db")
    app_password = "abcd-efgh-ijkl-mnop"
    server.route("/xrpc/com.atproto.server.createSession", Reply.json({
        "accessJwt": "eyJ.ui.access", "refreshJwt": "eyJ.ui.refresh",
        "handle": "nargiz.example.com", "did": p.BSKY_DID}))
    server.route("/xrpc/com.atproto.moderation.createReport", Reply.json({
        "id": 777, "reasonType": "com.atproto.moderation.defs#reasonHarassment",
        "subject": {}, "reportedBy": p.BSKY_DID, "createdAt": "2026-12-08T01:00:00.000Z"}))
    client = Client(db).login()
    form = {"platform": "bluesky", "what": "evidence", "pds": server.base_url,
            "handle": "nargiz.example.com", "comment": "Targeted <i>harassment</i>"}
    preview = client.post("/report/file/preview", form)
    assert preview.status_code == 200 and "Dry run: nothing was sent" in preview.text
    assert server.requests == []
    assert "Targeted &lt;i&gt;harassment&lt;/i&gt;" in preview.text
    assert p.KIRILL_POST in preview.text.replace("&#34;", '"')
    digest = _digest(preview.text)
    unconfirmed = client.post("/report/file/send", {**form, "digest": digest,
                                                    "secret": app_password})
    assert "Tick the box" in unconfirmed.text and server.requests == []
    sent = client.post("/report/file/send", {**form, "digest": digest, "confirm": "yes",
                                             "secret": app_password})
    assert sent.status_code == 200 and "1 report filed" in sent.text and "777" in sent.text
    session, report = server.requests
    assert session.path == "/xrpc/com.atproto.server.createSession"
    assert json.loads(session.body) == {"identifier": "nargiz.example.com",
                                        "password": app_password}
    assert report.path == "/xrpc/com.atproto.moderation.createReport"
    assert report.headers["authorization"] == "Bearer eyJ.ui.access"
    body = json.loads(report.body)
    assert body["subject"]["$type"] == "com.atproto.repo.strongRef"
    assert body["subject"]["uri"] == p.KIRILL_POST and body["subject"]["cid"]
    assert body["reason"].startswith("Targeted <i>harassment</i>")
    assert app_password not in sent.text and app_password not in preview.text
    for path in db.parent.glob(db.name + "*"):
        assert app_password.encode() not in path.read_bytes()
    conn = sqlite3.connect(db)
    [(details,)] = conn.execute("SELECT details_json FROM custody_log WHERE action = 'report_to'")
    conn.close()
    assert json.loads(details)["report_id"] == "777"
    assert "left out: already reported" in client.post("/report/file/preview", form).text
