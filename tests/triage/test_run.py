"""Triage over a database through the CLI: folders, --explain, --json, and decisions that win."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from thread_db import write_scores

from pileon.cli import main
from pileon.store import connect
from pileon.store.triage import DecisionInput, block_list, evidence_list
from pileon.triage.rules import load_rules
from pileon.triage.run import record_decisions, run_triage, undo_batch


def cli(*args: str) -> str:
    """stdout of a successful command (stderr carries the human notes)."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def folder_of(db: Path) -> dict[str, str]:
    lines = cli("folders", str(db), "--json").splitlines()
    return {o["id"]: o["folder"] for o in map(json.loads, lines)}


def test_folders_json_gives_one_object_per_reply_with_the_agreed_keys(thread_db: Path) -> None:
    lines = cli("folders", str(thread_db), "--json").splitlines()
    objects = [json.loads(line) for line in lines]
    assert len(objects) == 30  # every reply, not the author's own post
    assert all({"id", "platform", "text", "folder", "labels", "lang"} <= set(o) for o in objects)
    by_id = {o["id"]: o for o in objects}
    assert by_id["r03"]["folder"] == "support" and by_id["r03"]["lang"] == "hy"
    assert by_id["r10"]["folder"] == "shielded"
    assert by_id["r07"]["folder"] == "inbox"  # civil disagreement is never hidden


def test_one_folder_and_the_terminal_hides_shielded_text(thread_db: Path) -> None:
    out = cli("folders", str(thread_db), "--folder", "shielded")
    assert "We know where you live" not in out
    assert "[hidden: threat]" in out
    shown = cli("folders", str(thread_db), "--folder", "shielded", "--show-shielded")
    assert "We know where you live" in shown


def test_explain_names_rule_scores_signals_and_cluster(thread_db: Path) -> None:
    cli("triage", str(thread_db))
    out = cli("triage", str(thread_db), "--explain", "r23")
    assert "rule 'copies_share_fate'" in out
    assert "one text, one fate" in out
    assert "bad_faith 0.3" in out
    assert "new_account, no_avatar, few_followers" in out
    assert "7" in out


def test_without_scores_everything_waits_in_review(unscored_db: Path) -> None:
    result = CliRunner().invoke(main, ["triage", str(unscored_db)])
    assert result.exit_code == 0
    assert "not analysed yet" in result.output
    assert set(folder_of(unscored_db).values()) == {"review"}


def test_an_empty_database_triages_to_nothing(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    connect(db).close()
    out = cli("triage", str(db), "--json")
    assert json.loads(out)["posts"] == 0
    assert cli("folders", str(db), "--json") == ""


def test_a_missing_database_is_one_clear_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["triage", str(tmp_path / "nope.db")])
    assert result.exit_code == 1
    assert "no such database" in result.output and "Traceback" not in result.output


def test_a_rules_typo_is_one_line_with_key_and_line(thread_db: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[shield]\nthreat = 0.5\nthraet = 0.4\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["triage", str(thread_db), "--rules", str(rules)])
    assert result.exit_code == 1
    assert "(line 3): unknown key 'shield.thraet'" in result.output


def test_a_decision_survives_reanalysis_and_retriage(thread_db: Path) -> None:
    conn = connect(thread_db)
    run_triage(conn, load_rules(None))
    record_decisions(conn, [DecisionInput("bluesky", "r12", "mark_abuse", None, "denial"),
                            DecisionInput("bluesky", "r09", "mark_not_abuse", None, "a friend")])
    assert folder_of(thread_db)["r12"] == "shielded"
    # a newer model changes its mind about both posts
    write_scores(conn, "builtin", "test-2", override={"r12": {"supportive": 0.95},
                                                      "r09": {"threat": 0.99}})
    run_triage(conn, load_rules(None))
    conn.close()
    folders = folder_of(thread_db)
    assert folders["r12"] == "shielded" and folders["r09"] == "inbox"
    out = cli("triage", str(thread_db), "--explain", "r12")
    assert "your decision" in out and "denial" in out


def test_decisions_can_never_be_deleted_or_changed(thread_db: Path) -> None:
    conn = connect(thread_db)
    record_decisions(conn, [DecisionInput("bluesky", "r01", "note", "kind words", None)])
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        conn.execute("DELETE FROM decisions")
    with pytest.raises(sqlite3.IntegrityError, match="never changed"):
        conn.execute("UPDATE decisions SET value = 'x'")
    conn.close()


def test_undo_adds_a_record_and_restores_the_folder(thread_db: Path) -> None:
    conn = connect(thread_db)
    run_triage(conn, load_rules(None))
    batch = record_decisions(conn, [DecisionInput("bluesky", "r07", "move", "shielded", None)])
    assert folder_of(thread_db)["r07"] == "shielded"
    assert undo_batch(conn, batch) == 1
    assert folder_of(thread_db)["r07"] == "inbox"
    run_triage(conn, load_rules(None))
    assert folder_of(thread_db)["r07"] == "inbox"  # the undone move stays undone
    assert conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 2
    conn.close()


def test_block_and_evidence_lists_follow_decisions(thread_db: Path) -> None:
    conn = connect(thread_db)
    record_decisions(conn, [DecisionInput("bluesky", "r10", "block"),
                            DecisionInput("bluesky", "r10", "evidence", None, "threat")])
    assert [b["account_id"] for b in block_list(conn)] == ["did:plc:troll2"]
    assert evidence_list(conn)[0]["raw_sha256"]
    conn.close()


def test_decide_command_records_a_cli_decision(thread_db: Path) -> None:
    cli("decide", str(thread_db), "r30", "--action", "move", "--value", "inbox",
        "--reason", "just a laugh")
    assert folder_of(thread_db)["r30"] == "inbox"
    conn = connect(thread_db)
    via = conn.execute("SELECT via FROM decisions").fetchone()[0]
    conn.close()
    assert via == "cli"
