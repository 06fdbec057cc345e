"""The analyze stage as a per-partition map: a posts table (Arrow) in, a scores table with the
fixed schema `columns.SCORES` out. The very classifier the single-thread path uses; no store,
no global state but the loaded model (one per worker process)."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from pileon.campaign.columns import SCORES
from pileon.records import LABELS, Score

__all__ = ["classify_table", "scores_table"]

BATCH = 1000
_loaded: dict[str, Any] = {}


def _classifier(backend: str) -> Any:
    if backend not in _loaded:
        from pileon.analyze.run import get_classifier

        _loaded[backend] = get_classifier(backend)
    return _loaded[backend]


def scores_table(scores: list[Score]) -> pa.Table:
    columns: dict[str, list[Any]] = {
        "platform": [s.platform for s in scores], "id": [s.post_id for s in scores],
        "backend": [s.backend for s in scores], "model_version": [s.model_version for s in scores],
        "lang": [s.lang for s in scores], "lang_confidence": [s.lang_confidence for s in scores],
        "labels": [list(s.labels) for s in scores],
    }
    for label in LABELS:
        columns[f"score_{label}"] = [s.scores.get(label) for s in scores]
    columns["evidence_json"] = [json.dumps(list(s.evidence), ensure_ascii=False) for s in scores]
    return pa.table(columns, schema=SCORES)


def classify_table(posts: pa.Table, backend: str = "builtin") -> pa.Table:
    """Score every post of one partition, in batches of BATCH texts."""
    from pileon.analyze.run import _scores

    classifier = _classifier(backend)
    keys = list(zip(posts.column("platform").to_pylist(), posts.column("id").to_pylist(),
                    (t or "" for t in posts.column("text").to_pylist()), strict=True))
    scores: list[Score] = []
    for start in range(0, len(keys), BATCH):
        batch = keys[start:start + BATCH]
        scores.extend(_scores(batch, classifier.classify([t for _, _, t in batch])))
    return scores_table(scores)
