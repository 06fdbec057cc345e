"""One coordination analysis of a batch of posts: near-duplicate clusters, their synchronised
groups, bursts, account signals and the co-action graph. Pure: the caller reads and writes the
store; here only records and arrays come in and a `CoordinationResult` goes out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime

import numpy as np

from pileon.coordinate.accounts import (
    AccountActivity,
    account_signals,
    profile_score,
    profile_signals,
)
from pileon.coordinate.batch import NO_TIME, PostBatch
from pileon.coordinate.bursts import find_bursts
from pileon.coordinate.graph import co_action_edges, co_reply_groups, components
from pileon.coordinate.near_duplicates import TextCluster, near_duplicate_groups
from pileon.coordinate.results import (
    AccountSignals,
    CoordinationParams,
    CoordinationResult,
    NearDuplicateCluster,
    SynchronisedGroup,
)
from pileon.coordinate.synchrony import anchored_windows
from pileon.records import Account

__all__ = ["analyse_coordination", "reference_time"]


def reference_time(batch: PostBatch) -> datetime | None:
    """When the thread started: the root post's time, else the earliest reply's."""
    roots = [i for i, kind in enumerate(batch.kinds)
             if kind == "root" and batch.created_ms[i] != NO_TIME]
    dated = batch.created_ms[batch.dated]
    if roots:
        moment = int(batch.created_ms[roots[0]])
    elif len(dated):
        moment = int(dated.min())
    else:
        return None
    return datetime.fromtimestamp(moment / 1000, UTC)


def _judge(group: np.ndarray, batch: PostBatch, keys: list[str | None],
           profile: Mapping[str, float | None], params: CoordinationParams,
           index: int) -> SynchronisedGroup:
    accounts = {key for r in group.tolist() if (key := keys[r])}
    scores = [s for key in accounts if (s := profile.get(key)) is not None]
    mean = float(np.mean(scores)) if scores else None
    enough_accounts = len(accounts) >= params.min_group_accounts
    evidence = mean is not None and mean >= params.account_evidence
    if not enough_accounts:
        why = f"only {len(accounts)} distinct account(s) in the window"
    elif mean is None:
        why = "posted within the window; account evidence unknown (no profile fields)"
    elif not evidence:
        why = f"posted within the window; accounts look ordinary (profile score {mean:.2f})"
    else:
        why = f"{len(accounts)} accounts within the window; profile score {mean:.2f}"
    ordinary = tuple(r for r in group.tolist()
                     if (score := profile.get(keys[r] or "")) is not None
                     and score < params.ordinary_member)
    if enough_accounts and evidence and ordinary:
        why += f"; {len(ordinary)} member(s) from established-looking accounts not counted"
    times = batch.created_ms[group]
    return SynchronisedGroup(index=index, members=tuple(int(r) for r in group),
                             accounts=len(accounts), first_ms=int(times.min()),
                             last_ms=int(times.max()), profile_score=mean,
                             coordinated=enough_accounts and evidence, why=why,
                             ordinary=ordinary if enough_accounts and evidence else ())


def _cluster(cluster_id: int, found: TextCluster, batch: PostBatch, keys: list[str | None],
             profile: Mapping[str, float | None], params: CoordinationParams) -> NearDuplicateCluster:
    rows = found.rows
    dated = rows[batch.created_ms[rows] != NO_TIME]
    windows = anchored_windows(dated, batch.created_ms, params.window_s * 1000,
                               params.min_group_size)
    groups = tuple(_judge(w, batch, keys, profile, params, i) for i, w in enumerate(windows))
    times = batch.created_ms[dated]
    return NearDuplicateCluster(
        id=cluster_id,
        members=tuple(rows.tolist()),
        similarity=tuple(round(float(s), 4) for s in found.similarity),
        template_row=found.template_row,
        template_text=batch.texts[found.template_row],
        accounts=tuple(sorted({key for r in rows.tolist() if (key := keys[r])})),
        first_ms=int(times.min()) if len(times) else None,
        last_ms=int(times.max()) if len(times) else None,
        undated=len(rows) - len(dated),
        groups=groups,
    )


def _not_computed(batch: PostBatch, accounts: Mapping[str, Account]) -> list[str]:
    notes = []
    n = len(batch)
    if n < 2:
        notes.append(f"near-duplicate clusters: {n} post(s); at least 2 are needed")
    empty = sum(1 for t in batch.texts if not t.strip())
    if empty:
        notes.append(f"{empty} post(s) with empty text: not compared for near-duplicates")
    undated = int((~batch.dated).sum())
    if undated:
        notes.append(f"{undated} post(s) without a timestamp: left out of bursts and "
                     "synchronised groups")
    if int(batch.dated.sum()) < 2:
        notes.append("bursts: fewer than 2 dated posts, no per-minute baseline")
    no_author = sum(1 for a in batch.authors if a is None)
    if no_author:
        notes.append(f"{no_author} post(s) without an author: left out of account signals "
                     "and the co-action graph")
    authors = {key for key in batch.account_keys() if key}
    missing = len(authors - set(accounts))
    if missing:
        notes.append(f"{missing} account(s) have no profile in the payloads: their profile "
                     "signals are unknown")
    return notes


def analyse_coordination(batch: PostBatch, accounts: Mapping[str, Account],
                         params: CoordinationParams | None = None,
                         reference: datetime | None = None) -> CoordinationResult:
    """Everything the coordination stage computes for one thread (or one partition)."""
    params = params or CoordinationParams()
    reference = reference or reference_time(batch)
    keys = batch.account_keys()
    authors = {key for key in keys if key}
    profiles = {key: profile_signals(accounts.get(key), reference, params) for key in authors}
    profile = {key: profile_score(signals) for key, signals in profiles.items()}
    found = near_duplicate_groups(batch.texts, params) if len(batch) >= 2 else []
    clusters = tuple(_cluster(i + 1, c, batch, keys, profile, params)
                     for i, c in enumerate(found))

    replies = Counter(key for key, kind in zip(keys, batch.kinds, strict=True)
                      if key and kind != "root")
    in_clusters: Counter[str] = Counter()
    in_groups: Counter[str] = Counter()
    coordinated_groups = []
    for cluster in clusters:
        if len(cluster.members) >= params.min_group_size:
            in_clusters.update(cluster.accounts)
        for group in cluster.groups:
            if group.coordinated:
                members = sorted({k for r in group.coordinated_members if (k := keys[r])})
                in_groups.update(members)
                coordinated_groups.append(members)
    edges = co_action_edges(coordinated_groups, co_reply_groups(batch, params))
    found_components = components(edges, params)
    component_of = {name: i + 1 for i, members in enumerate(found_components) for name in members}
    signals: list[AccountSignals] = []
    for key in sorted(authors):
        activity = AccountActivity(replies[key], in_clusters[key], in_groups[key])
        signals.append(account_signals(key, accounts.get(key), activity, reference, params,
                                       profile=profiles[key], component=component_of.get(key)))
    signals.sort(key=lambda s: (-s.score, s.platform, s.account_id))

    clustered = np.zeros(len(batch), dtype=bool)
    for cluster in clusters:
        clustered[list(cluster.members)] = True
    return CoordinationResult(
        params=params,
        posts=len(batch),
        clusters=clusters,
        bursts=tuple(find_bursts(batch.created_ms, clustered, params)),
        accounts=tuple(signals),
        edges=tuple(edges),
        components=tuple(found_components),
        not_computed=tuple(_not_computed(batch, accounts)),
        computed_at=datetime.now(UTC),
    )

