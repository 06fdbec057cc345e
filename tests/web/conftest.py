"""Fixtures for the review UI: a triaged thread database and an in-process client
(httpx.ASGITransport, no network); browser tests start the real server (test_browser.py)."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

sys.path.insert(0, str(Path(__file__).parent))
from chromium import ARGS, CHROMIUM  # noqa: E402
from demo_db import build_demo_db  # noqa: E402
from triaged_db import triaged  # noqa: E402
from webclient import Client  # noqa: E402

from pileon.store import connect  # noqa: E402
from pileon.web.serve import ServerThread  # noqa: E402


@pytest.fixture
def ui_db(tmp_path: Path) -> Path:
    return triaged(tmp_path / "thread.db")


@pytest.fixture
def client(ui_db: Path) -> Client:
    return Client(ui_db).login()


# --- real server and real Chromium (test_browser.py) -------------------------------------------
# Playwright's sync API keeps an event loop running on this thread while it is started, so the
# browser lives for one module only: later tests can still call asyncio.run().


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo pile-on (default size) + hostile replies, coordinated, scored, triaged: once."""
    return build_demo_db(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def server(demo_db: Path) -> Iterator[ServerThread]:
    """`pileon serve`'s uvicorn on 127.0.0.1, on a free port, in a background thread."""
    running = ServerThread(demo_db).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, started once for the module that asks for it."""
    driver = sync_playwright().start()
    browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    yield browser
    browser.close()
    driver.stop()


@pytest.fixture
def context(chromium: Browser, server: ServerThread) -> Iterator[BrowserContext]:
    context = chromium.new_context(base_url=server.base, viewport={"width": 1100, "height": 900},
                                   locale="en-GB", timezone_id="UTC")
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def db(demo_db: Path) -> Iterator[sqlite3.Connection]:
    """A connection to the demo database this module serves (`demo_db` may be the module's own)."""
    conn = connect(demo_db)
    yield conn
    conn.close()


@pytest.fixture
def ui(page: Page, server: ServerThread) -> Page:
    """A page holding a session: the one-time link was opened, the cookie is set."""
    page.goto(server.link)
    return page
