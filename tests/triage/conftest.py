"""Fixtures for triage tests: a small scored thread database built from data/thread.jsonl."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from thread_db import build_thread_db  # noqa: E402


@pytest.fixture
def thread_db(tmp_path: Path) -> Path:
    return build_thread_db(tmp_path / "thread.db")


@pytest.fixture
def unscored_db(tmp_path: Path) -> Path:
    return build_thread_db(tmp_path / "bare.db", scores=False, clusters=False)
