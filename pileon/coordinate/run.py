"""One coordination analysis of a batch of posts: near-duplicate clusters, their synchronised
groups, bursts, account signals and the co-action graph. Pure: the caller reads and writes the
store; here only records and arrays come in and a `CoordinationResult` goes out.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
from pileon.coordinate.evidence import (
    ShingleRarity,
    TextEvidence,
    ThreadRate,
    TokenCounts,
    common_tokens,
    text_evidence,
)
from pileon.coordinate.graph import co_action_edges, co_reply_groups, components
from pileon.coordinate.mapreduce import PartitionSketch, map_partition
from pileon.coordinate.minhash import distinct
from pileon.coordinate.near_duplicates import TextCluster, centred_clusters, rows_of_clusters
from pileon.coordinate.results import (
    AccountSignals,
    CoordinationParams,
    CoordinationResult,
    NearDuplicateCluster,
    SynchronisedGroup,
)
from pileon.coordinate.synchrony import anchored_windows
from pileon.records import Account

__all__ = ["analyse_coordination", "analyse_sketch", "reference_time"]


def reference_time(batch: PostBatch) -> datetime | None:
    """When the thread started: the root post's time, else the earliest reply's."""
    roots = [i for i, kind in enumerate(batch.kinds)
             if kind == "root" and batch.created_ms[i] != NO_TIME]
    dated = batch.created_ms[batch.dated]
    if roots:
        moment = int(batch.created_ms[roots].min())
    elif len(dated):
        moment = int(dated.min())
    else:
        return None
    return datetime.fromtimestamp(moment / 1000, UTC)


@dataclass
class _Context:
    batch: PostBatch
    keys: list[str | None]
    profile: Mapping[str, float | None]
    known: Mapping[str, int]  # profile signals the payload carried, per account
    params: CoordinationParams
    rate: ThreadRate
    rank: np.ndarray  # per row: canonical order (time, hash of (platform, id)) for ties


def _spread_accounts(group: np.ndarray, accounts: set[str], around: _Around, ctx: _Context,
                     window_ms: int) -> int:
    """Distinct accounts, none of the group's, that posted the cluster's text more than W
    before the group's first post or more than W after its window, but within `spread_s`.
    The W next to the group is left out: a wave that lasts a little longer than W leaves
    stragglers there (its own tail), not new people passing the text on."""
    first = int(ctx.batch.created_ms[group].min())
    spread_ms = ctx.params.spread_s * 1000
    times, rows = around.times, around.rows
    spans = ((first - spread_ms, first - window_ms),
             (first + 2 * window_ms, first + window_ms + spread_ms))
    keys = ctx.keys
    found: set[str] = set()
    for start, end in spans:
        if end <= start:
            continue
        lo = int(np.searchsorted(times, start))
        hi = int(np.searchsorted(times, end, side="right"))
        found.update(key for r in rows[lo:hi].tolist() if (key := keys[r]))
    return len(found - accounts)


@dataclass(frozen=True)
class _Around:
    """A cluster's dated rows in time order, to look at what happened around a group."""

    rows: np.ndarray
    times: np.ndarray


