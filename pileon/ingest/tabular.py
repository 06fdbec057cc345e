"""Tabular adapters: CSV and JSON-lines exports of any tool, read through a column mapping.

`--map text=body,author=user,id=post_id` names the columns; unmapped fields are looked up under
common names (see DEFAULT_COLUMNS and docs/formats.md). Every row or line is its own RawPayload,
holding its exact bytes, so a bad row is kept aside with its line number and the rest goes in.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from pileon.errors import FormatError, RecordError
from pileon.ingest.pages import ITEM_ERRORS, as_int, parse_time, shape_reason
from pileon.ingest.streaming import MAX_DOCUMENT_BYTES, iter_json_chunks
from pileon.records import Account, Post, RawPayload, Rejected, SourceBatch, utc_now

__all__ = ["DEFAULT_COLUMNS", "FIELDS", "CsvSource", "JsonlSource", "row_to_records"]

#: The fields --map can set, each with the column names tried when it is not mapped.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "post_id", "tweet_id", "status_id", "uri"),
    "text": ("text", "body", "content", "full_text", "message"),
    "author": ("author_id", "author", "user_id", "account_id", "user"),
    "author_handle": ("author_handle", "handle", "username", "screen_name", "acct"),
    "author_name": ("author_name", "display_name", "name"),
    "author_created_at": ("author_created_at", "account_created_at", "user_created_at"),
    "author_followers": ("author_followers", "followers_count", "followers"),
    "created_at": ("created_at", "date", "timestamp", "time", "createdAt"),
    "reply_to": ("reply_to", "in_reply_to", "in_reply_to_id", "parent_id"),
    "quote_of": ("quote_of", "quoted_id", "quoted_status_id"),
    "root_id": ("root_id", "conversation_id", "thread_id"),
    "lang": ("lang", "language"),
    "url": ("url", "link", "permalink"),
    "kind": ("kind", "type"),
}
FIELDS: tuple[str, ...] = tuple(DEFAULT_COLUMNS)
_KINDS = frozenset({"root", "reply", "quote", "mention", "repost"})
# The csv module refuses fields over 131,072 characters by default; one record may be as large as
# any JSON document pileon reads (the limit is process-wide, and only ever raised here).
csv.field_size_limit(max(csv.field_size_limit(), MAX_DOCUMENT_BYTES))


def _resolve_columns(mapping: Mapping[str, str], available: set[str] | None) -> dict[str, str]:
    """Field -> column. Explicit --map entries win; others use the first default name present."""
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        raise FormatError(
            f"--map names unknown field(s) {', '.join(unknown)}",
            hint="fields are: " + ", ".join(FIELDS),
        )
    columns = dict(mapping)
    for field, names in DEFAULT_COLUMNS.items():
        if field in columns:
            continue
        for name in names:
            if available is None or name in available:
                columns[field] = name
                break
    return columns


def _lookup(row: Mapping[str, Any], column: str | None) -> Any:
    """A column's value; JSON lines may name nested keys with dots (author=user.id)."""
    if column is None:
        return None
    if column in row:
        return row[column]
    value: Any = row
    for part in column.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _text_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def row_to_records(
    row: Mapping[str, Any], columns: Mapping[str, str], platform: str
) -> tuple[Post, Account | None]:
    """One row as a Post (and its author as an Account when an author column exists)."""
    post_id = _text_or_none(_lookup(row, columns.get("id")))
    if post_id is None:
        raise RecordError(f"missing required field 'id' (column {columns.get('id', 'id')!r})")
    text = _lookup(row, columns.get("text"))
    if text is None:
        raise RecordError(f"missing required field 'text' (column {columns.get('text', 'text')!r})")
    author = _text_or_none(_lookup(row, columns.get("author")))
    handle = _text_or_none(_lookup(row, columns.get("author_handle")))
    author = author or handle
    account = None
    if author is not None:
        account = Account(
            platform=platform,
            id=author,
            handle=handle,
            display_name=_text_or_none(_lookup(row, columns.get("author_name"))),
            created_at=parse_time(_lookup(row, columns.get("author_created_at")), "author_created_at"),
            followers_count=as_int(_lookup(row, columns.get("author_followers"))),
        )
    reply_to = _text_or_none(_lookup(row, columns.get("reply_to")))
    quote_of = _text_or_none(_lookup(row, columns.get("quote_of")))
    kind = _text_or_none(_lookup(row, columns.get("kind")))
    if kind not in _KINDS:
        kind = "reply" if reply_to else ("quote" if quote_of else "reply")
    post = Post(
        platform=platform,
        id=post_id,
        text=str(text),
        author_id=author,
        url=_text_or_none(_lookup(row, columns.get("url"))),
        lang_reported=_text_or_none(_lookup(row, columns.get("lang"))),
        created_at=parse_time(_lookup(row, columns.get("created_at"))),
        reply_to=reply_to,
        quote_of=quote_of,
        root_id=_text_or_none(_lookup(row, columns.get("root_id"))),
        kind=kind,
    )
    return post, account


def _batch(
    data: bytes, locator: str, path: Path, name: str, version: str, when: Any,
    row: Mapping[str, Any] | None, columns: Mapping[str, str], platform: str, error: str | None,
) -> SourceBatch:
    payload = RawPayload(data=data, source=str(path), adapter=name, adapter_version=version,
                         fetched_at=when, locator=locator)
    if error is None and row is not None:
        try:
            post, account = row_to_records(row, columns, platform)
        except ITEM_ERRORS as exc:
            error = exc.message if isinstance(exc, RecordError) else shape_reason(exc)
        else:
            return SourceBatch(payload=payload, posts=(post,),
                               accounts=(account,) if account else ())
    reject = Rejected(str(path), locator, error or "not a record", data)
    return SourceBatch(payload=payload, rejected=(reject,))


