"""The review UI in a real Chromium against the real server and the demo pile-on.

One browser (for this module) and one server per session (conftest.py). What a person would notice: abuse stays
blurred until they click, bulk and keyboard actions move replies and can be undone, their own
decisions outlive a new analysis, hostile markup stays text, and the page reads the same in all
five languages. Screenshots of every view go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

from chromium import REBIND_HOST
from demo_db import HOSTILE, HOSTILE_PLATFORM, cli, write_scores
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Page, expect
from playwright.sync_api import Error as PlaywrightError

from pileon.store.triage import PageFilter, folder_page, latest_run
from pileon.triage.folders import FOLDERS
from pileon.web.i18n import LANGUAGES, gettext_for
from pileon.web.present import BIDI_CONTROLS, rule_names
from pileon.web.serve import ServerThread
from pileon.web.views import key_of

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
HOSTILE_ROWS = {row["id"]: row for row in map(json.loads, HOSTILE.read_text().splitlines())}


def shot(target: Page | Any, name: str, *, full: bool = False) -> bytes:
    """Save a screenshot (the first screen; `full`: the whole page) for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    data: bytes = target.screenshot(path=str(SHOTS / f"{name}.png"),
                                    **({"full_page": True} if full else {}))
    return data


def run_id(conn: sqlite3.Connection) -> int:
    run = latest_run(conn)
    assert run is not None
    return int(run["id"])


def folder_of(conn: sqlite3.Connection, platform: str, post_id: str) -> tuple[str, bool]:
    row = conn.execute("SELECT folder, decided FROM post_folders WHERE run_id=? AND platform=?"
                       " AND post_id=?", (run_id(conn), platform, post_id)).fetchone()
    return str(row["folder"]), bool(row["decided"])


def first_page(conn: sqlite3.Connection, folder: str) -> list[sqlite3.Row]:
    rows, _ = folder_page(conn, run_id(conn), PageFilter(folder=folder), offset=0, limit=50)
    return rows


def card(page: Page, platform: str, post_id: str) -> Any:
    return page.locator(f'article.card[data-key="{key_of(platform, post_id)}"]')


def test_a_shielded_reply_is_not_visible_until_clicked(ui: Page, db: sqlite3.Connection) -> None:
    row = next(r for r in first_page(db, "shielded")
               if r["platform"] != HOSTILE_PLATFORM and len(r["text"]) > 12)
    text, author = row["text"], row["author_display_name"] or row["author_handle"]
    ui.goto("/folder/shielded")
    shot(ui, "folder-shielded")
    assert text not in ui.content() and author not in ui.content()
    assert text not in ui.title()
    titles = ui.locator("[title]").evaluate_all("els => els.map(e => e.title)")
    assert not any(text in t or author in t for t in titles)

    item = card(ui, row["platform"], row["post_id"])
    box = item.locator('[data-role="text"]')
    assert box.evaluate("e => getComputedStyle(e).display") == "none"
    assert "blur(" in item.locator(".blur-box").evaluate("e => getComputedStyle(e).filter")
    assert "blur(" in item.locator(".blur-bar").evaluate("e => getComputedStyle(e).filter")
    tree = item.aria_snapshot()
    assert "Content warning:" in tree and "Name hidden" in tree and text[:12] not in tree
    button = item.get_by_role("button", name="Show this reply")
    expect(button).to_have_attribute("aria-expanded", "false")
    before = shot(item, "shielded-card-before")

    button.click()
    expect(box).to_be_visible()
    expect(box).to_have_text(text)
    assert author in item.locator('[data-role="name"]').inner_text()
    expect(item.get_by_role("button", name="Hide again")).to_have_attribute("aria-expanded",
                                                                           "true")
    assert text[:12] in item.aria_snapshot()
    assert shot(item, "shielded-card-after") != before

    item.get_by_role("button", name="Hide again").click()
    expect(box).to_be_hidden()
    assert text not in ui.content() and author not in ui.content()
    other = card(ui, *next((r["platform"], r["post_id"]) for r in first_page(db, "shielded")
                           if r["post_id"] != row["post_id"]))
    expect(other.locator('[data-role="text"]')).to_be_hidden()  # one click shows one reply


