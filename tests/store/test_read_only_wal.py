"""A read-only database whose newest changes are still in its -wal (issue 19).

SQLite can share a -wal only through a -shm file beside it; on a folder it may not write, with no
-shm (a copy of a database that was still open, a read-only mount), `immutable=1` is the only way
in and it ignores the -wal. pileon must still read every committed change, or say why not.

The folder is made read-only for real: as root (CI), the command runs without the capabilities
that let root write anywhere (`setpriv --bounding-set=-dac_override,...`).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pileon.cli import main
from pileon.store.wal import committed_image

FORMATS = Path(__file__).parents[1] / "fixtures" / "formats"
PILEON = str(Path(sys.executable).parent / "pileon")
NO_ROOT_POWERS = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]


def _cli(*args: str | Path) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args], prog_name="pileon")
    assert result.exit_code == 0, result.output
    return result.output


def _as_reader(tmp_path: Path, *args: str | Path,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    prefix = NO_ROOT_POWERS if os.geteuid() == 0 else []
    if prefix and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make a folder read-only for real")
    return subprocess.run(
        [*prefix, PILEON, *map(str, args)], capture_output=True, text=True, timeout=120,
        env={**os.environ, "PILEON_LOG_DIR": str(tmp_path / "logs"), **(env or {})})


@pytest.fixture
def crashed_copy(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A read-only folder holding thread.db and thread.db-wal (no -shm), the second ingest's
    posts only in the -wal; and `pileon stats` of the same data where it is writable."""
    live = tmp_path / "live"
    live.mkdir()
    db = live / "thread.db"
    _cli("ingest", db, FORMATS / "mastodon_context.json", "-q")
    holder = sqlite3.connect(db)  # another reader: the ingest below cannot checkpoint on close
    holder.execute("SELECT COUNT(*) FROM posts").fetchone()
    _cli("ingest", db, FORMATS / "bluesky_getPostThread.json", "-q")
    ro = tmp_path / "ro"
    ro.mkdir()
    shutil.copyfile(db, ro / "thread.db")
    shutil.copyfile(f"{db}-wal", ro / "thread.db-wal")
    holder.close()
    expected = _cli("stats", db)
    ro.chmod(0o555)
    yield ro / "thread.db", expected
    ro.chmod(0o755)


def test_the_scenario_is_real_the_main_file_alone_misses_the_second_ingest(
    crashed_copy: tuple[Path, str]
) -> None:
    db, _ = crashed_copy
    assert Path(f"{db}-wal").stat().st_size > 32 and not Path(f"{db}-shm").exists()
    immutable = sqlite3.connect(f"{db.as_uri()}?mode=ro&immutable=1", uri=True)
    stale = {r[0] for r in immutable.execute("SELECT DISTINCT platform FROM posts")}
    immutable.close()
    assert "bluesky" not in stale  # what the old fallback showed: the second ingest was lost


def test_stats_on_a_read_only_folder_with_a_wal_shows_every_committed_change(
    crashed_copy: tuple[Path, str], tmp_path: Path
) -> None:
    db, expected = crashed_copy
    before = sorted((p.name, p.read_bytes()) for p in db.parent.iterdir())
    result = _as_reader(tmp_path, "stats", db)
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected
    assert "bluesky" in result.stdout
    assert sorted((p.name, p.read_bytes()) for p in db.parent.iterdir()) == before


def test_a_write_on_it_is_refused_as_read_only(
    crashed_copy: tuple[Path, str], tmp_path: Path
) -> None:
    db, _ = crashed_copy
    result = _as_reader(tmp_path, "ingest", db, FORMATS / "bluesky_getQuotes.json")
    assert result.returncode == 1
    assert "read-only" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout


def test_too_large_to_rebuild_in_memory_is_a_clear_sentence(
    crashed_copy: tuple[Path, str], tmp_path: Path
) -> None:
    db, _ = crashed_copy
    result = _as_reader(tmp_path, "stats", db, env={"PILEON_READ_ONLY_MEMORY_MB": "0"})
    assert result.returncode == 1
    [line] = (result.stderr + result.stdout).strip().splitlines()
    assert line.startswith("Error: ") and "thread.db-wal" in line and "writable folder" in line


def test_committed_image_keeps_only_committed_frames(tmp_path: Path) -> None:
    """An open transaction's frames are in the -wal but not committed: they must not show."""
    db = tmp_path / "t.db"
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (x TEXT)")
    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    writer.executemany("INSERT INTO t VALUES (?)", [(f"committed {i}" * 20,) for i in range(300)])
    writer.execute("BEGIN")
    writer.executemany("INSERT INTO t VALUES (?)", [(f"pending {i}" * 20,) for i in range(300)])
    writer.execute("PRAGMA cache_spill=1")
    writer.execute("PRAGMA cache_size=1")  # spill the open transaction's pages into the -wal
    writer.executemany("INSERT INTO t VALUES (?)", [(f"pending {i}" * 20,) for i in range(300)])
    wal_bytes = Path(f"{db}-wal").read_bytes()
    assert b"pending 1" in wal_bytes  # uncommitted frames are really there
    image = committed_image(db, Path(f"{db}-wal"))
    writer.execute("ROLLBACK")
    writer.close()
    copy = sqlite3.connect(":memory:")
    copy.deserialize(image)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = [r[0] for r in copy.execute("SELECT x FROM t")]
    assert len(rows) == 300 and all(r.startswith("committed") for r in rows)
