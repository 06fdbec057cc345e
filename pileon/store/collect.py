"""Live-collection tables: HTTP exchanges beside their raw bytes, rounds, cursors, posts seen,
and marking a post that vanished at the source as deleted (kept, never removed).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from pileon.records import RawPayload
from pileon.store.db import to_iso, transaction

__all__ = [
    "ExchangeRow",
    "RoundRow",
    "StepState",
    "archive_exchange",
    "authors_without_counts",
    "existing_post_ids",
    "finish_round",
    "folder_counts_for",
    "live_posts_seen_before",
    "mark_deleted_at_source",
    "new_kinds_of_round",
    "new_posts_of_round",
    "open_round",
    "previous_step_cursor",
    "record_seen",
    "round_posts",
    "round_quotes",
    "round_root_created_at",
    "round_seen",
    "save_step",
    "step_state",
    "unknown_authors",
]


def _now() -> str:
    return to_iso(datetime.now(UTC)) or ""


@dataclass(frozen=True, slots=True)
class RoundRow:
    id: int
    target: str
    resumed: bool  # True: an interrupted round of the same target is carried on


@dataclass(frozen=True, slots=True)
class StepState:
    cursor: str | None
    done: bool


@dataclass(frozen=True, slots=True)
class ExchangeRow:
    """What http_exchanges keeps of one response (its body is the raw payload)."""

    method: str
    url: str
    status: int
    reason: str
    http_version: str
    headers: tuple[tuple[str, str], ...]
    requested_at: datetime
    purpose: str


def open_round(
    conn: sqlite3.Connection, target: str, platform: str, root_id: str | None, url: str
) -> RoundRow:
    """Carry on the target's unfinished round, or start a new one."""
    row = conn.execute(
        "SELECT id FROM collect_rounds WHERE target=? AND finished_at IS NULL ORDER BY id DESC",
        (target,),
    ).fetchone()
    if row is not None:
        return RoundRow(int(row[0]), target, True)
    cur = conn.execute(
        "INSERT INTO collect_rounds (target, platform, root_id, url, started_at)"
        " VALUES (?,?,?,?,?)",
        (target, platform, root_id, url, _now()),
    )
    return RoundRow(int(cur.lastrowid or 0), target, False)


def step_state(conn: sqlite3.Connection, round_id: int, step: str) -> StepState | None:
    row = conn.execute(
        "SELECT cursor, done FROM collect_state WHERE round_id=? AND step=?", (round_id, step)
    ).fetchone()
    return None if row is None else StepState(row[0], bool(row[1]))


def save_step(
    conn: sqlite3.Connection, round_id: int, step: str, cursor: str | None, done: bool
) -> None:
    conn.execute(
        "INSERT INTO collect_state (round_id, step, cursor, done, updated_at) VALUES (?,?,?,?,?)"
        " ON CONFLICT(round_id, step) DO UPDATE SET cursor=excluded.cursor,"
        " done=excluded.done, updated_at=excluded.updated_at",
        (round_id, step, cursor, int(done), _now()),
    )


