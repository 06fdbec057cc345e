"""The store described: every table, column, index and trigger of a migrated database, each paired
with the `--` comments the numbered migrations carry and the migration that added it.

docs/generate.py renders this as docs/schema.md, so the schema reference is read from the real
database and the migrations, never written by hand.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

from pileon.store.db import MIGRATIONS

__all__ = [
    "Column",
    "Index",
    "Migration",
    "MigrationNotes",
    "Schema",
    "Table",
    "TableNote",
    "Trigger",
    "describe",
    "read_migrations",
]

#: Tables the store creates outside the numbered migrations (pileon/store/db.py), with meanings.
_BUILTIN_TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "schema_migrations": (
        "The migrations applied to this database, one row each (created by pileon/store/db.py).",
        {
            "version": "the migration's number, NNNN of NNNN_name.sql",
            "name": "the migration's file name",
            "applied_at": "ISO 8601 UTC: when it was applied to this database",
        },
    ),
}
_BUILTIN_SOURCE = "db.py"

_NAME = r'(?:"(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|[A-Za-z_][A-Za-z0-9_$]*)'
_CREATE_TABLE = re.compile(
    rf"^\s*CREATE\s+(?:TEMP(?:ORARY)?\s+)?(?:VIRTUAL\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?({_NAME})",
    re.IGNORECASE,
)
_CREATE_OTHER = re.compile(
    rf"^\s*CREATE\s+(?:TEMP(?:ORARY)?\s+)?(?:UNIQUE\s+)?(INDEX|TRIGGER|VIEW)\s+"
    rf"(?:IF\s+NOT\s+EXISTS\s+)?({_NAME})",
    re.IGNORECASE,
)
_ALTER = re.compile(rf"^\s*ALTER\s+TABLE\s+({_NAME})\s+(.*)$", re.IGNORECASE | re.DOTALL)
_ADD_COLUMN = re.compile(rf"^ADD\s+(?:COLUMN\s+)?({_NAME})", re.IGNORECASE)
_RENAME_COLUMN = re.compile(rf"^RENAME\s+(?:COLUMN\s+)?({_NAME})\s+TO\s+({_NAME})", re.IGNORECASE)
_RENAME_TABLE = re.compile(rf"^RENAME\s+TO\s+({_NAME})", re.IGNORECASE)
_DROP_COLUMN = re.compile(rf"^DROP\s+(?:COLUMN\s+)?({_NAME})", re.IGNORECASE)
_DROP_TABLE = re.compile(rf"^\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?({_NAME})", re.IGNORECASE)
_COLUMN_DEF = re.compile(rf"^\s*({_NAME})")
_NOT_A_COLUMN = {"PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "CONSTRAINT"}
_HEADER_NUMBER = re.compile(r"^\d{4}:\s*")
_TRIGGER_EVENT = re.compile(
    r"\b(BEFORE|AFTER|INSTEAD\s+OF)\s+(UPDATE\s+OF\s+.+?|DELETE|INSERT|UPDATE)\s+ON\b",
    re.IGNORECASE | re.DOTALL,
)
_RAISE = re.compile(r"RAISE\s*\(\s*(?:ABORT|FAIL|ROLLBACK)\s*,\s*'((?:[^']|'')*)'\s*\)", re.IGNORECASE)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str  # file name, e.g. 0001_core.sql
    summary: str  # its opening comment, without the "NNNN:" prefix


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    not_null: bool
    default: str | None  # as SQL text, e.g. '[]' or 0
    primary_key: int  # position in the primary key, 0 = not part of it
    references: str | None  # "table(column)" of a foreign key
    meaning: str  # the migration's comment on it, "" if none
    since: str  # file that added it: a migration, or db.py


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]
    unique: bool
    meaning: str


@dataclass(frozen=True)
class TableNote:
    """A comment above `ALTER TABLE ... ADD COLUMN` statements: why those columns came later."""

    since: str
    columns: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Table:
    name: str
    kind: str  # table | view | virtual
    meaning: str
    since: str
    columns: tuple[Column, ...]
    indexes: tuple[Index, ...]
    notes: tuple[TableNote, ...]


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    event: str  # e.g. "BEFORE DELETE"
    message: str  # the RAISE message: what it refuses and why
    meaning: str
    since: str


@dataclass(frozen=True)
class Schema:
    migrations: tuple[Migration, ...]
    tables: tuple[Table, ...]
    triggers: tuple[Trigger, ...]


@dataclass
class MigrationNotes:
    """What the migrations' comments say, keyed by the names their statements create."""

    migrations: list[Migration] = field(default_factory=list)
    tables: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (meaning, since)
    columns: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    objects: dict[str, tuple[str, str]] = field(default_factory=dict)  # index/trigger/view
    table_notes: dict[str, list[TableNote]] = field(default_factory=dict)

    def rename_table(self, old: str, new: str) -> None:
        if old in self.tables:
            self.tables[new] = self.tables.pop(old)
        for table, column in list(self.columns):
            if table == old:
                self.columns[(new, column)] = self.columns.pop((old, column))
        if old in self.table_notes:
            self.table_notes[new] = self.table_notes.pop(old)

    def drop_table(self, name: str) -> None:
        self.tables.pop(name, None)
        self.table_notes.pop(name, None)
        for key in [key for key in self.columns if key[0] == name]:
            del self.columns[key]


