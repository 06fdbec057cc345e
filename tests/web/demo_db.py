"""The demo pile-on as a real, triaged database for the browser tests and the web benchmark.

Built through the real CLI: `pileon demo`, `pileon ingest` of tests/web/data/hostile_replies.jsonl
(markup, javascript: links, CSS and bidi-override characters), `pileon coordination`, then
scores, then `pileon triage`. Scores come from `pileon analyze` when that command exists; until
then a stand-in writes them from the demo's truth.jsonl labels, as the classifier would (one row
per post in `scores`, with evidence spans found by the real lexicon matcher).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from pileon.analyze.lexicon import match_all
from pileon.cli import main
from pileon.records import ABUSIVE_LABELS, LABELS
from pileon.store import connect

HOSTILE = Path(__file__).parent / "data" / "hostile_replies.jsonl"
HOSTILE_PLATFORM = "mastodon"
STANDIN_BACKEND = "truth-standin"
SCORED_BY = ""  # what scored the last database built: "pileon analyze" or the stand-in


def cli(*args: str | Path) -> str:
    """Run one pileon command in-process; fail loudly with its output."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exit_code != 0:
        raise RuntimeError(f"pileon {' '.join(map(str, args))} failed: {result.output}")
    return result.output


def has_analyze() -> bool:
    return "analyze" in main.commands


def truth_rows(db: Path) -> list[dict[str, Any]]:
    """The demo generator's labels (truth.jsonl beside its files) plus the hostile replies'."""
    truth = db.parent / f"{db.stem}-demo-files" / "truth.jsonl"
    rows = [json.loads(line) for line in truth.read_text(encoding="utf-8").splitlines()]
    for line in HOSTILE.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        rows.append({"platform": HOSTILE_PLATFORM, "id": row["id"], "lang": row["lang"],
                     "labels": row["labels"], "hard": None})
    return rows


def standin_scores(labels: Sequence[str], hard: str | None) -> dict[str, float]:
    """Scores a decent classifier might give: sure of plain cases, unsure of the hard ones."""
    abusive_hard_case = hard is not None and any(label in ABUSIVE_LABELS for label in labels)
    sure = 0.5 if abusive_hard_case else 0.9  # 0.5: between review and shield thresholds
    return {label: (sure if label in labels else 0.03) for label in LABELS}


def write_scores(conn: sqlite3.Connection, rows: Iterable[Mapping[str, Any]], *, version: str,
                 override: Mapping[tuple[str, str], Mapping[str, float]] | None = None) -> int:
    """Write one `scores` row per post in `rows` as model `version`; returns rows written."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS scores (run_id INTEGER, platform TEXT NOT NULL,"
        " post_id TEXT NOT NULL, backend TEXT NOT NULL, model_version TEXT NOT NULL,"
        " lang TEXT NOT NULL, lang_confidence REAL NOT NULL, labels_json TEXT NOT NULL,"
        " scores_json TEXT NOT NULL, evidence_json TEXT NOT NULL DEFAULT '[]',"
        " analyzed_at TEXT NOT NULL, PRIMARY KEY (platform, post_id, backend, model_version))")
    now = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    run_id = None
    conn.execute("BEGIN IMMEDIATE")
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name='analysis_runs'").fetchone():
        run_id = conn.execute(
            "INSERT INTO analysis_runs (started_at, finished_at, backend, model_version,"
            " tool_version) VALUES (?,?,?,?,?)", (now, now, STANDIN_BACKEND, version, "test")
        ).lastrowid
    texts = {(p, i): t for p, i, t in conn.execute("SELECT platform, id, text FROM posts")}
    written = 0
    for row in rows:
        key = (row["platform"], row["id"])
        if key not in texts:
            continue
        scores = dict((override or {}).get(key) or standin_scores(row["labels"], row["hard"]))
        labels = [label for label, value in scores.items() if value >= 0.5] or ["neutral"]
        evidence = [{"start": h.start, "end": h.end, "text": h.matched, "category": h.category,
                     "rule": h.pattern, "severity": h.severity, "source": "lexicon"}
                    for h in match_all(texts[key] or "", row["lang"])
                    if h.category in labels and h.category in ABUSIVE_LABELS]
        conn.execute(
            "INSERT OR REPLACE INTO scores (run_id, platform, post_id, backend, model_version,"
            " lang, lang_confidence, labels_json, scores_json, evidence_json, analyzed_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (run_id, key[0], key[1], STANDIN_BACKEND, version, row["lang"], 0.9,
             json.dumps(labels), json.dumps(scores),
             json.dumps(evidence, ensure_ascii=False), now))
        written += 1
    conn.execute("COMMIT")
    return written


def build_demo_db(folder: Path, size: str = "3000") -> Path:
    """Demo pile-on + hostile replies, coordination, scores and triage, in `folder`/thread.db."""
    db = folder / "thread.db"
    cli("demo", db, "--size", size, "--quiet")
    cli("ingest", db, HOSTILE, "--format", "jsonl", "--platform", HOSTILE_PLATFORM, "--quiet")
    cli("coordination", db, "--json")
    global SCORED_BY
    SCORED_BY = "standin"
    if has_analyze():
        try:
            cli("analyze", db)
            SCORED_BY = "pileon analyze"
        except RuntimeError as exc:  # e.g. the model is not built in this checkout
            SCORED_BY = f"standin (pileon analyze failed: {exc})"
    if SCORED_BY.startswith("standin"):
        conn = connect(db)
        try:
            write_scores(conn, truth_rows(db), version="truth-1")
        finally:
            conn.close()
    cli("triage", db, "--json")
    return db
