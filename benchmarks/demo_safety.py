"""Where the demo's own truth ended up after triage: the safety figures of issue 12.

    python benchmarks/demo_safety.py DB TRUTH.jsonl

Prints abusive posts in Support, coordinated-wave members in Support, supportive posts
shielded, posts never triaged, and (per folder) how the generator's labels were sorted.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections import Counter
from pathlib import Path

ABUSIVE = {"identity_attack", "sexual_harassment", "identity_denial", "bad_faith", "ridicule",
           "insult", "threat", "atrocity_denial"}


def safety_figures(db: Path, truth: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        run = conn.execute("SELECT MAX(id) FROM triage_runs WHERE finished_at IS NOT NULL"
                           ).fetchone()[0]
        folder = {(p, i): f for p, i, f in conn.execute(
            "SELECT platform, post_id, folder FROM post_folders WHERE run_id=?", (run,))}
    finally:
        conn.close()
    c: Counter[str] = Counter()
    with truth.open(encoding="utf-8") as handle:
        for line in handle:
            t = json.loads(line)
            where = folder.get((t["platform"], t["id"]))
            labels = set(t["labels"])
            abusive = bool(labels & ABUSIVE)
            c["posts"] += 1
            c["not_triaged"] += where is None
            c["abusive"] += abusive
            c["abusive_in_support"] += abusive and where == "support"
            c["abusive_in_inbox"] += abusive and where == "inbox"
            c["wave"] += t["wave"] is not None
            c["wave_in_support"] += t["wave"] is not None and where == "support"
            c["supportive"] += "supportive" in labels
            c["supportive_shielded"] += "supportive" in labels and where == "shielded"
            c["supportive_in_support"] += "supportive" in labels and where == "support"
    return dict(c)


if __name__ == "__main__":
    print(json.dumps(safety_figures(Path(sys.argv[1]), Path(sys.argv[2])), indent=1))
