"""Report test fixtures: a signing key in a temporary folder, and small real thread databases."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from report_db import build_report_db  # noqa: E402

from pileon.report.keys import KEY_ENV  # noqa: E402


@pytest.fixture(autouse=True)
def signing_key(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test signs with a key in its own temporary folder, never the user's real key."""
    path = tmp_path_factory.mktemp("key") / "signing_key.pem"
    monkeypatch.setenv(KEY_ENV, str(path))
    return path


@pytest.fixture
def report_db(tmp_path: Path) -> Path:
    return build_report_db(tmp_path / "thread.db")
