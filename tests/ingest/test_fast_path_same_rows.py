"""The fast ingest path stores exactly what the plain one stores, on real third-party payloads.

Fast: orjson decoding, plain INSERTs for keys not yet stored, rows built in a forked second
process. Plain (the reference, as ingest was before them): the json module, every post and
account through its upsert, everything in one process. Every real fixture (twarc, twscrape's
X web answers in saved, HAR and Zeeschuimer form, X API v2, Bluesky, Mastodon) is ingested in
the same order into two databases, twice over (so the second round meets every key again), and
every stored row is compared: raw payloads, posts (with their rowids: the search index keys on
them), accounts, versions, rejects, run counts and the custody log's hashes.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pileon.errors import PileonError
from pileon.ingest import parallel, streaming
from pileon.ingest.run import ingest_file
from pileon.store import connect, evidence

from .test_xweb import (
    DETAIL_2025,
    DETAIL_2026,
    SEARCH_2026,
    USER_TWEETS,
    _har_entry,
    _tweet_results,
)

FIXTURES = Path(__file__).parent.parent / "fixtures"
REAL = sorted(
    [*(FIXTURES / "twarc").glob("*.jsonl"), *(FIXTURES / "xweb").glob("*.json"),
     *(FIXTURES / "formats").glob("*.json"), *(FIXTURES / "bluesky").glob("*.json")]
)
_TABLES = {
    "raw_payloads": "SELECT sha256, data, size_bytes, source, locator, adapter, adapter_version,"
                    " fetched_at, ingest_run_id FROM raw_payloads ORDER BY rowid",
    "posts": "SELECT rowid, * FROM posts ORDER BY rowid",
    "accounts": "SELECT rowid, * FROM accounts ORDER BY rowid",
    "post_versions": "SELECT * FROM post_versions ORDER BY rowid",
    "rejects": "SELECT source, locator, reason, raw, raw_sha256 FROM rejects ORDER BY id",
    "ingest_runs": "SELECT id, source, format, payloads_new, payloads_seen, posts, accounts,"
                   " rejected, finished_at IS NULL FROM ingest_runs ORDER BY id",
    "custody": "SELECT action, sha256s_json, read_json, wrote_json FROM custody_log ORDER BY id",
}


def _captures(folder: Path) -> list[Path]:
    """The real X web bodies in a HAR and as Zeeschuimer lines (the wrappers are ours)."""
    entries = [
        _har_entry(f"https://x.com/i/api/graphql/q{i}/{name}?variables=%7B%7D", path.read_bytes(),
                   started=f"2026-07-09T10:00:0{i}.000Z", base64_body=i == 1)
        for i, (name, path) in enumerate([("TweetDetail", DETAIL_2026), ("SearchTimeline",
                                          SEARCH_2026), ("TweetDetail", DETAIL_2025),
                                          ("UserTweets", USER_TWEETS)])
    ]
    har = folder / "x.com.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "Firefox"},
                                       "entries": entries}}), encoding="utf-8")
    zs = folder / "zeeschuimer.ndjson"
    with zs.open("w", encoding="utf-8") as out:
        for path in (DETAIL_2026, DETAIL_2025, USER_TWEETS):
            for n, result in enumerate(_tweet_results(json.loads(path.read_text("utf-8")))):
                out.write(json.dumps({"id": 1.7e18, "item_id": result.get("rest_id"),
                                      "timestamp_collected": 1783591200123 + n,
                                      "source_platform": "twitter.com", "data": result}) + "\n")
    return [har, zs]


def _dump(conn: sqlite3.Connection, since: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows; a time of this test run (an import time) reads "now"."""
    def norm(value: Any) -> Any:
        return "now" if isinstance(value, str) and value[:4].isdigit() and value >= since else value
    return {name: [tuple(norm(v) for v in row) for row in conn.execute(sql)]
            for name, sql in _TABLES.items()}


def _ingest_all(db: Path, files: list[Path], *, parallel_read: bool) -> list[str]:
    conn = connect(db)
    errors = []
    for _ in range(2):
        for path in files:
            try:
                ingest_file(conn, path, parallel=parallel_read)
            except PileonError as exc:
                errors.append(str(exc))
    conn.close()
    return errors


def test_real_payloads_are_stored_the_same_by_the_fast_and_the_plain_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not parallel.can_fork():
        pytest.skip("no fork on this system: the fast path reads in one process here")
    since = datetime.now(UTC).isoformat()[:19]
    files = [*REAL, *_captures(tmp_path)]
    fast_errors = _ingest_all(tmp_path / "fast.db", files, parallel_read=True)
    with monkeypatch.context() as m:
        m.setattr(streaming, "_may_hold_long_int", lambda data: True)
        m.setattr(evidence.EvidenceWriter, "_upsert",
                  lambda self, table, insert, upsert, rows: self.conn.executemany(upsert, rows))
        plain_errors = _ingest_all(tmp_path / "plain.db", files, parallel_read=False)
    assert fast_errors == plain_errors
    fast = _dump(sqlite3.connect(tmp_path / "fast.db"), since)
    plain_rows = _dump(sqlite3.connect(tmp_path / "plain.db"), since)
    assert len(fast["posts"]) >= 80 and len(fast["accounts"]) >= 60  # the fixtures did go in
    assert len(fast_errors) == 8  # twarc counts, lists and compliance files: not posts (twice)
    assert {r[5] for r in fast["raw_payloads"]} >= {"x", "x-web", "har", "zeeschuimer", "bluesky"}
    for table in _TABLES:
        assert fast[table] == plain_rows[table], table


def test_the_second_process_hands_on_a_fatal_error_after_what_it_read(tmp_path: Path) -> None:
    """A HAR of another site: the same one line from the child as in one process."""
    other = tmp_path / "other.har"
    other.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "Chrome"},
                                         "entries": [_har_entry("https://example.org/api",
                                                                b'{"a": 1}', started="2026-07-09T10:00:00Z")]}}))
    messages = []
    for read_in_child in (True, False):
        conn = connect(tmp_path / f"{read_in_child}.db")
        with pytest.raises(PileonError) as caught:
            ingest_file(conn, other, parallel=read_in_child)
        messages.append(str(caught.value))
        assert conn.execute("SELECT COUNT(*) FROM raw_payloads").fetchone()[0] == 0
        conn.close()
    assert messages[0] == messages[1] and "no x.com answers" in messages[0]


def test_fast_loads_reads_what_the_json_module_reads() -> None:
    cases = [b'{"id": 12345678901234567890123, "n": -98765432109876543210}', b'[1e400]',
             b'{"t": "\\ud800 lone"}', b'{"a": NaN}', b'{"id": "2032760000000000000", "x": 1.5}',
             b"9223372036854775808", b'{"k": 1, "k": 2}']
    for data in cases:
        got = streaming.fast_loads(data)
        want = json.loads(data)
        assert repr(got) == repr(want), data