def _unquote(name: str) -> str:
    if name[:1] == '"':
        return name[1:-1].replace('""', '"')
    if name[:1] in "`[":
        return name[1:-1]
    return name


def _split_comment(line: str) -> tuple[str, str, int]:
    """(code, comment, where the comment starts) of one line; `--` inside quotes is no comment."""
    closing: str | None = None
    for position, char in enumerate(line):
        if closing is not None:
            if char == closing:
                closing = None
        elif char in "'\"`":
            closing = char
        elif char == "[":
            closing = "]"
        elif line.startswith("--", position):
            return line[:position].rstrip(), line[position + 2 :].strip(), position
    return line.rstrip(), "", -1


def _joined(lines: Iterable[str]) -> str:
    return " ".join(part for part in (line.strip() for line in lines) if part)


class _MigrationReader:
    """Reads one migration's lines, statement by statement, keeping the comments next to them."""

    def __init__(self, notes: MigrationNotes, file_name: str) -> None:
        self.notes = notes
        self.file = file_name
        self.header: list[str] | None = None
        self.block: list[str] = []  # comment lines just above the next statement
        self.statement: list[str] = []
        self.trailing: list[str] = []  # trailing comments of the statement's lines
        self.above = ""  # the comment block above the statement being read
        self.table: str | None = None  # inside the body of this CREATE TABLE
        self.last_column: tuple[str, str] | None = None
        self.last_comment_at = -1  # where the last column's trailing comment started
        self.pending: list[str] = []  # comment lines inside a body, before a column
        self.seen_statement = False
        self.last_note: TableNote | None = None

    def read(self, sql: str) -> str:
        for line in sql.splitlines():
            code, comment, at = _split_comment(line)
            if not code:
                self._comment_only(comment, at)
            else:
                self._code(code, comment)
                self.last_comment_at = at
        return _HEADER_NUMBER.sub("", _joined(self.header or []))

    def _comment_only(self, comment: str, at: int) -> None:
        if self.statement:
            if self.table is None or not comment:
                return
            # aligned under the trailing comment above: it carries on; otherwise it introduces
            # the next column
            if self.last_column and at >= 0 and at == self.last_comment_at:
                meaning, since = self.notes.columns[self.last_column]
                self.notes.columns[self.last_column] = (_joined([meaning, comment]), since)
            else:
                self.pending.append(comment)
        elif comment:
            self.block.append(comment)
        else:  # a blank line ends a comment block; the file's first one is its header
            if self.header is None and not self.seen_statement and self.block:
                self.header = self.block
            self.block = []

    def _code(self, code: str, comment: str) -> None:
        first_line = not self.statement
        self.statement.append(code)
        self.trailing.append(comment)
        if first_line:
            self._start(code, comment)
        elif self.table is not None:
            self._column(code, comment)
        if sqlite3.complete_statement("\n".join(self.statement)):
            self._end("\n".join(self.statement))

    def _start(self, code: str, comment: str) -> None:
        self.seen_statement = True
        self.above = _joined(self.block)
        self.block = []
        if match := _CREATE_TABLE.match(code):
            self.table = _unquote(match.group(1))
            self.notes.drop_table(self.table)
            self.last_column, self.pending = None, []
            self.last_note = None
            first_column = code[code.find("(") + 1 :] if "(" in code else ""
            if first_column.strip():  # "CREATE TABLE t (a TEXT, -- a's comment"
                self.notes.tables[self.table] = (self.above, self.file)
                self._column(first_column, comment)
            else:
                self.notes.tables[self.table] = (_joined([self.above, comment]), self.file)
        elif match := _CREATE_OTHER.match(code):
            name = _unquote(match.group(2))
            self.notes.objects[name] = (_joined([self.above, comment]), self.file)
            if match.group(1).upper() == "VIEW":
                self.notes.tables[name] = self.notes.objects[name]
            self.last_note = None

    def _column(self, code: str, comment: str) -> None:
        match = _COLUMN_DEF.match(code)
        if not match or match.group(1).upper() in _NOT_A_COLUMN or code.lstrip().startswith(")"):
            return
        assert self.table is not None
        key = (self.table, _unquote(match.group(1)))
        self.notes.columns[key] = (_joined([*self.pending, comment]), self.file)
        self.last_column, self.pending = key, []

    def _end(self, statement: str) -> None:
        if self.table is None and (match := _ALTER.match(statement)):
            self._alter(_unquote(match.group(1)), match.group(2).strip())
        elif self.table is None and (match := _DROP_TABLE.match(statement)):
            self.notes.drop_table(_unquote(match.group(1)))
            self.last_note = None
        self.statement, self.trailing, self.table = [], [], None
        self.last_column, self.pending = None, []

    def _alter(self, table: str, action: str) -> None:
        if match := _ADD_COLUMN.match(action):
            column = _unquote(match.group(1))
            self.notes.columns[(table, column)] = (_joined(self.trailing), self.file)
            notes = self.notes.table_notes.setdefault(table, [])
            if self.above:
                self.last_note = TableNote(self.file, (column,), self.above)
                notes.append(self.last_note)
            elif self.last_note is not None and notes and notes[-1] is self.last_note:
                self.last_note = TableNote(self.file, (*self.last_note.columns, column),
                                           self.last_note.text)
                notes[-1] = self.last_note
            return
        self.last_note = None
        if match := _RENAME_TABLE.match(action):
            self.notes.rename_table(table, _unquote(match.group(1)))
        elif match := _RENAME_COLUMN.match(action):
            old, new = (table, _unquote(match.group(1))), (table, _unquote(match.group(2)))
            if old in self.notes.columns:
                self.notes.columns[new] = self.notes.columns.pop(old)
        elif match := _DROP_COLUMN.match(action):
            self.notes.columns.pop((table, _unquote(match.group(1))), None)