def test_post_page_of_a_shielded_reply_keeps_text_name_and_raw_hidden(
        ui: Page, db: sqlite3.Connection) -> None:
    row = next(r for r in first_page(db, "shielded") if r["platform"] != HOSTILE_PLATFORM)
    ui.goto(f"/post?p={row['platform']}&id={row['post_id']}")
    shot(ui, "post-shielded")
    assert row["text"] not in ui.content() and row["raw_sha256"] in ui.content()
    expect(ui.locator("pre.raw")).to_be_hidden()
    ui.get_by_role("button", name="Show this reply").click()
    expect(ui.locator("article [data-role='text']")).to_have_text(row["text"])
    expect(ui.locator("pre.raw")).to_contain_text(row["post_id"])


def test_a_post_page_never_shows_the_shielded_replies_sharing_its_payload(
        ui: Page, db: sqlite3.Connection) -> None:
    shielded, visible = db.execute(
        "SELECT s.post_id, v.post_id FROM post_folders s JOIN posts ps ON ps.platform=s.platform"
        " AND ps.id=s.post_id JOIN posts pv ON pv.raw_sha256=ps.raw_sha256 JOIN post_folders v"
        " ON v.run_id=s.run_id AND v.platform=pv.platform AND v.post_id=pv.id WHERE s.run_id=?"
        " AND s.folder='shielded' AND v.folder='support' AND s.platform='bluesky' LIMIT 1",
        (run_id(db),)).fetchone()
    text = db.execute("SELECT text FROM posts WHERE platform='bluesky' AND id=?",
                      (shielded,)).fetchone()[0]
    ui.goto(f"/post?p=bluesky&id={visible}")
    expect(ui.locator("pre.raw")).to_contain_text(visible)
    assert text not in ui.content() and shielded not in ui.content()


def test_post_page_shows_context_signals_evidence_and_hash(
        ui: Page, db: sqlite3.Connection) -> None:
    row = db.execute(
        "SELECT f.platform, f.post_id, p.text, p.raw_sha256 FROM post_folders f JOIN posts p"
        " ON p.platform=f.platform AND p.id=f.post_id JOIN scores s ON s.platform=f.platform"
        " AND s.post_id=f.post_id WHERE f.run_id=? AND f.folder='review'"
        " AND s.evidence_json != '[]' AND f.signals != '' AND p.kind = 'reply'"
        " AND EXISTS (SELECT 1 FROM posts q WHERE q.platform=p.platform AND q.id=p.reply_to)"
        " ORDER BY f.created_at LIMIT 1",
        (run_id(db),)).fetchone()
    ui.goto(f"/post?p={row['platform']}&id={row['post_id']}")
    shot(ui, "post")
    # To review is blurred like "Abusive replies": nothing of the text until the click.
    assert row["text"] not in ui.content()
    ui.get_by_role("button", name="Show this reply").click()
    expect(ui.locator("article.detail mark").first).to_be_visible()
    expect(ui.locator("article.detail [data-role='text']")).to_have_text(row["text"])
    assert row["raw_sha256"] in ui.locator("code.hash").inner_text()
    expect(ui.get_by_role("heading", name="In reply to")).to_be_visible()
    rule = db.execute("SELECT rule FROM post_folders WHERE run_id=? AND platform=? AND"
                      " post_id=?", (run_id(db), row["platform"], row["post_id"])).fetchone()[0]
    said = rule_names(gettext_for("en")[0])[rule]  # in words, not only the rule's code name
    expect(ui.locator("dd", has_text=said)).to_have_count(1)
    expect(ui.locator("pre.raw")).to_be_visible()


