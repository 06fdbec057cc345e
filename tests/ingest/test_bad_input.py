"""Bad input through the CLI: one clear line per file, rejects kept aside, exit code when fatal,
and nothing already stored is changed."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pileon.cli import main
from pileon.ingest.streaming import iter_json_chunks


def _run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["ingest", *map(str, args)], prog_name="pileon")


def _one_page(formats: Path) -> bytes:
    page = json.loads((formats / "x_v2_quote_tweets.json").read_text("utf-8"))
    return json.dumps(page, ensure_ascii=False).encode()


def _rejects(db: Path) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT locator, reason FROM rejects ORDER BY id").fetchall()


def _snapshot(db: Path) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(
            "SELECT platform, id, text, placeholder, raw_sha256, seen_at FROM posts"
            " WHERE platform = 'x' ORDER BY id"
        ).fetchall()


def test_malformed_line_is_rejected_and_the_rest_goes_in(
    db_path: Path, formats: Path, tmp_path: Path
) -> None:
    path = tmp_path / "pages.jsonl"
    path.write_bytes(_one_page(formats) + b'\n{"data": [{"id": "1", "text": oops}]}\n')
    result = _run(db_path, path)
    assert result.exit_code == 0, result.output
    assert "format x (detected); 1 new payloads" in result.output
    assert "1 rejected records kept aside" in result.output
    [(locator, reason)] = _rejects(db_path)
    assert (locator, reason) == ("line 2", "malformed JSON: Expecting value at column 31")


def test_truncated_file_is_a_reject_and_a_failure(
    db_path: Path, formats: Path, tmp_path: Path
) -> None:
    path = tmp_path / "cut.json"
    path.write_bytes((formats / "x_v2_quote_tweets.json").read_bytes()[:3000])
    result = _run(db_path, path)
    assert result.exit_code == 1
    assert "1 of 1 file(s) failed or gave only rejected records" in result.output
    assert _rejects(db_path) == [("document 1 (line 1)", "truncated: the file ends inside document 1")]


def test_truncated_array_keeps_the_whole_pages(db_path: Path, formats: Path, tmp_path: Path) -> None:
    page = _one_page(formats)
    path = tmp_path / "pages.json"
    path.write_bytes(b"[" + page + b",\n" + page[: len(page) // 2])
    result = _run(db_path, path)
    assert result.exit_code == 0
    assert _rejects(db_path) == [("element 2 (line 2)", "truncated: the file ends inside element 2")]
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 4


def test_wrong_format_names_the_file_and_the_formats(db_path: Path, formats: Path) -> None:
    path = formats / "mastodon_context.json"
    result = _run(db_path, path, "--format", "x")
    assert result.exit_code == 1
    assert f"Error: {path}: this is not a x file; it looks like mastodon" in result.output
    assert "choose one of: bluesky, csv, har, jsonl, mastodon, x, x-archive, x-web, zeeschuimer" in result.output


def test_empty_file(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_bytes(b"  \n")
    result = _run(db_path, path)
    assert result.exit_code == 1
    assert f"Error: {path}: file is empty — nothing to ingest" in result.output


def test_invalid_utf8_rejects_only_that_record(db_path: Path, formats: Path, tmp_path: Path) -> None:
    page = _one_page(formats)
    broken = page.replace("Очередная".encode(), b"\xd0\x9e\xff\xfe")
    path = tmp_path / "pages.jsonl"
    path.write_bytes(page + b"\n" + broken + b"\n")
    result = _run(db_path, path)
    assert result.exit_code == 0
    [(locator, reason)] = _rejects(db_path)
    assert locator == "line 2"
    assert reason.startswith("invalid UTF-8 at byte ")


def test_record_missing_a_required_field(db_path: Path, formats: Path, tmp_path: Path) -> None:
    page = json.loads((formats / "x_v2_quote_tweets.json").read_text("utf-8"))
    del page["data"][1]["id"]
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page), "utf-8")
    result = _run(db_path, path)
    assert result.exit_code == 0
    assert "3 posts" in result.output  # 2 in data + root from includes (ramin's is in both)
    assert _rejects(db_path) == [
        ("line 1, data[1]", "tweet is missing required field 'id'")
    ]


def test_missing_file(db_path: Path, tmp_path: Path) -> None:
    result = _run(db_path, tmp_path / "nowhere.json")
    assert result.exit_code == 1
    assert f"Error: {tmp_path / 'nowhere.json'}: no such file — check the path" in result.output
    assert not db_path.exists()  # checked before anything is written


def test_giant_single_object_is_refused(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pileon.ingest.pages.MAX_DOCUMENT_BYTES", 4096)
    path = tmp_path / "huge.json"
    tweets = [{"id": str(i), "text": "x" * 80, "edit_history_tweet_ids": [str(i)]}
              for i in range(200)]
    path.write_text(json.dumps({"data": tweets, "meta": {}}, indent=1), "utf-8")
    result = _run(db_path, path)
    assert result.exit_code == 1
    assert (
        f"Error: {path}: document 1 is one JSON value larger than 4096 bytes;"
        " pileon reads at most that much at once — split it into JSON lines"
    ) in result.output


def test_bad_files_change_nothing_already_stored(
    db_path: Path, formats: Path, tmp_path: Path
) -> None:
    assert _run(db_path, formats / "x_v2_conversation_search.json").exit_code == 0
    before = _snapshot(db_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"data": [{"id": "2032763734600623268"}]}\n{"broken\n\xff\xfe\n')
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    result = _run(db_path, bad, empty, formats / "mastodon_context.json")
    assert result.exit_code == 1
    assert "2 of 3 file(s) failed" in result.output
    assert _snapshot(db_path) == before
    with closing(sqlite3.connect(db_path)) as conn:
        kirill = conn.execute(
            "SELECT text FROM posts WHERE id = '2032763734600623268'"
        ).fetchone()[0]
        assert kirill == "@sample_nargiz И сколько тебе заплатили за этот пост?"
        # the good file after the bad ones still went in
        assert conn.execute("SELECT COUNT(*) FROM posts WHERE platform='mastodon'").fetchone()[0] == 7


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(max_size=60), min_size=1, max_size=8))
def test_arbitrary_bytes_in_json_lines_are_parsed_or_rejected(
    tmp_path: Path, lines: list[bytes]
) -> None:
    clean = [line.replace(b"\n", b"").replace(b"\r", b"") for line in lines]
    clean[0] = clean[0].removeprefix(b"\xef\xbb\xbf")  # a byte-order mark is not content
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(b"\n".join(clean) + b"\n")
    chunks = list(iter_json_chunks(path))
    # every non-blank line gives exactly one chunk: a value or a reason, never both, never neither
    assert [c.locator for c in chunks] == [
        f"line {i}" for i, line in enumerate(clean, start=1) if line.strip()
    ]
    for chunk in chunks:
        assert (chunk.error is None) != (chunk.value is None and chunk.error is not None)
        if chunk.error is None:
            assert json.loads(chunk.data) == chunk.value