def read_migrations(migrations: Iterable[tuple[int, str, str]] = MIGRATIONS) -> MigrationNotes:
    """The comments of (version, file name, SQL) migrations, applied in order."""
    notes = MigrationNotes()
    for version, name, sql in sorted(migrations):
        summary = _MigrationReader(notes, name).read(sql)
        notes.migrations.append(Migration(version=version, name=name, summary=summary))
    return notes


def describe(
    conn: sqlite3.Connection, migrations: Iterable[tuple[int, str, str]] = MIGRATIONS
) -> Schema:
    """Every table (and view) of `conn` with its columns, indexes and triggers, commented."""
    notes = read_migrations(migrations)
    names = [
        (str(row[0]), str(row[1]))
        for row in conn.execute(
            "SELECT name, type FROM pragma_table_list WHERE schema = 'main' "
            "AND type IN ('table', 'view', 'virtual') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        )
    ]
    order = {name: position for position, name in enumerate(notes.tables)}
    names.sort(key=lambda item: (order.get(item[0], len(order)), item[0]))
    tables = tuple(_table(conn, notes, name, kind) for name, kind in names)
    triggers = tuple(
        _trigger(notes, str(row[0]), str(row[1]), str(row[2] or ""))
        for row in conn.execute(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY rowid"
        )
    )
    return Schema(migrations=tuple(notes.migrations), tables=tables, triggers=triggers)


def _table(conn: sqlite3.Connection, notes: MigrationNotes, name: str, kind: str) -> Table:
    builtin_meaning, builtin_columns = _BUILTIN_TABLES.get(name, ("", {}))
    meaning, since = notes.tables.get(name, (builtin_meaning, _BUILTIN_SOURCE))
    references = {
        str(row[3]): str(row[2]) if row[4] is None else f"{row[2]}({row[4]})"
        for row in conn.execute(
            'SELECT id, seq, "table", "from", "to" FROM pragma_foreign_key_list(?)', (name,)
        )
    }
    columns = []
    for row in conn.execute(
        "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid",
        (name,),
    ):
        column = str(row[0])
        comment, column_since = notes.columns.get(
            (name, column), (builtin_columns.get(column, ""), since)
        )
        columns.append(
            Column(
                name=column,
                type=str(row[1] or ""),
                not_null=bool(row[2]),
                default=None if row[3] is None else str(row[3]),
                primary_key=int(row[4]),
                references=references.get(column),
                meaning=comment,
                since=column_since,
            )
        )
    indexes = []
    for row in conn.execute(
        "SELECT name, \"unique\" FROM pragma_index_list(?) WHERE origin = 'c' ORDER BY name",
        (name,),
    ):
        index = str(row[0])
        indexed = tuple(
            str(part[0]) if part[0] is not None else "(expression)"
            for part in conn.execute(
                "SELECT name FROM pragma_index_info(?) ORDER BY seqno", (index,)
            )
        )
        indexes.append(
            Index(name=index, columns=indexed, unique=bool(row[1]),
                  meaning=notes.objects.get(index, ("", ""))[0])
        )
    return Table(
        name=name,
        kind=kind,
        meaning=meaning,
        since=since,
        columns=tuple(columns),
        indexes=tuple(indexes),
        notes=tuple(notes.table_notes.get(name, ())),
    )


def _trigger(notes: MigrationNotes, name: str, table: str, sql: str) -> Trigger:
    event = _TRIGGER_EVENT.search(sql)
    message = _RAISE.search(sql)
    meaning, since = notes.objects.get(name, ("", _BUILTIN_SOURCE))
    return Trigger(
        name=name,
        table=table,
        event=" ".join(" ".join(event.groups()).upper().split()) if event else "",
        message=message.group(1).replace("''", "'") if message else "",
        meaning=meaning,
        since=since,
    )
