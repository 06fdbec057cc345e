"""Fixtures for the review UI: a triaged thread database and an in-process client
(httpx.ASGITransport, no network); browser tests start the real server (test_browser.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from demo_db import build_demo_db  # noqa: E402
from triaged_db import triaged  # noqa: E402
from webclient import Client  # noqa: E402

from pileon.web.serve import ServerThread  # noqa: E402


@pytest.fixture
def ui_db(tmp_path: Path) -> Path:
    return triaged(tmp_path / "thread.db")


@pytest.fixture
def client(ui_db: Path) -> Client:
    return Client(ui_db).login()


# --- real server and real Chromium (test_browser.py) -------------------------------------------

CHROMIUM = "/usr/bin/chromium"  # Debian's package; `playwright install` cannot download here
REBIND_HOST = "rebind.test"  # resolved to 127.0.0.1 by Chromium itself: a DNS-rebinding stand-in


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--host-resolver-rules=MAP {REBIND_HOST} 127.0.0.1"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1100, "height": 900},
            "locale": "en-GB", "timezone_id": "UTC"}


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


@pytest.fixture(scope="session")
def base_url(server: ServerThread) -> str:
    return server.base
