"""A database pileon can only read, in a real Chromium against the real server: the pages
work, and an action gets the calm "can only be read" page in the browser's language, with its
way back, and the file is left exactly as it was (issue 19)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

import pileon.store.db as store_db
from pileon.web.serve import ServerThread

WANTED = {
    "fr": ("Cette base peut seulement être lue", "Retour"),
    "ru": ("Эту базу можно только читать", "Назад"),
    "hy": ("Այս տվյալների բազան կարելի է միայն կարդալ", "Հետ"),
    "az": ("Bu verilənlər bazası yalnız oxuna bilər", "Geri"),
}


@pytest.fixture(scope="module")
def read_only_server(tmp_path_factory: pytest.TempPathFactory,
                     demo_db: Path) -> Iterator[tuple[ServerThread, Path]]:
    """The demo thread, opened as store/db.py opens a file it cannot write (`mode=ro`)."""
    db = tmp_path_factory.mktemp("read-only") / "thread.db"
    shutil.copyfile(demo_db, db)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store_db, "_writable", lambda path: False)
        running = ServerThread(db).start()
        try:
            yield running, db
        finally:
            running.stop()


@pytest.mark.parametrize("lang", sorted(WANTED))
def test_an_action_on_a_read_only_database_says_so_in_the_users_language(
    chromium: Browser, read_only_server: tuple[ServerThread, Path], lang: str
) -> None:
    server, db = read_only_server
    before = db.read_bytes()
    context = chromium.new_context(base_url=server.base, locale=lang, timezone_id="UTC")
    try:
        page = context.new_page()
        page.goto(server.link)
        assert page.goto("/folder/inbox").status == 200  # reading works
        form = page.locator("#bulk")
        form.locator('select[name="scope"]').select_option("filter")
        form.locator('select[name="action"]').select_option("evidence")
        with page.expect_response(lambda r: r.url.endswith("/actions")) as answer:
            form.locator('button[type="submit"]').click()
        assert answer.value.status == 409
        title, back = WANTED[lang]
        expect(page.locator("h1")).to_have_text(title)
        assert page.evaluate("document.documentElement.lang") == lang
        expect(page.locator("code")).to_have_text("pileon serve")
        page.get_by_role("link", name=back).click()
        page.wait_for_url("**/folder/inbox")
        expect(page.locator("#bulk")).to_be_visible()
    finally:
        context.close()
    assert db.read_bytes() == before