def test_bulk_move_of_a_whole_cluster_then_undo(ui: Page, db: sqlite3.Connection) -> None:
    ui.goto("/overview")
    shot(ui, "overview")
    shown = ui.locator(".cluster").evaluate_all("els => els.map(e => e.id.slice(8))")
    for group in ui.locator(".cluster").all():  # a quoted sample never comes from review
        for sample in group.locator("p.text").all_inner_texts():
            folders = {f for (f,) in db.execute(
                "SELECT f.folder FROM post_folders f JOIN posts p ON p.platform=f.platform AND"
                " p.id=f.post_id WHERE f.run_id=? AND f.cluster_id=? AND p.text=?",
                (run_id(db), group.get_attribute("id")[8:], sample))}  # type: ignore[index]
            assert folders & {"support", "inbox"}, sample
    cluster_id, size = db.execute(
        "SELECT cluster_id, COUNT(*) FROM post_folders WHERE run_id=? AND cluster_id IN"
        f" ({','.join('?' * len(shown))}) GROUP BY cluster_id HAVING SUM(folder='support') = 0"
        " ORDER BY SUM(folder != 'shielded') DESC LIMIT 1", (run_id(db), *shown)).fetchone()
    before = dict(((r[0], r[1]), r[2]) for r in db.execute(
        "SELECT platform, post_id, folder FROM post_folders WHERE run_id=? AND cluster_id=?",
        (run_id(db), cluster_id)))
    assert set(before.values()) != {"shielded"}  # the move changes something
    group = ui.locator(f'[id="cluster-{cluster_id}"]')
    group.get_by_role("combobox", name="Action for the whole group").select_option(
        "move:shielded")
    group.get_by_role("button", name="Apply").click()
    expect(ui.get_by_role("status")).to_contain_text(f"{size} replies moved to “Abusive replies”.")
    after = [folder_of(db, *key) for key in before]
    assert after == [("shielded", True)] * size
    shot(ui, "overview-after-bulk")

    ui.get_by_role("status").get_by_role("button", name="Undo").click()
    expect(ui.get_by_role("status")).to_have_count(0)
    assert {key: folder_of(db, *key)[0] for key in before} == before


def test_apply_without_choosing_an_action_moves_nothing(ui: Page,
                                                       db: sqlite3.Connection) -> None:
    before = db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
    ui.goto("/folder/shielded")
    bulk = ui.get_by_role("form", name="Act on replies")
    bulk.get_by_role("combobox", name="Apply to").select_option("filter")  # every match
    bulk.get_by_role("button", name="Apply").click()
    assert ui.url.endswith("/folder/shielded")  # the browser asks for an action first
    assert bulk.get_by_role("combobox", name="Action").evaluate("e => e.validity.valueMissing")
    assert db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == before


def test_a_decision_survives_reanalysis_and_retriage(ui: Page, db: sqlite3.Connection,
                                                     demo_db: Path) -> None:
    row = next(r for r in first_page(db, "inbox") if r["platform"] != HOSTILE_PLATFORM)
    platform, post_id = row["platform"], row["post_id"]
    ui.goto(f"/post?p={platform}&id={post_id}")
    ui.get_by_role("combobox", name="Action").select_option("move:support")
    ui.get_by_role("textbox", name="Reason (optional)").fill("a kind question, keep it")
    ui.locator("form.decide").first.get_by_role("button", name="Apply").click()
    expect(ui.get_by_role("status")).to_contain_text("1 reply moved to Support.")
    assert folder_of(db, platform, post_id) == ("support", True)

    # A newer model now calls it abuse, and triage runs again: the person's choice still wins.
    truth = {"platform": platform, "id": post_id, "lang": row["lang"] or "und",
             "labels": ["insult"], "hard": None}
    write_scores(db, [truth], version="truth-2",
                 override={(platform, post_id): {"insult": 0.97, "supportive": 0.01}})
    old_run = run_id(db)
    cli("triage", demo_db, "--json")
    assert run_id(db) > old_run
    model_folder = db.execute("SELECT model_folder FROM post_folders WHERE run_id=? AND"
                              " platform=? AND post_id=?", (run_id(db), platform, post_id)
                              ).fetchone()[0]
    assert model_folder == "shielded"
    assert folder_of(db, platform, post_id) == ("support", True)

    ui.reload()
    expect(ui.locator("dd").first).to_have_text(re.compile(r"Support \(your decision\)"))
    expect(ui.locator(".history")).to_contain_text("a kind question, keep it")
    ui.goto("/folder/support?" + "q=" + row["text"][:30])
    expect(card(ui, platform, post_id).locator(".tag.mine")).to_have_text("decided")


