"""Fixtures for the review UI: a triaged thread database and an in-process client
(httpx.ASGITransport, no network); browser tests start the real server (test_browser.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "triage"))
from thread_db import build_thread_db  # noqa: E402
from webclient import Client  # noqa: E402

from pileon.store import connect  # noqa: E402
from pileon.triage.rules import load_rules  # noqa: E402
from pileon.triage.run import run_triage  # noqa: E402


def triaged(path: Path, **kwargs: Any) -> Path:
    build_thread_db(path, **kwargs)
    conn = connect(path)
    run_triage(conn, load_rules(None))
    conn.close()
    return path


@pytest.fixture
def ui_db(tmp_path: Path) -> Path:
    return triaged(tmp_path / "thread.db")


@pytest.fixture
def client(ui_db: Path) -> Client:
    return Client(ui_db).login()
