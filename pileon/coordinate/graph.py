"""The co-action graph: accounts linked when they posted near-duplicates in the same
coordinated group, or replied to the same quote-post within W of each other (anchored window,
as for clusters); its connected components, largest first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import combinations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pileon.coordinate.batch import NO_TIME, PostBatch
from pileon.coordinate.results import CoActionEdge, CoordinationParams
from pileon.coordinate.synchrony import anchored_windows

__all__ = ["co_action_edges", "co_reply_groups", "components"]


def co_reply_groups(batch: PostBatch, params: CoordinationParams,
                    rank: np.ndarray | None = None) -> list[list[str]]:
    """Accounts that replied to the same quote-post within W of the group's first reply."""
    quote_ids = {(batch.platforms[i], batch.ids[i]) for i, kind in enumerate(batch.kinds)
                 if kind == "quote"}
    if not quote_ids:
        return []
    by_target: dict[tuple[str, str], list[int]] = {}
    for row, target in enumerate(batch.reply_to):
        if target is not None and (batch.platforms[row], target) in quote_ids \
                and batch.created_ms[row] != NO_TIME and batch.authors[row] is not None:
            by_target.setdefault((batch.platforms[row], target), []).append(row)
    groups = []
    for rows in by_target.values():
        for window in anchored_windows(np.array(rows, dtype=np.int64), batch.created_ms,
                                       params.window_s * 1000, 2, rank):
            accounts = sorted({key for r in window if (key := batch.account_key(int(r)))})
            if len(accounts) >= 2:
                groups.append(accounts)
    return groups


def co_action_edges(coordinated_groups: Iterable[Sequence[str]],
                    co_replies: Iterable[Sequence[str]]) -> list[CoActionEdge]:
    """One edge per linked account pair, with how often each kind of co-action happened."""
    posts: Counter[tuple[str, str]] = Counter()
    replies: Counter[tuple[str, str]] = Counter()
    for counter, groups in ((posts, coordinated_groups), (replies, co_replies)):
        for group in groups:
            counter.update(combinations(sorted(set(group)), 2))
    return [CoActionEdge(a, b, posts[(a, b)], replies[(a, b)])
            for a, b in sorted(set(posts) | set(replies))]


def components(edges: Sequence[CoActionEdge], params: CoordinationParams) -> list[tuple[str, ...]]:
    """Connected components (>= 2 accounts) over the edges strong enough to count, largest
    first: any shared coordinated group, or at least `co_reply_min` shared co-replies."""
    strong = [e for e in edges if e.co_posts > 0 or e.co_replies >= params.co_reply_min]
    names = sorted({e.source for e in strong} | {e.target for e in strong})
    if not names:
        return []
    index = {name: i for i, name in enumerate(names)}
    graph = coo_matrix(
        (np.ones(len(strong), dtype=np.int8),
         ([index[e.source] for e in strong], [index[e.target] for e in strong])),
        shape=(len(names), len(names)),
    )
    _, label = connected_components(graph, directed=False)
    found: dict[int, list[str]] = {}
    for name, component in zip(names, label, strict=True):
        found.setdefault(int(component), []).append(name)
    return sorted((tuple(members) for members in found.values()), key=lambda c: (-len(c), c))
