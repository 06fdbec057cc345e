"""Triage in the store: runs and folders, the user's decisions, UI settings, and the reads the
review UI pages through. Classifier and coordination tables are read only when they exist, so
triage works on a database that was never analysed.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pileon.store.db import to_iso

__all__ = [
    "DecisionInput",
    "FolderRow",
    "InputRow",
    "PageFilter",
    "add_decisions",
    "batch_keys",
    "block_list",
    "cluster_sample",
    "distinct_values",
    "cluster_members",
    "coordinated_accounts",
    "coordinated_clusters",
    "decisions_for",
    "decisions_in_order",
    "decisions_stamp",
    "evidence_list",
    "finish_run",
    "folder_counts",
    "folder_page",
    "get_setting",
    "has_table",
    "iter_folder_posts",
    "last_batch",
    "latest_run",
    "latest_score",
    "matching_keys",
    "overview",
    "post_detail",
    "post_ref",
    "key_for_ref",
    "copies_of",
    "raw_bytes",
    "read_scores",
    "replies_to",
    "set_folder",
    "support_summary",
    "undo_rows",
    "read_inputs",
    "ThreadContext",
    "thread_context",
    "cluster_flags",
    "coordination_finished_at",
    "scores_analyzed_at",
    "blockable_accounts",
    "block_candidates",
    "scores_source",
    "folder_rows_of",
    "model_folder_of",
    "set_setting",
    "start_run",
    "write_folders",
]


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                       (name,)).fetchone()
    return row is not None


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {str(r[1]) for r in conn.execute(f"PRAGMA table_info({table})")}


@dataclass(frozen=True, slots=True)
class InputRow:
    """One post with what triage needs from the core tables (scores are joined in run.py)."""

    platform: str
    post_id: str
    created_at: str | None
    lang_reported: str | None
    author_created_at: str | None
    followers_count: int | None
    has_avatar: int | None
    author_id: str | None
    kind: str = "reply"
    text: str = ""


def read_inputs(conn: sqlite3.Connection) -> Iterator[InputRow]:
    """Every post with text (placeholders known only by id are skipped) and its author; root
    posts too, since a mention of the author is stored as the root of its own thread."""
    cur = conn.execute(
        "SELECT p.platform, p.id, p.created_at, p.lang_reported, a.created_at,"
        " a.followers_count, a.has_avatar, p.author_id, p.kind, p.text FROM posts p"
        " LEFT JOIN accounts a ON a.platform = p.platform AND a.id = p.author_id"
        " WHERE p.placeholder IS NULL AND p.kind != 'repost'")
    for row in cur:
        yield InputRow(*row)


@dataclass(frozen=True, slots=True)
class ThreadContext:
    """The posts collected around (the thread roots) and who wrote them: the user.

    A root is a post `pileon collect` was pointed at, or per platform the post that most
    other posts reply to, quote or name as their thread root. Its author's posts and the
    roots themselves are context: shown as such, never sorted as support or abuse.
    """

    roots: frozenset[tuple[str, str]]
    authors: frozenset[tuple[str, str]]
    handles: Mapping[str, frozenset[str]]  # platform -> the authors' handles, lower case


def thread_context(conn: sqlite3.Connection) -> ThreadContext:
    roots: set[tuple[str, str]] = set()
    if has_table(conn, "collect_rounds"):
        roots.update((str(p), str(r)) for p, r in conn.execute(
            "SELECT DISTINCT c.platform, c.root_id FROM collect_rounds c JOIN posts p"
            " ON p.platform = c.platform AND p.id = c.root_id"))
    best: dict[str, tuple[int, list[str]]] = {}
    for platform, target, n in conn.execute(
        "SELECT platform, target, COUNT(*) FROM (SELECT platform, id, root_id AS target"
        " FROM posts WHERE root_id IS NOT NULL AND root_id != id UNION"
        " SELECT platform, id, reply_to FROM posts WHERE reply_to IS NOT NULL UNION"
        " SELECT platform, id, quote_of FROM posts WHERE quote_of IS NOT NULL)"
        " GROUP BY platform, target"):
        top = best.get(platform)
        if top is None or n > top[0]:
            best[platform] = (int(n), [str(target)])
        elif n == top[0]:
            top[1].append(str(target))
    for platform, (_, targets) in best.items():
        roots.update((platform, t) for t in targets)
    authors: set[tuple[str, str]] = set()
    handles: dict[str, set[str]] = {}
    for platform, post_id in sorted(roots):
        row = conn.execute(
            "SELECT p.author_id, a.handle FROM posts p LEFT JOIN accounts a ON"
            " a.platform = p.platform AND a.id = p.author_id WHERE p.platform=? AND p.id=?",
            (platform, post_id)).fetchone()
        if row is None or row[0] is None:
            continue
        authors.add((platform, str(row[0])))
        if row[1]:
            handles.setdefault(platform, set()).add(str(row[1]).lstrip("@").lower())
    return ThreadContext(frozenset(roots), frozenset(authors),
                         {k: frozenset(v) for k, v in handles.items()})


def scores_source(conn: sqlite3.Connection) -> str | None:
    """'backend/model_version' of the newest classifier results, or None if not analysed."""
    if not has_table(conn, "scores"):
        return None
    row = conn.execute("SELECT backend, model_version, MAX(analyzed_at) FROM scores"
                       ).fetchone()  # one pass, no sort
    if row is None or row[0] is None:
        return None
    return f"{row[0]}/{row[1]}"


def read_scores(conn: sqlite3.Connection) -> dict[tuple[str, str], tuple[str, tuple[str, ...],
                                                                          dict[str, float]]]:
    """(platform, post_id) -> (lang, labels, scores), the newest analysis of each post."""
    if not has_table(conn, "scores"):
        return {}
    found: dict[tuple[str, str], tuple[str, tuple[str, ...], dict[str, float]]] = {}
    label_lists: dict[str, tuple[str, ...]] = {}  # few distinct label sets: parse each once
    for platform, post_id, lang, labels, scores in conn.execute(
        "SELECT platform, post_id, lang, labels_json, scores_json FROM scores"
        " ORDER BY analyzed_at"
    ):
        parsed = label_lists.get(labels)
        if parsed is None:
            parsed = label_lists[labels] = tuple(json.loads(labels))
        found[(platform, post_id)] = (lang, parsed, json.loads(scores))
    return found


def _latest_coordination_run(conn: sqlite3.Connection, table: str) -> int | None:
    """The newest finished `pileon coordination` run (interrupted runs are skipped)."""
    if "run_id" not in _columns(conn, table):
        return None
    if has_table(conn, "coordination_runs"):
        row = conn.execute("SELECT MAX(id) FROM coordination_runs WHERE finished_at IS NOT NULL"
                           ).fetchone()
    else:
        row = conn.execute(f"SELECT MAX(run_id) FROM {table}").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def cluster_members(conn: sqlite3.Connection) -> dict[str, list[tuple[str, str]]]:
    """cluster id -> member posts, from the newest `pileon coordination` run (if any)."""
    if not has_table(conn, "cluster_members"):
        return {}
    run = _latest_coordination_run(conn, "cluster_members")
    sql = "SELECT cluster_id, platform, post_id FROM cluster_members"
    rows = conn.execute(sql + " WHERE run_id = ?", (run,)) if run is not None \
        else conn.execute(sql)
    clusters: dict[str, list[tuple[str, str]]] = {}
    for cluster_id, platform, post_id in rows:
        clusters.setdefault(str(cluster_id), []).append((platform, post_id))
    return clusters


def cluster_flags(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    """Posts the newest coordination run placed in a coordinated group (time + accounts)."""
    if not has_table(conn, "cluster_members") \
            or "coordinated" not in _columns(conn, "cluster_members"):
        return set()
    run = _latest_coordination_run(conn, "cluster_members")
    sql = "SELECT platform, post_id FROM cluster_members WHERE coordinated = 1"
    rows = conn.execute(sql + " AND run_id = ?", (run,)) if run is not None \
        else conn.execute(sql)
    return {(str(p), str(i)) for p, i in rows}


def coordination_finished_at(conn: sqlite3.Connection) -> str | None:
    """When the newest finished coordination run ended (None: never run)."""
    if not has_table(conn, "coordination_runs"):
        return None
    row = conn.execute("SELECT MAX(finished_at) FROM coordination_runs").fetchone()
    return None if row is None or row[0] is None else str(row[0])


def scores_analyzed_at(conn: sqlite3.Connection) -> str | None:
    if not has_table(conn, "scores"):
        return None
    row = conn.execute("SELECT MAX(analyzed_at) FROM scores").fetchone()
    return None if row is None or row[0] is None else str(row[0])


def coordinated_accounts(conn: sqlite3.Connection, min_score: float = 0.5) -> set[tuple[str, str]]:
    """(platform, account id) the coordination stage scored at or above `min_score`."""
    if not has_table(conn, "account_signals"):
        return set()
    columns = _columns(conn, "account_signals")
    score = next((c for c in ("coordination_score", "score") if c in columns), None)
    account = next((c for c in ("account_id", "id") if c in columns), None)
    if score is None or account is None or "platform" not in columns:
        return set()
    run = _latest_coordination_run(conn, "account_signals")
    sql = f"SELECT platform, {account} FROM account_signals WHERE {score} >= ?"
    rows = conn.execute(sql + " AND run_id = ?", (min_score, run)) if run is not None \
        else conn.execute(sql, (min_score,))
    return {(str(p), str(a)) for p, a in rows}


def coordinated_clusters(conn: sqlite3.Connection, cluster_ids: Iterable[str]) -> set[str]:
    """Which of these clusters `pileon coordination` found coordinated (time + account
    evidence), as opposed to merely near-identical wording."""
    wanted = sorted({str(c) for c in cluster_ids if c is not None})
    if not wanted or not has_table(conn, "cluster_members") \
            or "coordinated" not in _columns(conn, "cluster_members"):
        return set()
    run = _latest_coordination_run(conn, "cluster_members")
    # Integer ids compare as integers so the (run_id, cluster_id) index is used.
    ids: list[Any] = [int(c) if c.isdigit() else c for c in wanted]
    sql = ("SELECT DISTINCT cluster_id FROM cluster_members WHERE coordinated = 1"
           f" AND cluster_id IN ({','.join('?' * len(ids))})")
    rows = conn.execute(sql + " AND run_id = ?", [*ids, run]) if run is not None \
        else conn.execute(sql, ids)
    return {str(r[0]) for r in rows}


def decisions_stamp(conn: sqlite3.Connection) -> int:
    """The newest decision's id: cached page data is stale once it changes."""
    row = conn.execute("SELECT MAX(id) FROM decisions").fetchone()
    return int(row[0] or 0)