def existing_post_ids(conn: sqlite3.Connection, platform: str, ids: Iterable[str]) -> set[str]:
    wanted = list(dict.fromkeys(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        found.update(
            r[0]
            for r in conn.execute(
                f"SELECT id FROM posts WHERE platform=? AND id IN ({marks})", (platform, *chunk)
            )
        )
    return found


def has_post_content(conn: sqlite3.Connection, platform: str, post_id: str) -> bool:
    """True when the store holds this post with its content (not only a placeholder)."""
    row = conn.execute(
        "SELECT 1 FROM posts WHERE platform=? AND id=? AND placeholder IS NULL",
        (platform, post_id),
    ).fetchone()
    return row is not None


def archive_exchange(
    conn: sqlite3.Connection,
    payload: RawPayload,
    exchange: ExchangeRow,
    *,
    round_id: int | None,
) -> int:
    """One transaction, on arrival: the raw bytes (if not already stored) and the exchange.

    The bytes go in with ingest_run_id NULL, "not parsed yet": the EvidenceWriter that then
    stores what is parsed from them claims them (see EvidenceWriter._claim_archived).
    """
    with transaction(conn):
        headers = json.dumps([list(h) for h in exchange.headers], ensure_ascii=False)
        conn.execute(
            "INSERT OR IGNORE INTO raw_payloads (sha256, data, size_bytes, source, locator,"
            " adapter, adapter_version, fetched_at, ingest_run_id, request_url, http_status,"
            " response_headers_json) VALUES (?,?,?,?,?,?,?,?,NULL,?,?,?)",
            (
                payload.sha256,
                payload.data,
                len(payload.data),
                payload.source,
                payload.locator,
                payload.adapter,
                payload.adapter_version,
                to_iso(payload.fetched_at),
                exchange.url,
                exchange.status,
                headers,
            ),
        )
        cur = conn.execute(
            "INSERT INTO http_exchanges (raw_sha256, method, url, status, reason, http_version,"
            " headers_json, requested_at, purpose, round_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                payload.sha256,
                exchange.method,
                exchange.url,
                exchange.status,
                exchange.reason,
                exchange.http_version,
                headers,
                to_iso(exchange.requested_at),
                exchange.purpose,
                round_id,
            ),
        )
        if round_id is not None:
            conn.execute(
                "UPDATE collect_rounds SET requests = requests + 1 WHERE id=?", (round_id,)
            )
    return int(cur.lastrowid or 0)


def record_seen(
    conn: sqlite3.Connection,
    round_id: int,
    platform: str,
    seen: Iterable[tuple[str, bool]],
    found_via: str,
) -> None:
    """The posts a page showed this round: (post id, True if the store did not hold it before)."""
    with transaction(conn):
        conn.executemany(
            "INSERT OR IGNORE INTO collect_seen (round_id, platform, post_id, found_via,"
            " first_seen) VALUES (?,?,?,?,?)",
            [(round_id, platform, pid, found_via, int(new)) for pid, new in seen],
        )


def round_seen(conn: sqlite3.Connection, round_id: int) -> set[str]:
    return {r[0] for r in conn.execute(
        "SELECT post_id FROM collect_seen WHERE round_id=?", (round_id,)
    )}


def live_posts_seen_before(
    conn: sqlite3.Connection, target: str, round_id: int, platform: str
) -> set[str]:
    """Posts earlier rounds of `target` saw that the store still holds as live at the source."""
    return {r[0] for r in conn.execute(
        "SELECT DISTINCT s.post_id FROM collect_seen s"
        " JOIN collect_rounds r ON r.id = s.round_id"
        " JOIN posts p ON p.platform = s.platform AND p.id = s.post_id"
        " WHERE r.target=? AND s.round_id < ? AND s.platform=?"
        " AND p.placeholder IS NULL AND p.deleted_at_source IS NULL",
        (target, round_id, platform),
    )}


def mark_deleted_at_source(
    conn: sqlite3.Connection, platform: str, post_id: str, noticed_at: datetime, raw_sha256: str
) -> bool:
    """Keep the post, note when pileon saw it gone, and add that state as a new version.

    `raw_sha256` is the answer that showed it gone (a 404, say). False if already marked.
    """
    noticed = to_iso(noticed_at) or _now()
    with transaction(conn):
        row = conn.execute(
            "SELECT text, placeholder FROM posts WHERE platform=? AND id=?"
            " AND deleted_at_source IS NULL",
            (platform, post_id),
        ).fetchone()
        if row is None:
            return False
        conn.execute(
            "UPDATE posts SET deleted_at_source=? WHERE platform=? AND id=?",
            (noticed, platform, post_id),
        )
        # Same content hash as the EvidenceWriter's versions: text, placeholder, deleted-at.
        state = json.dumps([row[0], row[1], noticed])
        conn.execute(
            "INSERT OR IGNORE INTO post_versions (platform, post_id, content_sha256, text,"
            " placeholder, raw_sha256, seen_at) VALUES (?,?,?,?,?,?,?)",
            (platform, post_id, hashlib.sha256(state.encode("utf-8")).hexdigest(), row[0],
             row[1], raw_sha256, noticed),
        )
    return True


def finish_round(
    conn: sqlite3.Connection, round_id: int, *, deleted: int, notes: list[str]
) -> int:
    """Close the round; returns how many posts it saw first."""
    new = int(conn.execute(
        "SELECT COUNT(*) FROM collect_seen WHERE round_id=? AND first_seen=1", (round_id,)
    ).fetchone()[0])
    conn.execute(
        "UPDATE collect_rounds SET finished_at=?, new_posts=?, deleted=?, notes_json=?"
        " WHERE id=?",
        (_now(), new, deleted, json.dumps(notes, ensure_ascii=False), round_id),
    )
    return new


def new_posts_of_round(conn: sqlite3.Connection, round_id: int) -> list[tuple[str, str]]:
    """(platform, post id) of the real posts (not placeholders) this round saw first."""
    return [(r[0], r[1]) for r in conn.execute(
        f"{_ABOVE} SELECT s.platform, s.post_id FROM collect_seen s JOIN posts p"
        " ON p.platform = s.platform AND p.id = s.post_id"
        " WHERE s.round_id=?1 AND s.first_seen=1 AND p.placeholder IS NULL"
        f" AND p.kind != 'root'{_COUNTS}"
        " ORDER BY p.created_at, s.post_id",
        (round_id,),
    )]


#: The post a round collects around and every post above it (what it replies to, up to the
#: thread's first post) are context, never counted as replies to it. When that post is itself a
#: reply in someone else's thread, the thread's search also returns the other branches: only
#: the posts below it count then (quotes and mentions count as before).
_ABOVE = (
    "WITH RECURSIVE above(id, depth) AS ("
    " SELECT r.root_id, 0 FROM collect_rounds r WHERE r.id = ?1 AND r.root_id IS NOT NULL"
    " UNION SELECT p.reply_to, above.depth + 1 FROM above"
    " JOIN collect_rounds r ON r.id = ?1"
    " JOIN posts p ON p.platform = r.platform AND p.id = above.id"
    " WHERE p.reply_to IS NOT NULL AND above.depth < 10000),"
    " below(id, depth) AS ("
    " SELECT r.root_id, 0 FROM collect_rounds r WHERE r.id = ?1 AND r.root_id IS NOT NULL"
    " UNION SELECT p.id, below.depth + 1 FROM below"
    " JOIN collect_rounds r ON r.id = ?1"
    " JOIN posts p ON p.platform = r.platform AND p.reply_to = below.id"
    " WHERE below.depth < 10000),"
    " nested(yes) AS (SELECT COUNT(*) > 1 FROM above)"
)
#: Whether a seen post counts as something that reached the post collected around.
_COUNTS = (
    " AND s.post_id NOT IN (SELECT id FROM above)"
    " AND (s.found_via != 'thread' OR NOT (SELECT yes FROM nested)"
    " OR s.post_id IN (SELECT id FROM below))"
)


def folder_counts_for(
    conn: sqlite3.Connection, keys: Iterable[tuple[str, str]]
) -> dict[str, int] | None:
    """Folders of `keys` in the newest finished triage run; None when there is no triage."""
    has = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='triage_runs'"
    ).fetchone()
    if has is None:
        return None
    run = conn.execute(
        "SELECT id FROM triage_runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if run is None:
        return None
    counts: dict[str, int] = {}
    for platform, post_id in keys:
        row = conn.execute(
            "SELECT folder FROM post_folders WHERE run_id=? AND platform=? AND post_id=?",
            (run[0], platform, post_id),
        ).fetchone()
        if row is not None:
            counts[row[0]] = counts.get(row[0], 0) + 1
    return counts


def previous_step_cursor(
    conn: sqlite3.Connection, target: str, round_id: int, step: str
) -> str | None:
    """A step's cursor as the newest finished earlier round of `target` left it."""
    row = conn.execute(
        "SELECT s.cursor FROM collect_state s JOIN collect_rounds r ON r.id = s.round_id"
        " WHERE r.target=? AND r.id < ? AND r.finished_at IS NOT NULL AND s.step=?"
        " AND s.cursor IS NOT NULL ORDER BY r.id DESC LIMIT 1",
        (target, round_id, step),
    ).fetchone()
    return None if row is None else str(row[0])


def authors_without_counts(conn: sqlite3.Connection, round_id: int, platform: str) -> list[str]:
    """Authors of posts this round saw whose follower counts the store does not know yet."""
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT a.id FROM collect_seen s"
        " JOIN posts p ON p.platform = s.platform AND p.id = s.post_id"
        " JOIN accounts a ON a.platform = p.platform AND a.id = p.author_id"
        " WHERE s.round_id=? AND s.platform=? AND a.followers_count IS NULL ORDER BY a.id",
        (round_id, platform),
    )]


