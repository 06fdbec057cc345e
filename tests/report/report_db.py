"""A small real thread database for report tests: the triage test thread plus hostile posts.

Posts go through the real EvidenceWriter (raw payload = the JSON line, hashed), scores and the
planted cluster are written as the analyze and coordination stages would (tests/triage's
builder), then the real triage runs and the user's decisions are recorded the real way.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "triage"))
from click.testing import CliRunner  # noqa: E402
from thread_db import build_thread_db, write_scores  # noqa: E402

from pileon.cli import main  # noqa: E402
from pileon.records import Account, Post, RawPayload, SourceBatch  # noqa: E402
from pileon.store import connect  # noqa: E402
from pileon.store.evidence import EvidenceWriter  # noqa: E402
from pileon.store.triage import DecisionInput  # noqa: E402
from pileon.triage.rules import load_rules  # noqa: E402
from pileon.triage.run import record_decisions, run_triage  # noqa: E402

HOSTILE = Path(__file__).parent / "data" / "hostile.jsonl"
PLATFORM = "bluesky"


def hostile_rows() -> list[dict]:
    rows = []
    for line in HOSTILE.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if "repeat_to" in row:  # the 50 KB post: one phrase repeated, built here not stored
            row["text"] = (row["text"] * (row["repeat_to"] // len(row["text"]) + 1))[
                : row["repeat_to"]]
        rows.append(row)
    return rows


def add_hostile_posts(path: Path) -> None:
    conn = connect(path)
    writer = EvidenceWriter(conn, source=str(HOSTILE), fmt="jsonl")
    fetched = datetime(2024, 11, 26, tzinfo=UTC)
    for number, row in enumerate(hostile_rows(), start=1):
        raw = json.dumps(row, ensure_ascii=False).encode("utf-8")
        author = f"did:plc:{row['id']}"
        writer.add(SourceBatch(
            RawPayload(raw, str(HOSTILE), "jsonl", "test", fetched, f"line {number}"),
            posts=(Post(PLATFORM, row["id"], row["text"], author_id=author, reply_to="root",
                        root_id="root", lang_reported=row["lang"],
                        created_at=datetime(2024, 11, 25, 11, tzinfo=UTC)
                        + timedelta(minutes=number),
                        url=f"https://bsky.app/post/{row['id']}"),),
            accounts=(Account(PLATFORM, author, row["handle"], row["display_name"],
                              datetime(2024, 11, 1, tzinfo=UTC), 2, 1, 3, False),)))
    writer.finish()
    write_scores(conn, "builtin", "test-1", rows=hostile_rows())
    conn.close()


def mark_deleted(path: Path, post_id: str) -> None:
    """The platform now answers 'not found' for this post: ingest the placeholder, as collect does."""
    conn = connect(path)
    writer = EvidenceWriter(conn, source="https://bsky.example/getPosts", fmt="bluesky")
    raw = json.dumps({"notFound": True, "uri": post_id}).encode()
    writer.add(SourceBatch(
        RawPayload(raw, "https://bsky.example/getPosts", "bluesky", "test",
                   datetime(2024, 11, 27, tzinfo=UTC), "record 1"),
        posts=(Post(PLATFORM, post_id, "", placeholder="not_found", kind="reply"),)))
    writer.finish()
    conn.close()


def build_report_db(path: Path, *, scores: bool = True, clusters: bool = True,
                    hostile: bool = True, triage: bool = True,
                    decisions: bool = True) -> Path:
    build_thread_db(path, scores=scores, clusters=False)
    if hostile:
        add_hostile_posts(path)
    if clusters:  # the real coordination stage finds the planted wave
        result = CliRunner().invoke(main, ["coordination", str(path), "--min-group", "3",
                                           "--json"])
        assert result.exit_code == 0, result.output
    conn = connect(path)
    if triage:
        run_triage(conn, load_rules(None))
    if decisions:
        record_decisions(conn, [
            DecisionInput(PLATFORM, "r10", "note", "Sent the day after my interview; reported to"
                          " the platform on 26 Nov <b>no reply</b>"),
            DecisionInput(PLATFORM, "r04", "evidence"),
            DecisionInput(PLATFORM, "r10", "mark_abuse")], via="cli")
    conn.close()
    if hostile:
        mark_deleted(path, "h02")
    return path
