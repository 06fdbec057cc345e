"""Fixtures for the review UI: a triaged thread database and an in-process client
(httpx.ASGITransport, no network); browser tests start the real server (test_browser.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from triaged_db import triaged  # noqa: E402
from webclient import Client  # noqa: E402


@pytest.fixture
def ui_db(tmp_path: Path) -> Path:
    return triaged(tmp_path / "thread.db")


@pytest.fixture
def client(ui_db: Path) -> Client:
    return Client(ui_db).login()