def test_the_link_token_becomes_an_httponly_strict_cookie(
        chromium: Browser, server: ServerThread) -> None:
    context = chromium.new_context()
    page = context.new_page()
    response = page.goto(server.base + "/")
    assert response is not None and response.status == 403
    assert "Use the link pileon printed" in page.inner_text("body")
    response = page.goto(server.base + "/?token=not-the-token")
    assert response is not None and response.status == 403
    response = page.goto(server.base + f"/folder/inbox?token={server.sessions.issue()}")
    assert response is not None and response.status == 200
    assert page.url == server.base + "/folder/inbox"  # the token is gone from the address bar
    (cookie,) = context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # no script can read the session
    context.close()


def test_a_rebound_host_name_is_refused_even_with_the_token(
        chromium: Browser, server: ServerThread) -> None:
    context = chromium.new_context()
    page = context.new_page()
    response = page.goto(f"http://{REBIND_HOST}:{server.port}/?token={server.sessions.token}")
    assert response is not None and response.status == 421
    assert "not served here" in page.inner_text("body")
    assert context.cookies() == []
    context.close()


def test_a_cross_origin_form_post_is_refused(ui: Page, server: ServerThread,
                                            context: BrowserContext,
                                            db: sqlite3.Connection) -> None:
    target = first_page(db, "support")[0]
    key = key_of(target["platform"], target["post_id"])
    # Another port on 127.0.0.1 is the same site (the cookie is sent) but another origin.
    attacker = f"http://127.0.0.1:{server.port + 1}/"
    form = (f'<form method="post" action="{server.base}/actions">'
            f'<input name="key" value="{key}"><input name="action" value="move:shielded">'
            '<input name="csrf" value="guess"></form>'
            "<script>document.forms[0].submit()</script>")
    context.route(attacker, lambda route: route.fulfill(content_type="text/html", body=form))
    with ui.expect_navigation(url=f"{server.base}/actions"):
        ui.goto(attacker)
    assert "Cross-site request refused" in ui.inner_text("body")
    assert folder_of(db, target["platform"], target["post_id"])[0] == "support"


def _collect(page: Page) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {"dialogs": [], "console": [], "errors": [], "requests": []}

    def on_dialog(dialog: Dialog) -> None:
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        seen["console"].append(f"{message.type}: {message.text}")

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on("request", lambda request: seen["requests"].append(request.url))
    return seen


_INJECTED = """root => ({
  scripts: root.querySelectorAll("script").length,
  elements: Array.from(root.querySelectorAll("img, svg, style, iframe, a[href^='javascript:'],"
                                             + " [onerror], [onload], [style]:not([style=''])"), e => e.outerHTML),
  bodyVisible: getComputedStyle(document.body).display !== "none"
               && getComputedStyle(document.body).visibility === "visible",
})"""