# --- runs and folders -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FolderRow:
    platform: str
    post_id: str
    created_at: str | None
    lang: str | None
    labels: Sequence[str]
    category: str | None
    model_folder: str
    folder: str
    rule: str
    signals: Sequence[str]
    cluster_id: str | None
    decided: bool
    explain: Mapping[str, Any]
    copies: str | None = None
    copies_size: int = 1
    kind: str | None = None  # how it reached the author: reply, quote, mention


def post_ref(platform: str, post_id: str) -> str:
    """The opaque name of a post in the review UI's addresses (no id, handle or URL in it)."""
    return hashlib.sha256(f"{platform}\0{post_id}".encode()).hexdigest()[:20]


def start_run(conn: sqlite3.Connection, rules_sha256: str, rules_source: str,
              scores: str | None) -> int:
    cur = conn.execute(
        "INSERT INTO triage_runs (started_at, rules_sha256, rules_source, scores_source)"
        " VALUES (?,?,?,?)", (to_iso(datetime.now(UTC)), rules_sha256, rules_source, scores))
    return int(cur.lastrowid or 0)


_COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def write_folders(conn: sqlite3.Connection, run_id: int, rows: Iterable[FolderRow]) -> None:
    label_texts: dict[tuple[str, ...], str] = {}

    def labels_json(labels: Sequence[str]) -> str:
        key = tuple(labels)
        text = label_texts.get(key)
        if text is None:
            text = label_texts[key] = json.dumps(list(key))
        return text

    conn.executemany(
        "INSERT INTO post_folders (run_id, platform, post_id, created_at, lang, labels_json,"
        " category, model_folder, folder, rule, signals, cluster_id, decided, explain_json,"
        " copies, copies_size, ref, kind) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        ((run_id, r.platform, r.post_id, r.created_at, r.lang, labels_json(r.labels),
          r.category, r.model_folder, r.folder, r.rule, ",".join(r.signals), r.cluster_id,
          int(r.decided), _COMPACT_JSON(r.explain), r.copies, r.copies_size,
          post_ref(r.platform, r.post_id), r.kind) for r in rows))


