"""Reads for the exports: the selected posts with everything known about them, and the raw
payloads behind them, streamed. Classifier and coordination tables are joined only when present,
so an export works on a database that was triaged but never analysed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pileon.store.triage import has_table

__all__ = [
    "NO_UNAUTHENTICATED",
    "ExportFilter",
    "ExportPost",
    "all_payload_hashes",
    "StoredPayload",
    "count_posts",
    "iter_payloads",
    "iter_posts",
    "keys_for_ids",
    "thread_authors",
    "payload_hashes",
    "user_notes",
]

#: Bluesky's self-label: the author asks apps not to show their posts to logged-out readers.
NO_UNAUTHENTICATED = "!no-unauthenticated"

# Marks the user can put on a post in the review UI that select it for an export.
_MARKS = ("block", "evidence")
_KEY_SEP = "\x1f"


@dataclass(frozen=True, slots=True)
class ExportFilter:
    """Which posts of one triage run to export. Empty tuples and None mean "no restriction"."""

    folder: str | None = "shielded"
    categories: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    marked: str | None = None  # block | evidence: posts the user marked so
    keys: tuple[tuple[str, str], ...] | None = None  # (platform, post_id) from --ids


@dataclass(frozen=True, slots=True)
class ExportPost:
    """One post as an export sees it: the post, its author, the model's view and the user's."""

    platform: str
    post_id: str
    kind: str
    text: str
    created_at: str | None
    url: str | None
    uri: str | None
    reply_to: str | None
    lang: str | None
    lang_reported: str | None
    deleted_at_source: str | None
    raw_sha256: str
    raw_source: str | None
    raw_locator: str | None
    fetched_at: str | None
    author_id: str | None
    author_handle: str | None
    author_display_name: str | None
    author_url: str | None
    author_created_at: str | None
    author_followers: int | None
    author_following: int | None
    author_posts: int | None
    author_has_avatar: bool | None
    account_raw_sha256: str | None
    account_signals: tuple[str, ...]
    coordination_score: float | None
    cluster_id: str | None
    folder: str
    model_folder: str
    decided_by_user: bool
    category: str | None
    rule: str
    labels: tuple[str, ...]
    scores: Mapping[str, float] = field(default_factory=dict)
    evidence: tuple[Mapping[str, Any], ...] = ()
    model: str | None = None  # backend/model_version of the scores shown
    notes: tuple[str, ...] = ()
    #: Labels the platform delivered (Bluesky): {"val", "by": "self" | labeler, "on": "post" |
    #: "account"}; the author's own `!no-unauthenticated` asks not to be shown to logged-out readers.
    source_labels: tuple[Mapping[str, str], ...] = ()

    @property
    def logged_in_only(self) -> bool:
        """The author asked (on this post or on their profile) to be shown to signed-in readers only."""
        return any(lab.get("val") == NO_UNAUTHENTICATED and lab.get("by") == "self"
                   for lab in self.source_labels)


@dataclass(frozen=True, slots=True)
class StoredPayload:
    """A raw payload exactly as stored at ingest, with where and when it came from."""

    sha256: str
    data: bytes
    source: str
    locator: str | None
    adapter: str
    adapter_version: str
    fetched_at: str
    request_url: str | None = None
    status: int | None = None
    response_headers: tuple[tuple[str, str], ...] | None = None


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {str(r[1]) for r in conn.execute(f"PRAGMA table_info({table})")}


def _latest_coordination_run(conn: sqlite3.Connection) -> int | None:
    if not has_table(conn, "coordination_runs") or not has_table(conn, "account_signals"):
        return None
    row = conn.execute("SELECT MAX(id) FROM coordination_runs WHERE finished_at IS NOT NULL"
                       ).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def _undone() -> str:
    return ("NOT EXISTS (SELECT 1 FROM decisions u WHERE u.action = 'undo'"
            " AND u.value = d.batch)")


def _where(run_id: int, flt: ExportFilter) -> tuple[str, list[Any]]:
    clauses = ["f.run_id = ?"]
    args: list[Any] = [run_id]
    if flt.folder:
        clauses.append("f.folder = ?")
        args.append(flt.folder)
    for column, values in (("f.category", flt.categories), ("f.lang", flt.langs)):
        if values:
            clauses.append(f"{column} IN (SELECT value FROM json_each(?))")
            args.append(json.dumps(list(values)))
    if flt.marked:
        if flt.marked not in _MARKS:
            raise ValueError(flt.marked)
        clauses.append("EXISTS (SELECT 1 FROM decisions d WHERE d.platform = f.platform"
                       f" AND d.post_id = f.post_id AND d.action = ? AND {_undone()})")
        args.append(flt.marked)
    if flt.keys is not None:
        clauses.append("(f.platform || char(31) || f.post_id) IN"
                       " (SELECT value FROM json_each(?))")
        args.append(json.dumps([p + _KEY_SEP + i for p, i in flt.keys]))
    return " AND ".join(clauses), args


def count_posts(conn: sqlite3.Connection, run_id: int, flt: ExportFilter) -> int:
    where, args = _where(run_id, flt)
    return int(conn.execute(f"SELECT COUNT(*) FROM post_folders f WHERE {where}",
                            args).fetchone()[0])


def user_notes(conn: sqlite3.Connection) -> dict[tuple[str, str], list[str]]:
    """(platform, post_id) -> the user's notes, oldest first (undone batches left out)."""
    notes: dict[tuple[str, str], list[str]] = {}
    for platform, post_id, value in conn.execute(
            f"SELECT d.platform, d.post_id, d.value FROM decisions d WHERE d.action = 'note'"
            f" AND d.value IS NOT NULL AND {_undone()} ORDER BY d.id"):
        notes.setdefault((str(platform), str(post_id)), []).append(str(value))
    return notes