def _judge(group: np.ndarray, ctx: _Context, index: int, text: TextEvidence | None,
           cluster_posts: int, window_ms: int, around: _Around,
           windows: int = 1) -> SynchronisedGroup:
    params, keys = ctx.params, ctx.keys
    accounts = {key for r in group.tolist() if (key := keys[r])}
    # A profile says something only with at least two known fields (a handle alone does not).
    scores = [s for key in accounts
              if (s := ctx.profile.get(key)) is not None and ctx.known.get(key, 0) >= 2]
    # fsum: correctly rounded, so the mean does not depend on the set's (hash-seeded) order
    mean = math.fsum(scores) / len(scores) if scores else None
    times = ctx.batch.created_ms[group]
    expected, surprise = ctx.rate.surprise(int(times.min()), window_ms, cluster_posts,
                                           len(group))
    profile_evidence = mean is not None and mean >= params.account_evidence
    level = text.level if text else "none"
    tight = surprise >= params.min_time_surprise
    enough = len(accounts) >= params.min_group_accounts
    evidence = enough and tight and (
        level == "specific" or (level == "weak" and profile_evidence))
    # A text that keeps spreading to new accounts for an hour around its densest window is
    # being shared (a headline, a link, a quote people pass on), not posted by one operator:
    # a wave is over within minutes, and its text does not keep finding new authors.
    spread = _spread_accounts(group, accounts, around, ctx, window_ms) if evidence else None
    spreading = spread is not None and spread >= params.spread_ratio * len(accounts)
    coordinated = evidence and not spreading
    timing = (f"{len(group)} posts within W where the thread's own rate predicts "
              f"{expected:.2g} (surprise {min(surprise, 999):.1f})")
    if mean is None:
        profiles = "account profiles unknown (no profile fields): verdict rests on text and time"
    else:
        profiles = f"profile score {mean:.2f}"
    if not enough:
        why = f"only {len(accounts)} distinct account(s) in the window"
    elif not tight:
        why = f"{timing}: no time evidence"
    elif level == "none":
        why = f"{timing}, but a short or common text ({text.describe() if text else 'no text'})" \
              ": no text evidence"
    elif spreading:
        why = (f"{timing}; {text.describe() if text else ''}; but the same text came from "
               f"{spread} other account(s) within {params.spread_s // 60} min around the "
               f"group (the group has {len(accounts)}): a text that keeps spreading to new "
               "people, as a shared headline or link does, not a wave")
    elif not coordinated:
        why = f"{timing}; {text.describe() if text else ''}; {profiles}: not enough together"
    else:
        why = f"consistent with coordination: {len(accounts)} accounts, {timing}; " \
              f"{text.describe() if text else ''}; {profiles}"
    ordinary = tuple(r for r in group.tolist()
                     if (score := ctx.profile.get(keys[r] or "")) is not None
                     and ctx.known.get(keys[r] or "", 0) >= 3
                     and score < params.ordinary_member) if coordinated else ()
    if ordinary:
        why += f"; {len(ordinary)} member(s) from established-looking accounts not counted"
    return SynchronisedGroup(index=index, members=tuple(int(r) for r in group),
                             accounts=len(accounts), first_ms=int(times.min()),
                             last_ms=int(times.max()), profile_score=mean,
                             coordinated=coordinated, why=why, ordinary=ordinary,
                             expected=round(expected, 6), time_surprise=round(surprise, 2),
                             text_level=level, spread_accounts=spread,
                             tight=coordinated or surprise >= params.together_surprise
                             + math.log10(max(windows, 1)))


def _groups(dated: np.ndarray, ctx: _Context, text: TextEvidence | None,
            window_ms: int) -> tuple[SynchronisedGroup, ...]:
    windows = anchored_windows(dated, ctx.batch.created_ms, window_ms, ctx.params.min_group_size,
                               ctx.rank)
    if not windows:
        return ()
    order = np.argsort(ctx.batch.created_ms[dated], kind="stable")
    around = _Around(dated[order], ctx.batch.created_ms[dated[order]])
    judged = [_judge(w, ctx, i, text, len(dated), window_ms, around, len(windows))
              for i, w in enumerate(windows)]
    return tuple(judged + _tails(judged, windows, around, ctx, window_ms))


def _tails(judged: Sequence[SynchronisedGroup], windows: Sequence[np.ndarray], around: _Around,
           ctx: _Context, window_ms: int) -> list[SynchronisedGroup]:
    """The tail of each coordinated group: the cluster's posts in no group that were posted
    within W of at least `min_group_size` of the group's members (each of them co-posted
    with the group in CooRTweet's pairwise sense). A wave a little longer than W is cut by
    the window; its first or last few posts are fewer than a group needs, but they are the
    same wave. Each such post joins one group (the one with most members within W of it)."""
    coordinated = [g for g in judged if g.coordinated]
    if not coordinated:
        return []
    grouped = np.concatenate(windows)
    free = ~np.isin(around.rows, grouped)
    rows, times = around.rows[free], around.times[free]
    if not len(rows):
        return []
    need = ctx.params.min_group_size
    best = np.zeros(len(rows), dtype=np.int64)
    owner = np.full(len(rows), -1, dtype=np.int64)
    for k, group in enumerate(coordinated):
        member_times = np.sort(ctx.batch.created_ms[list(group.members)])
        near = (np.searchsorted(member_times, times + window_ms, side="right")
                - np.searchsorted(member_times, times - window_ms, side="left"))
        take = (near >= need) & (near > best)
        best[take], owner[take] = near[take], k
    tails: list[SynchronisedGroup] = []
    keys = ctx.keys
    for k, group in enumerate(coordinated):
        members = rows[owner == k]
        if not len(members):
            continue
        member_list = members.tolist()
        ordinary = tuple(r for r in member_list
                         if (score := ctx.profile.get(keys[r] or "")) is not None
                         and ctx.known.get(keys[r] or "", 0) >= 3
                         and score < ctx.params.ordinary_member)
        tail_times = ctx.batch.created_ms[members]
        why = (f"tail of group {group.index}: {len(members)} post(s) of the same text outside "
               f"every window, each within W of at least {need} of the group's members")
        if ordinary:
            why += f"; {len(ordinary)} member(s) from established-looking accounts not counted"
        tails.append(SynchronisedGroup(
            index=len(judged) + len(tails), members=tuple(member_list),
            accounts=len({key for r in member_list if (key := keys[r])}),
            first_ms=int(tail_times.min()), last_ms=int(tail_times.max()),
            profile_score=group.profile_score, coordinated=True, why=why, ordinary=ordinary,
            text_level=group.text_level, tight=True))
    return tails


