"""The cross-target reduce: what only shows when many threads are read together.

- accounts active against several targets (the same platform account in >= 2 threads);
- waves that hit several targets: coordinated groups of different threads whose time spans lie
  within W of each other, chained in time order;
- the same template across threads: cluster templates that are near-duplicates of each other
  (the coordination stage's own MinHash + exact-Jaccard grouping, run over the templates).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyarrow as pa

from pileon.coordinate.near_duplicates import near_duplicate_groups
from pileon.coordinate.results import CoordinationParams

__all__ = ["accounts_across", "templates_across", "waves_across"]


def accounts_across(accounts: pa.Table, min_targets: int = 2) -> pa.Table:
    by: dict[tuple[str, str], dict[str, Any]] = {}
    for row in accounts.select(["thread", "platform", "account_id", "handle", "score",
                                "replies", "coordinated_group"]).to_pylist():
        item = by.setdefault((row["platform"], row["account_id"]), {
            "platform": row["platform"], "account_id": row["account_id"],
            "handle": row["handle"], "threads": set(), "replies": 0, "max_score": 0.0,
            "coordinated_in": set()})
        item["threads"].add(row["thread"])
        item["replies"] += int(row["replies"] or 0)
        item["max_score"] = max(item["max_score"], float(row["score"] or 0.0))
        if row["coordinated_group"]:
            item["coordinated_in"].add(row["thread"])
    rows = [{**i, "targets": len(i["threads"]), "threads": sorted(i["threads"]),
             "coordinated_targets": len(i["coordinated_in"])}
            for i in by.values() if len(i["threads"]) >= min_targets]
    for r in rows:
        del r["coordinated_in"]
    rows.sort(key=lambda r: (-r["targets"], -r["coordinated_targets"], -r["replies"],
                             r["platform"], r["account_id"]))
    return pa.Table.from_pylist(rows, schema=ACROSS_ACCOUNTS)


def waves_across(groups: pa.Table, window_s: int, min_targets: int = 2) -> pa.Table:
    coordinated = [g for g in groups.to_pylist() if g["coordinated"]]
    coordinated.sort(key=lambda g: (g["first_ms"], g["thread"], g["cluster_id"]))
    waves: list[list[dict[str, Any]]] = []
    end = None
    for g in coordinated:
        if end is not None and g["first_ms"] <= end + window_s * 1000:
            waves[-1].append(g)
            end = max(end, g["last_ms"])
        else:
            waves.append([g])
            end = g["last_ms"]
    rows: list[dict[str, Any]] = []
    for wave in waves:
        threads = sorted({g["thread"] for g in wave})
        if len(threads) < min_targets:
            continue
        seen: dict[str, set[str]] = defaultdict(set)
        for g in wave:
            for key in g["account_keys"]:
                seen[key].add(g["thread"])
        rows.append({"wave": len(rows) + 1, "first_ms": min(g["first_ms"] for g in wave),
                     "last_ms": max(g["last_ms"] for g in wave), "targets": len(threads),
                     "threads": threads, "groups": len(wave),
                     "posts": sum(g["coordinated_posts"] for g in wave), "accounts": len(seen),
                     "accounts_on_several": sum(1 for v in seen.values() if len(v) > 1)})
    return pa.Table.from_pylist(rows, schema=WAVES)


def templates_across(clusters: pa.Table, params: CoordinationParams,
                     min_targets: int = 2) -> pa.Table:
    rows = clusters.select(["thread", "cluster_id", "size", "verdict", "template_text"]
                           ).to_pylist()
    found = near_duplicate_groups([r["template_text"] for r in rows], params) \
        if len(rows) >= 2 else []
    out: list[dict[str, Any]] = []
    for group in found:
        members = [rows[i] for i in group.rows.tolist()]
        threads = sorted({m["thread"] for m in members})
        if len(threads) < min_targets:
            continue
        out.append({"template": len(out) + 1, "template_text": rows[group.template_row][
            "template_text"], "targets": len(threads), "threads": threads,
            "clusters": len(members), "posts": sum(m["size"] for m in members),
            "coordinated_clusters": sum(m["verdict"] == "coordinated" for m in members)})
    out.sort(key=lambda r: (-r["targets"], -r["posts"]))
    for i, r in enumerate(out):
        r["template"] = i + 1
    return pa.Table.from_pylist(out, schema=TEMPLATES)


_S, _I, _F, _L = pa.string(), pa.int64(), pa.float64(), pa.list_(pa.string())
ACROSS_ACCOUNTS = pa.schema([("platform", _S), ("account_id", _S), ("handle", _S),
                             ("targets", _I), ("threads", _L), ("coordinated_targets", _I),
                             ("replies", _I), ("max_score", _F)])
WAVES = pa.schema([("wave", _I), ("first_ms", _I), ("last_ms", _I), ("targets", _I),
                   ("threads", _L), ("groups", _I), ("posts", _I), ("accounts", _I),
                   ("accounts_on_several", _I)])
TEMPLATES = pa.schema([("template", _I), ("template_text", _S), ("targets", _I),
                       ("threads", _L), ("clusters", _I), ("posts", _I),
                       ("coordinated_clusters", _I)])
