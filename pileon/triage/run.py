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
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pileon.errors import StoreError
from pileon.store.custody import decision_batch_digest, posts_payloads, run_rows_digest
from pileon.store.db import from_iso, transaction
from pileon.store.evidence import log_custody
from pileon.store.triage import (
    DecisionInput,
    FolderRow,
    InputRow,
    ThreadContext,
    add_decisions,
    batch_keys,
    cluster_flags,
    cluster_members,
    coordinated_accounts,
    copies_of,
    decisions_in_order,
    finish_run,
    latest_run,
    read_inputs,
    read_scores,
    scores_source,
    set_folder,
    start_run,
    thread_context,
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
    CopyGroup,
    FolderChoice,
    PostFacts,
    account_signals,
    apply_copy_fate,
    choose_folder,
    consensus_choice,
    copy_key,
)
from pileon.triage.rules import Rules

__all__ = ["TriageResult", "aimed_at_author", "explain_post", "record_decisions", "run_triage",
           "undo_batch"]


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


def aimed_at_author(row: InputRow, context: ThreadContext) -> str | None:
    """How a post reaches the author ("reply", "quote", "mention"), or None for context: a
    thread root, the author's own posts, and root posts that do not name the author."""
    key = (row.platform, row.post_id)
    if key in context.roots or (row.author_id is not None
                                and (row.platform, row.author_id) in context.authors):
        return None
    if row.kind != "root":
        return row.kind
    text = row.text.lower()
    for handle in context.handles.get(row.platform, ()):
        local = handle.split("@")[0]
        for name in {handle, local}:
            at = text.find("@" + name)
            while at >= 0:
                after = text[at + 1 + len(name): at + 2 + len(name)]
                if not (after.isalnum() or after in "_"):
                    return "mention"
                at = text.find("@" + name, at + 1)
    return None