def _cluster(cluster_id: int, found: TextCluster, ctx: _Context, sketch: PartitionSketch,
             tokens: TokenCounts | None, rarity: ShingleRarity | None,
             rows_per_key: np.ndarray) -> NearDuplicateCluster:
    batch = ctx.batch
    rows = found.rows
    dated = rows[batch.created_ms[rows] != NO_TIME]
    text = None
    if len(dated) >= ctx.params.min_group_size and rarity is not None and tokens is not None:
        centre = int(sketch.key_of[found.template_row])
        members = distinct(sketch.key_of[rows])
        text = text_evidence(sketch.key_text, rows_per_key, tokens, rarity, centre, members,
                             ctx.params)
    groups = _groups(dated, ctx, text, ctx.params.window_s * 1000) if text else ()
    times = batch.created_ms[dated]
    return NearDuplicateCluster(
        id=cluster_id,
        members=tuple(rows.tolist()),
        similarity=tuple(np.round(found.similarity, 4).tolist()),
        template_row=found.template_row,
        template_text=batch.texts[found.template_row],
        accounts=tuple(sorted({key for r in rows.tolist() if (key := ctx.keys[r])})),
        first_ms=int(times.min()) if len(times) else None,
        last_ms=int(times.max()) if len(times) else None,
        undated=len(rows) - len(dated),
        groups=groups,
        informative_tokens=text.informative if text else None,
        text_bits=text.bits if text else None,
        rare_share=round(text.rare_share, 4) if text else None,
    )


def _co_posting(cluster: NearDuplicateCluster, keys: Sequence[str | None],
                window_ms: int) -> list[list[str]]:
    """Accounts of each co-posting event of a cluster: its coordinated groups, where groups
    that follow each other with less than W between them are ONE event (a wave that lasted a
    little longer than W, cut in two by the window), so the graph links all its accounts."""
    events: list[list[str]] = []
    last_ms: int | None = None
    for group in sorted((g for g in cluster.groups if g.coordinated), key=lambda g: g.first_ms):
        members = {k for r in group.coordinated_members if (k := keys[r])}
        if events and last_ms is not None and group.first_ms - last_ms <= window_ms:
            events[-1] = sorted(set(events[-1]) | members)
        else:
            events.append(sorted(members))
        last_ms = group.last_ms if last_ms is None else max(last_ms, group.last_ms)
    return events


def _window_effect(clusters: Sequence[NearDuplicateCluster], ctx: _Context) -> dict[str, int]:
    """Coordinated groups and posts at W/2, W and 2W (re-judged on the same clusters)."""
    effect: dict[str, int] = {}
    for factor in (0.5, 1.0, 2.0):
        window_ms = int(ctx.params.window_s * 1000 * factor)
        label = f"window_{int(ctx.params.window_s * factor)}s"
        groups = 0
        posts = 0
        for cluster in clusters:
            if not cluster.groups and cluster.informative_tokens is None:
                continue
            if factor == 1.0:
                judged = cluster.groups
            else:
                dated = np.array([r for r in cluster.members
                                  if ctx.batch.created_ms[r] != NO_TIME], dtype=np.int64)
                text = TextEvidence(0, cluster.informative_tokens or 0, cluster.text_bits or 0.0,
                                    cluster.rare_share or 0.0, _level(cluster))
                judged = _groups(dated, ctx, text, window_ms)
            groups += sum(g.coordinated for g in judged)
            posts += sum(len(g.coordinated_members) for g in judged)
        effect[f"{label}_coordinated_groups"] = groups
        effect[f"{label}_coordinated_posts"] = posts
    return effect


def _level(cluster: NearDuplicateCluster) -> str:
    for group in cluster.groups:
        if group.text_level:
            return group.text_level
    return "none"