def test_hostile_markup_renders_as_inert_text(ui: Page, server: ServerThread,
                                              db: sqlite3.Connection) -> None:
    seen = _collect(ui)
    # Whatever the model made of it, the person shields the reversed insult themselves.
    ui.goto(f"/post?p={HOSTILE_PLATFORM}&id=hostile-06")
    ui.get_by_role("combobox", name="Action").select_option("mark_abuse")
    ui.locator("form.decide").first.get_by_role("button", name="Apply").click()
    expect(ui.get_by_role("status")).to_contain_text("1 reply marked as abuse.")
    by_id = {pid: (folder_of(db, HOSTILE_PLATFORM, pid)[0], row)
             for pid, row in HOSTILE_ROWS.items()}
    for folder in sorted({f for f, _ in by_id.values()}):
        ui.goto("/" if folder == "support" else f"/folder/{folder}")
        if folder == "inbox":
            shot(ui, "hostile-inbox")
        for pid, (where, row) in by_id.items():
            if where != folder:
                continue
            item = card(ui, HOSTILE_PLATFORM, pid)
            if folder in ("shielded", "review"):  # both blurred until the click
                item.get_by_role("button", name="Show this reply").click()
                expect(item.locator('[data-role="text"]')).to_have_text(row["text"])
                assert row["display_name"] in item.locator('[data-role="name"]').inner_text()
                expect(item.locator(".reordered-note")).to_have_count(
                    int(any(ch in row["text"] for ch in BIDI_CONTROLS)))
            else:
                assert item.locator(".text").inner_text() == row["text"]
                warned = "direction-control characters" in item.inner_text()
                assert warned == any(ch in row["text"] for ch in BIDI_CONTROLS), pid
                assert row["display_name"] in item.locator(".name").inner_text()
                assert item.locator(".text").evaluate(
                    "e => getComputedStyle(e).unicodeBidi") == "plaintext"
            assert item.locator(".name bdi").evaluate(
                "e => getComputedStyle(e).unicodeBidi") == "isolate"  # a name cannot flip the line
            found = item.evaluate(_INJECTED)
            assert found == {"scripts": 0, "elements": [], "bodyVisible": True}, pid
            assert "49" not in item.inner_text()  # `{{ 7*7 }}` is not a template either
        assert ui.title().endswith("· pileon")
    for pid in HOSTILE_ROWS:
        ui.goto(f"/post?p={HOSTILE_PLATFORM}&id={pid}")
        assert ui.locator("main").evaluate(_INJECTED)["scripts"] == 0
    assert seen["dialogs"] == [] and seen["errors"] == []
    assert seen["console"] == []  # not even a CSP violation: nothing tried to run
    assert all(url.startswith(server.base) for url in seen["requests"]), seen["requests"]


def _fonts(page: Page, selector: str) -> list[str]:
    """The fonts Chromium really drew `selector` with (not what the CSS asked for).

    A language switch reloads the page; a node id taken just before the new document replaced
    the old one is stale, so the page is let settle and a stale id is asked for again."""
    page.wait_for_load_state("load")
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        for attempt in range(5):
            root = cdp.send("DOM.getDocument")["root"]["nodeId"]
            node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
            try:
                fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
            except PlaywrightError:
                if attempt == 4:
                    raise
                page.wait_for_timeout(100)
                continue
            return [str(f["familyName"]) for f in fonts]
    finally:
        cdp.detach()
    raise AssertionError("unreachable")


def test_the_language_switch_works_in_all_five_languages(ui: Page) -> None:
    ui.goto("/")
    try:
        first = ui.get_by_role("form", name=re.compile("follows your browser's language"))
        expect(first).to_be_visible()  # on first start, the five languages are offered
        first.get_by_role("button", name="Français").click()
        expect(ui.locator("html")).to_have_attribute("lang", "fr")
        expect(first).to_have_count(0)  # chosen once, then only the switch in the header
        for lang in ["fr", "az", "hy", "ru", "en"]:
            if lang != "fr":
                ui.locator("#lang-select").select_option(lang)
            expect(ui.locator("html")).to_have_attribute("lang", lang)
            _ = gettext_for(lang)[0]
            expect(ui.get_by_role("heading", level=1)).to_have_text(_("What people said to you"))
            expect(ui.get_by_role("link", name=_("Overview"))).to_be_visible()
            assert ui.title() == f"{_('What people said to you')} · pileon"
            fonts = _fonts(ui, "h1")
            assert fonts and not any("LastResort" in f for f in fonts), fonts
            if lang == "hy":
                assert any("Armenian" in f for f in fonts), fonts
            shot(ui, f"home-{lang}")
            for option, name in LANGUAGES.items():  # each language named in itself
                assert ui.locator(f'#lang-select option[value="{option}"]').inner_text() == name
    finally:
        ui.goto("/")
        ui.locator("#lang-select").select_option("en")
        expect(ui.locator("html")).to_have_attribute("lang", "en")


