"""Bluesky labels on a real getPostThreadV2 answer (blowdart/idunno.Bluesky's test data, MIT):
self-labels such as `!no-unauthenticated` are kept on the account and the post, a withdrawn
label goes, a source silent on labels keeps them, and a --public csv/jsonl export leaves out
the text of an author who asked to be shown to signed-in readers only."""

from __future__ import annotations

import copy
import csv
import json
import sqlite3
from pathlib import Path

from pileon.export.run import make_selection, run_export
from pileon.export.tabular import WITHHELD
from pileon.store.export import ExportFilter
from pileon.triage.rules import load_rules
from pileon.triage.run import run_triage

from .conftest import IngestFn

V2 = Path(__file__).parent.parent / "fixtures" / "bluesky" / "idunno_getPostThreadV2.json"
STEPHANIE = "did:plc:llyvrdjsnfuycjykeaopusbt"
HER_REPLY = "at://did:plc:llyvrdjsnfuycjykeaopusbt/app.bsky.feed.post/3ms2g6c7r722l"
ERIC_REPLY = "at://did:plc:3jpt2mvvsumj2r7eqk4gzzjz/app.bsky.feed.post/3ms2qnmwyuk26"
NO_UNAUTH = [{"val": "!no-unauthenticated", "by": "self"}]


def _labels(conn: sqlite3.Connection, table: str, key: str) -> object:
    row = conn.execute(f"SELECT labels_json FROM {table} WHERE id = ?", (key,)).fetchone()
    return None if row[0] is None else json.loads(row[0])


def test_the_real_thread_v2_is_read_with_the_authors_self_label(ingest: IngestFn) -> None:
    conn = ingest(V2)
    kinds = dict(conn.execute("SELECT kind, COUNT(*) FROM posts GROUP BY kind").fetchall())
    assert kinds == {"root": 1, "reply": 5}
    assert conn.execute("SELECT reply_to FROM posts WHERE id = ?", (ERIC_REPLY,)).fetchone()[0] \
        == HER_REPLY
    assert _labels(conn, "accounts", STEPHANIE) == NO_UNAUTH
    assert _labels(conn, "accounts", "did:plc:3jpt2mvvsumj2r7eqk4gzzjz") == []  # stated: none
    assert _labels(conn, "posts", HER_REPLY) == []  # her label is on the profile, not the post


def test_post_self_labels_labeler_labels_and_withdrawn_labels(ingest: IngestFn,
                                                              tmp_path: Path) -> None:
    answer = json.loads(V2.read_text(encoding="utf-8"))
    item = next(i for i in answer["thread"] if i["uri"] == ERIC_REPLY)["value"]["post"]
    # the record's own selfLabels (com.atproto.label.defs#selfLabels), and a moderation
    # service's label on the view, the way the AppView delivers both
    item["record"]["labels"] = {"$type": "com.atproto.label.defs#selfLabels",
                                "values": [{"val": "!no-unauthenticated"}, {"val": "nudity"}]}
    item["labels"] = [{"src": "did:plc:ar7c4by46qjdydhdevvrndac", "uri": ERIC_REPLY,
                       "val": "spam", "cts": "2026-08-02T01:00:00.000Z"}]
    first = tmp_path / "labelled.json"
    first.write_text(json.dumps(answer), encoding="utf-8")
    conn = ingest(first)
    assert _labels(conn, "posts", ERIC_REPLY) == [
        {"val": "spam", "by": "did:plc:ar7c4by46qjdydhdevvrndac"},
        {"val": "!no-unauthenticated", "by": "self"}, {"val": "nudity", "by": "self"}]
    # later: the labeler withdraws its label (neg) and the author drops one self-label
    later = copy.deepcopy(answer)
    view = next(i for i in later["thread"] if i["uri"] == ERIC_REPLY)["value"]["post"]
    view["indexedAt"] = "2026-08-03T00:00:00.000Z"
    view["record"]["labels"]["values"] = [{"val": "!no-unauthenticated"}]
    view["labels"] = [{**view["labels"][0], "neg": True}]
    second = tmp_path / "later.json"
    second.write_text(json.dumps(later), encoding="utf-8")
    ingest(second)
    assert _labels(conn, "posts", ERIC_REPLY) == NO_UNAUTH
    # a copy of the thread whose views carry no `labels` at all says nothing: labels stay
    silent = copy.deepcopy(later)
    for entry in silent["thread"]:
        entry["value"]["post"].pop("labels", None)
        entry["value"]["post"]["record"].pop("labels", None)
        entry["value"]["post"]["author"].pop("labels", None)
        entry["value"]["post"]["likeCount"] = 99  # different bytes: a new payload
    third = tmp_path / "silent.json"
    third.write_text(json.dumps(silent), encoding="utf-8")
    ingest(third)
    assert _labels(conn, "posts", ERIC_REPLY) == NO_UNAUTH
    assert _labels(conn, "accounts", STEPHANIE) == NO_UNAUTH


def _export(db: Path, fmt: str, out: Path, public: bool) -> None:
    from pileon.store import connect

    conn = connect(db, create=False)
    try:
        selection = make_selection(conn, db, ExportFilter(folder=None))
        run_export(conn, selection, fmt, out, options={"public": public})
    finally:
        conn.close()


def test_a_public_export_leaves_out_the_text_of_logged_in_only_authors(
        ingest: IngestFn, db_path: Path, tmp_path: Path) -> None:
    conn = ingest(V2)
    run_triage(conn, load_rules(None))
    texts = dict(conn.execute("SELECT id, text FROM posts").fetchall())
    _export(db_path, "jsonl", tmp_path / "mine.jsonl", public=False)
    _export(db_path, "jsonl", tmp_path / "public.jsonl", public=True)
    _export(db_path, "csv", tmp_path / "public.csv", public=True)
    mine = [json.loads(line) for line in (tmp_path / "mine.jsonl").read_text().splitlines()]
    public = [json.loads(line) for line in (tmp_path / "public.jsonl").read_text().splitlines()]
    with (tmp_path / "public.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(mine) == len(public) == len(rows) == 4  # the replies; the root is context
    theirs = [r for r in public if r["author_id"] == STEPHANIE]
    assert len(theirs) == 2
    for record in public:
        labelled = record["author_id"] == STEPHANIE
        assert record["text"] == ("" if labelled else texts[record["post_id"]])
        assert record["text_withheld"] == (WITHHELD if labelled else None)
        assert record["source_labels"] == ([{**NO_UNAUTH[0], "on": "account"}] if labelled else [])
    for record in mine:  # the user's own file keeps everything, and says what was asked
        assert record["text"] == texts[record["post_id"]] and record["text_withheld"] is None
    for row in rows:
        labelled = row["author_id"] == STEPHANIE
        assert (row["text"] == "") is labelled
        assert row["source_labels"] == ("!no-unauthenticated (author, account)" if labelled else "")
    public_bytes = (tmp_path / "public.jsonl").read_bytes() + (tmp_path / "public.csv").read_bytes()
    for post_id, text in texts.items():
        if post_id.startswith(f"at://{STEPHANIE}/"):
            assert text.encode() not in public_bytes
