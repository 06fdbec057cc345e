"""One coordination result as the rows of the store's coordination tables (the edge between
the coordination stage and pileon.store, which knows nothing of the stage's types), and
`save_result`, which writes them as one run."""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from pileon import __version__
from pileon.coordinate.evidence import evidence_rule
from pileon.coordinate.results import WINDOW_SEMANTICS, CoordinationResult
from pileon.records import NO_TIME, PostBatch
from pileon.store.coordination import CoordinationRun, save_run
from pileon.store.db import to_iso

__all__ = ["coordination_run", "run_summary", "save_result"]


def _ms_to_iso(ms: int | None) -> str | None:
    if ms is None or ms == NO_TIME:
        return None
    return to_iso(datetime.fromtimestamp(ms / 1000, UTC))


def run_summary(result: CoordinationResult) -> dict[str, Any]:
    groups = [g for c in result.clusters for g in c.groups]
    return {
        "posts": result.posts,
        "clusters": len(result.clusters),
        "clustered_posts": sum(len(c.members) for c in result.clusters),
        "synchronised_groups": sum(g.tight for g in groups),
        "windows_without_time_evidence": sum(not g.tight for g in groups),
        "coordinated_groups": sum(g.coordinated for g in groups),
        "coordinated_posts": sum(len(g.coordinated_members) for g in groups),
        "spreading_groups": sum(g.spread_accounts is not None and not g.coordinated
                                for g in groups),
        "bursts": len(result.bursts),
        "accounts": len(result.accounts),
        "accounts_in_coordinated_groups": sum(
            1 for a in result.accounts if a.signals.get("coordinated_group")),
        "components": len(result.components),
        "largest_component": len(result.components[0]) if result.components else 0,
        "largest_cluster": max((len(c.members) for c in result.clusters), default=0),
        "evidence_rule": evidence_rule(result.params),
        "window_effect": dict(result.notes),
    }


def save_result(conn: sqlite3.Connection, batch: PostBatch, result: CoordinationResult) -> int:
    """Write one run in one transaction; returns its id. Older runs stay as they were."""
    return save_run(conn, coordination_run(batch, result))


def coordination_run(batch: PostBatch, result: CoordinationResult) -> CoordinationRun:
    cluster_rows, member_rows = [], []
    for c in result.clusters:
        groups = [{"index": g.index, "size": len(g.members), "accounts": g.accounts,
                   "first_at": _ms_to_iso(g.first_ms), "last_at": _ms_to_iso(g.last_ms),
                   "profile_score": g.profile_score, "coordinated": g.coordinated,
                   "coordinated_members": len(g.coordinated_members),
                   "ordinary_members": len(g.ordinary), "why": g.why,
                   "expected": g.expected, "time_surprise": g.time_surprise,
                   "text_level": g.text_level, "text_bits": c.text_bits,
                   "spread_accounts": g.spread_accounts, "tight": g.tight,
                   "informative_tokens": c.informative_tokens}
                  for g in c.groups]
        cluster_rows.append((
            c.id, "near_duplicate", c.verdict, len(c.members), len(c.accounts),
            _ms_to_iso(c.first_ms), _ms_to_iso(c.last_ms), c.undated,
            batch.platforms[c.template_row], batch.ids[c.template_row], c.template_text,
            math.fsum(c.similarity) / len(c.similarity), float(min(c.similarity)),
            json.dumps(groups, ensure_ascii=False)))
        group_of = {r: g for g in c.groups for r in g.members}
        counted = {r for g in c.groups for r in g.coordinated_members}
        for row, similarity in zip(c.members, c.similarity, strict=True):
            group = group_of.get(row)
            member_rows.append((
                c.id, batch.platforms[row], batch.ids[row], batch.authors[row],
                _ms_to_iso(int(batch.created_ms[row])), similarity,
                None if group is None else group.index, int(row in counted)))
    rows: dict[str, Any] = {
        "bursts": [(_ms_to_iso(b.start_ms), _ms_to_iso(b.end_ms), b.posts, b.expected,
                    b.peak_per_minute, b.peak_z, b.clustered_posts) for b in result.bursts],
        "accounts": [(a.platform, a.account_id, a.handle, a.score, a.profile_score,
                      json.dumps(a.signals), json.dumps(list(a.reasons), ensure_ascii=False),
                      a.replies, a.clusters, a.component) for a in result.accounts],
        "edges": [(e.source, e.target, e.co_posts, e.co_replies) for e in result.edges],
    }
    return CoordinationRun(
        started_at=to_iso(result.computed_at or datetime.now(UTC)) or "",
        tool_version=__version__,
        params_json=json.dumps(asdict(result.params), sort_keys=True),
        window_semantics=WINDOW_SEMANTICS, posts=result.posts,
        not_computed_json=json.dumps(list(result.not_computed), ensure_ascii=False),
        summary=run_summary(result), clusters=cluster_rows, members=member_rows, **rows)
