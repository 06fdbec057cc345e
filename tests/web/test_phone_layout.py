"""The review UI on a phone and on a laptop, in all five languages, in a real Chromium.

For each language, at 390×844 and 1280×900, every page a person opens (first screen, overview,
each folder, a post page, a coordinated group's page) must not scroll sideways:
`document.scrollingElement.scrollWidth <= innerWidth`. A screenshot of each goes to
test-artifacts/screenshots/layout/ for a person to look at. Also: the trusted helper's view, the
one-time link, and where keyboard focus lands after an action.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from pileon.store import connect
from pileon.store.triage import PageFilter, folder_page, latest_run
from pileon.triage.folders import FOLDERS
from pileon.web.i18n import LANGUAGES, gettext_for
from pileon.web.serve import ServerThread
from pileon.web.views import key_of

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "layout"
VIEWPORTS = {"phone": (390, 844), "laptop": (1280, 900)}
LOCALES = {"en": "en-GB", "fr": "fr-FR", "az": "az-AZ", "hy": "hy-AM", "ru": "ru-RU"}


@pytest.fixture(scope="module")
def own_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo database, so this module's decisions and settings stay its own."""
    target = tmp_path_factory.mktemp("layout") / "demo.db"
    source = sqlite3.connect(demo_db)
    copy = sqlite3.connect(target)
    source.backup(copy)
    source.close()
    # the language and unblur choices other modules made stay theirs: start as a new user
    copy.execute("DELETE FROM ui_settings WHERE key IN ('lang', 'unblur_all')")
    copy.commit()
    copy.close()
    return target


@pytest.fixture(scope="module")
def own_server(own_db: Path) -> Iterator[ServerThread]:
    running = ServerThread(own_db).start()
    yield running
    running.stop()


