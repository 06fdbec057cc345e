"""Helpers for the ingest tests: ingest fixture files into a fresh database and read rows back."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pileon.ingest.run import ingest_file
from pileon.store import connect

FORMATS = Path(__file__).parent.parent / "fixtures" / "formats"

IngestFn = Callable[..., sqlite3.Connection]


@pytest.fixture
def formats() -> Path:
    return FORMATS


@pytest.fixture
def ingest(db_path: Path) -> IngestFn:
    """ingest(*paths, fmt="auto", **options) -> an open connection to the test database."""
    conn = connect(db_path)

    def run(*paths: Path, fmt: str = "auto", **options: Any) -> sqlite3.Connection:
        for path in paths:
            ingest_file(conn, path, fmt=fmt, options=options)
        return conn

    yield run
    conn.close()
