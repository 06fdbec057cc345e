"""Shared fixtures: paths to the real-format example payloads and a fresh database per test."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "thread.db"


@pytest.fixture(autouse=True)
def _crash_log_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected error's traceback goes to a log file; in tests, never the user's own."""
    monkeypatch.setenv("PILEON_LOG_DIR", str(tmp_path_factory.getbasetemp() / "pileon-logs"))
