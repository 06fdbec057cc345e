"""Issue 19's web findings, each on its failing input: non-ASCII secrets, open redirects, a busy
database, malformed requests, views blocking the event loop, raw payloads parsed per view."""

from __future__ import annotations

import html
import json
import re
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest
from webclient import ORIGIN, Client

import pileon.web.app as web_app
from pileon.web.payloads import PayloadIndex
from pileon.web.present import own_record
from pileon.web.security import CSP
from pileon.web.serve import ServerThread

FORMATS = Path(__file__).parent.parent / "fixtures" / "formats"


def _has_security_headers(response: httpx.Response) -> None:
    assert response.headers.get("content-security-policy") == CSP
    assert response.headers.get("x-frame-options") == "DENY"


@pytest.mark.parametrize("token", ["é", "токен", "\u202e", "a" * 5000, "%FF%FE"])
def test_a_non_ascii_link_token_is_a_plain_refusal(ui_db: Path, token: str) -> None:
    response = Client(ui_db).get("/", params={"token": token})
    assert response.status_code == 403
    _has_security_headers(response)


def test_a_non_ascii_csrf_token_is_a_plain_refusal(client: Client) -> None:
    for csrf in ("é", "ü" * 43, "\x00"):
        response = client.post("/actions", {"key": "bluesky/r07", "action": "note",
                                            "value": "x", "csrf": csrf})
        assert 400 <= response.status_code < 500
        _has_security_headers(response)
        reveal = client.post("/reveal", {"key": "bluesky/r07", "csrf": csrf})
        assert reveal.status_code == 403


@pytest.mark.parametrize("path", ["//evil.example/", "/\\evil.example/", "/%5Cevil.example/",
                                  "/%5C%5Cevil.example", "///evil.example", "/%2F/evil.example"])
def test_the_link_never_redirects_off_site(ui_db: Path, path: str) -> None:
    client = Client(ui_db)
    response = client.get(f"{path}?token={client.sessions.token}")
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert httpx.URL(ORIGIN).join(location).host == "127.0.0.1"


@pytest.mark.parametrize("request_args", [
    ("GET", "/post?p=bluesky&id=%FF%FE"),
    ("GET", "/folder/inbox?page=99999999999999999999999"),
    ("GET", "/folder/inbox?since=%00&until=zzz"),
    ("GET", "/folder/%00"),
    ("GET", "/post"),
    ("POST", "/reveal"),
    ("POST", "/actions"),
    ("POST", "/undo"),
    ("POST", "/lang"),
])
def test_malformed_requests_never_get_a_server_error(
    client: Client, request_args: tuple[str, str]
) -> None:
    method, url = request_args
    headers = {"origin": ORIGIN, "content-type": "application/x-www-form-urlencoded"}
    response = client.request(method, url, content=b"\xff\xfe=%%%&&key=%00", headers=headers)
    # Refused (4xx) or, for an out-of-range page, an empty page: never a 500.
    assert response.status_code < 500, (url, response.status_code)
    if method == "POST":
        assert 400 <= response.status_code < 500, (url, response.status_code)
    _has_security_headers(response)


