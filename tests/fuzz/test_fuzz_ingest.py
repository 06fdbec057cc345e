"""Fuzzing every ingest adapter (issue 19): hostile values in real payloads, random JSON, random
bytes and deep nesting. Whatever the input: no exception but our own clear errors, the database
passes its integrity check, and the good record beside the bad one is stored unchanged."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pileon.errors import PileonError
from pileon.ingest.run import ingest_file
from pileon.plugins import sources
from pileon.store import connect

from .hostile import JSON, NASTY_TEXT, TEXT, dumps, mutated
from .profile import FUZZ

FORMATS = Path(__file__).parent.parent / "fixtures" / "formats"
#: adapter -> a real payload of its format (tests/fixtures/formats, see its README for sources)
REAL = {
    "x": "x_v2_conversation_search.json",
    "bluesky": "bluesky_getPostThread.json",
    "mastodon": "mastodon_context.json",
}
GOOD_JSONL = {"id": "good-1", "text": "a good line", "author": "acct-1", "lang": "en"}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("fuzz") / "template.db"
    connect(db).close()
    return db


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """What each real payload stores alone: post id -> text."""
    out: dict[str, dict[str, str]] = {}
    for fmt, name in REAL.items():
        db = tmp_path_factory.mktemp("expected") / f"{fmt}.db"
        with closing(connect(db)) as conn:
            ingest_file(conn, FORMATS / name, fmt=fmt)
            out[fmt] = dict(conn.execute(
                "SELECT id, text FROM posts WHERE placeholder IS NULL").fetchall())
    return out


class Workspace:
    def __init__(self, template: Path) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="pileon-fuzz-"))
        self.db = self.folder / "thread.db"
        shutil.copyfile(template, self.db)

    def ingest(self, name: str, content: bytes, fmt: str) -> dict[str, str] | None:
        """Posts stored (id -> text) after ingesting `content`; None when the whole file was
        refused with one of our own clear errors (e.g. a forced format it is not)."""
        path = self.folder / name
        path.write_bytes(content)
        with closing(connect(self.db)) as conn:
            refused = False
            try:
                ingest_file(conn, path, fmt=fmt)
            except PileonError as exc:
                assert str(exc)  # one clear line
                assert "\n" not in str(exc)
                refused = True
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert not conn.in_transaction
            stored = dict(conn.execute("SELECT id, text FROM posts").fetchall())
            return None if refused else stored

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def workspace(template: Path) -> Iterator[Workspace]:
    yield Workspace(template)


def _real(fmt: str) -> object:
    return json.loads((FORMATS / REAL[fmt]).read_text(encoding="utf-8"))


@pytest.mark.parametrize("fmt", sorted(REAL))
@FUZZ
@given(data=st.data())
def test_a_hostile_page_beside_a_good_one(template: Path, expected: dict[str, dict[str, str]],
                                          fmt: str, data: st.DataObject) -> None:
    bad = data.draw(mutated(_real(fmt)), label="mutated page")
    space = Workspace(template)
    try:
        try:
            line = dumps(bad)
        except (RecursionError, ValueError):
            return  # hypothesis built something json cannot even write
        # The good page comes last: a hostile copy of the same posts must not win over it.
        stored = space.ingest("pages.jsonl", (line + "\n" + dumps(_real(fmt)) + "\n").encode(),
                              fmt)
        if stored is None:
            return
        for post_id, text in expected[fmt].items():
            assert stored.get(post_id) == text, post_id
    finally:
        space.close()


@pytest.mark.parametrize("fmt", sorted(sources()))
@FUZZ
@given(lines=st.lists(st.one_of(JSON.map(dumps), TEXT, st.binary(max_size=200).map(repr),
                                st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),
                                st.integers(1, 3000).map(lambda n: '{"a":' * n + "1" + "}" * n)),
                      min_size=1, max_size=5),
       raw=st.binary(max_size=300))
def test_random_json_text_and_bytes_in_every_adapter(template: Path, fmt: str, lines: list[str],
                                                     raw: bytes) -> None:
    space = Workspace(template)
    try:
        body = "\n".join(lines).encode("utf-8", "surrogatepass") + b"\n" + raw
        for name in ("input.json", "input.jsonl", "input.csv"):
            space.ingest(name, body, fmt)
    finally:
        space.close()


CELL = st.one_of(TEXT, NASTY_TEXT, st.sampled_from(['"', '""', '",', "\r", "\n", ",", ";",
                                                      "\t", "1e308", str(2**64)]))


@FUZZ
@given(rows=st.lists(st.lists(CELL, min_size=0, max_size=6), max_size=6),
       ending=st.sampled_from(["\n", "\r\n", "\r"]),
       wide=st.sampled_from([0, 0, 140_000]))
def test_csv_rows_of_hostile_cells(template: Path, rows: list[list[str]], ending: str,
                                   wide: int) -> None:
    space = Workspace(template)
    try:
        header = "id,text,author,created_at,followers" + ("," + "h" * wide if wide else "")

        def cell(value: str) -> str:
            return '"' + value.replace('"', '""') + '"'

        lines = [header] + [",".join(cell(v) for v in row) for row in rows]
        lines.append('good-1,"a good line",acct-1,2024-01-02T03:04:05Z,12')
        body = ending.join(lines).encode("utf-8", "surrogatepass") + ending.encode()
        stored = space.ingest("input.csv", body, "csv")
        assert stored is None or stored.get("good-1") == "a good line"
    finally:
        space.close()


@FUZZ
@given(values=st.dictionaries(st.sampled_from(["id", "text", "author", "author_name",
                                               "author_followers", "created_at", "reply_to",
                                               "lang", "kind", "url"]), JSON, max_size=8))
def test_jsonl_records_of_hostile_values(template: Path, values: dict[str, object]) -> None:
    space = Workspace(template)
    try:
        body = dumps(values) + "\n" + dumps(GOOD_JSONL) + "\n"
        stored = space.ingest("input.jsonl", body.encode(), "jsonl")
        assert stored is not None and stored.get("good-1") == "a good line"
    finally:
        space.close()
