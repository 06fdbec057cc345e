"""The store opens, migrates once, and refuses files that are not pileon databases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pileon.errors import StoreError
from pileon.records import Account, Post, RawPayload, SourceBatch
from pileon.store import connect
from pileon.store.db import MIGRATIONS, schema_version
from pileon.store.evidence import EvidenceWriter


def _batch(text: str, fetched: datetime, post_id: str = "1") -> SourceBatch:
    raw = f'{{"id": "{post_id}", "text": "{text}"}}'.encode()
    payload = RawPayload(data=raw, source="t.json", adapter="test", adapter_version="1",
                         fetched_at=fetched)
    return SourceBatch(
        payload=payload,
        posts=(Post(platform="x", id=post_id, text=text, author_id="u1"),),
        accounts=(Account(platform="x", id="u1", handle="someone"),),
    )


def test_new_database_is_migrated_to_the_latest_schema(db_path: Path) -> None:
    conn = connect(db_path)
    assert schema_version(conn) == MIGRATIONS[-1][0]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    # opening again applies nothing twice
    conn = connect(db_path)
    assert conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="notes.db"):
        connect(bogus)


def test_same_payload_twice_adds_nothing(db_path: Path) -> None:
    conn = connect(db_path)
    t = datetime(2026, 11, 1, tzinfo=UTC)
    for _ in range(2):
        writer = EvidenceWriter(conn, source="t.json", fmt="test")
        writer.add(_batch("hello", t))
        writer.finish()
    assert conn.execute("SELECT COUNT(*) FROM raw_payloads").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM post_versions").fetchone()[0] == 1


def test_an_edited_post_keeps_both_versions_and_shows_the_newest(db_path: Path) -> None:
    conn = connect(db_path)
    writer = EvidenceWriter(conn, source="t.json", fmt="test")
    writer.add(_batch("second", datetime(2026, 11, 2, tzinfo=UTC)))
    writer.add(_batch("first", datetime(2026, 11, 1, tzinfo=UTC)))  # older file read later
    writer.finish()
    assert conn.execute("SELECT text FROM posts").fetchone()[0] == "second"
    versions = {r[0] for r in conn.execute("SELECT text FROM post_versions")}
    assert versions == {"first", "second"}
    assert conn.execute("SELECT COUNT(*) FROM raw_payloads").fetchone()[0] == 2


def test_a_migration_missing_in_the_middle_is_applied(tmp_path: Path) -> None:
    """A database migrated before a lower-numbered migration was added gets it on next open."""
    db = tmp_path / "gap.db"
    conn = connect(db)
    conn.execute("DROP TABLE scores")
    conn.execute("DROP TABLE analysis_runs")
    conn.execute("DELETE FROM schema_migrations WHERE version = 2")
    conn.close()
    conn = connect(db)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    versions = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
    conn.close()
    assert {"scores", "analysis_runs"} <= names
    assert 2 in versions
