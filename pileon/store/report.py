"""Reads for the evidence report: the selected posts with everything printed beside them.

The selection is put in a temporary table once, so every read below is one join, not one query
per post. Classifier, triage and coordination tables are read only when they exist.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pileon.store.triage import has_table

__all__ = [
    "AccountSignal",
    "BurstRow",
    "ParentRow",
    "abusive_keys",
    "coordinated_member_keys",
    "mention_keys",
    "own_post_keys",
    "read_bursts",
    "read_parents",
    "thread_roots",
    "Translation",
    "add_translation",
    "ClusterRow",
    "CustodyRow",
    "PostRow",
    "ScoreRow",
    "all_cluster_sizes",
    "author_creation_dates",
    "clusters_touching",
    "coordination_run",
    "custody_rows",
    "decisions_about",
    "evidence_keys",
    "find_post",
    "folder_keys",
    "load_selection",
    "raw_payload",
    "read_account_signals",
    "read_posts",
    "read_scores",
    "read_translations",
    "undone_batches",
]

_KEYS = "temp.report_keys"


@dataclass(frozen=True, slots=True)
class PostRow:
    platform: str
    post_id: str
    kind: str
    text: str
    url: str | None
    created_at: str | None
    deleted_at_source: str | None
    placeholder: str | None
    lang_reported: str | None
    raw_sha256: str
    author_id: str | None
    handle: str | None
    display_name: str | None
    account_created_at: str | None
    followers_count: int | None
    following_count: int | None
    posts_count: int | None
    has_avatar: int | None
    folder: str | None
    model_folder: str | None
    category: str | None
    triage_lang: str | None
    signals: str | None
    cluster_id: str | None
    decided: int | None
    uri: str | None = None
    reply_to: str | None = None
    quote_of: str | None = None
    root_id: str | None = None
    seen_at: str | None = None


@dataclass(frozen=True, slots=True)
class ScoreRow:
    backend: str
    model_version: str
    lang: str
    labels: list[str]
    evidence: list[dict[str, Any]]
    analyzed_at: str


@dataclass(frozen=True, slots=True)
class AccountSignal:
    score: float
    reasons: list[str]


@dataclass(frozen=True, slots=True)
class ClusterRow:
    cluster_id: int
    verdict: str
    size: int
    accounts: int
    first_at: str | None
    last_at: str | None
    template_text: str
    mean_similarity: float
    members: list[dict[str, Any]]  # selected members: platform, post_id, handle, created_at,
                                   # coordinated
    groups: list[dict[str, Any]] = field(default_factory=list)  # synchronised groups and why


@dataclass(frozen=True, slots=True)
class Translation:
    lang: str
    text: str
    translator: str | None
    added_at: str


@dataclass(frozen=True, slots=True)
class CustodyRow:
    at: str
    action: str
    tool_version: str
    details: dict[str, Any]
    hashes: int                 # raw payload hashes the action touched
    read: tuple[str, ...] = ()   # SHA-256 of what the action read (files, inputs)
    wrote: tuple[str, ...] = ()  # SHA-256 of what it wrote (payloads, outputs)


@dataclass(frozen=True, slots=True)
class BurstRow:
    start_at: str
    end_at: str
    posts: int
    expected: float
    peak_per_minute: int
    peak_z: float
    clustered_posts: int


@dataclass(frozen=True, slots=True)
class ParentRow:
    platform: str
    post_id: str
    handle: str | None
    author_id: str | None
    text: str
    created_at: str | None
    url: str | None


# --- which posts ------------------------------------------------------------------------------

def folder_keys(conn: sqlite3.Connection, run_id: int,
                folders: Sequence[str]) -> list[tuple[str, str]]:
    """Posts of the given triage run shown in any of `folders`."""
    if not folders:
        return []
    marks = ",".join("?" * len(folders))
    return [(str(a), str(b)) for a, b in conn.execute(
        f"SELECT platform, post_id FROM post_folders WHERE run_id = ? AND folder IN ({marks})",
        [run_id, *folders])]


def abusive_keys(conn: sqlite3.Connection, run_id: int,
                 abusive: frozenset[str]) -> list[tuple[str, str]]:
    """Posts of the triage run carrying any abusive label, whatever folder they were put in."""
    found: list[tuple[str, str]] = []
    verdict: dict[str, bool] = {}  # a thread has few distinct label lists: parse each once
    for platform, post_id, labels in conn.execute(
            "SELECT platform, post_id, labels_json FROM post_folders WHERE run_id = ?",
            (run_id,)):
        hit = verdict.get(labels)
        if hit is None:
            hit = verdict[labels] = bool(abusive & set(json.loads(labels or "[]")))
        if hit:
            found.append((str(platform), str(post_id)))
    return found


def mention_keys(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Every mention of the user, whatever its folder: kind = mention, or a post stored as the
    root of its own thread that the newest triage found naming the user (X, Bluesky)."""
    found = [(str(a), str(b)) for a, b in conn.execute(
        "SELECT platform, id FROM posts WHERE kind = 'mention' AND placeholder IS NULL")]
    seen = set(found)
    found.extend(k for k in ((str(a), str(b)) for a, b in conn.execute(
        "SELECT platform, post_id FROM post_folders WHERE run_id = (SELECT MAX(id) FROM"
        " triage_runs WHERE finished_at IS NOT NULL) AND explain_json LIKE"
        " '%\"kind\":\"mention\"%'")) if k not in seen)
    return found


