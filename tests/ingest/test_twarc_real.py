"""Real twarc2 files from DocNow/twarc-csv's test data (MIT): posts with their capture time,
an edit as one post with two versions, a stream cut off mid-line kept aside, and the X answers
that hold no posts (counts, lists, compliance) named in one line with nothing stored."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pileon.cli import main

from .conftest import IngestFn

TWARC = Path(__file__).parent.parent / "fixtures" / "twarc"


def _lines(name: str) -> list[dict]:
    return [json.loads(line) for line in (TWARC / name).read_text().splitlines() if line.strip()]


def test_search_pages_keep_every_tweet_and_twarcs_capture_time(ingest: IngestFn) -> None:
    conn = ingest(TWARC / "two_tweets.jsonl", TWARC / "verified_type.jsonl",
                  TWARC / "cotweet.jsonl")
    expected = {t["id"] for name in ("two_tweets.jsonl", "verified_type.jsonl", "cotweet.jsonl")
                for page in _lines(name) for t in page["data"]}
    stored = {r[0] for r in conn.execute("SELECT id FROM posts")}
    assert expected <= stored
    retrieved = {page["__twarc"]["retrieved_at"][:19] for page in _lines("two_tweets.jsonl")}
    fetched = {r[0][:19] for r in conn.execute(
        "SELECT fetched_at FROM raw_payloads WHERE source LIKE '%two_tweets.jsonl'")}
    assert fetched == retrieved  # the time in the file, not the time of the import
    assert conn.execute("SELECT COUNT(*) FROM rejects").fetchone()[0] == 0


def test_an_edited_post_is_one_post_with_both_versions(ingest: IngestFn) -> None:
    conn = ingest(TWARC / "edited_before.jsonl", TWARC / "edited_after.jsonl")
    first = _lines("edited_before.jsonl")[0]["data"][0]["id"]
    assert [r[0] for r in conn.execute("SELECT id FROM posts")] == [first]
    texts = {r[0] for r in conn.execute("SELECT text FROM post_versions WHERE post_id=?", (first,))}
    assert len(texts) == 2


def test_a_stream_cut_off_mid_line_keeps_the_rest(ingest: IngestFn) -> None:
    conn = ingest(TWARC / "streaming_output_with_error.jsonl")
    [(reason,)] = conn.execute("SELECT reason FROM rejects").fetchall()
    assert reason.startswith("truncated")
    assert conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] >= 7


@pytest.mark.parametrize(("name", "says"), [
    ("counts.jsonl", "X post counts"), ("lists.jsonl", "X lists"),
    ("tweets_compliance.jsonl", "X compliance results"),
    ("users_compliance.jsonl", "X compliance results"),
])
def test_x_answers_without_posts_are_named_and_nothing_changes(
        name: str, says: str, ingest: IngestFn, db_path: Path) -> None:
    conn = ingest(TWARC / "two_tweets.jsonl")
    before = [conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("posts", "raw_payloads", "rejects", "accounts")]
    result = CliRunner().invoke(main, ["ingest", str(db_path), str(TWARC / name)])
    assert result.exit_code != 0 and "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert name in errors[0] and says in errors[0] and "nothing was stored" in errors[0]
    after = sqlite3.connect(db_path)
    assert before == [after.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                      for t in ("posts", "raw_payloads", "rejects", "accounts")]
