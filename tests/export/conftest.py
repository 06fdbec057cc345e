"""Fixtures: the demo pile-on, ingested, scored and triaged once, copied fresh for each test."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from dbs import demo_thread_db  # noqa: E402


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_thread_db(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "thread.db"
    shutil.copyfile(demo_template, copy)
    return copy
