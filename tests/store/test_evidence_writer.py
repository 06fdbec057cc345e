"""The EvidenceWriter's bulk path (one statement per table for a whole group of batches) and its
fallback: when SQLite refuses one record, the group is redone batch by batch, so only the batch
holding that record goes to rejects and every other batch is stored exactly as the bulk path
would have stored it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pileon.records import Account, Post, RawPayload, Rejected, SourceBatch
from pileon.store import connect
from pileon.store.evidence import EvidenceWriter

AT = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)


def _batch(n: int, *, text: str | None = None, repeat: int = 1) -> SourceBatch:
    raw = f'{{"page": {n}}}'.encode()
    payload = RawPayload(data=raw, source="t.json", adapter="test", adapter_version="1",
                         fetched_at=AT, locator=f"line {n}")
    posts = tuple(
        Post(platform="x", id=f"{n}-{k}", text=f"reply {n}-{k}" if text is None else text,
             author_id=f"u{n}")
        for k in range(repeat)
    )
    return SourceBatch(payload=payload, posts=posts,
                       accounts=(Account(platform="x", id=f"u{n}", handle=f"h{n}"),))


def _table(conn: object, sql: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in conn.execute(sql)]  # type: ignore[attr-defined]


def test_one_refused_record_sends_only_its_batch_to_rejects(tmp_path: Path) -> None:
    conn = connect(tmp_path / "a.db")
    writer = EvidenceWriter(conn, source="t.json", fmt="test", group=10)
    bad = Post(platform="x", id="bad", text=None, author_id="u2")  # type: ignore[arg-type]
    broken = SourceBatch(
        payload=RawPayload(data=b'{"page": 2}', source="t.json", adapter="test",
                           adapter_version="1", fetched_at=AT, locator="line 2"),
        # the lone surrogate would be counted if the batch were stored; it is not
        posts=(Post(platform="x", id="2-0", text="\ud800 ok"), bad),
    )
    writer.add_all([_batch(1, repeat=3), broken, _batch(3, repeat=2)])
    counts = writer.finish()
    assert (counts.posts, counts.accounts, counts.payloads_new, counts.rejected) == (5, 2, 2, 1)
    assert counts.surrogates_replaced == 0
    assert sorted(r[0] for r in _table(conn, "SELECT id FROM posts")) == [
        "1-0", "1-1", "1-2", "3-0", "3-1"]
    assert _table(conn, "SELECT COUNT(*) FROM post_versions") == [(5,)]
    [(locator, reason, raw)] = _table(conn, "SELECT locator, reason, raw FROM rejects")
    assert locator == "line 2" and reason.startswith("cannot be stored") and raw == b'{"page": 2}'
    assert len(writer.payloads_new) == 2 and broken.payload.sha256 not in writer.payloads_new


def test_bulk_write_counts_repeats_in_a_group_and_across_runs(tmp_path: Path) -> None:
    conn = connect(tmp_path / "a.db")
    reject = Rejected("t.json", "line 9", "malformed JSON", b"{")
    first = [_batch(1), _batch(2), _batch(1), SourceBatch(
        payload=RawPayload(data=b"{", source="t.json", adapter="test", adapter_version="1",
                           fetched_at=AT, locator="line 9"), rejected=(reject,))]
    writer = EvidenceWriter(conn, source="t.json", fmt="test")
    writer.add_all(first)
    counts = writer.finish()
    assert (counts.payloads_new, counts.payloads_seen, counts.posts, counts.rejected) == (2, 1, 2, 1)
    again = EvidenceWriter(conn, source="t.json", fmt="test")
    again.add_all(first + [_batch(4, text="\ud83d lone")])
    counts = again.finish()
    assert (counts.payloads_new, counts.payloads_seen, counts.posts, counts.rejected) == (1, 3, 1, 0)
    assert counts.surrogates_replaced == 1
    assert _table(conn, "SELECT text FROM posts WHERE id='4-0'") == [("\ufffd lone",)]


def test_a_payload_archived_by_a_collector_is_claimed_by_the_writer(tmp_path: Path) -> None:
    conn = connect(tmp_path / "a.db")
    batch = _batch(1)
    p = batch.payload
    conn.execute(
        "INSERT INTO raw_payloads (sha256, data, size_bytes, source, locator, adapter,"
        " adapter_version, fetched_at) VALUES (?,?,?,?,?,?,?,?)",
        (p.sha256, p.data, len(p.data), p.source, p.locator, "collect", "1", "2026-03-14T10:00:00Z"),
    )
    writer = EvidenceWriter(conn, source="t.json", fmt="test")
    writer.add_all([batch, _batch(2)])
    counts = writer.finish()
    assert (counts.payloads_new, counts.payloads_seen, counts.posts) == (2, 0, 2)
    claimed = conn.execute("SELECT ingest_run_id FROM raw_payloads WHERE sha256 = ?", (p.sha256,))
    assert [tuple(r) for r in claimed] == [(writer.run_id,)]


def test_groups_are_cut_by_rows_as_well_as_by_batches(tmp_path: Path) -> None:
    conn = connect(tmp_path / "a.db")
    writer = EvidenceWriter(conn, source="t.json", fmt="test", group=1000, rows=50)
    writer.add(_batch(1, repeat=30))
    assert _table(conn, "SELECT COUNT(*) FROM posts") == [(0,)]  # still pending
    writer.add(_batch(2, repeat=30))
    assert _table(conn, "SELECT COUNT(*) FROM posts") == [(60,)]  # 62 rows pending: flushed
