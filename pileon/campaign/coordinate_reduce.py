"""Coordination over a campaign thread as map + reduce, on pileon.coordinate's own API.

map: `sketch_partition` runs `coordinate.mapreduce.map_partition` over one day partition of a
thread (text keys, MinHash signatures, band keys, minute counts). reduce: `reduce_thread` merges
a thread's sketches (`merge_sketches`), computes the reference time once and passes it
explicitly to `reduce_sketches`, and turns every row number of the result back into
(platform, id) before anything leaves this module, as Arrow tables.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from pileon.coordinate.batch import NO_TIME, PostBatch
from pileon.coordinate.mapreduce import (
    PartitionSketch,
    map_partition,
    merge_sketches,
    reduce_sketches,
)
from pileon.coordinate.results import CoordinationParams, CoordinationResult
from pileon.coordinate.run import reference_time
from pileon.records import Account

__all__ = ["reduce_thread", "sketch_partition", "tables_of"]


def sketch_partition(batch: PostBatch, params: CoordinationParams) -> PartitionSketch:
    """The map step over one partition's posts."""
    return map_partition(batch, params)


def reduce_thread(thread: str, sketches: list[PartitionSketch],
                  accounts: Mapping[str, Account], params: CoordinationParams
                  ) -> dict[str, pa.Table]:
    """The reduce over every partition of one thread: its coordination tables."""
    merged = merge_sketches(sketches)
    reference = reference_time(merged.posts)
    batch, result = reduce_sketches(merged, accounts, params, reference)
    return tables_of(thread, batch, result)


def _ms(value: int | None) -> int | None:
    return None if value is None or value == NO_TIME else int(value)


def tables_of(thread: str, batch: PostBatch, result: CoordinationResult
              ) -> dict[str, pa.Table]:
    """clusters, cluster_members, groups, accounts, edges of one thread's result."""
    keys = batch.account_keys()
    clusters: dict[str, list[Any]] = {k: [] for k in (
        "thread", "cluster_id", "verdict", "size", "accounts", "first_ms", "last_ms", "undated",
        "template_platform", "template_id", "template_text", "mean_similarity",
        "min_similarity")}
    members: dict[str, list[Any]] = {k: [] for k in (
        "thread", "cluster_id", "platform", "id", "author_id", "created_ms", "similarity",
        "group_index", "counted")}
    groups: dict[str, list[Any]] = {k: [] for k in (
        "thread", "cluster_id", "group_index", "size", "accounts", "first_ms", "last_ms",
        "profile_score", "coordinated", "coordinated_posts", "why", "account_keys")}
    for c in result.clusters:
        row = (thread, c.id, c.verdict, len(c.members), len(c.accounts), _ms(c.first_ms),
               _ms(c.last_ms), c.undated, batch.platforms[c.template_row],
               batch.ids[c.template_row], c.template_text,
               math.fsum(c.similarity) / len(c.similarity),  # as the store does
               float(min(c.similarity)))
        for name, value in zip(clusters, row, strict=True):
            clusters[name].append(value)
        group_of = {r: g.index for g in c.groups for r in g.members}
        counted = {r for g in c.groups for r in g.coordinated_members}
        for r, similarity in zip(c.members, c.similarity, strict=True):
            member = (thread, c.id, batch.platforms[r], batch.ids[r], batch.authors[r],
                      _ms(int(batch.created_ms[r])), similarity, group_of.get(r), r in counted)
            for name, value in zip(members, member, strict=True):
                members[name].append(value)
        for g in c.groups:
            names = sorted({k for r in g.members if (k := keys[r])})
            group: tuple[Any, ...] = (
                thread, c.id, g.index, len(g.members), g.accounts, g.first_ms, g.last_ms,
                g.profile_score, g.coordinated, len(g.coordinated_members), g.why, names)
            for name, item in zip(groups, group, strict=True):
                groups[name].append(item)
    accounts_out = {
        "thread": [thread] * len(result.accounts),
        "platform": [a.platform for a in result.accounts],
        "account_id": [a.account_id for a in result.accounts],
        "handle": [a.handle for a in result.accounts],
        "score": [a.score for a in result.accounts],
        "profile_score": [a.profile_score for a in result.accounts],
        "replies": [a.replies for a in result.accounts],
        "clusters": [a.clusters for a in result.accounts],
        "component": [a.component for a in result.accounts],
        "coordinated_group": [bool(a.signals.get("coordinated_group")) for a in result.accounts],
        "reasons_json": [json.dumps(list(a.reasons), ensure_ascii=False)
                         for a in result.accounts],
    }
    edges = {"thread": [thread] * len(result.edges),
             "source": [e.source for e in result.edges],
             "target": [e.target for e in result.edges],
             "co_posts": [e.co_posts for e in result.edges],
             "co_replies": [e.co_replies for e in result.edges]}
    return {"clusters": pa.table(clusters, schema=CLUSTERS),
            "cluster_members": pa.table(members, schema=MEMBERS),
            "groups": pa.table(groups, schema=GROUPS),
            "accounts": pa.table(accounts_out, schema=ACCOUNTS),
            "edges": pa.table(edges, schema=EDGES)}


_S, _I, _F, _B = pa.string(), pa.int64(), pa.float64(), pa.bool_()
CLUSTERS = pa.schema([("thread", _S), ("cluster_id", _I), ("verdict", _S), ("size", _I),
                      ("accounts", _I), ("first_ms", _I), ("last_ms", _I), ("undated", _I),
                      ("template_platform", _S), ("template_id", _S), ("template_text", _S),
                      ("mean_similarity", _F), ("min_similarity", _F)])
MEMBERS = pa.schema([("thread", _S), ("cluster_id", _I), ("platform", _S), ("id", _S),
                     ("author_id", _S), ("created_ms", _I), ("similarity", _F),
                     ("group_index", _I), ("counted", _B)])
GROUPS = pa.schema([("thread", _S), ("cluster_id", _I), ("group_index", _I), ("size", _I),
                    ("accounts", _I), ("first_ms", _I), ("last_ms", _I),
                    ("profile_score", _F), ("coordinated", _B), ("coordinated_posts", _I),
                    ("why", _S), ("account_keys", pa.list_(_S))])
ACCOUNTS = pa.schema([("thread", _S), ("platform", _S), ("account_id", _S), ("handle", _S),
                      ("score", _F), ("profile_score", _F), ("replies", _I), ("clusters", _I),
                      ("component", _I), ("coordinated_group", _B), ("reasons_json", _S)])
EDGES = pa.schema([("thread", _S), ("source", _S), ("target", _S), ("co_posts", _I),
                   ("co_replies", _I)])
