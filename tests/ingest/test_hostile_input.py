"""Regression tests from the red-team pass (issue 19): hostile or malformed input never crashes an
ingest, the bad record is kept aside with its reason, and the rest of the file is stored."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pileon.cli import main

FORMATS = Path(__file__).parent.parent / "fixtures" / "formats"


def _run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="pileon")


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return [tuple(r) for r in conn.execute(sql).fetchall()]
    finally:
        conn.close()


def _no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def _x_page_with(text_of_first: str) -> str:
    """The real X fixture, re-serialised with the first tweet's text replaced verbatim."""
    page = json.loads((FORMATS / "x_v2_conversation_search.json").read_text(encoding="utf-8"))
    page["data"][0]["text"] = "PLACEHOLDER"
    return json.dumps(page).replace('"PLACEHOLDER"', text_of_first)


@pytest.mark.parametrize("fmt", ["x", "jsonl"])
def test_a_lone_surrogate_is_replaced_counted_and_the_rest_of_the_file_is_stored(
    tmp_path: Path, db_path: Path, fmt: str
) -> None:
    path = tmp_path / "in.jsonl"
    if fmt == "x":
        lines = [_x_page_with('"hello"') for _ in range(2)] + [_x_page_with('"bad \\ud800 x"')]
        # Three pages of one conversation: make them distinct payloads.
        lines = [line.replace('"result_count"', f'"n{i}": {i}, "result_count"')
                 for i, line in enumerate(lines)]
    else:
        lines = [json.dumps({"id": str(i), "text": f"ok {i}"}) for i in range(300)]
        lines[100] = '{"id": "100", "text": "bad \\ud800 here"}'
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    result = _run("ingest", db_path, path, "--json")
    _no_traceback(result)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["surrogates_replaced"] == 1
    if fmt == "jsonl":
        assert report["posts"] == 300
        assert _rows(db_path, "SELECT text FROM posts WHERE id='100'") == [("bad \ufffd here",)]
    else:
        assert _rows(db_path, "SELECT COUNT(*) FROM posts WHERE text LIKE 'bad %'") == [(1,)]
    # The raw payload keeps the original bytes; a second run adds nothing and says all is done.
    assert _rows(db_path, "SELECT COUNT(*) FROM raw_payloads WHERE instr(data, '\\ud800')") == [(1,)]
    again = json.loads(_run("ingest", db_path, path, "--json").stdout)
    assert again["payloads_new"] == 0
    assert json.loads(_run("stats", db_path, "--json").stdout)["ingest_runs_unfinished"] == 0


def test_stats_stops_saying_interrupted_once_a_rerun_finished(tmp_path: Path, db_path: Path) -> None:
    path = FORMATS / "mastodon_context.json"
    conn = sqlite3.connect(db_path)
    conn.close()
    assert _run("ingest", db_path, path).exit_code == 0
    conn = sqlite3.connect(db_path)
    with conn:  # what a killed run leaves: a run row without finished_at
        conn.execute("INSERT INTO ingest_runs (source, format, started_at) VALUES (?, 'x', 'z')",
                     (str(path),))
    conn.close()
    assert "were interrupted" in _run("stats", db_path).output
    assert _run("ingest", db_path, path).exit_code == 0
    assert "interrupted" not in _run("stats", db_path).output


def test_integer_over_64_bits_is_stored_as_unknown(tmp_path: Path, db_path: Path) -> None:
    page = json.loads((FORMATS / "x_v2_conversation_search.json").read_text(encoding="utf-8"))
    user = page["includes"]["users"][0]
    user["public_metrics"]["followers_count"] = 2**64
    path = tmp_path / "x.json"
    path.write_text(json.dumps(page), encoding="utf-8")
    result = _run("ingest", db_path, path, "--json")
    _no_traceback(result)
    assert json.loads(result.stdout)["integers_dropped"] == 1
    assert _rows(db_path, f"SELECT followers_count FROM accounts WHERE id='{user['id']}'") == [
        (None,)
    ]


def test_an_object_where_a_string_belongs_rejects_that_item_only(
    tmp_path: Path, db_path: Path
) -> None:
    page = json.loads((FORMATS / "bluesky_getProfiles.json").read_text(encoding="utf-8"))
    page["profiles"][0]["displayName"] = {"x": 1}
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps(page), encoding="utf-8")
    result = _run("ingest", db_path, path, "--json")
    _no_traceback(result)
    report = json.loads(result.stdout)
    assert report["rejected"] == 1
    assert report["accounts"] == len(page["profiles"]) - 1
    [(reason,)] = _rows(db_path, "SELECT reason FROM rejects")
    assert "display_name" in str(reason)


