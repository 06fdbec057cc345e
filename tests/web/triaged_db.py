"""A small triaged thread database (tests/triage/data/thread.jsonl) for the in-process UI tests."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent.parent / "triage"))
from thread_db import build_thread_db  # noqa: E402

from pileon.store import connect  # noqa: E402
from pileon.triage.rules import load_rules  # noqa: E402
from pileon.triage.run import run_triage  # noqa: E402


def triaged(path: Path, **kwargs: Any) -> Path:
    build_thread_db(path, **kwargs)
    conn = connect(path)
    run_triage(conn, load_rules(None))
    conn.close()
    return path
