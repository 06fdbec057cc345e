"""Shared by the benchmarks that need scores without timing the classifier: the demo
generator's own labels (truth.jsonl) written as classifier scores (backend "demo-truth")."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path


def seed_scores(db: Path, truth: Path) -> int:
    """Write the generator's labels as scores when the DB was never analysed; rows written."""
    conn = sqlite3.connect(db)
    try:
        if conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0]:
            return 0
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        rows = []
        with truth.open(encoding="utf-8") as handle:
            for line in handle:
                t = json.loads(line)
                labels = t["labels"] or ["neutral"]
                rows.append((t["platform"], t["id"], "demo-truth", "truth", t["lang"] or "und",
                             0.9, json.dumps(labels), json.dumps({k: 0.9 for k in labels}), "[]",
                             now))
        conn.executemany(
            "INSERT OR IGNORE INTO scores (platform, post_id, backend, model_version, lang,"
            " lang_confidence, labels_json, scores_json, evidence_json, analyzed_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        conn.commit()
        return len(rows)
    finally:
        conn.close()
