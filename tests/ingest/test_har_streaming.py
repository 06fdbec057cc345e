"""A HAR is read entry by entry: a file far larger than pileon's one-value limit ingests, in any
member order browsers write; a HAR cut off anywhere stores nothing and says so in one line."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pileon.cli import main
from pileon.ingest.streaming import JsonShapeError, iter_array_at

from .conftest import IngestFn
from .rows import count
from .test_xweb import DETAIL_2025, DETAIL_2026, SEARCH_2026, _har_entry

BODIES = (DETAIL_2026, SEARCH_2026, DETAIL_2025)


def _entries() -> list[dict[str, object]]:
    return [_har_entry(f"https://x.com/i/api/graphql/q{i}/TweetDetail", body.read_bytes(),
                       started=f"2026-07-09T10:00:0{i}.000Z", base64_body=i == 1)
            for i, body in enumerate(BODIES)]


def test_a_har_larger_than_the_one_value_limit_is_streamed(ingest: IngestFn,
                                                           tmp_path: Path) -> None:
    entries = _entries()
    har = tmp_path / "big.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "Chrome"},
                                       "pages": [], "entries": entries * 4}}))
    largest = max(len(json.dumps(e)) for e in entries)
    limit = largest + 1024
    assert har.stat().st_size > 3 * limit  # loaded whole, this file would be refused
    conn = ingest(har, max_document_bytes=limit)
    assert count(conn, "raw_payloads") == len(BODIES)  # each body once, however often captured
    assert count(conn, "posts") > 20 and count(conn, "rejects") == 0


def test_member_order_and_extra_members_do_not_matter(tmp_path: Path, db_path: Path) -> None:
    """Entries first, pages and a comment after them, a top-level member after log."""
    har = tmp_path / "reordered.har"
    text = json.dumps({"log": {"entries": _entries(), "pages": [{"id": "page_1"}],
                               "comment": "saved by hand", "creator": {"name": "Firefox"},
                               "version": "1.2"}, "extra": {"entries": []}}, indent=1)
    har.write_text("\ufeff\n" + text)
    result = CliRunner().invoke(main, ["ingest", str(db_path), str(har)])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT COUNT(*) FROM raw_payloads").fetchone()[0] == len(BODIES)
    assert [e["startedDateTime"] for e in iter_array_at(har, ("log", "entries"))] == [
        "2026-07-09T10:00:00.000Z", "2026-07-09T10:00:01.000Z", "2026-07-09T10:00:02.000Z"]


@pytest.mark.parametrize("fraction", [0.05, 0.3, 0.5, 0.77, 0.95, 0.999])
def test_a_har_cut_off_anywhere_stores_nothing(fraction: float, tmp_path: Path,
                                               db_path: Path) -> None:
    full = json.dumps({"log": {"version": "1.2", "creator": {"name": "Chrome"},
                               "entries": _entries()}}).encode()
    har = tmp_path / "cut.har"
    har.write_bytes(full[: int(len(full) * fraction)])
    result = CliRunner().invoke(main, ["ingest", str(db_path), str(har)])
    assert result.exit_code != 0 and "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert errors and str(har) in errors[0] and "truncated" in errors[0], result.output
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT COUNT(*) FROM raw_payloads").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 0


@pytest.mark.parametrize(("text", "missing"), [
    ('{"log": {"version": "1.2"}}', True),
    ('{"log": {"entries": {"a": 1}}}', True),
    ('{"log": {"entries": [1, 2,]}}', False),
    ('{"log": {"entries": []}} {"more": 1}', False),
    ('{"log" {"entries": []}}', False),
])
def test_the_walker_names_what_is_wrong(text: str, missing: bool, tmp_path: Path) -> None:
    path = tmp_path / "x.har"
    path.write_text(text)
    with pytest.raises(JsonShapeError) as caught:
        list(iter_array_at(path, ("log", "entries")))
    assert caught.value.missing is missing and not caught.value.truncated
