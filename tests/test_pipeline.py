"""The one pipeline: `pileon run` does every stage in order; `pileon demo --run` and a watch
round go through the same code (watch now clusters copy-paste waves while the pile-on is live)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from pileon.cli import main
from pileon.commands.collect import _after_round
from pileon.demo import generate
from pileon.pipeline import STAGES, PipelineOptions, run_pipeline
from pileon.store import connect


def _count(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def test_run_ingests_analyses_coordinates_and_triages(tmp_path: Path) -> None:
    files = generate(tmp_path / "files", 600, 21)
    db = tmp_path / "t.db"
    result = CliRunner().invoke(main, ["run", str(db), *map(str, files), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == set(STAGES)
    assert out["ingest"]["posts"] > 600 and out["ingest"]["rejected"] == 0
    assert out["analyze"]["analysed"] == _count(db, "scores")
    assert out["coordination"]["coordinated_groups"] >= 1
    assert out["triage"]["posts"] > 0
    assert sum(out["triage"]["counts"].values()) == out["triage"]["posts"]
    assert _count(db, "post_folders") == out["triage"]["posts"]
    # Again: nothing new to ingest or label, but coordination and triage write fresh runs.
    again = json.loads(CliRunner().invoke(main, ["run", str(db), "--json"]).stdout)
    assert "ingest" not in again and again["analyze"]["analysed"] == 0
    assert _count(db, "coordination_runs") == 2


def test_run_skips_the_stages_asked_and_refuses_a_missing_db(tmp_path: Path) -> None:
    missing = CliRunner().invoke(main, ["run", str(tmp_path / "none.db")])
    assert missing.exit_code == 1 and "no such database" in missing.output
    files = generate(tmp_path / "files", 300, 2)
    db = tmp_path / "t.db"
    skipped = CliRunner().invoke(main, ["run", str(db), *map(str, files), "--skip", "analyze",
                                        "--skip", "triage", "--json"])
    assert skipped.exit_code == 0, skipped.output
    assert set(json.loads(skipped.stdout)) == {"ingest", "coordination"}
    assert _count(db, "scores") == 0


def test_demo_run_is_the_pipeline(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = CliRunner().invoke(main, ["demo", str(db), "--size", "600", "--run", "--json"])
    assert result.exit_code == 0, result.output
    pipeline = json.loads(result.stdout)["pipeline"]
    assert set(pipeline) == set(STAGES)
    assert pipeline["coordination"]["coordinated_groups"] >= 1


def test_a_watch_round_runs_coordination_too(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    conn = connect(db)
    run_pipeline(conn, generate(tmp_path / "files", 600, 4), PipelineOptions(stages=("ingest",)))
    keys = [tuple(r) for r in conn.execute("SELECT platform, id FROM posts LIMIT 50")]
    verdicts = _after_round(conn, keys)  # type: ignore[arg-type]
    conn.close()
    assert verdicts.note is None and verdicts.abuse is not None
    assert _count(db, "coordination_runs") == 1 and _count(db, "clusters") > 0
    assert _count(db, "scores") > 0