def thread_roots(conn: sqlite3.Connection) -> list[ParentRow]:
    """The post(s) the pile-on is about: per platform, the root most posts point to."""
    found: list[ParentRow] = []
    for platform, root_id, _ in conn.execute(
            "SELECT platform, root_id, COUNT(*) AS n FROM posts WHERE root_id IS NOT NULL"
            " AND root_id != '' AND kind != 'root' GROUP BY platform, root_id"
            " ORDER BY n DESC"):
        if any(r.platform == platform for r in found):
            continue
        row = conn.execute(
            "SELECT p.platform, p.id, a.handle, p.author_id, p.text, p.created_at, p.url"
            " FROM posts p LEFT JOIN accounts a ON a.platform = p.platform"
            " AND a.id = p.author_id WHERE p.platform = ? AND (p.id = ? OR p.uri = ?)",
            (platform, root_id, root_id)).fetchone()
        if row is not None:
            found.append(ParentRow(*row))
    return found


def own_post_keys(conn: sqlite3.Connection,
                  authors: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Every post written by the targeted account(s): context, never abuse."""
    found: list[tuple[str, str]] = []
    for platform, author in authors:
        found.extend((str(a), str(b)) for a, b in conn.execute(
            "SELECT platform, id FROM posts WHERE platform = ? AND author_id = ?"
            " AND placeholder IS NULL", (platform, author)))
    return found


def coordinated_member_keys(conn: sqlite3.Connection, run_id: int) -> list[tuple[str, str]]:
    """Every member of every cluster judged coordinated or synchronised: reported in full."""
    return [(str(a), str(b)) for a, b in conn.execute(
        "SELECT m.platform, m.post_id FROM cluster_members m JOIN clusters c"
        " ON c.run_id = m.run_id AND c.id = m.cluster_id WHERE m.run_id = ?"
        " AND c.verdict IN ('coordinated', 'synchronised')", (run_id,))]


def read_bursts(conn: sqlite3.Connection, run_id: int) -> list[BurstRow]:
    """The bursts the coordination run found, oldest first."""
    return [BurstRow(str(r[0]), str(r[1]), int(r[2]), float(r[3]), int(r[4]), float(r[5]),
                     int(r[6])) for r in conn.execute(
        "SELECT start_at, end_at, posts, expected, peak_per_minute, peak_z, clustered_posts"
        " FROM bursts WHERE run_id = ? ORDER BY start_at", (run_id,))]


def read_parents(conn: sqlite3.Connection) -> dict[tuple[str, str], ParentRow]:
    """The post each selected post replies to or quotes, keyed by (platform, id or URI)."""
    found: dict[tuple[str, str], ParentRow] = {}
    for row in conn.execute(
            "SELECT DISTINCT q.platform, q.id, a.handle, q.author_id, q.text, q.created_at,"
            f" q.url, q.uri FROM {_KEYS} k JOIN posts p ON p.platform = k.platform"
            " AND p.id = k.post_id JOIN posts q ON q.platform = p.platform"
            " AND (q.id = p.reply_to OR q.id = p.quote_of) LEFT JOIN accounts a"
            " ON a.platform = q.platform AND a.id = q.author_id WHERE q.placeholder IS NULL"):
        parent = ParentRow(*row[:7])
        found[(parent.platform, parent.post_id)] = parent
        if row[7]:
            found[(parent.platform, str(row[7]))] = parent
    return found


def undone_batches(conn: sqlite3.Connection) -> set[str]:
    if not has_table(conn, "decisions"):
        return set()
    return {str(v) for (v,) in conn.execute(
        "SELECT value FROM decisions WHERE action = 'undo' AND value IS NOT NULL")}


def evidence_keys(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Posts the user marked `evidence` (batches they undid do not count)."""
    if not has_table(conn, "decisions"):
        return []
    undone = undone_batches(conn)
    return [(str(p), str(i)) for p, i, batch in conn.execute(
        "SELECT platform, post_id, batch FROM decisions WHERE action = 'evidence' ORDER BY id")
        if batch not in undone]


def load_selection(conn: sqlite3.Connection, keys: Iterable[tuple[str, str]]) -> int:
    """Put the selected (platform, post_id) keys in a temporary table; returns how many."""
    conn.execute(f"DROP TABLE IF EXISTS {_KEYS}")
    conn.execute(f"CREATE TABLE {_KEYS} (platform TEXT NOT NULL, post_id TEXT NOT NULL,"
                 " PRIMARY KEY (platform, post_id)) WITHOUT ROWID")
    conn.executemany(f"INSERT OR IGNORE INTO {_KEYS} VALUES (?, ?)", keys)
    return int(conn.execute(f"SELECT COUNT(*) FROM {_KEYS}").fetchone()[0])


# --- what is printed about them ---------------------------------------------------------------

def read_posts(conn: sqlite3.Connection, run_id: int | None) -> list[PostRow]:
    """The selected posts with text (placeholders known only by id are left out), oldest first."""
    folders = has_table(conn, "post_folders") and run_id is not None
    folder_cols = ("f.folder, f.model_folder, f.category, f.lang, f.signals, f.cluster_id,"
                   " f.decided") if folders else "NULL, NULL, NULL, NULL, NULL, NULL, NULL"
    folder_join = (" LEFT JOIN post_folders f ON f.run_id = ? AND f.platform = p.platform"
                   " AND f.post_id = p.id") if folders else ""
    sql = (
        "SELECT p.platform, p.id, p.kind, p.text, p.url, p.created_at, p.deleted_at_source,"
        " p.placeholder, p.lang_reported, p.raw_sha256, p.author_id, a.handle, a.display_name,"
        " a.created_at, a.followers_count, a.following_count, a.posts_count, a.has_avatar, "
        f"{folder_cols}, p.uri, p.reply_to, p.quote_of, p.root_id, p.seen_at FROM {_KEYS} k JOIN posts p ON p.platform = k.platform"
        " AND p.id = k.post_id LEFT JOIN accounts a ON a.platform = p.platform"
        f" AND a.id = p.author_id{folder_join} WHERE p.placeholder IS NULL"
        " ORDER BY p.created_at, p.platform, p.id")
    rows = conn.execute(sql, (run_id,) if folders else ())
    return [PostRow(*row) for row in rows]


def read_scores(conn: sqlite3.Connection) -> dict[tuple[str, str], ScoreRow]:
    """The newest classifier result of each selected post."""
    if not has_table(conn, "scores"):
        return {}
    found: dict[tuple[str, str], ScoreRow] = {}
    labels_of: dict[str, list[str]] = {}  # a thread has few distinct label lists: parse each once
    for row in conn.execute(
        "SELECT s.platform, s.post_id, s.backend, s.model_version, s.lang, s.labels_json,"
        f" s.evidence_json, s.analyzed_at FROM {_KEYS} k JOIN scores s"
        " ON s.platform = k.platform AND s.post_id = k.post_id ORDER BY s.analyzed_at"):
        evidence = json.loads(row[6]) if row[6] and row[6] != "[]" else []
        labels = labels_of.get(row[5])
        if labels is None:
            labels = labels_of[row[5]] = json.loads(row[5])
        found[(row[0], row[1])] = ScoreRow(row[2], row[3], row[4], labels, evidence, row[7])
    return found


def decisions_about(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Every decision about a selected post, oldest first."""
    if not has_table(conn, "decisions"):
        return []
    return conn.execute(
        "SELECT d.* FROM decisions d JOIN " + _KEYS + " k ON k.platform = d.platform"
        " AND k.post_id = d.post_id ORDER BY d.id").fetchall()


def coordination_run(conn: sqlite3.Connection) -> int | None:
    """The newest finished `pileon coordination` run, or None."""
    if not has_table(conn, "coordination_runs"):
        return None
    row = conn.execute("SELECT MAX(id) FROM coordination_runs WHERE finished_at IS NOT NULL"
                       ).fetchone()
    return None if row[0] is None else int(row[0])


def read_account_signals(conn: sqlite3.Connection,
                         run_id: int) -> dict[tuple[str, str], AccountSignal]:
    """Coordination score and reasons of the authors of selected posts."""
    if not has_table(conn, "account_signals"):
        return {}
    # CROSS JOIN keeps SQLite's join order: the small selection first, then the primary keys.
    rows = conn.execute(
        "SELECT DISTINCT s.platform, s.account_id, s.score, s.reasons_json FROM " + _KEYS + " k"
        " CROSS JOIN posts p CROSS JOIN account_signals s WHERE p.platform = k.platform"
        " AND p.id = k.post_id AND s.run_id = ? AND s.platform = p.platform"
        " AND s.account_id = p.author_id", (run_id,))
    reasons_of: dict[str, list[str]] = {}
    found: dict[tuple[str, str], AccountSignal] = {}
    for platform, account, score, reasons in rows:
        parsed = reasons_of.get(reasons)
        if parsed is None:
            parsed = reasons_of[reasons] = list(json.loads(reasons or "[]"))
        found[(str(platform), str(account))] = AccountSignal(float(score), parsed)
    return found


def clusters_touching(conn: sqlite3.Connection, run_id: int) -> list[ClusterRow]:
    """Clusters of the run with at least one selected member, with those selected members.

    Members outside the selection are only counted: in a large thread near-duplicate clusters
    hold most replies (thanks, emoji), and the report is about the selected posts.
    """
    if not has_table(conn, "clusters"):
        return []
    members: dict[int, list[dict[str, Any]]] = {}
    for cluster_id, platform, post_id, handle, created_at, coordinated in conn.execute(
        "SELECT m.cluster_id, m.platform, m.post_id, a.handle, m.created_at, m.coordinated"
        f" FROM cluster_members m JOIN {_KEYS} k ON k.platform = m.platform"
        " AND k.post_id = m.post_id LEFT JOIN posts p ON p.platform = m.platform"
        " AND p.id = m.post_id LEFT JOIN accounts a ON a.platform = p.platform"
        " AND a.id = p.author_id WHERE m.run_id = ? ORDER BY m.created_at, m.post_id",
        (run_id,)):
        members.setdefault(int(cluster_id), []).append(
            {"platform": platform, "post_id": post_id, "handle": handle,
             "created_at": created_at, "coordinated": bool(coordinated)})
    found: list[ClusterRow] = []
    for c in conn.execute("SELECT * FROM clusters WHERE run_id = ?", (run_id,)):
        if int(c["id"]) in members:
            found.append(ClusterRow(int(c["id"]), c["verdict"], int(c["size"]),
                                    int(c["accounts"]), c["first_at"], c["last_at"],
                                    c["template_text"], float(c["mean_similarity"]),
                                    members[int(c["id"])],
                                    list(json.loads(c["groups_json"] or "[]"))))
    order = {"coordinated": 0, "synchronised": 1}
    found.sort(key=lambda c: (order.get(c.verdict, 2), -c.size, c.cluster_id))
    return found


def all_cluster_sizes(conn: sqlite3.Connection, run_id: int) -> list[tuple[int, str]]:
    """(size, verdict) of every cluster of the run, for the cluster-size chart."""
    if not has_table(conn, "clusters"):
        return []
    return [(int(s), str(v)) for s, v in conn.execute(
        "SELECT size, verdict FROM clusters WHERE run_id = ?", (run_id,))]


def author_creation_dates(conn: sqlite3.Connection) -> list[str]:
    """Account-creation times of the distinct authors of selected posts (unknown left out)."""
    return [str(r[2]) for r in conn.execute(
        "SELECT DISTINCT a.platform, a.id, a.created_at FROM " + _KEYS + " k CROSS JOIN posts p"
        " CROSS JOIN accounts a WHERE p.platform = k.platform AND p.id = k.post_id"
        " AND a.platform = p.platform AND a.id = p.author_id AND a.created_at IS NOT NULL")]


def custody_rows(conn: sqlite3.Connection) -> list[CustodyRow]:
    """The whole chain-of-custody log, oldest first."""
    return [CustodyRow(r[0], r[1], r[2], json.loads(r[3]), len(json.loads(r[4])),
                       tuple(json.loads(r[5] or "[]")), tuple(json.loads(r[6] or "[]")))
            for r in conn.execute("SELECT at, action, tool_version, details_json, sha256s_json,"
                                  " read_json, wrote_json FROM custody_log ORDER BY id")]


def raw_payload(conn: sqlite3.Connection, sha256: str) -> bytes | None:
    row = conn.execute("SELECT data FROM raw_payloads WHERE sha256 = ?", (sha256,)).fetchone()
    return None if row is None else bytes(row[0])


def add_translation(conn: sqlite3.Connection, platform: str, post_id: str, lang: str, text: str,
                    translator: str | None, added_at: str) -> None:
    """Append a translation (never replaces an older one; the newest is shown)."""
    conn.execute("INSERT INTO translations (platform, post_id, lang, text, translator, added_at)"
                 " VALUES (?,?,?,?,?,?)", (platform, post_id, lang, text, translator, added_at))


def read_translations(conn: sqlite3.Connection) -> dict[tuple[str, str], list[Translation]]:
    """The newest translation per language of each selected post."""
    if not has_table(conn, "translations"):
        return {}
    newest: dict[tuple[str, str, str], Translation] = {}
    for platform, post_id, lang, text, translator, added_at in conn.execute(
        "SELECT t.platform, t.post_id, t.lang, t.text, t.translator, t.added_at FROM"
        f" {_KEYS} k JOIN translations t ON t.platform = k.platform AND t.post_id = k.post_id"
        " ORDER BY t.id"):
        newest[(platform, post_id, lang)] = Translation(lang, text, translator, added_at)
    found: dict[tuple[str, str], list[Translation]] = {}
    for (platform, post_id, _), translation in sorted(newest.items()):
        found.setdefault((platform, post_id), []).append(translation)
    return found


def find_post(conn: sqlite3.Connection, ref: str) -> list[tuple[str, str]]:
    """(platform, id) of the posts whose id, URI or URL is `ref`."""
    return [(str(a), str(b)) for a, b in conn.execute(
        "SELECT platform, id FROM posts WHERE id = ? OR uri = ? OR url = ?", (ref, ref, ref))]