def finish_run(conn: sqlite3.Connection, run_id: int, posts: int, counts: dict[str, int]) -> None:
    conn.execute("UPDATE triage_runs SET finished_at=?, posts=?, counts_json=? WHERE id=?",
                 (to_iso(datetime.now(UTC)), posts, json.dumps(counts), run_id))


def latest_run(conn: sqlite3.Connection) -> sqlite3.Row | None:
    """The newest finished triage run, or None when `pileon triage` never finished."""
    if not has_table(conn, "triage_runs"):
        return None
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM triage_runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return row


def folder_rows_of(conn: sqlite3.Connection, run_id: int, ref: str) -> list[sqlite3.Row]:
    """The folder rows of run `run_id` for the posts an id, URI or URL names."""
    return conn.execute(
        "SELECT f.* FROM post_folders f JOIN posts p ON p.platform=f.platform AND p.id=f.post_id"
        " WHERE f.run_id=? AND (p.id=? OR p.uri=? OR p.url=?)",
        (run_id, ref, ref, ref)).fetchall()


def model_folder_of(conn: sqlite3.Connection, run_id: int, platform: str,
                    post_id: str) -> str | None:
    """The folder the rules chose for one post in run `run_id` (None: not in that run)."""
    row = conn.execute("SELECT model_folder FROM post_folders WHERE run_id=? AND platform=?"
                       " AND post_id=?", (run_id, platform, post_id)).fetchone()
    return None if row is None else str(row[0])


