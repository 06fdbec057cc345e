"""Reads for filing reports on a platform (`pileon report-to`): the selected posts with their
author and raw payload, and which posts were already filed (from the chain-of-custody log).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from pileon.store.triage import has_table

__all__ = ["FILED_ACTION", "FilingRow", "filed_posts", "filing_rows", "payload_source"]

#: The custody-log action of one report filed on a platform.
FILED_ACTION = "report_to"


@dataclass(frozen=True, slots=True)
class FilingRow:
    platform: str
    post_id: str
    kind: str
    text: str
    url: str | None
    uri: str | None
    created_at: str | None
    raw_sha256: str
    author_id: str | None
    handle: str | None
    display_name: str | None
    account_url: str | None
    folder: str | None
    category: str | None
    labels: tuple[str, ...]


def filing_rows(conn: sqlite3.Connection, keys: Iterable[tuple[str, str]],
                run_id: int | None) -> list[FilingRow]:
    """The posts behind `keys` (placeholders left out), with their folder in triage run
    `run_id` when there is one; oldest first."""
    wanted = sorted(set(keys))
    found: list[FilingRow] = []
    folders = run_id is not None and has_table(conn, "post_folders")
    for start in range(0, len(wanted), 400):
        chunk = wanted[start:start + 400]
        where = " OR ".join("(p.platform = ? AND p.id = ?)" for _ in chunk)
        args: list[object] = [v for key in chunk for v in key]
        join = ""
        cols = "NULL, NULL, '[]'"
        if folders:
            join = (" LEFT JOIN post_folders f ON f.run_id = ? AND f.platform = p.platform"
                    " AND f.post_id = p.id")
            cols = "f.folder, f.category, f.labels_json"
            args.insert(0, run_id)
        for r in conn.execute(
                "SELECT p.platform, p.id, p.kind, p.text, p.url, p.uri, p.created_at,"
                " p.raw_sha256, p.author_id, a.handle, a.display_name, a.url, " + cols +
                " FROM posts p LEFT JOIN accounts a ON a.platform = p.platform"
                " AND a.id = p.author_id" + join +
                f" WHERE p.placeholder IS NULL AND ({where})", args):
            found.append(FilingRow(
                str(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4], r[5], r[6], str(r[7]), r[8],
                r[9], r[10], r[11], r[12], r[13], tuple(json.loads(r[14] or "[]"))))
    found.sort(key=lambda row: (row.created_at or "", row.platform, row.post_id))
    return found


def payload_source(conn: sqlite3.Connection, sha256: str) -> str | None:
    """Where a raw payload came from (a request URL for collected posts, else a file path)."""
    row = conn.execute("SELECT source FROM raw_payloads WHERE sha256 = ?", (sha256,)).fetchone()
    return None if row is None else str(row[0])


def filed_posts(conn: sqlite3.Connection, platform: str) -> dict[str, str]:
    """post id -> the platform's report id, for every post already filed on `platform`."""
    found: dict[str, str] = {}
    for (details,) in conn.execute("SELECT details_json FROM custody_log WHERE action = ?"
                                   " ORDER BY id", (FILED_ACTION,)):
        record = json.loads(details)
        if record.get("platform") != platform:
            continue
        for post_id in record.get("post_ids", []):
            found[str(post_id)] = str(record.get("report_id"))
    return found
