"""`pileon demo` through the CLI: writes the files next to DB and ingests them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pileon.cli import main
from pileon.plugins import sources


def test_demo_without_ingest_writes_the_files_next_to_the_database(tmp_path: Path) -> None:
    db = tmp_path / "thread.db"
    result = CliRunner().invoke(main, ["demo", str(db), "--size", "600", "--no-ingest", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    folder = tmp_path / "thread-demo-files"
    assert summary["folder"] == str(folder)
    assert summary["generated"]["posts"] == 600
    assert set(summary["generated"]["by_lang"]) == {"az", "tr", "ru", "en", "hy", "fr"}
    assert all(Path(f).is_file() for f in summary["files"])
    assert (folder / "truth.jsonl").is_file()
    assert not db.exists()


def test_a_size_that_is_not_a_number_is_one_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", str(tmp_path / "t.db"), "--size", "huge"])
    assert result.exit_code != 0
    assert "demo size 'huge'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.skipif(not {"x", "bluesky", "mastodon"} <= set(sources()),
                    reason="the X / Bluesky / Mastodon adapters are not registered yet")
def test_demo_ingests_every_generated_post_without_rejects(tmp_path: Path) -> None:
    db = tmp_path / "thread.db"
    result = CliRunner().invoke(main, ["demo", str(db)])
    assert result.exit_code == 0, result.output
    assert "languages" in result.output and "waves" in result.output
    conn = sqlite3.connect(db)
    try:
        posts = conn.execute("SELECT count(*) FROM posts WHERE placeholder IS NULL").fetchone()[0]
        platforms = {row[0] for row in conn.execute("SELECT DISTINCT platform FROM posts")}
        rejected = conn.execute("SELECT count(*) FROM rejects").fetchone()[0]
        stored = set(conn.execute("SELECT platform, id FROM posts").fetchall())
    finally:
        conn.close()
    assert posts >= 3000
    assert platforms >= {"x", "bluesky", "mastodon"}
    assert rejected == 0
    truth = tmp_path / "thread-demo-files" / "truth.jsonl"
    lines = truth.read_text(encoding="utf-8").splitlines()
    generated = {(row["platform"], row["id"]) for row in map(json.loads, lines)}
    assert generated <= stored  # every generated post is found under the id truth.jsonl names
    again = CliRunner().invoke(main, ["demo", str(db), "--json"])
    assert json.loads(again.stdout)["ingested"]["payloads_new"] == 0