def _not_computed(batch: PostBatch, accounts: Mapping[str, Account], empty: int,
                  keys: Sequence[str | None]) -> list[str]:
    notes = []
    n = len(batch)
    if n < 2:
        notes.append(f"near-duplicate clusters: {n} post(s); at least 2 are needed")
    if empty:
        notes.append(f"{empty} post(s) with empty text: not compared for near-duplicates")
    undated = int((~batch.dated).sum())
    if undated:
        notes.append(f"{undated} post(s) without a timestamp: left out of bursts and "
                     "synchronised groups")
    if int(batch.dated.sum()) < 2:
        notes.append("bursts: fewer than 2 dated posts, no per-minute baseline")
    no_author = sum(1 for key in keys if key is None)
    if no_author:
        notes.append(f"{no_author} post(s) without an author: left out of account signals "
                     "and the co-action graph")
    authors = {key for key in keys if key}
    missing = len(authors - set(accounts))
    if missing:
        notes.append(f"{missing} account(s) have no profile in the payloads: their profile "
                     "signals are unknown, and verdicts rest on text and time alone")
    if len(authors) == 1 and n >= 2:
        notes.append("one account posted everything: no co-action between accounts to find")
    return notes


def _first_posts(keys: Sequence[str | None], created_ms: np.ndarray,
                 reference: datetime | None) -> dict[str, datetime | None]:
    """When each account first posted in the thread (profile signals are judged then, as
    triage judges them at each post); the thread's start for an account without a dated post."""
    first: dict[str, int] = {}
    for key, ms in zip(keys, created_ms.tolist(), strict=True):
        if key is not None and ms != NO_TIME and ms < first.get(key, ms + 1):
            first[key] = ms
    out: dict[str, datetime | None] = {key: reference for key in keys if key is not None}
    out.update((key, datetime.fromtimestamp(ms / 1000, UTC)) for key, ms in first.items())
    return out


def analyse_coordination(batch: PostBatch, accounts: Mapping[str, Account],
                         params: CoordinationParams | None = None,
                         reference: datetime | None = None) -> CoordinationResult:
    """Everything the coordination stage computes for one in-memory thread: the map step over
    the whole batch, then the reduce (see pileon.coordinate.mapreduce)."""
    params = params or CoordinationParams()
    reference = reference or reference_time(batch)
    sketch = map_partition(batch, params)
    result = analyse_sketch(sketch, accounts, params, reference)
    return result


def analyse_sketch(sketch: PartitionSketch, accounts: Mapping[str, Account],
                   params: CoordinationParams, reference: datetime | None) -> CoordinationResult:
    """The reduce step over a merged sketch; rows index `sketch.posts`."""
    batch = sketch.posts
    keys = batch.account_keys()
    authors = {key for key in keys if key}
    first_post = _first_posts(keys, batch.created_ms, reference)
    profiles = {key: profile_signals(accounts.get(key), first_post.get(key), params)
                for key in authors}
    profile = {key: profile_score(signals) for key, signals in profiles.items()}
    present = sketch.key_of[sketch.key_of >= 0]
    rows_per_key = np.bincount(present, minlength=len(sketch.key_text)).astype(np.int64)
    found: list[TextCluster] = []
    rank = sketch.row_rank()
    if len(batch) >= 2 and len(sketch.key_text):
        key_clusters = centred_clusters(sketch.shingles, sketch.bands, rows_per_key,
                                        params.jaccard_threshold, params.template_threshold,
                                        sketch.signatures, sketch.key_rank())
        found = rows_of_clusters(key_clusters, sketch.key_of, rank)
    known = {key: sum(v is not None for v in signals.values())
             for key, signals in profiles.items()}
    ctx = _Context(batch, keys, profile, known, params,
                   ThreadRate(sketch.minutes, sketch.minute_posts), rank)
    rarity = None
    tokens = None
    big = [c for c in found if len(c.rows) >= params.min_group_size]
    if big:
        centres = np.unique(sketch.key_of[[c.template_row for c in big]])
        rarity = ShingleRarity(sketch.shingles, rows_per_key, centres)
        tokens = common_tokens(sketch.key_text, rows_per_key)
    clusters = tuple(_cluster(i + 1, c, ctx, sketch, tokens, rarity, rows_per_key)
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
                in_groups.update({k for r in group.coordinated_members if (k := keys[r])})
        coordinated_groups.extend(_co_posting(cluster, keys, params.window_s * 1000))
    edges = co_action_edges(coordinated_groups, co_reply_groups(batch, params, rank))
    found_components = components(edges, params)
    component_of = {name: i + 1 for i, members in enumerate(found_components) for name in members}
    signals: list[AccountSignals] = []
    for key in sorted(authors):
        activity = AccountActivity(replies[key], in_clusters[key], in_groups[key])
        signals.append(account_signals(key, accounts.get(key), activity, first_post.get(key),
                                       params,
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
        not_computed=tuple(_not_computed(batch, accounts, sketch.empty_texts, keys)),
        notes=_window_effect(clusters, ctx),
        computed_at=datetime.now(UTC),
    )
