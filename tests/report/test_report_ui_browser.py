"""The evidence report pages in a real Chromium against the real server, at phone (390 px)
and laptop (1280 px) widths and in five languages: nothing scrolls sideways, abuse stays
blurred until clicked, the report is written with its progress bar (PDF included), and a
report is filed on a loopback Mastodon after the dry run and an explicit send.

Screenshots go to test-artifacts/screenshots/report/ for a person to look at.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "web"))
from chromium import ARGS, CHROMIUM  # noqa: E402
from collect.server import ReplayServer, Reply  # noqa: E402
from filing_db import KIRILL_M, mastodon_thread, run  # noqa: E402
from report_db import build_report_db, hostile_rows  # noqa: E402

from pileon.report.verify import verify_report  # noqa: E402
from pileon.web.i18n import gettext_for  # noqa: E402
from pileon.web.serve import ServerThread  # noqa: E402

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "report"
SIZES = {"phone": (390, 844), "laptop": (1280, 900)}
LOCALES = {"en": "en-GB", "fr": "fr-FR", "az": "az-AZ", "hy": "hy-AM", "ru": "ru-RU"}
TOKEN = "tok-browser-71c0d2e9SECRET"
WIDTH = "[document.scrollingElement.scrollWidth, window.innerWidth]"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    driver = sync_playwright().start()
    browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    yield browser
    browser.close()
    driver.stop()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServerThread]:
    db = build_report_db(tmp_path / "thread.db")
    assert run("decide", str(db), "h01", "--action", "evidence").exit_code == 0
    running = ServerThread(db).start()
    yield running
    running.stop()


def _open(chromium: Browser, server: ServerThread, lang: str, size: str) -> Page:
    width, height = SIZES[size]
    context = chromium.new_context(base_url=server.base, viewport={"width": width,
                                                                   "height": height},
                                   locale=LOCALES[lang], timezone_id="UTC",
                                   extra_http_headers={"Accept-Language": LOCALES[lang]})
    page = context.new_page()
    page.goto(server.link)
    return page


def _fits(page: Page, what: str) -> None:
    scroll, inner = page.evaluate(WIDTH)
    assert scroll <= inner, f"{what}: {scroll} > {inner}"


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _wait_for_heading(page: Page, text: str, seconds: float = 180) -> None:
    """Poll (the UI's CSP refuses Playwright's wait_for_function)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            headings = page.evaluate(
                "[...document.querySelectorAll('h2')].map(h => h.textContent)")
        except PlaywrightError:  # the progress page reloads itself: poll again after it loads
            headings = []
        if headings.count(text):
            return
        time.sleep(0.25)
    raise AssertionError(f"no heading {text!r} after {seconds} s")


@pytest.mark.parametrize("lang", list(LOCALES))
def test_evidence_page_fits_and_keeps_abuse_blurred(chromium: Browser, served: ServerThread,
                                                    lang: str) -> None:
    abusive = next(r["text"] for r in hostile_rows() if r["id"] == "h01")
    _ = gettext_for(lang)[0]
    for size in SIZES:
        page = _open(chromium, served, lang, size)
        try:
            page.goto("/report")
            expect(page.get_by_role("heading", level=1)).to_have_text(_("Evidence report"))
            page.locator("details.evidence-list > summary").click()
            assert abusive not in page.locator("body").inner_text()
            _fits(page, f"/report {lang} {size}")
            _shot(page, f"{lang}-{size}-evidence")
            card = page.locator("article.card", has=page.locator("button.reveal")).first
            card.locator("button.reveal").click()  # one click shows that one reply
            expect(card.locator("[data-role=text]")).to_be_visible()
            page.goto("/report/file")
            _fits(page, f"/report/file {lang} {size}")
            _shot(page, f"{lang}-{size}-file-form")
        finally:
            page.context.close()


def test_writing_the_report_with_its_pdf_from_the_browser(chromium: Browser,
                                                          served: ServerThread) -> None:
    for size, pdf in (("phone", False), ("laptop", True)):
        page = _open(chromium, served, "hy", size)
        try:
            page.goto("/report")
            page.select_option("#report-lang", "hy")
            if not pdf:
                page.locator("input[name=pdf]").uncheck()
            page.locator("form.report-form button[type=submit]").click()
            expect(page).to_have_url(re.compile(r"/report/job/[\w-]+$"))
            expect(page.locator("progress#job-progress")).to_be_visible()
            _shot(page, f"hy-{size}-progress")
            _wait_for_heading(page, gettext_for("hy")[0]("The report is written"))
            _fits(page, f"job page {size}")
            _shot(page, f"hy-{size}-written")
            folder = Path(page.locator("dd code").first.inner_text())
            assert verify_report(folder, None, None).ok
            assert (folder / "report.pdf").exists() == pdf
            assert json.loads((folder / "manifest.json").read_text())["lang"] == "hy"
        finally:
            page.context.close()


def test_filing_on_mastodon_from_the_browser(chromium: Browser, tmp_path: Path,
                                             server: ReplayServer) -> None:
    db = mastodon_thread(tmp_path / "masto.db", server)
    server.route("/api/v1/reports", Reply.json({"id": "7701", "category": "other"}))
    ui = ServerThread(db).start()
    try:
        for size in SIZES:
            page = _open(chromium, ui, "en", size)
            try:
                page.goto("/report/file")
                page.fill("#instance", server.base_url)
                page.fill("#comment", "Harassment of a writer, see the evidence file.")
                page.get_by_role("button", name="Show what would be sent").click()
                expect(page.get_by_role("heading", name="Dry run: nothing was sent")
                       ).to_be_visible()
                assert server.requests == []
                requests = page.locator("details.requests")
                assert KIRILL_M not in requests.inner_text()  # closed: names after a click
                requests.locator("summary").click()
                expect(requests.locator("pre").first).to_contain_text(KIRILL_M)
                _fits(page, f"preview {size}")
                _shot(page, f"en-{size}-file-preview")
                if size == "phone":
                    continue  # the laptop sends
                page.fill("#secret", TOKEN)
                page.get_by_label("Yes, file these reports with my account").check()
                page.get_by_role("button", name="Send the reports").click()
                expect(page.get_by_role("heading", name="1 report filed")).to_be_visible()
                _fits(page, f"filed {size}")
                _shot(page, f"en-{size}-filed")
                [sent] = server.requests
                assert sent.headers["authorization"] == f"Bearer {TOKEN}"
                assert TOKEN not in page.content()
            finally:
                page.context.close()
    finally:
        ui.stop()
