"""Shared campaign fixtures: generated threads (tests/campaign/threadgen.py) plus the demo
pile-on, each as a pileon database, and one real Dask LocalCluster for the whole module."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

pytest.importorskip("distributed")
pytest.importorskip("pyarrow")

from threadgen import write_threads  # noqa: E402

from pileon.demo import generate  # noqa: E402
from pileon.ingest.run import ingest_file  # noqa: E402
from pileon.store import connect  # noqa: E402


@pytest.fixture(scope="session")
def thread_dbs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three ingested thread databases: two generated JSONL threads and the demo pile-on."""
    folder = tmp_path_factory.mktemp("threads")
    files = write_threads(folder / "gen", threads=2, posts_per_thread=500, seed=3)
    dbs = []
    for path in files:
        db = folder / f"{path.stem}.db"
        conn = connect(db)
        ingest_file(conn, path)
        conn.close()
        dbs.append(db)
    demo = folder / "demo.db"
    conn = connect(demo)
    for path in generate(folder / "demo-files", 600, 5):
        ingest_file(conn, path)
    conn.close()
    dbs.append(demo)
    return dbs


@pytest.fixture
def fresh_dbs(thread_dbs: list[Path], tmp_path: Path) -> list[Path]:
    out = []
    for db in thread_dbs:
        copy = tmp_path / "in" / db.name
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(db, copy)
        out.append(copy)
    return out


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    """A real LocalCluster with 2 workers. processes=False (workers are threads of this
    process) saves two model loads per test; tasks still go through the real scheduler and
    two workers. The CLI tests run `campaign run` with worker processes (real pickling)."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                           dashboard_address=None)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()
