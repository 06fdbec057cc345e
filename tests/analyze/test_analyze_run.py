"""`pileon analyze` over a real database: every post scored once, re-runs add nothing, an
interrupted run resumes, a newer model writes beside the old one, decisions are never touched."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pileon.analyze import run as run_module
from pileon.analyze.run import analyze_db
from pileon.cli import main
from pileon.store import connect

sys.path.insert(0, str(Path(__file__).parent.parent / "triage"))
from thread_db import build_thread_db  # noqa: E402


@pytest.fixture
def thread(tmp_path: Path) -> Path:
    return build_thread_db(tmp_path / "thread.db", scores=False, clusters=False)


def _count(db: Path, sql: str) -> int:
    conn = connect(db)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def test_analyze_scores_every_post_once(thread: Path) -> None:
    posts = _count(thread, "SELECT count(*) FROM posts WHERE placeholder IS NULL")
    result = CliRunner().invoke(main, ["analyze", str(thread), "--json", "--workers", "1"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["analysed"] == posts
    assert _count(thread, "SELECT count(*) FROM scores") == posts
    conn = connect(thread)
    row = conn.execute("SELECT * FROM scores LIMIT 1").fetchone()
    text = conn.execute("SELECT text FROM posts WHERE platform=? AND id=?",
                        (row["platform"], row["post_id"])).fetchone()[0]
    conn.close()
    assert set(json.loads(row["scores_json"])) >= {"supportive", "insult", "neutral"}
    for e in json.loads(row["evidence_json"]):
        assert text[e["start"]:e["end"]] == e["text"]
    again = CliRunner().invoke(main, ["analyze", str(thread), "--json"])
    assert json.loads(again.stdout)["analysed"] == 0
    assert _count(thread, "SELECT count(*) FROM scores") == posts
    assert _count(thread, "SELECT count(*) FROM custody_log WHERE action='analyze'") == 2


def test_interrupted_run_resumes_without_duplicates(thread: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_module, "BATCH", 4)
    real_scores = run_module._scores
    calls = {"n": 0}

    def dying(batch, results):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real_scores(batch, results)

    monkeypatch.setattr(run_module, "_scores", dying)
    conn = connect(thread)
    with pytest.raises(KeyboardInterrupt):
        analyze_db(conn, workers=1)
    partial = conn.execute("SELECT count(*) FROM scores").fetchone()[0]
    assert partial == 8
    assert conn.execute("SELECT finished_at FROM analysis_runs").fetchone()[0] is None
    monkeypatch.setattr(run_module, "_scores", real_scores)
    result = analyze_db(conn, workers=1)
    posts = conn.execute("SELECT count(*) FROM posts WHERE placeholder IS NULL").fetchone()[0]
    assert conn.execute("SELECT count(*) FROM scores").fetchone()[0] == posts
    assert result.total == posts  # the resumed run counts what it did before the interruption
    assert conn.execute("SELECT count(*) FROM analysis_runs").fetchone()[0] == 1
    conn.close()


def test_newer_model_writes_beside_and_decisions_survive(thread: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    conn = connect(thread)
    analyze_db(conn, workers=1)
    conn.execute("INSERT INTO decisions (batch, platform, post_id, action, value, reason,"
                 " decided_at, via) SELECT 'b1', platform, id, 'mark_abuse', NULL, 'mine',"
                 " '2024-11-27T00:00:00Z', 'cli' FROM posts LIMIT 1")
    first = conn.execute("SELECT count(*) FROM scores").fetchone()[0]
    classifier = run_module.get_classifier("builtin")
    monkeypatch.setattr(type(classifier), "version", property(lambda self: "newer-test"))
    result = analyze_db(conn, workers=1)
    assert result.model_version == "newer-test"
    assert conn.execute("SELECT count(*) FROM scores").fetchone()[0] == 2 * first
    assert conn.execute("SELECT count(*) FROM decisions").fetchone()[0] == 1
    conn.close()


def test_parallel_workers_give_the_same_scores(thread: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_module, "BATCH", 5)
    other = build_thread_db(tmp_path / "other.db", scores=False, clusters=False)
    for db, workers in ((thread, 1), (other, 2)):
        conn = connect(db)
        analyze_db(conn, workers=workers)
        conn.close()

    def labels(db: Path) -> dict:
        conn = connect(db)
        try:
            return {(r[0], r[1]): r[2] for r in conn.execute(
                "SELECT platform, post_id, labels_json FROM scores")}
        finally:
            conn.close()

    assert labels(thread) == labels(other)


def test_analyze_missing_db_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["analyze", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "no such database" in result.output