def round_posts(
    conn: sqlite3.Connection, round_id: int, platform: str
) -> list[tuple[str, str | None, int | None, str | None]]:
    """(id, reply_to, reply count, placeholder) of every post this round saw."""
    rows = conn.execute(
        "SELECT p.id, p.reply_to, p.metrics_json, p.placeholder FROM collect_seen s"
        " JOIN posts p ON p.platform = s.platform AND p.id = s.post_id"
        " WHERE s.round_id=? AND s.platform=?",
        (round_id, platform),
    ).fetchall()
    found = []
    for post_id, reply_to, metrics, placeholder in rows:
        count = json.loads(metrics).get("reply_count") if metrics else None
        found.append((post_id, reply_to, count if isinstance(count, int) else None, placeholder))
    return found


def round_root_created_at(conn: sqlite3.Connection, platform: str, root_id: str) -> str | None:
    row = conn.execute(
        "SELECT created_at FROM posts WHERE platform=? AND id=?", (platform, root_id)
    ).fetchone()
    return None if row is None or row[0] is None else str(row[0])


def unknown_authors(conn: sqlite3.Connection, round_id: int, platform: str) -> list[str]:
    """Author ids of posts this round saw (placeholders too) with no account row at all."""
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT p.author_id FROM collect_seen s"
        " JOIN posts p ON p.platform = s.platform AND p.id = s.post_id"
        " WHERE s.round_id=? AND s.platform=? AND p.author_id IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.platform = p.platform"
        " AND a.id = p.author_id) ORDER BY p.author_id",
        (round_id, platform),
    )]


