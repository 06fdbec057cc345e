"""Search finds every spelling: FTS5 over the analyzer's normalized text, checked against an
oracle written independently of pileon's normalizer (hand-written regular expressions over the
raw text), on the demo pile-on and on the thread fixture, through the real UI."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from webclient import Client

from pileon.store import connect
from pileon.store.triage import PageFilter, folder_page, latest_run
from pileon.web import search

# Written by hand from the spellings a person meets, not from pileon's tables.
ORACLES = {
    "xain": re.compile(r"(?<!\w)(xa[iİı]n|хаин|ха[иі]н|хаин|ҳаин)", re.IGNORECASE),
    "azerbaycanli": re.compile(r"(?<!\w)(az[əeƏE]rbaycanl[ıiIİ]|азәрбајҹанлы|азәрбайҹанлы|"
                               r"азербайджанлы|azerbaijanli)", re.IGNORECASE),
    "предатель": re.compile(r"(?<!\w)(предател|predatel|predatelj)", re.IGNORECASE),
}


@pytest.fixture
def conn(demo_db: Path) -> Iterator[sqlite3.Connection]:
    c = connect(demo_db)
    yield c
    c.close()


def _found(conn: sqlite3.Connection, query: str) -> set[str]:
    run = latest_run(conn)
    assert run is not None
    if search.pending(conn):
        search.sync(conn)
    expression = search.match_expression(query)
    rows, total = folder_page(conn, int(run["id"]), PageFilter(match=expression), offset=0,
                              limit=100_000)
    assert total == len(rows)
    return {r["post_id"] for r in rows}


@pytest.mark.parametrize("query", list(ORACLES))
def test_every_spelling_in_the_demo_pile_on_is_found(conn: sqlite3.Connection,
                                                     query: str) -> None:
    run = latest_run(conn)
    assert run is not None
    texts = {r[0]: r[1] for r in conn.execute(
        "SELECT p.id, p.text FROM posts p JOIN post_folders f ON f.platform = p.platform AND"
        " f.post_id = p.id AND f.run_id = ?", (int(run["id"]),))}
    wanted = {pid for pid, text in texts.items() if ORACLES[query].search(text)}
    assert len(wanted) >= 5, (query, len(wanted))  # the demo really holds several spellings
    spellings = {m.group(0) for t in texts.values() for m in ORACLES[query].finditer(t)}
    found = _found(conn, query)
    missed = wanted - found
    assert not missed, (query, sorted(spellings), [texts[p] for p in sorted(missed)][:5])
    print(f"{query}: {len(found)} found, {len(wanted)} by the oracle, spellings {sorted(spellings)}")


@pytest.mark.parametrize("query, other", [("XAİN", "xain"), ("хаин", "xain"),
                                          ("AZƏRBAYCANLI", "azerbaycanli"),
                                          ("azərbaycanlı", "azerbaycanli")])
def test_each_spelling_of_a_query_finds_the_same_posts(conn: sqlite3.Connection, query: str,
                                                       other: str) -> None:
    assert _found(conn, query) == _found(conn, other)


def test_the_index_follows_changed_and_new_posts(tmp_path: Path) -> None:
    from triaged_db import triaged
    db = triaged(tmp_path / "t.db")
    conn = connect(db)
    assert search.pending(conn)
    assert search.sync(conn) > 0 and not search.pending(conn)
    before = _found(conn, "Soros")
    assert before
    pid = sorted(before)[0]
    conn.execute("UPDATE posts SET text = 'nothing here now' WHERE id = ?", (pid,))
    assert search.pending(conn)
    assert pid not in _found(conn, "Soros")
    assert pid in _found(conn, "nothing")
    conn.close()


def test_query_syntax_never_reaches_fts(conn: sqlite3.Connection) -> None:
    for hostile in ['"', "NEAR(a b)", "a OR", "*", "x AND NOT y", "body:xain", "(", "^xain"]:
        _found(conn, hostile)  # no sqlite3.OperationalError
    assert search.match_expression("  ...  ") is None


def test_the_ui_search_finds_spellings_and_holds_back_inside_shielded(ui_db: Path) -> None:
    client = Client(ui_db).login()
    page = client.get("/folder/shielded?q=predatel&inside=1").text
    assert page.count('class="reveal"') == 1  # "Ты предатель", typed in Latin letters
    held = client.get("/folder/shielded?q=predatel").text
    assert held.count('class="reveal"') == 0  # not searched until asked
    support = client.get("/folder/support?q=spasibo").text  # Latin for "спасибо"
    assert "Спасибо" in support or "спасибо" in support