@pytest.fixture
def db(own_db: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(own_db)
    yield conn
    conn.close()


def _run(conn: sqlite3.Connection) -> int:
    run = latest_run(conn)
    assert run is not None
    return int(run["id"])


def _pages(conn: sqlite3.Connection) -> dict[str, str]:
    run = _run(conn)
    rows, _ = folder_page(conn, run, PageFilter(folder="shielded"), offset=0, limit=1)
    cluster = conn.execute(
        "SELECT cluster_id, COUNT(*) n FROM post_folders WHERE run_id=? AND cluster_id IS NOT NULL"
        " GROUP BY cluster_id ORDER BY n DESC LIMIT 1", (run,)).fetchone()
    folder = conn.execute("SELECT folder FROM post_folders WHERE run_id=? AND cluster_id=?"
                          " GROUP BY folder ORDER BY COUNT(*) DESC LIMIT 1",
                          (run, cluster[0])).fetchone()[0]
    support, _ = folder_page(conn, run, PageFilter(folder="support"), offset=0, limit=1)
    pages = {"home": "/", "overview": "/overview"}
    pages.update({f"folder-{f}": f"/folder/{f}" for f in FOLDERS})
    pages["post-shielded"] = f"/post?p={rows[0]['platform']}&id={rows[0]['post_id']}"
    pages["post-support"] = f"/post?p={support[0]['platform']}&id={support[0]['post_id']}"
    pages["cluster"] = f"/folder/{folder}?cluster={cluster[0]}"
    pages["settings"] = "/settings"
    return pages


def _open(chromium: Browser, server: ServerThread, lang: str, size: tuple[int, int]) -> Page:
    context = chromium.new_context(base_url=server.base,
                                   viewport={"width": size[0], "height": size[1]},
                                   locale=LOCALES[lang], timezone_id="UTC",
                                   extra_http_headers={"Accept-Language": LOCALES[lang]})
    page = context.new_page()
    page.goto(server.link)
    return page


WIDTH = "[document.scrollingElement.scrollWidth, window.innerWidth]"
#: Tables sit in a .table-wrap that may scroll on its own: none should have to (a column cut
#: off at the edge reads as missing, even when the page itself does not scroll).
CUT_TABLES = """() => [...document.querySelectorAll('.table-wrap')]
  .filter(w => w.scrollWidth > w.clientWidth + 1)
  .map(w => (w.querySelector('th') || w).textContent.slice(0, 30) + ' ' + w.scrollWidth + '>' + w.clientWidth)"""
WIDEST = """() => { let worst = null; const limit = window.innerWidth;
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (r.right > limit + 1 && r.width > 0 && (!worst || r.right > worst[1]))
      worst = [e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40), r.right];
  } return worst; }"""


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_no_page_scrolls_sideways_on_a_phone_or_a_laptop(
        chromium: Browser, own_server: ServerThread, db: sqlite3.Connection, lang: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = _pages(db)
    _ = gettext_for(lang)[0]
    wide: list[str] = []
    for label, size in VIEWPORTS.items():
        page = _open(chromium, own_server, lang, size)
        try:
            for name, url in pages.items():
                page.goto(url)
                expect(page.locator("html")).to_have_attribute("lang", lang)
                scroll, inner = page.evaluate(WIDTH)
                if scroll > inner:
                    wide.append(f"{name} {label}: {scroll} > {inner} ({page.evaluate(WIDEST)})")
                wide.extend(f"{name} {label}: table {cut}" for cut in page.evaluate(CUT_TABLES))
                page.screenshot(path=str(SHOTS / f"{lang}-{label}-{name}.png"), full_page=True)
            # the first screen says who stood by the user, in the interface language
            page.goto("/")
            expect(page.get_by_role("heading", level=1)).to_have_text(_("What people said to you"))
        finally:
            page.context.close()
    assert not wide, wide


def test_the_first_screen_shows_no_abuse_count(chromium: Browser, own_server: ServerThread,
                                               db: sqlite3.Connection) -> None:
    shielded = db.execute("SELECT COUNT(*) FROM post_folders WHERE run_id=? AND folder="
                          "'shielded'", (_run(db),)).fetchone()[0]
    assert shielded > 0
    page = _open(chromium, own_server, "en", VIEWPORTS["phone"])
    try:
        text = page.locator("body").inner_text()
        assert str(shielded) not in text.split()
        assert "Abusive replies" in text  # the folder is reachable, calmly
        page.get_by_role("link", name="Replies that read as abuse are kept away").click()
        expect(page).to_have_url(own_server.base + "/folder/shielded")
    finally:
        page.context.close()


def test_a_link_works_once_and_a_new_one_can_be_asked_for(chromium: Browser,
                                                         own_server: ServerThread) -> None:
    printed: list[str] = []
    own_server.sessions.on_new_link = printed.append
    link = own_server.link
    first = chromium.new_context(base_url=own_server.base)
    second = chromium.new_context(base_url=own_server.base)
    try:
        page = first.new_page()
        assert page.goto(link).status == 200  # exchanged for a session cookie
        assert "token=" not in page.url
        other = second.new_page()
        reused = other.goto(link)
        assert reused.status == 403
        expect(other.get_by_role("heading", level=1)).to_have_text(
            "This link has already been used")
        assert other.goto(own_server.base + "/folder/shielded").status == 403
        other.get_by_role("button", name="Print a new link in the terminal").click()
        expect(other.get_by_role("heading", level=1)).to_have_text(
            "A new link is in the terminal")
        assert len(printed) == 1 and printed[0] != link and "token=" in printed[0]
        assert printed[0] not in other.content()  # the page itself never shows it
        assert other.goto(printed[0]).status == 200
        # the first browser keeps working; opening its own link again just goes on
        assert page.goto(link).status == 200
    finally:
        first.close()
        second.close()
        own_server.sessions.on_new_link = None


def test_the_helper_sees_shielded_text_decides_under_their_name_and_can_be_removed(
        chromium: Browser, own_server: ServerThread, db: sqlite3.Connection) -> None:
    run = _run(db)
    rows, _ = folder_page(db, run, PageFilter(folder="shielded"), offset=0, limit=3)
    target = rows[0]
    helper = chromium.new_context(base_url=own_server.base, viewport={"width": 390, "height": 844})
    author = chromium.new_context(base_url=own_server.base)
    try:
        hp = helper.new_page()
        hp.goto(own_server.helper_link("Ani"))
        expect(hp).to_have_url(own_server.base + "/folder/review")  # here to review
        expect(hp.locator(".helper-banner")).to_contain_text("trusted helper (Ani)")
        hp.goto("/folder/shielded")
        card = hp.locator(f'article.card[data-key="{key_of(target["platform"], target["post_id"])}"]')
        expect(card.locator("p.text")).to_have_text(target["text"])  # unblurred for the helper
        hp.screenshot(path=str(SHOTS / "helper-shielded-phone.png"), full_page=True)
        # the author, at the same moment, still sees it blurred
        ap = author.new_page()
        ap.goto(own_server.link)
        ap.goto("/folder/shielded")
        assert target["text"] not in ap.content()
        # the helper cannot unblur the author's view
        assert hp.request.post(own_server.base + "/settings", form={
            "unblur_all": "1", "confirm": "yes", "csrf": hp.locator(
                'meta[name="csrf-token"]').get_attribute("content") or ""},
            headers={"origin": own_server.base}).status == 403
        # a decision by the helper records who made it
        hp.goto(f"/post?p={target['platform']}&id={target['post_id']}")
        hp.locator("#decide-form select[name=action]").select_option("move:review")
        hp.locator("#decide-form button[type=submit]").click()
        expect(hp.locator("#decision")).to_contain_text("Decided by Ani, your trusted helper.")
        who = db.execute("SELECT decided_by FROM decisions WHERE platform=? AND post_id=?"
                         " ORDER BY id DESC LIMIT 1",
                         (target["platform"], target["post_id"])).fetchone()[0]
        assert who == "Ani"
        # the author removes the helper: their session stops working
        ap.goto("/settings")
        expect(ap.locator("#helpers")).to_contain_text("Ani")
        ap.get_by_role("button", name="Remove this helper").click()
        assert hp.goto("/folder/shielded").status == 403
        assert target["text"] not in hp.content()
    finally:
        helper.close()
        author.close()
        undo = db.execute("SELECT batch FROM decisions WHERE decided_by='Ani'").fetchall()
        from pileon.triage.run import undo_batch
        for row in undo:
            undo_batch(db, row[0])



def _wait_until(page: Page, expression: str, want: object, seconds: float = 10.0) -> None:
    """Poll `expression` until it equals `want`. (Playwright's wait_for_function compiles its
    predicate with eval in the page, which the UI's Content-Security-Policy rightly refuses.)"""
    deadline = time.monotonic() + seconds
    got = page.evaluate(expression)
    while got != want and time.monotonic() < deadline:
        time.sleep(0.05)
        got = page.evaluate(expression)
    assert got == want, (expression, got, want)

def test_focus_comes_back_to_the_list_after_each_action(chromium: Browser,
                                                       own_server: ServerThread,
                                                       db: sqlite3.Connection) -> None:
    page = _open(chromium, own_server, "en", VIEWPORTS["laptop"])
    try:
        page.goto("/folder/inbox")
        rows, _ = folder_page(db, _run(db), PageFilter(folder="inbox"), offset=0, limit=5)
        keys = [key_of(r["platform"], r["post_id"]) for r in rows]
        focused = 'document.activeElement.dataset.key || document.activeElement.id || ""'
        page.keyboard.press("j")
        page.keyboard.press("j")  # on the second reply
        page.keyboard.press("s")  # move it: focus goes to the reply after it, not to the top
        expect(page.locator("#notice")).to_contain_text("1 reply moved to Support.")
        _wait_until(page, focused, keys[2])
        expect(page.locator("#live")).to_have_text("1 reply moved to Support.")
        page.keyboard.press("j")  # and j goes on from there
        assert page.evaluate(focused) == keys[3]
        page.keyboard.press("u")
        expect(page.locator("#notice")).to_contain_text("Undone")
        _wait_until(page, focused, keys[1])  # the reply that came back
        expect(page.locator("#notice")).to_contain_text("Undone")
        # the same keys on a reply's own page, and on the first screen
        page.goto(f"/post?p={rows[0]['platform']}&id={rows[0]['post_id']}")
        page.keyboard.press("e" if rows[0]["folder"] != "inbox" else "r")
        expect(page.locator("#decision")).to_contain_text("Your decision: this reply was moved")
        _wait_until(page, focused, "decision")
        page.keyboard.press("u")
        expect(page.locator("#notice")).to_contain_text("Undone")
        page.goto("/")
        home = page.locator("article.card[data-key]").first
        home_key = home.get_attribute("data-key")
        page.keyboard.press("j")
        page.keyboard.press("e")
        expect(page.locator("#notice")).to_contain_text("1 reply moved to the Inbox.")
        platform, post_id = (home_key or "/").split("/", 1)
        assert db.execute("SELECT folder FROM post_folders WHERE run_id=? AND platform=? AND"
                          " post_id=?", (_run(db), platform, post_id)).fetchone()[0] == "inbox"
        page.wait_for_load_state()  # the shortcuts live in a deferred script
        page.keyboard.press("u")
        expect(page.locator("#notice")).to_contain_text("Undone")
        _wait_until(page, focused, home_key)  # back on that reply
    finally:
        page.context.close()


def test_skip_link_reaches_the_first_show_button_in_a_few_tabs(
        chromium: Browser, own_server: ServerThread) -> None:
    page = _open(chromium, own_server, "en", VIEWPORTS["phone"])
    try:
        page.goto("/folder/shielded")
        presses = 0
        for presses in range(1, 40):  # noqa: B007
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.classList.contains('reveal')"):
                break
        else:
            pytest.fail("no Show button reached by Tab")
        page.goto("/folder/shielded")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to the replies")).to_be_focused()
        page.keyboard.press("Enter")
        skipped = 0
        for skipped in range(1, 10):  # noqa: B007
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.classList.contains('reveal')"):
                break
        assert skipped <= 3, skipped
        print(f"Tab presses to the first Show button: {presses} (with the skip link: "
              f"{skipped + 3})")
    finally:
        page.context.close()
