"""CSV and JSON-lines exports through the column mapping: one payload per row, exact bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pileon.errors import FormatError

from .conftest import IngestFn
from .rows import account, count, post

CSV = (
    "post_id,body,user,date,lang,parent\n"
    "101,\"Thank you for writing this, Nargiz.\",anna,2026-03-14T09:05:12Z,en,100\n"
    "102,\"Two lines,\nwith \"\"quotes\"\"\",kirill,1773479380,ru,100\n"
    "103,Səninləyik,aysel,2026-03-14 09:31:45+04:00,az,\n"
)


def test_csv_with_a_column_map(ingest: IngestFn, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(CSV, "utf-8")
    conn = ingest(path, map={"id": "post_id", "text": "body", "author": "user",
                             "created_at": "date", "reply_to": "parent"})
    first = post(conn, "csv", "101")
    assert first["text"] == "Thank you for writing this, Nargiz."
    assert first["author_id"] == "anna"
    assert first["reply_to"] == "100"
    assert first["lang_reported"] == "en"
    assert first["created_at"] == "2026-03-14T09:05:12.000Z"
    quoted = post(conn, "csv", "102")
    assert quoted["text"] == 'Two lines,\nwith "quotes"'
    assert quoted["created_at"] == "2026-03-14T09:09:40.000Z"  # Unix seconds
    assert post(conn, "csv", "103")["created_at"] == "2026-03-14T05:31:45.000Z"
    assert count(conn, "accounts") == 3


def test_each_row_is_its_own_payload_with_its_exact_bytes(ingest: IngestFn, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(CSV, "utf-8")
    conn = ingest(path, map={"id": "post_id", "text": "body", "author": "user", "created_at": "date"})
    rows = {r["locator"]: r["data"] for r in conn.execute("SELECT locator, data FROM raw_payloads")}
    assert rows == {
        "line 2": CSV.splitlines()[1].encode(),
        "line 3": b'102,"Two lines,\nwith ""quotes""",kirill,1773479380,ru,100',
        "line 5": "103,Səninləyik,aysel,2026-03-14 09:31:45+04:00,az,".encode(),
    }


def test_default_column_names_and_platform_option(ingest: IngestFn, tmp_path: Path) -> None:
    path = tmp_path / "replies.tsv"
    path.write_text("id\ttext\tusername\tcreated_at\n7\tBravo\tmira\t2026-03-14T10:00:00Z\n", "utf-8")
    conn = ingest(path, platform="threads")
    seven = post(conn, "threads", "7")
    assert seven["text"] == "Bravo"
    assert seven["author_id"] == "mira"
    assert account(conn, "threads", "mira")["handle"] == "mira"


def test_missing_text_column_is_a_format_error(ingest: IngestFn, tmp_path: Path) -> None:
    path = tmp_path / "no_text.csv"
    path.write_text("id,user\n1,anna\n", "utf-8")
    with pytest.raises(FormatError, match="no text column .*--map text=COLUMN"):
        ingest(path)


def test_unknown_map_field_is_a_format_error(ingest: IngestFn, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,text\n1,a\n", "utf-8")
    with pytest.raises(FormatError, match="unknown field.*bodyy"):
        ingest(path, map={"bodyy": "text"})


def test_bad_rows_are_rejected_with_line_and_reason(ingest: IngestFn, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(
        b"id,text,created_at\n"
        b"1,fine,2026-03-14T10:00:00Z\n"
        b",no id here,2026-03-14T10:00:00Z\n"
        b"3,bad date,yesterday\n"
        b"4,caf\xe9 in latin-1,2026-03-14T10:00:00Z\n"
        b"5\n"
        b"6,also fine,\n"
    )
    conn = ingest(path)
    assert [r[0] for r in conn.execute("SELECT id FROM posts ORDER BY id")] == ["1", "6"]
    rejects = {r["locator"]: r["reason"] for r in conn.execute("SELECT locator, reason FROM rejects")}
    assert rejects == {
        "line 3": "missing required field 'id' (column 'id')",
        "line 4": "created_at 'yesterday' is not a date (ISO 8601, Unix seconds/milliseconds or an X date)",
        "line 5": "invalid UTF-8 at byte 6",
        "line 6": "missing required field 'text' (column 'text')",
    }
    raw = conn.execute("SELECT raw FROM rejects WHERE locator = 'line 5'").fetchone()[0]
    assert raw == b"4,caf\xe9 in latin-1,2026-03-14T10:00:00Z"


def test_jsonl_with_nested_columns(ingest: IngestFn, tmp_path: Path) -> None:
    path = tmp_path / "replies.jsonl"
    path.write_text(
        '{"post_id": "a1", "body": "Ты врёшь", "user": {"id": "u9", "name": "kirill"}}\n'
        '{"post_id": "a2", "body": "Je te crois", "user": {"id": "u3", "name": "léa"},'
        ' "lang": "fr", "created_at": "2026-03-14T12:00:00.250Z"}\n'
        '{"post_id": "a3", "user": {"id": "u3"}}\n',
        "utf-8",
    )
    conn = ingest(path, map={"id": "post_id", "text": "body", "author": "user.id",
                             "author_handle": "user.name"})
    assert post(conn, "jsonl", "a1")["author_id"] == "u9"
    a2 = post(conn, "jsonl", "a2")
    assert (a2["text"], a2["lang_reported"], a2["created_at"]) == (
        "Je te crois", "fr", "2026-03-14T12:00:00.250Z"
    )
    assert account(conn, "jsonl", "u3")["handle"] == "léa"
    (reason,) = conn.execute("SELECT reason FROM rejects WHERE locator = 'line 3'").fetchone()
    assert reason == "missing required field 'text' (column 'body')"
