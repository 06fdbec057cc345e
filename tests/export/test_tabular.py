"""CSV and JSONL: every field of every selected post, the user's notes, exact text (a 50 KB
post, Armenian, Cyrillic), formulas made inert in the CSV, and the selection filters."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

from dbs import Person, small_db
from hypothesis import given, settings
from hypothesis import strategies as st

from pileon.export.run import make_selection, run_export
from pileon.export.tabular import CSV_COLUMNS
from pileon.store import connect
from pileon.store.export import ExportFilter
from pileon.store.triage import DecisionInput
from pileon.triage.run import record_decisions


def _export(db: Path, fmt: str, out: Path, flt: ExportFilter | None = None):
    conn = connect(db, create=False)
    try:
        selection = make_selection(conn, db, flt or ExportFilter(folder="shielded"))
        return run_export(conn, selection, fmt, out)
    finally:
        conn.close()


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _shielded(db: Path) -> dict[tuple[str, str], sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = {(r["platform"], r["id"]): r for r in conn.execute(
        "SELECT p.*, a.handle FROM post_folders f JOIN posts p ON p.platform=f.platform AND"
        " p.id=f.post_id LEFT JOIN accounts a ON a.platform=p.platform AND a.id=p.author_id"
        " WHERE f.folder='shielded' AND f.run_id=(SELECT MAX(id) FROM triage_runs)")}
    conn.close()
    return rows


def test_jsonl_has_every_shielded_post_with_all_fields(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "shielded.jsonl"
    outcome = _export(demo_db, "jsonl", out)
    records = _jsonl(out)
    expected = _shielded(demo_db)
    assert outcome.result.rows == len(records) == len(expected) > 0
    assert {(r["platform"], r["post_id"]) for r in records} == set(expected)
    assert {r["platform"] for r in records} == {"x", "bluesky", "mastodon"}
    for record in records:
        assert list(record) == list(CSV_COLUMNS)
        post = expected[(record["platform"], record["post_id"])]
        assert record["text"] == post["text"]
        assert record["raw_sha256"] == post["raw_sha256"]
        assert record["author_handle"] == post["handle"]
        assert record["folder"] == "shielded"
        assert record["labels"] and record["scores"] and record["model"] == "builtin/test-1"
        assert record["evidence"] and record["evidence"][0]["category"] in record["labels"]
        assert isinstance(record["account_signals"], list)
    times = [r["created_at"] for r in records]
    assert times == sorted(times)


def test_csv_has_the_same_posts_and_fields_readable_by_a_spreadsheet(demo_db: Path,
                                                                      tmp_path: Path) -> None:
    _export(demo_db, "jsonl", tmp_path / "s.jsonl")
    _export(demo_db, "csv", tmp_path / "s.csv")
    assert (tmp_path / "s.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    rows = _csv(tmp_path / "s.csv")
    records = _jsonl(tmp_path / "s.jsonl")
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert len(rows) == len(records)
    for row, record in zip(rows, records, strict=True):
        assert row["post_id"] == record["post_id"]
        assert row["raw_sha256"] == record["raw_sha256"]
        assert row["labels"].split(";") == record["labels"]
        assert json.loads(row["scores"]) == record["scores"]
        assert json.loads(row["evidence"]) == record["evidence"]
        if not record["text"].startswith(("=", "+", "-", "@")):
            assert row["text"] == record["text"]


def test_user_notes_and_deleted_at_source_are_exported(demo_db: Path, tmp_path: Path) -> None:
    records = _jsonl_of(demo_db, tmp_path)
    first = records[0]
    conn = connect(demo_db)
    record_decisions(conn, [DecisionInput(first["platform"], first["post_id"], "note",
                                          "Screenshot sent to the lawyer on 14 March."),
                            DecisionInput(first["platform"], first["post_id"], "note",
                                          "Same person as the March 12 threat.")], via="cli")
    conn.execute("UPDATE posts SET deleted_at_source='2026-03-20T08:00:00.000Z' WHERE"
                 " platform=? AND id=?", (first["platform"], first["post_id"]))
    conn.close()
    again = _export(demo_db, "csv", tmp_path / "with-notes.csv")
    row = _csv(again.files[0].path)[0]
    assert row["notes"] == ("Screenshot sent to the lawyer on 14 March.\n"
                            "Same person as the March 12 threat.")
    assert row["deleted_at_source"] == "2026-03-20T08:00:00.000Z"


def _jsonl_of(db: Path, tmp_path: Path) -> list[dict]:
    _export(db, "jsonl", tmp_path / "first.jsonl")
    return _jsonl(tmp_path / "first.jsonl")


def test_a_50_kb_post_and_formula_text_survive(tmp_path: Path) -> None:
    long_text = ("Դու դավաճան ես. Сколько тебе заплатили? Sən xainsən. " * 1200)[:50_000]
    formula = '=HYPERLINK("http://evil.example","click")'
    db = small_db(tmp_path / "odd.db", "mastodon", [
        Person("1", "long@x.example", text=long_text),
        Person("2", "formula@x.example", text=formula),
        Person("3", "@tab@x.example", text="+1 to everything they said, traitor")])
    _export(db, "jsonl", tmp_path / "odd.jsonl")
    _export(db, "csv", tmp_path / "odd.csv")
    records = _jsonl(tmp_path / "odd.jsonl")
    assert [r["text"] for r in records] == [
        long_text, formula, "+1 to everything they said, traitor"]
    rows = _csv(tmp_path / "odd.csv")
    assert rows[0]["text"] == long_text
    assert rows[1]["text"] == "'" + formula  # inert in a spreadsheet
    assert rows[2]["text"].startswith("'+1")
    assert rows[2]["author_handle"] == "'@tab@x.example"


def test_category_language_and_marked_filters(demo_db: Path, tmp_path: Path) -> None:
    everything = _jsonl_of(demo_db, tmp_path)
    category = everything[0]["category"]
    lang = everything[0]["lang"]
    _export(demo_db, "jsonl", tmp_path / "cat.jsonl",
            ExportFilter(folder="shielded", categories=(category,), langs=(lang,)))
    picked = _jsonl(tmp_path / "cat.jsonl")
    assert picked and all(r["category"] == category and r["lang"] == lang for r in picked)
    assert len(picked) == sum(1 for r in everything
                              if r["category"] == category and r["lang"] == lang)
    conn = connect(demo_db)
    marked = [everything[1], everything[3]]
    batch = record_decisions(conn, [DecisionInput(r["platform"], r["post_id"], "evidence")
                                    for r in marked], via="cli")
    record_decisions(conn, [DecisionInput(everything[5]["platform"], everything[5]["post_id"],
                                          "evidence")], via="cli")
    record_decisions(conn, [DecisionInput(everything[5]["platform"], everything[5]["post_id"],
                                          "undo", batch)], via="cli")
    conn.close()
    _export(demo_db, "jsonl", tmp_path / "marked.jsonl",
            ExportFilter(folder=None, marked="evidence"))
    # the undo names the first batch: only the later mark is left
    assert [r["post_id"] for r in _jsonl(tmp_path / "marked.jsonl")] == [
        everything[5]["post_id"]]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_survives_a_csv_round_trip_exactly_or_made_inert(text: str) -> None:
    import io

    from pileon.export.tabular import spreadsheet_cell as _cell

    buffer = io.StringIO()
    csv.writer(buffer).writerow([_cell(text), "next"])
    buffer.seek(0)
    cell, after = next(csv.reader(buffer))
    assert after == "next"  # no text can spill into the next column or row
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        assert cell == "'" + text
    else:
        assert cell == text
