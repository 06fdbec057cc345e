"""Safe even when the model is wrong: planted threads through the real store and `pileon triage`.

Each planted score is the classifier being wrong in a way the demo showed (a wave read as
support, a threat read as neutral); the folders must stay safe anyway.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from thread_db import write_scores

from pileon.cli import main
from pileon.export.accounts import selected_accounts
from pileon.export.run import make_selection
from pileon.records import Account, Post, RawPayload, SourceBatch
from pileon.store import connect
from pileon.store.export import ExportFilter
from pileon.store.triage import DecisionInput, latest_run
from pileon.triage.rules import load_rules
from pileon.triage.run import record_decisions, run_triage

DATA = Path(__file__).parent / "data" / "safety_thread.jsonl"
ROWS = [json.loads(line) for line in DATA.read_text("utf-8").splitlines()]
PLATFORM = "bluesky"


def build(path: Path, *, scores: bool = True, ring: bool = False,
          ring_finished: str = "2099-01-01T00:00:00Z") -> Path:
    conn = connect(path)
    from pileon.store.evidence import EvidenceWriter

    writer = EvidenceWriter(conn, source=str(DATA), fmt="jsonl")
    start = datetime(2026, 3, 14, 10, tzinfo=UTC)
    writer.add(SourceBatch(
        RawPayload(b'{"id": "root"}', str(DATA), "jsonl", "test", start, "root"),
        posts=(Post(PLATFORM, "root", "What I saw in the war.", author_id="me", kind="root",
                    created_at=start),),
        accounts=(Account(PLATFORM, "me", "me.example", "Me"),)))
    for n, row in enumerate(ROWS, start=1):
        raw = json.dumps(row, ensure_ascii=False).encode("utf-8")
        reply = row["kind"] == "reply"
        writer.add(SourceBatch(
            RawPayload(raw, str(DATA), "jsonl", "test", start, f"line {n}"),
            posts=(Post(PLATFORM, row["id"], row["text"], author_id=row["author"],
                        kind=row["kind"], reply_to="root" if reply else None,
                        root_id="root" if reply else row["id"],
                        created_at=start + timedelta(minutes=n),
                        url=f"https://bsky.app/profile/{row['author']}.example/post/{n}"),),
            accounts=(Account(PLATFORM, row["author"], f"{row['author']}.example",
                              row["author"].title()),)))
    writer.finish()
    if scores:
        write_scores(conn, "builtin", "planted-1", rows=ROWS)
        conn.commit()
    if ring:  # a coordinated group around g1, g2 (and, by wording, s1)
        conn.execute("INSERT INTO coordination_runs (id, started_at, finished_at, tool_version,"
                     " params_json, window_semantics, posts) VALUES (1, ?, ?, 'test', '{}',"
                     " 'test', 3)", (ring_finished, ring_finished))
        for pid in ("g1", "g2", "s1"):
            conn.execute("INSERT INTO cluster_members (run_id, cluster_id, platform, post_id,"
                         " similarity, coordinated) VALUES (1, 3, ?, ?, 0.9, 1)", (PLATFORM, pid))
        conn.commit()
    conn.close()
    return path


def folders(db: Path) -> dict[str, tuple[str, str]]:
    conn = connect(db, create=False)
    run = latest_run(conn)
    assert run is not None
    found = {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT post_id, folder, rule FROM post_folders WHERE run_id=?", (run["id"],))}
    conn.close()
    return found


def cli(*args: object) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    db = build(tmp_path / "planted.db")
    cli("triage", db)
    return db


def test_mentions_are_triaged_and_the_authors_own_posts_are_context(planted: Path) -> None:
    found = folders(planted)
    assert found["m1"] == ("support", "supportive")  # a mention naming the author
    assert "m2" not in found  # a root post that names nobody here is not aimed at the author
    assert "s2" not in found and "root" not in found  # the author's own words: context only
    out = cli("triage", planted, "--explain", "m1")
    assert "aimed at you as a mention" in out


def test_a_wave_whose_copies_disagree_is_shielded_whole_without_a_coordination_run(
        planted: Path) -> None:
    found = folders(planted)
    assert {found[w] for w in ("w1", "w2", "w3")} == {("shielded", "copies_share_fate"),
                                                      ("shielded", "shield_threshold")}
    out = cli("triage", planted, "--explain", "w3")
    # Read alone, w3 (scored neutral) waits in To review for its own words: a second-person
    # accusation ("xain! sen azerbaycanli deyilsen") is never shown in the clear Inbox.
    assert "one text, one fate: 3 copies (same_text)" in out and "this copy alone: review" in out


def test_a_supportive_score_with_a_second_person_accusation_is_not_support(
        planted: Path) -> None:
    found = folders(planted)
    assert found["a1"] == ("review", "accusation_with_shame_cue")
    assert found["c1"] == ("support", "supportive")  # counter-speech stays where it belongs
    assert found["t1"] == ("review", "abuse_trace")  # a threat the model called neutral


def test_a_coordinated_supportive_looking_group_waits_in_review(tmp_path: Path) -> None:
    db = build(tmp_path / "ring.db", ring=True)
    cli("triage", db)
    found = folders(db)
    assert found["g1"][0] == found["g2"][0] == found["s1"][0] == "review"
    assert found["c1"] == ("support", "supportive")


def test_a_coordination_run_older_than_the_scores_still_counts(tmp_path: Path) -> None:
    db = build(tmp_path / "old.db", ring=True, ring_finished="2000-01-01T00:00:00Z")
    cli("triage", db)
    assert folders(db)["g1"][0] == "review"  # wording does not age; clusters still apply


def test_a_user_decision_on_one_copy_and_then_on_all_copies(planted: Path) -> None:
    cli("decide", planted, "w3", "--action", "mark_not_abuse")
    cli("triage", planted)
    conn = connect(planted, create=False)
    run = latest_run(conn)
    assert run is not None
    decided = dict(conn.execute("SELECT post_id, folder FROM post_folders WHERE run_id=? AND"
                                " post_id IN ('w1','w2','w3')", (run["id"],)).fetchall())
    assert decided == {"w1": "shielded", "w2": "shielded", "w3": "inbox"}  # only that copy
    conn.close()
    out = cli("decide", planted, "w1", "--action", "move", "--value", "review", "--all-copies")
    out = " ".join(out.split())  # the console wraps long lines
    assert "recorded 3 decision(s)" in out and "(2 of them on copies)" in out
    found = folders(planted)
    assert {found[w][0] for w in ("w1", "w2", "w3")} == {"review"}


def test_a_block_list_never_holds_a_supporter(planted: Path) -> None:
    conn = connect(planted, create=False)
    try:
        selection = make_selection(conn, planted, ExportFilter(folder="shielded"), None)
        accounts, skipped = selected_accounts(selection, PLATFORM)
    finally:
        conn.close()
    listed = {a.account_id for a in accounts}
    assert "troll" in listed and "wave1" in listed
    assert "mixed" not in listed  # one insult, then an apology in Support
    assert skipped["posts by accounts that also wrote supportive replies"] == 1


def test_before_analyze_every_reply_waits_blurred(tmp_path: Path) -> None:
    db = build(tmp_path / "bare.db", scores=False)
    out = cli("triage", db)
    assert "not analysed yet" in out
    assert {f for f, _ in folders(db).values()} == {"review"}
    listing = cli("folders", db, "--folder", "review")
    assert all(row["text"] not in listing for row in ROWS)
    assert "[hidden, might be: not checked yet]" in listing
    assert ROWS[0]["text"] in cli("folders", db, "--folder", "review", "--json")


def test_a_post_deleted_at_the_source_after_triage_keeps_its_folder(planted: Path) -> None:
    conn = connect(planted, create=False)
    conn.execute("UPDATE posts SET deleted_at_source='2026-03-15T00:00:00Z' WHERE id IN"
                 " ('b3', 's1')")
    conn.commit()
    run_triage(conn, load_rules(None))
    conn.close()
    found = folders(planted)
    assert found["b3"][0] == "shielded" and found["s1"][0] == "support"


def test_a_user_abuse_mark_on_one_copy_reaches_the_other_copies(tmp_path: Path) -> None:
    db = build(tmp_path / "mark.db")
    conn = connect(db, create=False)
    run_triage(conn, load_rules(None))
    record_decisions(conn, [DecisionInput(PLATFORM, "g1", "mark_abuse")], via="cli")
    run_triage(conn, load_rules(None))
    conn.close()
    found = folders(db)
    assert found["g1"][0] == "shielded"
    assert found["g2"] == ("support", "supportive")  # g2's wording differs: not a copy


def test_mentions_are_exported_and_listed_as_mentions(planted: Path) -> None:
    conn = connect(planted, create=False)
    try:
        selection = make_selection(conn, planted, ExportFilter(folder="support"), None)
        kinds = {p.post_id: p.kind for p in selection.posts()}
        assert kinds["m1"] == "mention" and kinds["s1"] == "reply"
        # A run written before the kind column (NULL) still says mention, from its explanation.
        conn.execute("UPDATE post_folders SET kind = NULL")
        conn.commit()
        assert {p.post_id: p.kind for p in selection.posts()}["m1"] == "mention"
    finally:
        conn.close()
    out = planted.parent / "support.csv"
    cli("export", planted, "--format", "csv", "--folder", "support", "--out", out)
    assert ",mention," in out.read_text("utf-8")