def test_a_post_while_another_process_writes_gets_the_busy_page_and_keeps_the_action(
    ui_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_app, "BUSY_TIMEOUT_MS", 200)
    client = Client(ui_db).login()
    data = {"key": "bluesky/r07", "action": "note", "value": "kept <b>&\"", "back": "/"}
    writer = sqlite3.connect(ui_db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # what a long ingest or triage holds
    try:
        busy = client.post("/actions", data)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert busy.status_code == 503
    assert busy.headers["retry-after"].isdigit()
    _has_security_headers(busy)
    assert "The database is busy" in busy.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', busy.text))
    assert fields["value"] == "kept &lt;b&gt;&amp;&quot;"  # escaped, and nothing else is raw
    assert "<b>" not in busy.text
    fields["value"] = "kept <b>&\""
    retried = client.post("/actions", fields, csrf=False)
    assert retried.status_code == 303
    conn = sqlite3.connect(ui_db)
    notes = [r[0] for r in conn.execute("SELECT value FROM decisions WHERE action='note'")]
    conn.close()
    assert notes == ["kept <b>&\""]
    assert client.get("/").status_code == 200  # the failed write left no transaction open


def test_a_slow_view_does_not_hold_up_other_requests(ui_db: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from pileon.web import views

    real = views.overview_page

    async def slow_overview(request):  # type: ignore[no-untyped-def]
        time.sleep(5.0)  # blocking work, as a SQLite query is (long, so a loaded CI machine still shows it)
        return await real(request)

    monkeypatch.setattr(views, "overview_page", slow_overview)
    running = ServerThread(ui_db).start()
    try:
        with httpx.Client(base_url=running.base) as http:
            assert http.get(running.link).status_code == 303
            cookies = http.cookies
            done: dict[str, float] = {}

            def fetch(name: str, url: str) -> None:
                with httpx.Client(base_url=running.base, cookies=cookies) as own:
                    assert own.get(url, timeout=10).status_code == 200
                done[name] = time.monotonic()

            started = time.monotonic()
            slow = threading.Thread(target=fetch, args=("slow", "/overview"))
            slow.start()
            time.sleep(0.2)
            fetch("fast", "/folder/inbox")
            slow.join()
    finally:
        running.stop()
    assert done["fast"] < done["slow"]
    assert done["fast"] - started < 4.5  # it did not wait for the slow view to finish


@pytest.mark.parametrize("fixture", ["mastodon_context.json", "bluesky_getPostThread.json",
                                     "x_v2_conversation_search.json", "bluesky_getQuotes.json"])
def test_the_payload_index_answers_exactly_as_own_record(fixture: str) -> None:
    raw = (FORMATS / fixture).read_bytes()
    document = json.loads(raw)
    ids: set[str] = set()
    uris: set[str | None] = {None}
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ids.add(str(item.get("id")))
            if isinstance(item.get("uri"), str):
                uris.add(item["uri"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    index = PayloadIndex()
    loads = []

    def load() -> bytes:
        loads.append(1)
        return raw

    found = 0
    for post_id in sorted(ids | {"nope"}):
        for uri in sorted(uris, key=str):
            expected = own_record(raw, post_id, uri)
            assert index.own_record("sha", load, post_id, uri) == expected
            found += expected is not None
    assert found > 0
    assert len(loads) == 1  # parsed once for every lookup


def test_a_write_on_a_read_only_database_says_so_calmly_and_changes_nothing(
    ui_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file cannot be written (read-only file, folder or disk): store/db.py opens it with
    `mode=ro`, so SQLite itself refuses every write; the UI must say that, not its error page."""
    import pileon.store.db as store_db

    before = ui_db.read_bytes()
    monkeypatch.setattr(store_db, "_writable", lambda path: False)
    client = Client(ui_db).login()
    assert client.get("/").status_code == 200  # reading works
    for url, data in (
        ("/actions", {"key": "bluesky/r07", "action": "note", "value": "a note", "back": "/"}),
        ("/settings", {"unblur_all": "0", "lang": "fr"}),
        ("/lang", {"lang": "fr", "back": "/folder/support"}),
    ):
        refused = client.post(url, data)
        assert refused.status_code == 409, (url, refused.status_code, refused.text[:300])
        _has_security_headers(refused)
        assert "This database can only be read" in refused.text
        assert "your action was not saved" in refused.text
        assert "something went wrong" not in refused.text.lower()
    back = client.post("/lang", {"lang": "fr", "back": "//evil.example/x"})
    assert 'href="/evil.example/x"' in back.text  # the way back stays on this server
    as_json = client.post("/actions", {"key": "bluesky/r07", "action": "note", "value": "x"},
                          headers={"accept": "application/json"})
    assert as_json.status_code == 409 and "read-only" in as_json.json()["error"]
    assert client.get("/").status_code == 200  # no transaction left open by a refused write
    monkeypatch.undo()
    assert ui_db.read_bytes() == before


@pytest.mark.parametrize(("lang", "title", "saved"), [
    ("fr", "Cette base peut seulement être lue", "Votre action n'a donc pas été enregistrée"),
    ("az", "Bu verilənlər bazası yalnız oxuna bilər", "əməliyyatınız yadda saxlanmadı"),
    ("hy", "Այս տվյալների բազան կարելի է միայն կարդալ", "Ձեր գործողությունը չի պահպանվել"),
    ("ru", "Эту базу можно только читать", "ваше действие не сохранено"),
])
def test_the_read_only_page_speaks_the_users_language(
    ui_db: Path, monkeypatch: pytest.MonkeyPatch, lang: str, title: str, saved: str
) -> None:
    import pileon.store.db as store_db

    monkeypatch.setattr(store_db, "_writable", lambda path: False)
    client = Client(ui_db).login()
    refused = client.post("/actions", {"key": "bluesky/r07", "action": "note", "value": "x",
                                       "back": "/folder/support"},
                          headers={"accept-language": f"{lang};q=0.9,en;q=0.5"})
    assert refused.status_code == 409
    _has_security_headers(refused)
    assert f'<html lang="{lang}">' in refused.text
    said = html.unescape(refused.text)
    assert title in said and saved in said
    assert "<code>pileon serve</code>" in refused.text  # the command, not translated
    assert "This database can only be read" not in refused.text
    assert 'href="/folder/support"' in refused.text
    as_json = client.post("/actions", {"key": "bluesky/r07", "action": "note", "value": "x"},
                          headers={"accept": "application/json", "accept-language": lang})
    assert as_json.status_code == 409 and saved in as_json.json()["error"]
    assert "pileon serve" in as_json.json()["error"]


def test_the_busy_page_speaks_the_users_language_and_keeps_the_action(
    ui_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_app, "BUSY_TIMEOUT_MS", 200)
    client = Client(ui_db).login()
    writer = sqlite3.connect(ui_db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        busy = client.post("/actions", {"key": "bluesky/r07", "action": "note", "value": "v"},
                           headers={"accept-language": "ru-RU,ru;q=0.9"})
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert busy.status_code == 503 and busy.headers["content-language"] == "ru"
    assert "База занята" in busy.text and "Попробовать снова" in busy.text
    assert "Ваше действие не потеряно" in html.unescape(busy.text)
    assert 'name="value" value="v"' in busy.text


def test_the_guards_last_resort_answer_speaks_the_browsers_language() -> None:
    from pileon.web.security import FAILED, failed_text

    def scope(accept: bytes) -> dict[str, object]:
        return {"type": "http", "headers": [(b"accept-language", accept)]}

    assert failed_text(scope(b"hy")).startswith("pileon-ում ինչ-որ բան սխալ գնաց")
    assert failed_text(scope(b"fr-FR")).startswith("Un problème est survenu dans pileon")
    assert failed_text(scope(b"de")) == FAILED
