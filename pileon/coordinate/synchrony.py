"""Synchronised groups inside a near-duplicate cluster, with ONE window semantics:
a group is a set of members whose created_at all lie within W of the group's first member
(anchored window [first, first + W]); the densest such window is taken first, then the next.
"""

from __future__ import annotations

import numpy as np

__all__ = ["anchored_windows"]


def anchored_windows(rows: np.ndarray, created_ms: np.ndarray, window_ms: int,
                     min_size: int, rank: np.ndarray | None = None) -> list[np.ndarray]:
    """Disjoint groups of >= `min_size` rows, each inside [its first post, first post + W].

    Greedy, densest window first: for every member as anchor count the members in
    [t, t + W]; take the largest, remove its members, repeat. Undated rows never join.
    `created_ms` is indexed by row; rows without a time must be filtered out by the caller.
    `rank` (per row) breaks ties between posts of the same millisecond, so that the groups do
    not depend on the order the rows came in; without it, row order does.
    """
    if len(rows) < min_size:
        return []
    order = np.argsort(created_ms[rows], kind="stable") if rank is None else \
        np.lexsort((rank[rows], created_ms[rows]))
    rows = rows[order]
    times = created_ms[rows]
    groups = []
    while len(rows) >= min_size:
        ends = np.searchsorted(times, times + window_ms, side="right")
        counts = ends - np.arange(len(times))
        anchor = int(np.argmax(counts))  # the earliest of the densest
        if counts[anchor] < min_size:
            break
        stop = int(ends[anchor])
        groups.append(rows[anchor:stop])
        rows = np.concatenate((rows[:anchor], rows[stop:]))
        times = np.concatenate((times[:anchor], times[stop:]))
    groups.sort(key=lambda group: (int(created_ms[group[0]]),
                                   0 if rank is None else int(rank[group[0]])))
    return groups
