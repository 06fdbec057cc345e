"""store.db.transaction(): committed on success, rolled back on any exception (Ctrl-C too),
never silently nested."""

from __future__ import annotations

from pathlib import Path

import pytest

from pileon.errors import StoreError
from pileon.store import connect
from pileon.store.db import transaction


def test_commit_rollback_and_no_nesting(tmp_path: Path) -> None:
    conn = connect(tmp_path / "t.db")
    conn.execute("CREATE TABLE t (x INTEGER)")
    with transaction(conn):
        conn.execute("INSERT INTO t VALUES (1)")
    for error in (ValueError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(error)), transaction(conn):
            conn.execute("INSERT INTO t VALUES (2)")
            raise error
    assert [r[0] for r in conn.execute("SELECT x FROM t")] == [1]
    assert not conn.in_transaction
    with transaction(conn), pytest.raises(StoreError, match="already open"), transaction(conn):
        pass
    other = connect(tmp_path / "t.db")  # the commit is visible to another connection
    assert other.execute("SELECT count(*) FROM t").fetchone()[0] == 1
    other.close()
    conn.close()
