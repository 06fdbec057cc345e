"""Bluesky proofs (migration 0055): which posts of a round have one, storing one, and the
newest proof of each selected post for the report."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from pileon.store.db import transaction
from pileon.store.triage import has_table

__all__ = ["ProofRow", "latest_proofs", "proven_posts", "round_bluesky_posts", "save_proof"]


@dataclass(frozen=True, slots=True)
class ProofRow:
    post_id: str
    did: str
    car_sha256: str
    did_doc_sha256: str
    record_cid: str | None
    problem: str | None
    fetched_at: str


def round_bluesky_posts(conn: sqlite3.Connection, round_id: int) -> list[str]:
    """The Bluesky posts a round saw (not placeholders), in the order they were first seen."""
    return [r[0] for r in conn.execute(
        "SELECT s.post_id FROM collect_seen s JOIN posts p ON p.platform = s.platform"
        " AND p.id = s.post_id WHERE s.round_id = ? AND s.platform = 'bluesky'"
        " AND p.placeholder IS NULL AND p.id LIKE 'at://%/app.bsky.feed.post/%'"
        " ORDER BY s.rowid", (round_id,))]


def proven_posts(conn: sqlite3.Connection, post_ids: Iterable[str]) -> set[str]:
    """Those of `post_ids` that already have a proof that checked."""
    wanted = list(post_ids)
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        batch = wanted[start:start + 500]
        found.update(r[0] for r in conn.execute(
            f"SELECT post_id FROM bluesky_proofs WHERE problem IS NULL AND post_id IN"
            f" ({','.join('?' * len(batch))})", batch))
    return found


def save_proof(conn: sqlite3.Connection, row: ProofRow) -> None:
    with transaction(conn):
        conn.execute(
            "INSERT OR REPLACE INTO bluesky_proofs (post_id, did, car_sha256, did_doc_sha256,"
            " record_cid, problem, fetched_at) VALUES (?,?,?,?,?,?,?)",
            (row.post_id, row.did, row.car_sha256, row.did_doc_sha256, row.record_cid,
             row.problem, row.fetched_at))


def latest_proofs(conn: sqlite3.Connection, post_ids: Iterable[str]) -> dict[str, ProofRow]:
    """The newest proof of each post (one that checked before one that did not)."""
    if not has_table(conn, "bluesky_proofs"):
        return {}
    wanted = [p for p in post_ids if p.startswith("at://")]
    found: dict[str, ProofRow] = {}
    for start in range(0, len(wanted), 500):
        batch = wanted[start:start + 500]
        for r in conn.execute(
                f"SELECT post_id, did, car_sha256, did_doc_sha256, record_cid, problem,"
                f" fetched_at FROM bluesky_proofs WHERE post_id IN"
                f" ({','.join('?' * len(batch))})"
                f" ORDER BY problem IS NULL, fetched_at", batch):
            found[r[0]] = ProofRow(*r)  # the last one wins: checked, then newest
    return found