def new_kinds_of_round(conn: sqlite3.Connection, round_id: int) -> dict[str, int]:
    """How many real posts this round saw first, by kind (reply, quote, mention ...)."""
    return {str(r[0]): int(r[1]) for r in conn.execute(
        f"{_ABOVE} SELECT p.kind, COUNT(*) FROM collect_seen s JOIN posts p"
        " ON p.platform = s.platform AND p.id = s.post_id"
        " WHERE s.round_id=?1 AND s.first_seen=1 AND p.placeholder IS NULL AND p.kind != 'root'"
        f"{_COUNTS} GROUP BY p.kind ORDER BY 2 DESC",
        (round_id,),
    )}


def round_quotes(conn: sqlite3.Connection, round_id: int, platform: str) -> list[tuple[str, int, int]]:
    """(id, reply count, quote count) of the quote posts this round found."""
    found = []
    for post_id, metrics in conn.execute(
        "SELECT p.id, p.metrics_json FROM collect_seen s"
        " JOIN posts p ON p.platform = s.platform AND p.id = s.post_id"
        " WHERE s.round_id=? AND s.platform=? AND s.found_via='quotes' AND p.kind='quote'"
        " ORDER BY p.id",
        (round_id, platform),
    ):
        counts = json.loads(metrics) if metrics else {}
        replies, quotes = counts.get("reply_count"), counts.get("quote_count")
        found.append((str(post_id), replies if isinstance(replies, int) else 0,
                      quotes if isinstance(quotes, int) else 0))
    return found