@pytest.mark.parametrize(
    ("fixture", "key", "value", "expected"),
    [
        ("bluesky_getQuotes.json", "posts", 1.5, "'posts' is a JSON number, not an array"),
        ("x_v2_conversation_search.json", "errors", 3, "'errors' is a JSON number, not an array"),
        ("x_v2_conversation_search.json", "includes", True,
         "'includes' is a JSON boolean, not an object"),
        ("mastodon_context.json", "descendants", 5, "'descendants' is a JSON number, not an array"),
    ],
)
def test_a_top_level_container_of_the_wrong_type_is_a_clear_reject(
    tmp_path: Path, db_path: Path, fixture: str, key: str, value: object, expected: str
) -> None:
    page = json.loads((FORMATS / fixture).read_text(encoding="utf-8"))
    page[key] = value
    good = json.loads((FORMATS / fixture).read_text(encoding="utf-8"))
    path = tmp_path / "pages.jsonl"
    path.write_text(json.dumps(page) + "\n" + json.dumps(good) + "\n", encoding="utf-8")
    result = _run("ingest", db_path, path)
    _no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "1 rejected records kept aside" in result.output
    assert _rows(db_path, "SELECT locator, reason FROM rejects") == [("line 1", expected)]
    assert _rows(db_path, "SELECT COUNT(*) FROM posts")[0][0] > 0  # line 2 went in


def test_bluesky_replies_of_the_wrong_type_reject_only_that_branch(
    tmp_path: Path, db_path: Path
) -> None:
    page = json.loads((FORMATS / "bluesky_getPostThread.json").read_text(encoding="utf-8"))
    page["thread"]["replies"] = 7
    path = tmp_path / "thread.json"
    path.write_text(json.dumps(page), encoding="utf-8")
    result = _run("ingest", db_path, path)
    _no_traceback(result)
    assert _rows(db_path, "SELECT reason FROM rejects") == [("'replies' is not a JSON array",)]
    assert _rows(db_path, "SELECT COUNT(*) FROM posts")[0][0] >= 1  # the root is kept


def test_csv_header_longer_than_the_csv_module_default(tmp_path: Path, db_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("id,text," + "x" * 140_000 + "\n1,hello,\n2,world,\n", encoding="utf-8")
    result = _run("ingest", db_path, path)
    _no_traceback(result)
    assert result.exit_code == 0, result.output
    assert _rows(db_path, "SELECT id, text FROM posts ORDER BY id") == [("1", "hello"),
                                                                        ("2", "world")]


def test_csv_with_classic_mac_line_endings(tmp_path: Path, db_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(b'id,text,author\r1,hello,a\r2,"two\rlines",b\r3,bye,c')
    result = _run("ingest", db_path, path)
    _no_traceback(result)
    assert result.exit_code == 0, result.output
    assert _rows(db_path, "SELECT id, text FROM posts ORDER BY id") == [
        ("1", "hello"), ("2", "two\rlines"), ("3", "bye")]


@pytest.mark.parametrize("moment", [2**63, 1e20, 1e308, 1e14, -(2**70)])
def test_a_timestamp_out_of_range_rejects_that_status_only(
    tmp_path: Path, db_path: Path, moment: float
) -> None:
    page = json.loads((FORMATS / "mastodon_context.json").read_text(encoding="utf-8"))
    bad_id = page["descendants"][0]["id"]
    page["descendants"][0]["created_at"] = moment
    path = tmp_path / "context.json"
    path.write_text(json.dumps(page), encoding="utf-8")
    result = _run("ingest", db_path, path, "--json")
    _no_traceback(result)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rejected"] == 1
    ids = {row[0] for row in _rows(db_path, "SELECT id FROM posts WHERE placeholder IS NULL")}
    assert bad_id not in ids and len(ids) == len(page["descendants"]) - 1 + len(page["ancestors"])


@pytest.mark.parametrize("layout", ["lines", "array", "document"])
def test_an_integer_of_5000_digits_rejects_that_record_only(
    tmp_path: Path, db_path: Path, layout: str
) -> None:
    """json raises a plain ValueError (Python's 4,300-digit limit), not a JSONDecodeError: it
    used to escape as a traceback (found by tests/fuzz/test_fuzz_real_payloads.py)."""
    good = json.dumps({"id": "good-1", "text": "a good line"})
    bad = '{"id": "bad-1", "text": "x", "followers": ' + "9" * 5000 + "}"
    path = tmp_path / ("in.jsonl" if layout == "lines" else "in.json")
    body = {"lines": f"{good}\n{bad}\n", "array": f"[{good}, {bad}]", "document": bad}[layout]
    path.write_text(body, encoding="ascii")
    result = _run("ingest", db_path, path, "--format", "jsonl")
    _no_traceback(result)
    if layout == "document":
        assert result.exit_code != 0 or _rows(db_path, "SELECT id FROM posts") == []
    else:
        assert result.exit_code == 0, result.output
        assert _rows(db_path, "SELECT id, text FROM posts") == [("good-1", "a good line")]
        reasons = _rows(db_path, "SELECT reason FROM rejects")
        assert any("4,300 digits" in str(r[0]) for r in reasons), reasons