def _copy_groups(inputs: Sequence[InputRow], keys: set[tuple[str, str]],
                 clusters: dict[str, list[tuple[str, str]]],
                 coordinated_posts: set[tuple[str, str]]) -> list[CopyGroup]:
    """Coordination clusters and same-text twins, joined where they share a post."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(k: tuple[str, str]) -> tuple[str, str]:
        while parent.get(k, k) != k:
            parent[k] = parent.get(parent[k], parent[k])
            k = parent[k]
        return k

    def union(a: tuple[str, str], b: tuple[str, str]) -> None:
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    how: dict[tuple[str, str], set[str]] = {}
    for members in clusters.values():
        present = [m for m in members if m in keys]
        for m in present[1:]:
            union(present[0], m)
        for m in present:
            how.setdefault(m, set()).add("cluster")
    first_of: dict[str, tuple[str, str]] = {}
    for row in inputs:
        key = (row.platform, row.post_id)
        if key not in keys:
            continue
        text_key = copy_key(row.text)
        if not text_key:
            continue
        seen = first_of.setdefault(text_key, key)
        if seen != key:
            union(seen, key)
            how.setdefault(seen, set()).add("same_text")
            how.setdefault(key, set()).add("same_text")
    grouped: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for key in parent:
        grouped.setdefault(find(key), []).append(key)
    out = []
    for root, members in grouped.items():
        if len(members) < 2:
            continue
        kinds = set().union(*(how.get(m, set()) for m in members))
        out.append(CopyGroup(f"{root[0]}:{root[1]}", tuple(sorted(members)),
                             tuple(sorted(kinds)),
                             any(m in coordinated_posts for m in members)))
    return out


def _read_together(groups: Sequence[CopyGroup], facts: dict[tuple[str, str], PostFacts],
                   choices: dict[tuple[str, str], FolderChoice], rules: Rules
                   ) -> dict[tuple[str, str], FolderChoice]:
    """For each post of a copy group, the folder its exact text earns read as one (the
    average scores of its exact copies; a text found once keeps its own folder)."""
    out: dict[tuple[str, str], FolderChoice] = {}
    for group in groups:
        if group.coordinated:
            continue
        by_text: dict[str, list[tuple[str, str]]] = {}
        for member in group.members:
            if member in facts:
                by_text.setdefault(copy_key(facts[member].text or ""), []).append(member)
        for members in by_text.values():
            agreed = consensus_choice([facts[m] for m in members], rules) \
                if len(members) > 1 else choices[members[0]]
            for member in members:
                if agreed is not None:
                    out[member] = agreed
    return out


def run_triage(conn: sqlite3.Connection, rules: Rules) -> TriageResult:
    """Sort every post aimed at the author into a folder; user decisions win. Writes a new
    run, returns counts."""
    started = time.perf_counter()
    scores = read_scores(conn)
    clusters = cluster_members(conn)
    member_of = {m: cid for cid, members in clusters.items() for m in members}
    coordinated = coordinated_accounts(conn)
    coordinated_posts = cluster_flags(conn)
    context = thread_context(conn)
    inputs = [row for row in read_inputs(conn) if aimed_at_author(row, context) is not None]
    facts: dict[tuple[str, str], PostFacts] = {}
    times: dict[tuple[str, str], str | None] = {}
    kinds: dict[tuple[str, str], str] = {}
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
            account_signals(account, posted, rules), member_of.get(key), row.text,
            key in coordinated_posts)
        facts[key] = post
        times[key] = row.created_at
        kinds[key] = "mention" if row.kind == "root" else row.kind
        choices[key] = choose_folder(post, rules)

    decisions = _stored(decisions_in_order(conn))
    undone = undone_batches(decisions)
    by_post: dict[tuple[str, str], list[StoredDecision]] = {}
    for d in decisions:
        if d.action in FOLDER_ACTIONS:
            by_post.setdefault((d.platform, d.post_id), []).append(d)
    user_folders: dict[tuple[str, str], str] = {}
    for key, mine in by_post.items():
        if key in choices:
            found = effective_folder(mine, choices[key].folder, undone)
            if found is not None:
                user_folders[key] = found

    groups = _copy_groups(inputs, set(facts), clusters, coordinated_posts)
    group_of = {m: g for g in groups for m in g.members}
    choices.update(apply_copy_fate(choices, groups, rules, user_folders,
                                   _read_together(groups, facts, choices, rules)))

    rows: list[FolderRow] = []
    for key, post in facts.items():
        choice = choices[key]
        user_folder = user_folders.get(key)
        group = group_of.get(key)
        explain = dict(choice.explain)
        explain["kind"] = kinds[key]
        rows.append(FolderRow(
            post.platform, post.post_id, times[key],
            post.lang, post.labels, choice.category, choice.folder,
            user_folder or choice.folder, choice.rule, post.signals, post.cluster_id,
            user_folder is not None, explain, group.id if group else None,
            len(group.members) if group else 1, kinds[key]))
    counts = dict(Counter(r.folder for r in rows))
    decided = len(user_folders)
    with transaction(conn):
        run_id = start_run(conn, rules.sha256, rules.source, scores_source(conn))
        write_folders(conn, run_id, rows)
        finish_run(conn, run_id, len(rows), counts)
        log_custody(conn, "triage", {"run_id": run_id, "rules": rules.source,
                                     "rules_sha256": rules.sha256, "counts": counts,
                                     "user_decisions_applied": decided},
                    read=[rules.sha256], wrote=[run_rows_digest(conn, "post_folders", run_id)])
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
                     via: str = "ui", all_copies: bool = False, by: str | None = None) -> str:
    """Store the user's decisions as one batch and show their effect at once.

    With `all_copies`, each decision is also recorded for every copy of its post (same copy
    group in the newest triage run): "apply to the 21 identical replies". `by`: the trusted
    helper who decided (None: the author).
    """
    for item in items:
        check_action(item.action, item.value)
    if all_copies:
        run = latest_run(conn)
        if run is not None:
            expanded: list[DecisionInput] = []
            for item in items:
                expanded.extend(replace(item, platform=p, post_id=i) for p, i in copies_of(
                    conn, int(run["id"]), [(item.platform, item.post_id)]))
            items = list(dict.fromkeys(expanded))
    with transaction(conn):
        batch = add_decisions(conn, items, via=via, by=by)
        run = latest_run(conn)
        keys = sorted({(d.platform, d.post_id) for d in items if d.action in FOLDER_ACTIONS})
        if run is not None and keys:
            _refresh_folders(conn, int(run["id"]), keys)
        log_custody(conn, "decision", {"batch": batch, "via": via, "posts": len(items),
                                       "actions": sorted({d.action for d in items})},
                    posts_payloads(conn, {(d.platform, d.post_id) for d in items}),
                    wrote=[decision_batch_digest(conn, batch)])
    return batch


def undo_batch(conn: sqlite3.Connection, batch: str, *, via: str = "ui",
               by: str | None = None) -> int:
    """Undo a batch by adding an `undo` decision (nothing is deleted); returns posts affected."""
    keys = batch_keys(conn, batch)
    if not keys:
        return 0
    with transaction(conn):
        add_decisions(conn, [DecisionInput(keys[0][0], keys[0][1], "undo", batch)], via=via,
                      by=by)
        run = latest_run(conn)
        if run is not None:
            _refresh_folders(conn, int(run["id"]), keys)
        log_custody(conn, "decision", {"undo": batch, "via": via, "posts": len(keys)},
                    posts_payloads(conn, keys), read=[decision_batch_digest(conn, batch)])
    return len(keys)