def iter_posts(conn: sqlite3.Connection, run_id: int, flt: ExportFilter) -> Iterator[ExportPost]:
    """The selected posts, oldest first, streamed, each with author, scores and notes."""
    where, args = _where(run_id, flt)
    select = [
        "f.platform, f.post_id, p.kind, p.text, p.created_at, p.url, p.uri, p.reply_to,"
        " f.lang, p.lang_reported, p.deleted_at_source, p.raw_sha256, p.author_id, a.handle,"
        " a.display_name, a.url, a.created_at, a.followers_count, a.following_count,"
        " a.posts_count, a.has_avatar, a.raw_sha256,"
        " f.signals, f.cluster_id, f.folder, f.model_folder, f.decided, f.category, f.rule,"
        " f.labels_json, p.labels_json, a.labels_json"]
    joins = [
        " FROM post_folders f JOIN posts p ON p.platform = f.platform AND p.id = f.post_id"
        " LEFT JOIN accounts a ON a.platform = p.platform AND a.id = p.author_id"]
    join_args: list[Any] = []
    coordination = _latest_coordination_run(conn)
    if coordination is not None:
        select.append(", g.score")
        joins.append(" LEFT JOIN account_signals g ON g.run_id = ? AND g.platform = p.platform"
                     " AND g.account_id = p.author_id")
        join_args.append(coordination)
    else:
        select.append(", NULL")
    if has_table(conn, "scores"):
        select.append(", s.scores_json, s.evidence_json, s.backend, s.model_version")
        joins.append(" LEFT JOIN scores s ON s.rowid = (SELECT s2.rowid FROM scores s2 WHERE"
                     " s2.platform = f.platform AND s2.post_id = f.post_id"
                     " ORDER BY s2.analyzed_at DESC LIMIT 1)")
    else:
        select.append(", NULL, NULL, NULL, NULL")
    sql = ("SELECT " + "".join(select) + "".join(joins) + f" WHERE {where}"
           " ORDER BY f.created_at, f.platform, f.post_id")
    notes = user_notes(conn)
    origins: dict[str, tuple[Any, Any, Any]] = {}
    for row in conn.execute(sql, [*join_args, *args]):
        raw_sha = row[11]
        if raw_sha not in origins:
            origins[raw_sha] = _origin(conn, raw_sha)
        yield _post(tuple(row), origins[raw_sha], notes)


def _origin(conn: sqlite3.Connection, sha: str) -> tuple[Any, Any, Any]:
    """Where and when a payload was read. Asked once per payload, never in the big join:
    these columns sit after the payload's bytes, and reading them walks the whole blob."""
    row = conn.execute("SELECT source, locator, fetched_at FROM raw_payloads WHERE sha256 = ?",
                       (sha,)).fetchone()
    return (None, None, None) if row is None else (row[0], row[1], row[2])


def _post(row: tuple[Any, ...], origin: tuple[Any, Any, Any],
          notes: Mapping[tuple[str, str], list[str]]) -> ExportPost:
    raw_source, raw_locator, fetched_at = origin
    (platform, post_id, kind, text, created_at, url, uri, reply_to, lang, lang_reported,
     deleted, raw_sha, author_id, handle, display_name,
     author_url, author_created, followers, following, posts, has_avatar, account_raw,
     signals, cluster_id, folder, model_folder, decided, category, rule, labels_json,
     post_labels, account_labels,
     coordination, scores_json, evidence_json, backend, model_version) = row
    return ExportPost(
        platform=platform, post_id=post_id, kind=kind, text=text, created_at=created_at,
        url=url, uri=uri, reply_to=reply_to, lang=lang, lang_reported=lang_reported,
        deleted_at_source=deleted, raw_sha256=raw_sha, raw_source=raw_source,
        raw_locator=raw_locator, fetched_at=fetched_at, author_id=author_id,
        author_handle=handle, author_display_name=display_name, author_url=author_url,
        author_created_at=author_created, author_followers=followers,
        author_following=following, author_posts=posts,
        author_has_avatar=None if has_avatar is None else bool(has_avatar),
        account_raw_sha256=account_raw,
        account_signals=tuple(s for s in (signals or "").split(",") if s),
        coordination_score=None if coordination is None else float(coordination),
        cluster_id=None if cluster_id is None else str(cluster_id), folder=folder,
        model_folder=model_folder, decided_by_user=bool(decided), category=category,
        rule=rule, labels=tuple(json.loads(labels_json or "[]")),
        scores=json.loads(scores_json) if scores_json else {},
        evidence=tuple(json.loads(evidence_json)) if evidence_json else (),
        model=f"{backend}/{model_version}" if backend else None,
        notes=tuple(notes.get((platform, post_id), ())),
        source_labels=_source_labels(post_labels, account_labels))


