"""Only the holder of the one-time link, on this machine, can use the UI; headers are strict."""

from __future__ import annotations

import re
from pathlib import Path

from webclient import ORIGIN, Client


def test_the_link_token_becomes_a_strict_cookie_and_a_clean_url(ui_db: Path) -> None:
    client = Client(ui_db)
    response = client.get(f"/folder/inbox?token={client.sessions.token}&page=2")
    assert response.status_code == 303
    assert response.headers["location"] == "/folder/inbox?page=2"  # token gone from the URL
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert client.sessions.token not in cookie
    assert client.get("/").status_code == 200


def test_without_the_link_nothing_is_served(ui_db: Path) -> None:
    client = Client(ui_db)
    assert client.get("/").status_code == 403
    assert client.get("/?token=wrong").status_code == 403
    assert client.get("/folder/shielded").status_code == 403
    assert client.post("/reveal", {"key": "bluesky/r19"}, csrf=False).status_code == 403


def test_other_host_headers_are_refused(client: Client) -> None:
    # DNS rebinding: evil.example resolving to 127.0.0.1 still sends its own Host header
    response = client.get("/", headers={"host": "evil.example:8765"})
    assert response.status_code == 421
    assert client.get("/", headers={"host": "127.0.0.1:9999"}).status_code == 421
    assert client.get("/", headers={"host": "localhost:8765"}).status_code == 200


def test_cross_site_posts_are_refused(client: Client) -> None:
    data = {"key": "bluesky/r07", "action": "move:shielded", "back": "/"}
    foreign = client.post("/actions", data, headers={"origin": "http://evil.example"})
    assert foreign.status_code == 403
    site = client.post("/actions", data, headers={"origin": "null"})
    assert site.status_code == 403
    vouched = client.post("/actions", {**data, "action": "note", "value": "x"},
                          headers={"origin": "null", "sec-fetch-site": "same-origin"})
    assert vouched.status_code == 303
    null_cross = client.post("/actions", data, headers={"origin": "null",
                                                        "sec-fetch-site": "cross-site"})
    assert null_cross.status_code == 403
    no_token = client.post("/actions", data, csrf=False)
    assert no_token.status_code == 403
    wrong_token = client.post("/actions", {**data, "csrf": "nope"})
    assert wrong_token.status_code == 403
    ok = client.post("/actions", data)
    assert ok.status_code == 303


def test_every_page_has_strict_headers_and_no_inline_script(client: Client) -> None:
    for url in ("/", "/overview", "/folder/support", "/folder/shielded", "/settings",
                "/post?p=bluesky&id=r14", "/post?p=bluesky&id=r19", "/nope"):
        response = client.get(url)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        scripts = re.findall(r"<script\b[^>]*>", response.text)
        assert scripts == ['<script src="/static/app.js" defer>'], (url, scripts)
        assert " style=" not in response.text.split("<main", 1)[0]


def test_hostile_text_is_escaped_everywhere(client: Client) -> None:
    page = client.get("/folder/support").text + client.get("/post?p=bluesky&id=r14").text
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "<img src=x" not in page
    inbox = client.get("/folder/inbox").text
    assert "<style>body" not in inbox and "&lt;/style&gt;" in inbox
    assert 'href="javascript:' not in inbox


def test_an_open_redirect_is_not_possible(client: Client) -> None:
    response = client.post("/actions", {"key": "bluesky/r07", "action": "note",
                                        "value": "x", "back": "//evil.example/"})
    assert response.headers["location"].startswith("/?done=")
    assert ORIGIN  # same-origin only