def test_keyboard_j_k_x_and_folder_keys_with_undo(ui: Page, db: sqlite3.Connection) -> None:
    ui.goto("/folder/inbox")
    rows = first_page(db, "inbox")
    keys = [key_of(r["platform"], r["post_id"]) for r in rows]
    focused = 'document.activeElement.dataset.key || ""'
    ui.keyboard.press("j")
    ui.keyboard.press("j")
    assert ui.evaluate(focused) == keys[1]
    ui.keyboard.press("k")
    assert ui.evaluate(focused) == keys[0]
    ui.keyboard.press("x")
    expect(card(ui, rows[0]["platform"], rows[0]["post_id"]).locator("input.select")).to_be_checked()
    ui.keyboard.press("s")
    expect(ui.get_by_role("status")).to_contain_text("1 reply moved to Support.")
    ui.wait_for_load_state()  # the shortcuts live in a deferred script
    assert folder_of(db, rows[0]["platform"], rows[0]["post_id"]) == ("support", True)
    ui.keyboard.press("u")
    expect(ui.get_by_role("status")).to_have_count(0)
    ui.wait_for_load_state()
    assert folder_of(db, rows[0]["platform"], rows[0]["post_id"]) == ("inbox", False)
    # focus is back on the reply the undo brought back, not at the top of the page
    # (polled with evaluate: wait_for_function compiles its predicate with eval, which the
    # UI's Content-Security-Policy refuses)
    deadline = time.monotonic() + 10
    while ui.evaluate(focused) != keys[0] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ui.evaluate(focused) == keys[0]

    ui.keyboard.press("a")  # nothing selected: the focused reply goes
    expect(ui.get_by_role("status")).to_contain_text("1 reply moved to “Abusive replies”.")
    ui.wait_for_load_state()  # the shortcuts live in a deferred script
    assert folder_of(db, rows[0]["platform"], rows[0]["post_id"]) == ("shielded", True)
    ui.keyboard.press("u")
    expect(ui.get_by_role("status")).to_have_count(0)
    ui.wait_for_load_state()

    ui.goto("/folder/review")
    review = first_page(db, "review")[:2]
    for _ in review:
        ui.keyboard.press("j")
        ui.keyboard.press("x")
    ui.keyboard.press("e")
    expect(ui.get_by_role("status")).to_contain_text("2 replies moved to the Inbox.")
    ui.wait_for_load_state()
    assert [folder_of(db, r["platform"], r["post_id"]) for r in review] == [("inbox", True)] * 2
    ui.keyboard.press("u")
    expect(ui.get_by_role("status")).to_have_count(0)
    ui.wait_for_load_state()
    assert [folder_of(db, r["platform"], r["post_id"])[0] for r in review] == ["review"] * 2


def test_keyboard_only_skip_link_and_reveal(ui: Page, db: sqlite3.Connection) -> None:
    ui.goto("/folder/shielded")
    ui.keyboard.press("Tab")
    skip = ui.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert skip.evaluate("e => e.getBoundingClientRect().left") >= 0  # shown when focused
    ui.keyboard.press("Enter")
    row = first_page(db, "shielded")[0]
    item = card(ui, row["platform"], row["post_id"])
    item.get_by_role("button", name="Show this reply").focus()
    ui.keyboard.press("Enter")
    expect(item.locator('[data-role="text"]')).to_have_text(row["text"])
    expect(item.locator('[data-role="text"]')).to_be_focused()  # reading starts at the text
    ui.keyboard.press("Shift+Tab")
    ui.keyboard.press("Tab")
    expect(item.get_by_role("button", name="Hide again")).to_be_focused()
    ui.keyboard.press("Enter")
    expect(item.locator('[data-role="text"]')).to_be_hidden()


