"""The store describes itself: tables, columns, indexes and triggers with the migrations' comments."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pileon.store import connect
from pileon.store.db import MIGRATIONS
from pileon.store.schema import describe, read_migrations


def test_every_table_of_a_real_database_is_described_with_its_comments(db_path: Path) -> None:
    conn = connect(db_path)
    schema = describe(conn)
    real = {
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    }
    virtual = {row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'")}
    conn.close()
    # an FTS5 table's own shadow tables (post_search_data, ...) are SQLite's, not ours
    shadows = {f"{v}_{part}" for v in virtual for part in ("data", "idx", "content", "docsize",
                                                           "config")}
    real -= shadows
    tables = {table.name: table for table in schema.tables}
    assert set(tables) == real
    assert [m.name for m in schema.migrations] == [name for _, name, _ in MIGRATIONS]
    columns = {column.name: column for column in tables["raw_payloads"].columns}
    assert columns["sha256"].meaning == "SHA-256 of `data`, lowercase hex"
    assert columns["sha256"].primary_key == 1
    assert columns["fetched_at"].not_null
    posts = {column.name: column for column in tables["posts"].columns}
    assert posts["raw_sha256"].references == "raw_payloads(sha256)"
    assert tables["custody_log"].meaning.startswith("Chain of custody")
    assert tables["schema_migrations"].columns[0].meaning  # created by db.py, still explained
    refusals = {(t.table, t.event): t.message for t in schema.triggers}
    assert refusals[("decisions", "BEFORE DELETE")] == "user decisions are never deleted"
    assert refusals[("decisions", "BEFORE UPDATE")].startswith("user decisions are never changed")


_FIRST = """-- 0001: the first. Two tables
-- for the test.

-- People who wrote.
CREATE TABLE people (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL DEFAULT '--none--',   -- shown name; '--' in a default is no comment
    -- the comment above a column
    mood  TEXT,                               -- happy | sad
                                              -- (carried on a second line)
    UNIQUE (name, mood)                       -- not a column
);
CREATE INDEX people_name ON people(name);
CREATE TABLE old_notes (body TEXT, -- what was said
    at TEXT);
"""

_SECOND = """-- 0002: later.

-- Where the person lives, added later.
ALTER TABLE people ADD COLUMN city TEXT;
ALTER TABLE people ADD COLUMN country TEXT;   -- ISO code
ALTER TABLE old_notes RENAME TO notes;
ALTER TABLE notes RENAME COLUMN at TO written_at;
"""


def test_comments_follow_columns_through_later_migrations() -> None:
    notes = read_migrations([(2, "0002_later.sql", _SECOND), (1, "0001_first.sql", _FIRST)])
    assert [(m.version, m.summary) for m in notes.migrations] == [
        (1, "the first. Two tables for the test."),
        (2, "later."),
    ]
    assert notes.tables["people"] == ("People who wrote.", "0001_first.sql")
    assert notes.columns[("people", "name")][0] == "shown name; '--' in a default is no comment"
    assert notes.columns[("people", "mood")][0] == (
        "the comment above a column happy | sad (carried on a second line)"
    )
    assert ("people", "UNIQUE") not in notes.columns
    assert notes.columns[("people", "country")] == ("ISO code", "0002_later.sql")
    assert notes.columns[("people", "city")] == ("", "0002_later.sql")
    (added,) = notes.table_notes["people"]
    assert added.columns == ("city", "country")
    assert added.text == "Where the person lives, added later."
    assert notes.columns[("notes", "body")][0] == "what was said"
    assert ("notes", "written_at") in notes.columns
    assert "old_notes" not in notes.tables


def test_describe_pairs_a_database_with_the_migrations_that_built_it() -> None:
    conn = sqlite3.connect(":memory:")
    conn.executescript(_FIRST + _SECOND)
    schema = describe(conn, [(1, "0001_first.sql", _FIRST), (2, "0002_later.sql", _SECOND)])
    people = next(table for table in schema.tables if table.name == "people")
    assert [c.name for c in people.columns] == ["id", "name", "mood", "city", "country"]
    assert [c.since for c in people.columns][-2:] == ["0002_later.sql", "0002_later.sql"]
    assert people.columns[1].default == "'--none--'"
    assert [(i.name, i.columns) for i in people.indexes] == [("people_name", ("name",))]
    assert [c.name for c in people.columns if c.primary_key] == ["id"]
    notes = next(table for table in schema.tables if table.name == "notes")
    assert [c.meaning for c in notes.columns] == ["what was said", ""]
