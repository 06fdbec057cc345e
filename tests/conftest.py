"""Shared fixtures: paths to the real-format example payloads, a fresh database per test, and
a loopback replay server (real HTTP on 127.0.0.1) for every client that talks to a platform."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from collect.server import ReplayServer

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    """A loopback server answering with the replies each test routes (tests/collect/server.py).
    The review UI's tests name their own `server` (the UI itself) in tests/web."""
    replay = ReplayServer().start()
    yield replay
    replay.stop()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "thread.db"


@pytest.fixture(autouse=True)
def _crash_log_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected error's traceback goes to a log file; in tests, never the user's own."""
    monkeypatch.setenv("PILEON_LOG_DIR", str(tmp_path_factory.getbasetemp() / "pileon-logs"))


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The built-lexicon cache (analyze/lexicon_cache.py) of a test run is its own, never the
    user's ~/.cache: shared by the run's tests, so the lexicons are built once per run."""
    monkeypatch.setenv("PILEON_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "pileon-cache"))