def _source_labels(post_labels: str | None, account_labels: str | None
                   ) -> tuple[Mapping[str, str], ...]:
    found: list[Mapping[str, str]] = []
    for on, text in (("post", post_labels), ("account", account_labels)):
        for label in json.loads(text) if text else ():
            found.append({"val": str(label.get("val")), "by": str(label.get("by")), "on": on})
    return tuple(found)


def keys_for_ids(conn: sqlite3.Connection, ids: Iterable[str]) -> tuple[list[tuple[str, str]],
                                                                         list[str]]:
    """Resolve post ids, URIs or URLs to (platform, post_id); returns (found, not found)."""
    found: list[tuple[str, str]] = []
    missing: list[str] = []
    for given in ids:
        rows = conn.execute("SELECT platform, id FROM posts WHERE id = ? OR uri = ? OR url = ?",
                            (given, given, given)).fetchall()
        if rows:
            found.extend((str(r[0]), str(r[1])) for r in rows)
        else:
            missing.append(given)
    return found, missing


def payload_hashes(conn: sqlite3.Connection, run_id: int, flt: ExportFilter) -> list[str]:
    """The raw payloads behind the selected posts (every stored version of each) and behind
    their authors' profiles, in the order of the posts, each once."""
    where, args = _where(run_id, flt)
    base = (" FROM post_folders f JOIN posts p ON p.platform = f.platform AND p.id = f.post_id")
    sql = (f"SELECT p.raw_sha256, f.created_at, f.platform, f.post_id, 0{base} WHERE {where}"
           f" UNION ALL SELECT v.raw_sha256, f.created_at, f.platform, f.post_id, 1{base}"
           " JOIN post_versions v ON v.platform = f.platform AND v.post_id = f.post_id"
           f" WHERE {where}"
           f" UNION ALL SELECT a.raw_sha256, f.created_at, f.platform, f.post_id, 2{base}"
           " JOIN accounts a ON a.platform = p.platform AND a.id = p.author_id"
           f" WHERE {where} ORDER BY 2, 3, 4, 5")
    seen: dict[str, None] = {}
    for (sha, *_rest) in conn.execute(sql, [*args, *args, *args]):
        seen.setdefault(str(sha), None)
    return list(seen)


def all_payload_hashes(conn: sqlite3.Connection) -> list[str]:
    """Every stored raw payload, in the order it was read."""
    return [str(s) for (s,) in conn.execute(
        "SELECT sha256 FROM raw_payloads ORDER BY fetched_at, rowid")]


def _capture_columns(conn: sqlite3.Connection) -> tuple[str | None, str | None, str | None]:
    """Columns a live collector may have added to raw_payloads (request URL, status, headers)."""
    have = _columns(conn, "raw_payloads")

    def first(*names: str) -> str | None:
        return next((n for n in names if n in have), None)

    return (first("request_url"), first("http_status", "status_code", "status"),
            first("response_headers_json", "response_headers", "headers_json"))


def _headers(value: Any) -> tuple[tuple[str, str], ...] | None:
    if value in (None, ""):
        return None
    parsed = json.loads(value) if isinstance(value, str | bytes) else value
    items = parsed.items() if isinstance(parsed, dict) else parsed
    return tuple((str(k), str(v)) for k, v in items)


def iter_payloads(conn: sqlite3.Connection, hashes: Iterable[str]) -> Iterator[StoredPayload]:
    """The stored bytes of each payload, one at a time (a 100 MB page is never held twice)."""
    url_col, status_col, headers_col = _capture_columns(conn)
    extra = ", ".join(c or "NULL" for c in (url_col, status_col, headers_col))
    sql = ("SELECT sha256, data, source, locator, adapter, adapter_version, fetched_at,"
           f" {extra} FROM raw_payloads WHERE sha256 = ?")
    for sha in hashes:
        row = conn.execute(sql, (sha,)).fetchone()
        if row is None:
            continue
        yield StoredPayload(
            sha256=str(row[0]), data=bytes(row[1]), source=str(row[2]), locator=row[3],
            adapter=str(row[4]), adapter_version=str(row[5]), fetched_at=str(row[6]),
            request_url=row[7], status=None if row[8] is None else int(row[8]),
            response_headers=_headers(row[9]))


def thread_authors(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    """(platform, account id) of whoever wrote the root posts: the user, never to be blocked."""
    return {(str(p), str(a)) for p, a in conn.execute(
        "SELECT DISTINCT platform, author_id FROM posts WHERE kind = 'root'"
        " AND author_id IS NOT NULL")}