def test_unblur_everything_is_off_by_default_and_asks_first(
        ui: Page, db: sqlite3.Connection) -> None:
    row = first_page(db, "shielded")[0]
    ui.goto("/settings")
    shot(ui, "settings")
    ui.get_by_role("button", name="Unblur everything…").click()
    dialog = ui.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Are you sure?")
    shot(ui, "settings-confirm")
    dialog.get_by_role("link", name="No, keep them blurred").click()
    ui.goto("/folder/shielded")
    assert row["text"] not in ui.content()
    try:
        ui.goto("/settings")
        ui.get_by_role("button", name="Unblur everything…").click()
        ui.get_by_role("button", name="Yes, show everything").click()
        ui.goto("/folder/shielded")
        expect(card(ui, row["platform"], row["post_id"]).locator(".text")).to_have_text(
            row["text"])
    finally:
        ui.goto("/settings")
        ui.get_by_role("button", name="Blur them again").click()
    ui.goto("/folder/shielded")
    assert row["text"] not in ui.content()


_CONTRAST = """() => {
  const rgb = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92
    : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = el => { const layers = [];
    for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } }
    let out = {r: 255, g: 255, b: 255};
    for (const l of layers.reverse()) out = {r: l.r * l.a + out.r * (1 - l.a),
      g: l.g * l.a + out.g * (1 - l.a), b: l.b * l.a + out.b * (1 - l.a)};
    return out; };
  const bad = []; const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const el = walk.currentNode.parentElement; if (!walk.currentNode.textContent.trim()) continue;
    if (el.closest("[hidden], .sr-only, .skip, svg")) continue;
    const s = getComputedStyle(el), box = el.getBoundingClientRect();
    if (!box.width || s.visibility !== "visible") continue;
    const fg = rgb(s.color), bg = background(el), a = lum(fg), b = lum(bg);
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(s.fontSize), large = size >= 24 || (size >= 18.66 && s.fontWeight >= 700);
    if (ratio < (large ? 3 : 4.5)) bad.push(walk.currentNode.textContent.trim().slice(0, 30) + " " + ratio.toFixed(2));
  }
  return bad; }"""


def _unnamed_controls(page: Page) -> list[str]:
    """Controls the accessibility tree gives no name (what a screen reader would announce)."""
    cdp = page.context.new_cdp_session(page)
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    cdp.detach()
    roles = {"button", "link", "textbox", "searchbox", "combobox", "checkbox", "ListBox"}
    return [str(n["role"]["value"]) for n in nodes if not n.get("ignored")
            and n.get("role", {}).get("value") in roles
            and not str(n.get("name", {}).get("value", "")).strip()]


def test_every_view_passes_contrast_labels_and_is_screenshotted(
        ui: Page, db: sqlite3.Connection) -> None:
    post = first_page(db, "support")[0]
    views = {"home": "/", "overview": "/overview", "settings": "/settings",
             "post-support": f"/post?p={post['platform']}&id={post['post_id']}",
             **{f"folder-{f}": f"/folder/{f}" for f in FOLDERS}}
    for name, path in views.items():
        ui.goto(path)
        shot(ui, name, full=name in ("home", "overview"))
        assert ui.evaluate(_CONTRAST) == [], name
        assert _unnamed_controls(ui) == [], name
    # The first screen puts support first: the first reply shown is a supportive one, and the
    # languages counted are real languages ("und", not identified, is not one).
    ui.goto("/")
    langs = {r[0] for r in db.execute("SELECT DISTINCT lang FROM post_folders WHERE run_id=?"
                                      " AND folder='support' AND lang != 'und'", (run_id(db),))}
    expect(ui.locator(".hero .lead")).to_contain_text(f"in {len(langs)} languages.")
    expect(ui.locator("main article.card").first).to_have_class(re.compile("folder-support"))
    assert ui.locator("main .hero").evaluate("e => e.compareDocumentPosition("
                                             "document.querySelector('.others')) & 4") == 4


def test_reduced_motion_is_respected(chromium: Browser, server: ServerThread) -> None:
    durations = {}
    for motion in ("reduce", "no-preference"):
        context = chromium.new_context(reduced_motion=motion)
        page = context.new_page()
        page.goto(server.link)
        page.goto(server.base + "/folder/support")
        durations[motion] = page.locator("article.card").first.evaluate(
            "e => getComputedStyle(e).transitionDuration")
        context.close()
    assert durations == {"reduce": "0s", "no-preference": "0.15s"}