def folder_counts(conn: sqlite3.Connection, run_id: int) -> dict[str, int]:
    return {str(f): int(n) for f, n in conn.execute(
        "SELECT folder, COUNT(*) FROM post_folders WHERE run_id=? GROUP BY folder", (run_id,))}


@dataclass(frozen=True, slots=True)
class PageFilter:
    folder: str | None = None
    category: str | None = None
    lang: str | None = None
    signal: str | None = None
    cluster_id: str | None = None
    since: str | None = None
    until: str | None = None
    query: str | None = None
    decided_only: bool = False
    match: str | None = None  # an FTS5 expression over post_search (pileon.store.search)


def _where(run_id: int, f: PageFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = ["f.run_id = ?"]
    args: list[Any] = [run_id]
    for column, value in (("f.folder", f.folder), ("f.category", f.category),
                          ("f.lang", f.lang), ("f.cluster_id", f.cluster_id)):
        if value:
            clauses.append(f"{column} = ?")
            args.append(value)
    if f.signal:
        clauses.append("(',' || f.signals || ',') LIKE ?")
        args.append(f"%,{f.signal},%")
    if f.since:
        clauses.append("f.created_at >= ?")
        args.append(f.since)
    if f.until:
        clauses.append("f.created_at < ?")
        args.append(f.until)
    if f.decided_only:
        clauses.append("f.decided = 1")
    if f.query:  # (a search by `match` is pileon.store.search's, driven by what FTS5 found)
        clauses.append("pileon_fold(p.text) LIKE ? ESCAPE '\\'")
        escaped = f.query.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        args.append(f"%{escaped}%")
    return " AND ".join(clauses), args


def _register_fold(conn: sqlite3.Connection) -> None:
    conn.create_function("pileon_fold", 1, lambda t: t.casefold() if isinstance(t, str) else t,
                         deterministic=True)


_PAGE_COLUMNS = (
    "f.platform, f.post_id, f.created_at, f.lang, f.labels_json, f.category, f.model_folder,"
    " f.folder, f.rule, f.signals, f.cluster_id, f.decided, f.explain_json, p.text, p.kind,"
    " p.author_id, p.url, p.reply_to, p.deleted_at_source, p.raw_sha256,"
    " a.handle AS author_handle, a.display_name AS author_display_name,"
    " f.copies, f.copies_size, f.ref")


def folder_page(conn: sqlite3.Connection, run_id: int, flt: PageFilter, *, offset: int,
                limit: int, newest_first: bool = True) -> tuple[list[sqlite3.Row], int]:
    """One page of posts matching `flt`, and how many match in all."""
    if flt.match:
        from pileon.store.search import search_page
        return search_page(conn, run_id, flt, offset=offset, limit=limit,
                           newest_first=newest_first)
    _register_fold(conn)
    where, args = _where(run_id, flt)
    join = (" FROM post_folders f JOIN posts p ON p.platform = f.platform AND p.id = f.post_id"
            " LEFT JOIN accounts a ON a.platform = p.platform AND a.id = p.author_id")
    order = "DESC" if newest_first else "ASC"
    rows = conn.execute(
        f"SELECT {_PAGE_COLUMNS}{join} WHERE {where} ORDER BY f.created_at {order}, f.post_id"
        " LIMIT ? OFFSET ?", [*args, limit, offset]).fetchall()
    if flt.query:
        total = int(conn.execute(f"SELECT COUNT(*){join} WHERE {where}", args).fetchone()[0])
    else:
        total = int(conn.execute(f"SELECT COUNT(*) FROM post_folders f WHERE {where}",
                                 args).fetchone()[0])
    return rows, total


def matching_keys(conn: sqlite3.Connection, run_id: int, flt: PageFilter,
                  cap: int = 200_000) -> list[tuple[str, str]]:
    """Every (platform, post_id) matching `flt`: the target of a bulk action by filter."""
    if flt.match:
        from pileon.store.search import search_keys
        return search_keys(conn, run_id, flt, cap)
    _register_fold(conn)
    where, args = _where(run_id, flt)
    return [(str(a), str(b)) for a, b in conn.execute(
        "SELECT f.platform, f.post_id FROM post_folders f JOIN posts p ON p.platform ="
        f" f.platform AND p.id = f.post_id WHERE {where} LIMIT ?", [*args, cap])]


# --- decisions ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DecisionInput:
    platform: str
    post_id: str
    action: str
    value: str | None = None
    reason: str | None = None


def add_decisions(conn: sqlite3.Connection, items: Sequence[DecisionInput], *,
                  via: str = "ui", batch: str | None = None, by: str | None = None) -> str:
    """Store decisions as one batch (undone together); returns the batch id. No commit.
    `by`: the trusted helper who decided (None: the author)."""
    batch = batch or uuid.uuid4().hex
    now = to_iso(datetime.now(UTC))
    conn.executemany(
        "INSERT INTO decisions (batch, platform, post_id, action, value, reason, decided_at, via,"
        " decided_by) VALUES (?,?,?,?,?,?,?,?,?)",
        [(batch, d.platform, d.post_id, d.action, d.value, d.reason, now, via, by)
         for d in items])
    return batch


def decisions_in_order(conn: sqlite3.Connection,
                       keys: Iterable[tuple[str, str]] | None = None) -> list[sqlite3.Row]:
    """All decisions (or those about `keys`), oldest first."""
    if keys is None:
        return conn.execute("SELECT * FROM decisions ORDER BY id").fetchall()
    found: list[sqlite3.Row] = []
    for platform, post_id in keys:
        found.extend(conn.execute(
            "SELECT * FROM decisions WHERE platform=? AND post_id=? ORDER BY id",
            (platform, post_id)).fetchall())
    found.sort(key=lambda r: int(r["id"]))
    return found


def posts_with_id(conn: sqlite3.Connection, post_id: str,
                  platform: str | None = None) -> list[tuple[str, str]]:
    """(platform, id) of every stored post with this id (on one platform when it is given)."""
    if platform:
        rows = conn.execute("SELECT platform, id FROM posts WHERE id=? AND platform=?",
                            (post_id, platform))
    else:
        rows = conn.execute("SELECT platform, id FROM posts WHERE id=?", (post_id,))
    return [(str(r[0]), str(r[1])) for r in rows]


def batch_size(conn: sqlite3.Connection, batch: str) -> int:
    """How many decisions a batch recorded."""
    return int(conn.execute("SELECT COUNT(*) FROM decisions WHERE batch=?",
                            (batch,)).fetchone()[0])


def undone_batches(conn: sqlite3.Connection) -> set[str]:
    """The batches an Undo has taken back."""
    return {str(r[0]) for r in conn.execute("SELECT value FROM decisions WHERE action = 'undo'")}


def undo_rows(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM decisions WHERE action='undo' ORDER BY id").fetchall()


def batch_keys(conn: sqlite3.Connection, batch: str) -> list[tuple[str, str]]:
    return [(str(a), str(b)) for a, b in conn.execute(
        "SELECT DISTINCT platform, post_id FROM decisions WHERE batch=? AND action != 'undo'",
        (batch,))]


def decisions_for(conn: sqlite3.Connection, platform: str, post_id: str) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM decisions WHERE platform=? AND post_id=? ORDER BY id",
                        (platform, post_id)).fetchall()


def last_batch(conn: sqlite3.Connection) -> sqlite3.Row | None:
    """The newest batch not yet undone (what the Undo button undoes)."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT batch, action, value, COUNT(*) AS n, MAX(decided_at) AS at FROM decisions d"
        " WHERE action != 'undo' AND NOT EXISTS (SELECT 1 FROM decisions u WHERE"
        " u.action='undo' AND u.value = d.batch) GROUP BY batch ORDER BY MAX(id) DESC LIMIT 1"
    ).fetchone()
    return row


def set_folder(conn: sqlite3.Connection, run_id: int, platform: str, post_id: str,
               folder: str | None) -> None:
    """Show a post in `folder` (None: back to the model's folder) in the current run."""
    if folder is None:
        conn.execute("UPDATE post_folders SET folder = model_folder, decided = 0"
                     " WHERE run_id=? AND platform=? AND post_id=?", (run_id, platform, post_id))
    else:
        conn.execute("UPDATE post_folders SET folder = ?, decided = 1"
                     " WHERE run_id=? AND platform=? AND post_id=?",
                     (folder, run_id, platform, post_id))


def _listed(conn: sqlite3.Connection, action: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT d.platform, d.post_id, d.value, d.reason, d.decided_at, p.author_id,"
        " p.raw_sha256 FROM decisions d LEFT JOIN posts p ON p.platform=d.platform"
        " AND p.id=d.post_id WHERE d.action=? AND NOT EXISTS (SELECT 1 FROM decisions u"
        " WHERE u.action='undo' AND u.value=d.batch) ORDER BY d.id", (action,)).fetchall()


def block_list(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Accounts the user chose to block (one entry per account), for the exports."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for r in _listed(conn, "block"):
        account = r["value"] or r["author_id"]
        if account and (r["platform"], account) not in seen:
            seen[(r["platform"], account)] = {
                "platform": r["platform"], "account_id": account, "post_id": r["post_id"],
                "reason": r["reason"], "decided_at": r["decided_at"]}
    return list(seen.values())


def evidence_list(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Posts the user added to the evidence report, with their raw payload hash."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for r in _listed(conn, "evidence"):
        seen.setdefault((r["platform"], r["post_id"]), {
            "platform": r["platform"], "post_id": r["post_id"], "reason": r["reason"],
            "decided_at": r["decided_at"], "raw_sha256": r["raw_sha256"]})
    return list(seen.values())


# --- settings ----------------------------------------------------------------------------------

def get_setting(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM ui_settings WHERE key=?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_setting(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO ui_settings (key, value, changed_at) VALUES (?,?,?)"
                 " ON CONFLICT(key) DO UPDATE SET value=excluded.value,"
                 " changed_at=excluded.changed_at", (key, value, to_iso(datetime.now(UTC))))


def iter_folder_posts(conn: sqlite3.Connection, run_id: int,
                      folder: str | None) -> Iterator[sqlite3.Row]:
    """Every triaged post (of one folder, or all), oldest first, streamed."""
    sql = (f"SELECT {_PAGE_COLUMNS} FROM post_folders f JOIN posts p ON p.platform = f.platform"
           " AND p.id = f.post_id LEFT JOIN accounts a ON a.platform = p.platform"
           " AND a.id = p.author_id WHERE f.run_id = ?")
    args: list[Any] = [run_id]
    if folder:
        sql += " AND f.folder = ?"
        args.append(folder)
    yield from conn.execute(sql + " ORDER BY f.created_at, f.platform, f.post_id", args)


# --- reads for the review UI -------------------------------------------------------------------

def support_summary(conn: sqlite3.Connection, run_id: int) -> dict[str, int]:
    """How many replies and distinct people are in support, in how many languages ('und', a
    language the classifier could not tell, is not one)."""
    row = conn.execute(
        "SELECT COUNT(*), COUNT(DISTINCT p.author_id),"
        " COUNT(DISTINCT CASE WHEN f.lang != 'und' THEN f.lang END) FROM post_folders f"
        " JOIN posts p ON p.platform=f.platform AND p.id=f.post_id"
        " WHERE f.run_id=? AND f.folder='support'", (run_id,)).fetchone()
    return {"replies": int(row[0]), "people": int(row[1]), "languages": int(row[2])}


def overview(conn: sqlite3.Connection, run_id: int) -> dict[str, Any]:
    """Counts per folder, per category, per language, per hour and folder, and the clusters."""
    def grouped(sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in conn.execute(sql, (run_id,))]

    return {
        "folders": dict(grouped(
            "SELECT folder, COUNT(*) FROM post_folders WHERE run_id=? GROUP BY folder")),
        "categories": grouped(
            "SELECT category, COUNT(*) FROM post_folders WHERE run_id=? AND category IS NOT NULL"
            " AND folder IN ('shielded', 'review') GROUP BY category ORDER BY 2 DESC"),
        "languages": grouped(
            "SELECT COALESCE(lang, '?'), COUNT(*), SUM(folder='support') FROM post_folders"
            " WHERE run_id=? GROUP BY 1 ORDER BY 2 DESC"),
        "hours": grouped(
            "SELECT substr(created_at, 1, 13), folder, COUNT(*) FROM post_folders"
            " WHERE run_id=? AND created_at IS NOT NULL GROUP BY 1, 2 ORDER BY 1"),
        "clusters": grouped(
            "SELECT cluster_id, COUNT(*), MIN(created_at), MAX(created_at),"
            " SUM(folder='shielded'), SUM(folder='support'), SUM(folder='inbox'),"
            " SUM(folder='review')"
            " FROM post_folders WHERE run_id=? AND cluster_id IS NOT NULL"
            " GROUP BY cluster_id ORDER BY 2 DESC LIMIT 50"),
    }


def cluster_sample(conn: sqlite3.Connection, run_id: int, cluster_id: str) -> sqlite3.Row | None:
    """The earliest member of a cluster in support or inbox (its text can be shown unasked;
    a reply waiting in review may be abuse, so the overview does not quote it)."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT p.text, f.lang FROM post_folders f JOIN posts p ON p.platform=f.platform"
        " AND p.id=f.post_id WHERE f.run_id=? AND f.cluster_id=?"
        " AND f.folder IN ('support', 'inbox')"
        " ORDER BY f.created_at LIMIT 1", (run_id, cluster_id)).fetchone()
    return row


def post_detail(conn: sqlite3.Connection, run_id: int, platform: str,
                post_id: str) -> sqlite3.Row | None:
    """One post with its folder, author and raw payload facts (LEFT JOIN: root posts too)."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT p.platform, p.id AS post_id, p.text, p.kind, p.author_id, p.url, p.uri,"
        " p.reply_to, p.quote_of, p.root_id, p.created_at, p.deleted_at_source, p.placeholder,"
        " p.lang_reported, p.raw_sha256, f.folder, f.model_folder, f.category, f.rule,"
        " f.labels_json, f.lang, f.signals, f.cluster_id, f.decided, f.explain_json,"
        " f.copies, f.copies_size, f.run_id AS triaged_in,"
        " a.handle AS author_handle, a.display_name AS author_display_name,"
        " a.created_at AS author_created_at, a.followers_count, a.following_count,"
        " a.posts_count, a.has_avatar, r.source AS raw_source, r.locator AS raw_locator,"
        " r.fetched_at, r.adapter, r.size_bytes"
        " FROM posts p LEFT JOIN post_folders f ON f.run_id=? AND f.platform=p.platform"
        " AND f.post_id=p.id LEFT JOIN accounts a ON a.platform=p.platform AND a.id=p.author_id"
        " LEFT JOIN raw_payloads r ON r.sha256=p.raw_sha256 WHERE p.platform=? AND p.id=?",
        (run_id, platform, post_id)).fetchone()
    return row


def raw_bytes(conn: sqlite3.Connection, sha256: str) -> bytes | None:
    row = conn.execute("SELECT data FROM raw_payloads WHERE sha256=?", (sha256,)).fetchone()
    return None if row is None else bytes(row[0])


def latest_score(conn: sqlite3.Connection, platform: str, post_id: str) -> sqlite3.Row | None:
    if not has_table(conn, "scores"):
        return None
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM scores WHERE platform=? AND post_id=? ORDER BY analyzed_at DESC LIMIT 1",
        (platform, post_id)).fetchone()
    return row


def replies_to(conn: sqlite3.Connection, run_id: int, platform: str, post_id: str,
               limit: int = 20) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT p.id FROM posts p WHERE p.platform=? AND p.reply_to=? ORDER BY p.created_at"
        " LIMIT ?", (platform, post_id, limit)).fetchall()


def distinct_values(conn: sqlite3.Connection, run_id: int, column: str,
                    folder: str | None = None) -> list[str]:
    """Values present for a filter menu (lang or category), in one folder or in the run.

    With a folder, the (run_id, folder, column) index is walked value by value (a few seeks)
    instead of reading every row of the folder.
    """
    if column not in ("lang", "category"):
        raise ValueError(column)
    if folder is None:
        return [str(r[0]) for r in conn.execute(
            f"SELECT DISTINCT {column} FROM post_folders WHERE run_id=? AND {column} IS NOT NULL"
            " ORDER BY 1", (run_id,))]
    return [str(r[0]) for r in conn.execute(
        f"WITH RECURSIVE found(v) AS (SELECT MIN({column}) FROM post_folders WHERE run_id=?"
        f" AND folder=? UNION ALL SELECT (SELECT MIN({column}) FROM post_folders WHERE run_id=?"
        f" AND folder=? AND {column} > found.v) FROM found WHERE found.v IS NOT NULL)"
        " SELECT v FROM found WHERE v IS NOT NULL", (run_id, folder, run_id, folder))]


def key_for_ref(conn: sqlite3.Connection, run_id: int, ref: str) -> tuple[str, str] | None:
    """The post a UI address names; posts not triaged in `run_id` (new since) are looked up
    among all posts."""
    row = conn.execute("SELECT platform, post_id FROM post_folders WHERE run_id=? AND ref=?",
                       (run_id, ref)).fetchone()
    if row is not None:
        return str(row[0]), str(row[1])
    for platform, post_id in conn.execute("SELECT platform, id FROM posts"):
        if post_ref(platform, post_id) == ref:
            return str(platform), str(post_id)
    return None


def copies_of(conn: sqlite3.Connection, run_id: int,
              keys: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """`keys` and every copy of them (same copy group in `run_id`), each once, in order."""
    out: dict[tuple[str, str], None] = {}
    for platform, post_id in keys:
        out[(platform, post_id)] = None
        row = conn.execute("SELECT copies FROM post_folders WHERE run_id=? AND platform=?"
                           " AND post_id=?", (run_id, platform, post_id)).fetchone()
        if row is None or row[0] is None:
            continue
        for p, i in conn.execute("SELECT platform, post_id FROM post_folders WHERE run_id=?"
                                 " AND copies=? ORDER BY created_at, post_id", (run_id, row[0])):
            out[(str(p), str(i))] = None
    return list(out)


def blockable_accounts(conn: sqlite3.Connection, run_id: int
                       ) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(abusive, supporters): accounts with a post in Shielded or one the user marked abuse,
    and accounts with a post in Support, marked supportive, or labelled supportive by the
    classifier on its own words (not merely as a copy of a text shielded elsewhere).

    A block list takes the first set minus the second: nobody who stood by the user is blocked,
    unless the user chose to block that account themselves.
    """
    abusive = {(str(p), str(a)) for p, a in conn.execute(
        "SELECT DISTINCT p.platform, p.author_id FROM post_folders f JOIN posts p"
        " ON p.platform=f.platform AND p.id=f.post_id WHERE f.run_id=? AND f.folder='shielded'"
        " AND p.author_id IS NOT NULL", (run_id,))}
    marked = conn.execute(
        "SELECT DISTINCT p.platform, p.author_id, d.action FROM decisions d JOIN posts p"
        " ON p.platform=d.platform AND p.id=d.post_id WHERE d.action IN ('mark_abuse',"
        " 'mark_supportive', 'block') AND p.author_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
        " decisions u WHERE u.action='undo' AND u.value=d.batch)").fetchall()
    abusive.update((str(p), str(a)) for p, a, action in marked if action == "mark_abuse")
    supporters = {(str(p), str(a)) for p, a in conn.execute(
        "SELECT DISTINCT p.platform, p.author_id FROM post_folders f JOIN posts p"
        " ON p.platform=f.platform AND p.id=f.post_id WHERE f.run_id=? AND p.author_id IS NOT"
        " NULL AND (f.folder='support' OR (f.labels_json LIKE '%\"supportive\"%'"
        " AND f.rule != 'copies_share_fate'))", (run_id,))}
    supporters.update((str(p), str(a)) for p, a, action in marked if action == "mark_supportive")
    chosen = {(str(p), str(a)) for p, a, action in marked if action == "block"}
    return abusive | chosen, supporters - chosen  # the user's own "block" always wins


_TRIAGE_KIND = "COALESCE(f.kind, json_extract(f.explain_json, '$.kind'))"


def triage_kinds(conn: sqlite3.Connection, run_id: int) -> dict[tuple[str, str], str]:
    """Posts of a triage run whose role differs from their stored kind: a mention stored as
    the root of its own thread, mostly. {(platform, post_id): "mention"}."""
    return {(str(p), str(i)): str(k) for p, i, k in conn.execute(
        f"SELECT f.platform, f.post_id, {_TRIAGE_KIND} FROM post_folders f JOIN posts p"
        " ON p.platform = f.platform AND p.id = f.post_id WHERE f.run_id = ?"
        f" AND {_TRIAGE_KIND} IS NOT NULL AND {_TRIAGE_KIND} != p.kind", (run_id,))}


def block_candidates(conn: sqlite3.Connection, run_id: int,
                     yourself: Iterable[tuple[str, str]] = ()) -> list[dict[str, Any]]:
    """The accounts a block list would hold (see `blockable_accounts`), with their handle and
    how many of their posts are in Shielded, most first: for the user to review before export."""
    abusive, supporters = blockable_accounts(conn, run_id)
    wanted = abusive - supporters - set(yourself)
    shielded: dict[tuple[str, str], int] = {}
    for platform, author, n in conn.execute(
        "SELECT p.platform, p.author_id, COUNT(*) FROM post_folders f JOIN posts p ON"
        " p.platform=f.platform AND p.id=f.post_id WHERE f.run_id=? AND f.folder='shielded'"
        " AND p.author_id IS NOT NULL GROUP BY 1, 2", (run_id,)):
        shielded[(str(platform), str(author))] = int(n)
    mentions: dict[tuple[str, str], int] = {}
    for platform, author, n in conn.execute(
        "SELECT p.platform, p.author_id, COUNT(*) FROM post_folders f JOIN posts p ON"
        " p.platform=f.platform AND p.id=f.post_id WHERE f.run_id=? AND p.author_id IS NOT NULL"
        f" AND {_TRIAGE_KIND} = 'mention' GROUP BY 1, 2", (run_id,)):
        mentions[(str(platform), str(author))] = int(n)
    out: list[dict[str, Any]] = []
    for platform, account in wanted:
        row = conn.execute("SELECT handle FROM accounts WHERE platform=? AND id=?",
                           (platform, account)).fetchone()
        out.append({"platform": platform, "account_id": account,
                    "handle": row[0] if row else None,
                    "shielded": shielded.get((platform, account), 0),
                    "mentions": mentions.get((platform, account), 0)})
    out.sort(key=lambda a: (-int(a["shielded"]), str(a["platform"]),
                            str(a["handle"] or a["account_id"])))
    return out
