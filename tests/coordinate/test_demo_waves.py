"""The demo pile-on (real-format payloads, ingested as a user would): its planted waves are
recovered against truth.jsonl, and its organic common phrases are not called coordinated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pileon.coordinate import analyse_coordination
from pileon.demo.generate import TRUTH_FILE, generate
from pileon.ingest.run import ingest_file
from pileon.store import connect
from pileon.store.coordination import load_accounts, load_batch


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    folder = tmp_path_factory.mktemp("demo")
    files = generate(folder / "payloads", 3000)
    db = folder / "thread.db"
    conn = connect(db)
    for path in files:
        ingest_file(conn, path)
    conn.close()
    truth = [json.loads(line) for line in
             (folder / "payloads" / TRUTH_FILE).read_text(encoding="utf-8").splitlines()]
    return db, truth


@pytest.fixture(scope="module")
def analysed(demo: tuple[Path, list[dict[str, object]]]) -> tuple[Any, Any, list[dict[str, object]]]:
    """The demo's batch and its coordination result, computed once for both tests."""
    db, truth = demo
    conn = connect(db)
    batch = load_batch(conn)
    result = analyse_coordination(batch, load_accounts(conn))
    conn.close()
    return batch, result, truth


def test_demo_waves_precision_and_recall_at_least_095(
        analysed: tuple[Any, Any, list[dict[str, object]]]) -> None:
    batch, result, truth = analysed
    planted = {(t["platform"], t["id"]) for t in truth if t["wave"]}
    found = {(batch.platforms[r], batch.ids[r]) for c in result.clusters for g in c.groups
             for r in g.coordinated_members}
    assert planted, "the demo plants waves"
    hit = len(found & planted)
    assert hit / len(found) >= 0.95
    assert hit / len(planted) >= 0.95


def test_demo_organic_phrases_are_not_coordinated(
        analysed: tuple[Any, Any, list[dict[str, object]]]) -> None:
    batch, result, truth = analysed
    organic = {(t["platform"], t["id"]) for t in truth if t["planted"] == "organic_phrase"}
    assert organic
    row_of = {(p, i): n for n, (p, i) in enumerate(zip(batch.platforms, batch.ids, strict=True))}
    clustered = {row_of[k] for k in organic if k in row_of}
    counted = {r for c in result.clusters for g in c.groups for r in g.coordinated_members}
    assert not clustered & counted
