"""Running triage over a database, explaining one post, and recording the user's decisions.

The store is at the edges: read posts, scores, accounts and clusters; decide with the pure
functions of folders.py; re-apply every user decision; write one new run beside the old ones.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pileon.errors import StoreError
from pileon.store.db import from_iso
from pileon.store.evidence import log_custody
from pileon.store.triage import (
    DecisionInput,
    FolderRow,
    add_decisions,
    batch_keys,
    cluster_members,
    coordinated_accounts,
    decisions_in_order,
    finish_run,
    latest_run,
    read_inputs,
    read_scores,
    scores_source,
    set_folder,
    start_run,
    undo_rows,
    write_folders,
)
from pileon.triage.decisions import (
    FOLDER_ACTIONS,
    StoredDecision,
    check_action,
    effective_folder,
    undone_batches,
)
from pileon.triage.folders import (
    FOLDERS,
    AccountFacts,
    FolderChoice,
    PostFacts,
    account_signals,
    apply_cluster_rule,
    choose_folder,
)
from pileon.triage.rules import Rules

__all__ = ["TriageResult", "explain_post", "record_decisions", "run_triage", "undo_batch"]


@dataclass(frozen=True, slots=True)
class TriageResult:
    run_id: int
    posts: int
    counts: dict[str, int]
    analysed: bool
    decided: int
    seconds: float


def _stored(rows: Sequence[sqlite3.Row]) -> list[StoredDecision]:
    return [StoredDecision(int(r["id"]), r["batch"], r["platform"], r["post_id"], r["action"],
                           r["value"], r["reason"], r["decided_at"], r["via"]) for r in rows]


def run_triage(conn: sqlite3.Connection, rules: Rules) -> TriageResult:
    """Sort every reply into a folder; user decisions win. Writes a new run, returns counts."""
    started = time.perf_counter()
    scores = read_scores(conn)
    clusters = cluster_members(conn)
    member_of = {m: cid for cid, members in clusters.items() for m in members}
    coordinated = coordinated_accounts(conn)
    inputs = list(read_inputs(conn))
    facts: dict[tuple[str, str], PostFacts] = {}
    times: dict[tuple[str, str], str | None] = {}
    choices: dict[tuple[str, str], FolderChoice] = {}
    account_created: dict[str | None, datetime | None] = {}  # authors reply many times
    for row in inputs:
        key = (row.platform, row.post_id)
        posted = from_iso(row.created_at)
        created = account_created.get(row.author_created_at)
        if created is None and row.author_created_at not in account_created:
            created = account_created[row.author_created_at] = from_iso(row.author_created_at)
        account = None if row.author_id is None else AccountFacts(
            created, row.followers_count,
            None if row.has_avatar is None else bool(row.has_avatar),
            (row.platform, row.author_id) in coordinated)
        scored = scores.get(key)
        post = PostFacts(
            row.platform, row.post_id, posted,
            (scored[0] if scored and scored[0] else None) or row.lang_reported,
            tuple(scored[1]) if scored else (), scored[2] if scored else None,
            account_signals(account, posted, rules), member_of.get(key))
        facts[key] = post
        times[key] = row.created_at
        choices[key] = choose_folder(post, rules)
    choices.update(apply_cluster_rule(choices, clusters, rules))

    decisions = _stored(decisions_in_order(conn))
    undone = undone_batches(decisions)
    by_post: dict[tuple[str, str], list[StoredDecision]] = {}
    for d in decisions:
        if d.action in FOLDER_ACTIONS:
            by_post.setdefault((d.platform, d.post_id), []).append(d)

    rows: list[FolderRow] = []
    decided = 0
    for key, post in facts.items():
        choice = choices[key]
        mine = by_post.get(key)
        user_folder = None if mine is None else effective_folder(mine, choice.folder, undone)
        decided += user_folder is not None
        rows.append(FolderRow(
            post.platform, post.post_id, times[key],
            post.lang, post.labels, choice.category, choice.folder,
            user_folder or choice.folder, choice.rule, post.signals, post.cluster_id,
            user_folder is not None, choice.explain))
    counts = dict(Counter(r.folder for r in rows))
    conn.execute("BEGIN IMMEDIATE")
    try:
        run_id = start_run(conn, rules.sha256, rules.source, scores_source(conn))
        write_folders(conn, run_id, rows)
        finish_run(conn, run_id, len(rows), counts)
        log_custody(conn, "triage", {"run_id": run_id, "rules": rules.source,
                                     "rules_sha256": rules.sha256, "counts": counts,
                                     "user_decisions_applied": decided})
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return TriageResult(run_id, len(rows), {f: counts.get(f, 0) for f in FOLDERS},
                        bool(scores), decided, time.perf_counter() - started)


def explain_post(conn: sqlite3.Connection, post_id: str) -> list[dict[str, Any]]:
    """Why each post with this id is where it is: rule, scores, signals, cluster, decisions."""
    run = latest_run(conn)
    if run is None:
        raise StoreError("no triage yet", hint="run `pileon triage DB` first")
    rows = conn.execute(
        "SELECT f.* FROM post_folders f JOIN posts p ON p.platform=f.platform AND p.id=f.post_id"
        " WHERE f.run_id=? AND (p.id=? OR p.uri=? OR p.url=?)",
        (run["id"], post_id, post_id, post_id)).fetchall()
    out = []
    for r in rows:
        decisions = [dict(d) for d in decisions_in_order(conn, [(r["platform"], r["post_id"])])]
        out.append({
            "platform": r["platform"], "id": r["post_id"], "folder": r["folder"],
            "model_folder": r["model_folder"], "rule": r["rule"], "category": r["category"],
            "labels": json.loads(r["labels_json"]), "lang": r["lang"],
            "signals": [s for s in r["signals"].split(",") if s], "cluster_id": r["cluster_id"],
            "decided_by_user": bool(r["decided"]), "explain": json.loads(r["explain_json"]),
            "decisions": decisions, "run_id": run["id"], "rules": run["rules_source"]})
    return out


def _refresh_folders(conn: sqlite3.Connection, run_id: int,
                     keys: Sequence[tuple[str, str]]) -> None:
    decisions = _stored(decisions_in_order(conn, keys))
    undone = undone_batches(_stored(undo_rows(conn)))
    for platform, post_id in keys:
        row = conn.execute("SELECT model_folder FROM post_folders WHERE run_id=? AND platform=?"
                           " AND post_id=?", (run_id, platform, post_id)).fetchone()
        if row is None:
            continue
        mine = [d for d in decisions if (d.platform, d.post_id) == (platform, post_id)]
        set_folder(conn, run_id, platform, post_id,
                   effective_folder(mine, row["model_folder"], undone))


def record_decisions(conn: sqlite3.Connection, items: Sequence[DecisionInput], *,
                     via: str = "ui", by: str | None = None) -> str:
    """Store the user's decisions as one batch and show their effect at once."""
    for item in items:
        check_action(item.action, item.value)
    conn.execute("BEGIN IMMEDIATE")
    try:
        batch = add_decisions(conn, items, via=via, by=by)
        run = latest_run(conn)
        keys = sorted({(d.platform, d.post_id) for d in items if d.action in FOLDER_ACTIONS})
        if run is not None and keys:
            _refresh_folders(conn, int(run["id"]), keys)
        log_custody(conn, "decision", {"batch": batch, "via": via, "posts": len(items),
                                       "actions": sorted({d.action for d in items})})
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return batch


def undo_batch(conn: sqlite3.Connection, batch: str, *, via: str = "ui",
               by: str | None = None) -> int:
    """Undo a batch by adding an `undo` decision (nothing is deleted); returns posts affected."""
    keys = batch_keys(conn, batch)
    if not keys:
        return 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        add_decisions(conn, [DecisionInput(keys[0][0], keys[0][1], "undo", batch)], via=via,
                      by=by)
        run = latest_run(conn)
        if run is not None:
            _refresh_folders(conn, int(run["id"]), keys)
        log_custody(conn, "decision", {"undo": batch, "via": via, "posts": len(keys)})
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(keys)
