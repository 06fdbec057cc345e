"""Triage over one campaign thread: the very `decide_folders` of `pileon triage`, fed with the
campaign's own Parquet results (scores, clusters, account scores) instead of the thread
database's tables. The posts, the thread's context and the user's decisions come from the
thread database, as they do on the single-thread path. Folders land in a Parquet table."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pileon.campaign.columns import SCORES
from pileon.campaign.coordinate_reduce import ACCOUNTS, MEMBERS
from pileon.campaign.layout import Campaign
from pileon.records import LABELS
from pileon.store import connect
from pileon.store.triage import FolderRow
from pileon.triage.rules import Rules
from pileon.triage.run import (
    COORDINATED_ACCOUNT_SCORE,
    TriageInputs,
    decide_folders,
    posts_aimed_at_author,
    read_decisions,
)

__all__ = ["FOLDERS_SCHEMA", "folders_table", "triage_inputs"]

Key = tuple[str, str]

_S = pa.string()
FOLDERS_SCHEMA = pa.schema([
    ("thread", _S), ("platform", _S), ("id", _S), ("created_at", _S), ("lang", _S),
    ("labels", pa.list_(_S)), ("category", _S), ("model_folder", _S), ("folder", _S),
    ("rule", _S), ("signals", pa.list_(_S)), ("cluster_id", _S), ("decided", pa.bool_()),
    ("copies", _S), ("copies_size", pa.int64()), ("kind", _S), ("explain_json", _S),
])


def _scores(campaign: Campaign, thread: str
            ) -> dict[Key, tuple[str, tuple[str, ...], dict[str, float]]]:
    found: dict[Key, tuple[str, tuple[str, ...], dict[str, float]]] = {}
    names = ["platform", "id", "lang", "labels", *(f"score_{label}" for label in LABELS)]
    for path in sorted(campaign.table_dir("scores", thread).glob("day=*/part.parquet")):
        table = pq.read_table(path, schema=SCORES).select(names)
        columns = {name: table.column(name).to_pylist() for name in names}
        for i, key in enumerate(zip(columns["platform"], columns["id"], strict=True)):
            scores = {label: value for label in LABELS
                      if (value := columns[f"score_{label}"][i]) is not None}
            found[key] = (columns["lang"][i], tuple(columns["labels"][i]), scores)
    return found


def triage_inputs(campaign: Campaign, thread: str) -> TriageInputs:
    """What triage decides from, for one thread of the campaign."""
    conn = connect(campaign.thread_db(thread), create=False)
    try:
        posts, decisions = posts_aimed_at_author(conn), read_decisions(conn)
    finally:
        conn.close()
    members = pq.read_table(campaign.partition("cluster_members", thread), schema=MEMBERS)
    clusters: dict[str, list[Key]] = {}
    coordinated_posts: set[Key] = set()
    for cid, platform, post_id, counted in zip(
            *(members.column(c).to_pylist() for c in ("cluster_id", "platform", "id",
                                                       "counted")), strict=True):
        clusters.setdefault(str(cid), []).append((platform, post_id))
        if counted:
            coordinated_posts.add((platform, post_id))
    accounts = pq.read_table(campaign.partition("accounts", thread), schema=ACCOUNTS)
    coordinated = frozenset(
        (p, a) for p, a, score in zip(*(accounts.column(c).to_pylist() for c in (
            "platform", "account_id", "score")), strict=True)
        if score is not None and score >= COORDINATED_ACCOUNT_SCORE)
    return TriageInputs(posts, _scores(campaign, thread), clusters, coordinated,
                        frozenset(coordinated_posts), decisions)


def folders_table(thread: str, rows: Sequence[FolderRow]) -> pa.Table:
    return pa.table({
        "thread": [thread] * len(rows),
        "platform": [r.platform for r in rows], "id": [r.post_id for r in rows],
        "created_at": [r.created_at for r in rows], "lang": [r.lang for r in rows],
        "labels": [list(r.labels) for r in rows], "category": [r.category for r in rows],
        "model_folder": [r.model_folder for r in rows], "folder": [r.folder for r in rows],
        "rule": [r.rule for r in rows], "signals": [list(r.signals) for r in rows],
        "cluster_id": [r.cluster_id for r in rows], "decided": [r.decided for r in rows],
        "copies": [r.copies for r in rows], "copies_size": [r.copies_size for r in rows],
        "kind": [r.kind for r in rows],
        "explain_json": [json.dumps(r.explain, ensure_ascii=False, sort_keys=True)
                         for r in rows],
    }, schema=FOLDERS_SCHEMA)


def triage_thread_tables(root: Path, thread: str, rules: Rules) -> tuple[pa.Table, int]:
    """(folders table, posts the user decided) of one thread."""
    rows, decided = decide_folders(triage_inputs(Campaign(root), thread), rules)
    return folders_table(thread, rows), decided