def _lines(handle: IO[bytes]) -> Iterator[bytes]:
    """The file's lines with their endings: LF and CRLF as usual, and classic-Mac CR-only files
    (no LF in the first 64 KB, a CR present) split on CR."""
    head = handle.read(64 * 1024)
    handle.seek(0)
    if b"\n" in head or b"\r" not in head:
        yield from handle
        return
    rest = b""
    while block := handle.read(1024 * 1024):
        parts = (rest + block).split(b"\r")
        rest = parts.pop()
        for part in parts:
            yield part + b"\r"
    if rest:
        yield rest


def _csv_records(handle: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """(first line number, exact bytes) of each CSV record; a quoted field may span lines."""
    pending: list[bytes] = []
    start = 0
    quotes = 0
    for lineno, line in enumerate(_lines(handle), start=1):
        if not pending:
            start = lineno
        pending.append(line)
        quotes += line.count(b'"')
        if quotes % 2 == 0:
            yield start, b"".join(pending).rstrip(b"\r\n")
            pending, quotes = [], 0
    if pending:
        yield start, b"".join(pending).rstrip(b"\r\n")


def _dialect(header: str) -> type[csv.Dialect] | csv.Dialect:
    counts = {d: header.count(d) for d in (",", "\t", ";")}
    delimiter = max(counts, key=lambda d: counts[d])

    class Detected(csv.excel):
        pass

    Detected.delimiter = delimiter if counts[delimiter] else ","
    return Detected


class CsvSource:
    """The `csv` source: one post per row, columns named by a header row."""

    name = "csv"
    version = "1"

    def sniff(self, head: bytes, path: Path) -> float:
        first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0]
        if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
            return 0.0
        if path.suffix.lower() in (".csv", ".tsv"):
            return 0.8
        return 0.55 if (b"," in first or b"\t" in first) and b"\0" not in head else 0.1

    def read(self, path: Path, options: dict[str, Any]) -> Iterator[SourceBatch]:
        when = utc_now()
        platform = options.get("platform") or "csv"
        with path.open("rb") as handle:
            records = _csv_records(handle)
            header_line = next(records, None)
            if header_line is None:
                return
            try:
                header_text = header_line[1].removeprefix(b"\xef\xbb\xbf").decode("utf-8")
            except UnicodeDecodeError as exc:
                raise FormatError("the header row is not valid UTF-8", path=str(path),
                                  record="line 1", hint="save the CSV as UTF-8") from exc
            dialect = _dialect(header_text)
            try:
                header = [h.strip() for h in next(csv.reader([header_text], dialect), [])]
            except csv.Error as exc:
                raise FormatError(f"the header row is not valid CSV ({exc})", path=str(path),
                                  record="line 1") from exc
            columns = _resolve_columns(options.get("map") or {}, set(header))
            for field in ("id", "text"):
                if columns.get(field) not in header:
                    raise FormatError(
                        f"no {field} column (columns are: {', '.join(header)})",
                        path=str(path),
                        hint=f"name it with --map {field}=COLUMN",
                    )
            for lineno, data in records:
                if not data.strip():
                    continue
                locator = f"line {lineno}"
                row: dict[str, str] | None = None
                error = None
                try:
                    cells = next(csv.reader([data.decode("utf-8")], dialect), [])
                except UnicodeDecodeError as exc:
                    error = f"invalid UTF-8 at byte {exc.start + 1}"
                except csv.Error as exc:
                    error = f"malformed CSV: {exc}"
                else:
                    # A short row lacks its last columns; a missing id or text is then rejected.
                    row = dict(zip(header, cells, strict=False))
                yield _batch(data, locator, path, self.name, self.version, when, row, columns,
                             platform, error)


class JsonlSource:
    """The `jsonl` source: one post per JSON line (or per element of a JSON array)."""

    name = "jsonl"
    version = "1"

    def sniff(self, head: bytes, path: Path) -> float:
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        if start not in (b"{", b"["):
            return 0.0
        if path.suffix.lower() in (".jsonl", ".ndjson", ".jsonlines"):
            return 0.6
        return 0.5 if start == b"{" and head.lstrip().split(b"\n", 1)[0].rstrip().endswith(b"}") else 0.2

    def read(self, path: Path, options: dict[str, Any]) -> Iterator[SourceBatch]:
        when = utc_now()
        platform = options.get("platform") or "jsonl"
        mapping = options.get("map") or {}
        _resolve_columns(mapping, set())  # an unknown --map field fails before any line is read
        # JSON lines need not share keys: defaults are resolved per key set (cached).
        by_keys: dict[tuple[str, ...], dict[str, str]] = {}
        limit = int(options.get("max_document_bytes") or MAX_DOCUMENT_BYTES)
        for chunk in iter_json_chunks(path, max_document_bytes=limit):
            row = chunk.value if isinstance(chunk.value, Mapping) else None
            error = chunk.error
            if error is None and row is None:
                error = f"line is a JSON {type(chunk.value).__name__}, not an object"
            columns: dict[str, str] = {}
            if row is not None:
                keys = tuple(row)
                columns = by_keys.get(keys) or by_keys.setdefault(
                    keys, _resolve_columns(mapping, set(keys))
                )
            yield _batch(chunk.data, chunk.locator, path, self.name, self.version, when, row,
                         columns, platform, error)
