"""What an exporter is handed (the selected posts of the newest triage run, and the raw payloads
behind them) and what it hands back (the files it wrote, what it skipped and why).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from pileon.store.export import (
    ExportFilter,
    ExportPost,
    StoredPayload,
    all_payload_hashes,
    count_posts,
    iter_payloads,
    iter_posts,
    payload_hashes,
)
from pileon.store.triage import triage_kinds

__all__ = ["ExportResult", "ExportSelection"]


@dataclass(frozen=True, slots=True)
class ExportResult:
    """Files written (in order), how many rows of what, what was left out and why, and lines
    for the user."""

    files: tuple[Path, ...]
    rows: int
    unit: str = "posts"  # what a row is: posts, accounts, payloads
    skipped: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


class ExportSelection:
    """The posts chosen by a filter in one triage run. Re-iterable: each call reads afresh."""

    def __init__(self, conn: sqlite3.Connection, run_id: int, flt: ExportFilter,
                 name: str) -> None:
        self.conn = conn
        self.run_id = run_id
        self.filter = flt
        self.name = name  # words for the user and the custody log: "folder shielded"

    def count(self) -> int:
        return count_posts(self.conn, self.run_id, self.filter)

    def posts(self) -> Iterator[ExportPost]:
        """The selected posts, each with the kind triage gave it: a mention stored as the
        root of its own thread is exported as `mention`."""
        roles = triage_kinds(self.conn, self.run_id)
        for post in iter_posts(self.conn, self.run_id, self.filter):
            role = roles.get((post.platform, post.post_id))
            yield post if role is None else replace(post, kind=role)

    def unrestricted(self) -> bool:
        f = self.filter
        return not (f.folder or f.categories or f.langs or f.marked or f.keys is not None)

    def payload_hashes(self) -> list[str]:
        """The whole archive for an unrestricted selection (--folder all, nothing else);
        otherwise the payloads of the selected posts (each stored version) and their authors."""
        if self.unrestricted():
            return all_payload_hashes(self.conn)
        return payload_hashes(self.conn, self.run_id, self.filter)

    def payloads(self) -> Iterator[StoredPayload]:
        """Each raw payload behind the selection, once, in first-seen order."""
        return iter_payloads(self.conn, self.payload_hashes())
