"""`pileon coordination`, `clusters` and `graph` on a planted thread ingested from real-format
X API v2 pages, as a user would run them."""

from __future__ import annotations

import json
import random
import sqlite3
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from pileon.cli import main
from pileon.store import connect

from .planted import ROOT_AT, organic_thread, plant_wave
from .x_payload import write_x_pages

WAVE = "report this account now it spreads lies about our history and our people"


def _ingested(tmp_path: Path) -> Path:
    rng = random.Random(8)
    thread = organic_thread(rng, 600, hours=12)
    plant_wave(thread, rng, "w1", WAVE, 30, ROOT_AT + timedelta(hours=2))
    db = tmp_path / "thread.db"
    pages = write_x_pages(thread.posts, thread.accounts, tmp_path)
    result = CliRunner().invoke(main, ["ingest", str(db), *map(str, pages), "--quiet"])
    assert result.exit_code == 0, result.output
    return db


def test_coordination_summary_names_the_window_and_the_wave(tmp_path: Path) -> None:
    db = _ingested(tmp_path)
    result = CliRunner().invoke(main, ["coordination", str(db), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert "EVERY PAIR of members posted within W" in summary["window_semantics"]
    assert summary["counts"]["coordinated_groups"] == 1
    assert summary["counts"]["coordinated_posts"] == 30
    top = summary["largest_clusters"][0]
    assert top["verdict"] == "coordinated" and top["size"] == 30
    assert summary["suspicious_accounts"][0]["signals"]["no_avatar"] is True
    human = CliRunner().invoke(main, ["coordination", str(db)])
    flat = " ".join(human.output.split())  # the console wraps lines at the terminal width
    assert "consistent with coordination (text + time evidence): 1 groups, 30 posts" in flat
    assert "rule: consistent with coordination (not proof)" in flat
    assert "window effect" in flat and "W = 5 min" in flat and "W = 20 min" in flat
    assert set(summary["counts"]["window_effect"]) == {
        f"window_{s}s_coordinated_{what}" for s in (300, 600, 1200) for what in ("groups", "posts")}


def test_rerun_adds_a_new_version_and_clusters_lists_the_newest(tmp_path: Path) -> None:
    db = _ingested(tmp_path)
    runner = CliRunner()
    runner.invoke(main, ["coordination", str(db)])
    runner.invoke(main, ["coordination", str(db), "--window", "5m"])
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM coordination_runs").fetchone()[0] == 2
        per_run = conn.execute("SELECT run_id, COUNT(*) FROM cluster_members GROUP BY run_id"
                               ).fetchall()
    assert len(per_run) == 2
    listed = runner.invoke(main, ["clusters", str(db), "--min-size", "5", "--json"])
    clusters = [json.loads(line) for line in listed.stdout.splitlines()]
    assert clusters and all(c["size"] >= 5 for c in clusters)
    assert clusters[0]["categories"] is None  # the classifier has not run
    assert "lies about our history" in clusters[0]["template_text"]
    text = runner.invoke(main, ["clusters", str(db)])
    assert "template: " in text.output and "categories: not classified" in text.output


def test_graph_export_in_three_formats(tmp_path: Path) -> None:
    db = _ingested(tmp_path)
    runner = CliRunner()
    runner.invoke(main, ["coordination", str(db)])
    for name in ("g.gexf", "g.graphml", "g.json"):
        result = runner.invoke(main, ["graph", str(db), str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    root = ET.parse(tmp_path / "g.gexf").getroot()
    assert len(root.findall(".//{http://gexf.net/1.3}node")) == 30
    data = json.loads((tmp_path / "g.json").read_text())
    assert len(data["links"]) == 30 * 29 // 2


def test_clusters_before_any_run_and_empty_database_say_what_to_do(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    runner = CliRunner()
    missing = runner.invoke(main, ["clusters", str(tmp_path / "nope.db")])
    assert missing.exit_code == 1 and "no such database" in missing.output
    connect(db).close()
    before = runner.invoke(main, ["clusters", str(db)])
    assert before.exit_code == 1 and "pileon coordination" in before.output
    empty = runner.invoke(main, ["coordination", str(db)])
    assert empty.exit_code == 0, empty.output
    flat = " ".join(empty.output.split())
    assert "0 posts" in flat and "at least 2 are needed" in flat


def _csv_thread(tmp_path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """A QUT-layout CSV (no profile fields), ingested with --map as a user would."""
    path = tmp_path / "thread.csv"
    lines = ["message_id,user_id,username,repost_id,reply_id,message,timestamp,urls"]
    lines += [f"{mid},{user},{user},,,{text},{ts}," for mid, user, text, ts in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "thread.db"
    result = CliRunner().invoke(main, ["ingest", str(db), str(path), "--map",
                                       "id=message_id,reply_to=reply_id", "--quiet"])
    assert result.exit_code == 0, result.output
    return db


def test_all_identical_texts_from_one_account_say_what_cannot_be_computed(tmp_path: Path) -> None:
    db = _csv_thread(tmp_path, [(str(n), "solo", "same words every time", "")
                                for n in range(40)])
    result = CliRunner().invoke(main, ["coordination", str(db), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    notes = " | ".join(summary["not_computed"])
    assert "40 post(s) without a timestamp" in notes
    assert "one account posted everything" in notes
    assert summary["counts"]["clusters"] == 1 and summary["counts"]["coordinated_groups"] == 0


def test_a_thread_beyond_the_memory_target_is_refused_with_campaign_mode_named(
        tmp_path: Path) -> None:
    db = _csv_thread(tmp_path, [(str(n), f"u{n}", f"text number {n}", str(1_780_000_000 + n))
                                for n in range(30)])
    result = CliRunner().invoke(main, ["coordination", str(db), "--max-posts", "20"])
    assert result.exit_code != 0
    assert "Error:" in result.output and "campaign mode" in result.output
    assert "Traceback" not in result.output
    with sqlite3.connect(db) as conn:  # nothing was written
        assert conn.execute("SELECT COUNT(*) FROM coordination_runs").fetchone()[0] == 0
