"""Bursts: minutes with far more replies than the thread's own baseline.

Baseline = rolling median of replies per minute over a centred window (default 61 minutes,
the minute itself included: a median ignores a short burst inside its window); scale = MAD x
1.4826, floored at sqrt(median) + 1 (Poisson noise, and never 0 in a quiet hour). A minute bursts when its robust z-score
reaches `burst_z` AND it exceeds the median by `burst_min_excess` posts; adjacent burst minutes
(gaps of one quiet minute allowed) merge into one burst.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from pileon.coordinate.results import Burst, CoordinationParams

__all__ = ["MINUTE_MS", "minute_baseline", "find_bursts"]

MINUTE_MS = 60_000


def minute_baseline(counts: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(median, scale) per minute of `counts` over a centred window of `window` minutes."""
    half = window // 2
    padded = np.pad(counts.astype(np.float64), half, constant_values=np.nan)
    windows = sliding_window_view(padded, 2 * half + 1)
    median = np.nanmedian(windows, axis=1)
    mad = np.nanmedian(np.abs(windows - median[:, None]), axis=1)
    scale = np.maximum(1.4826 * mad, np.sqrt(median) + 1.0)
    return median, scale


def find_bursts(created_ms: np.ndarray, clustered: np.ndarray,
                params: CoordinationParams) -> list[Burst]:
    """Bursts among dated posts. `clustered[i]` is True when post i is in a near-dup cluster."""
    dated = created_ms[created_ms != np.iinfo(np.int64).min]
    if len(dated) < 2:
        return []
    in_cluster = clustered[created_ms != np.iinfo(np.int64).min]
    start = int(dated.min()) // MINUTE_MS
    minute = dated // MINUTE_MS - start
    counts = np.bincount(minute)
    clustered_counts = np.bincount(minute, weights=in_cluster.astype(np.float64),
                                   minlength=len(counts))
    median, scale = minute_baseline(counts, params.burst_baseline_min)
    z = (counts - median) / scale
    hot = (z >= params.burst_z) & (counts - median >= params.burst_min_excess)
    bursts = []
    hot_minutes = np.flatnonzero(hot)
    if len(hot_minutes) == 0:
        return []
    breaks = np.flatnonzero(np.diff(hot_minutes) > 2)
    for first, last in zip(np.concatenate(([0], breaks + 1)),
                           np.concatenate((breaks, [len(hot_minutes) - 1])), strict=True):
        lo, hi = int(hot_minutes[first]), int(hot_minutes[last]) + 1
        span = slice(lo, hi)
        peak = lo + int(np.argmax(counts[span]))
        bursts.append(Burst(
            start_ms=(start + lo) * MINUTE_MS,
            end_ms=(start + hi) * MINUTE_MS,
            posts=int(counts[span].sum()),
            expected=float(median[span].sum()),
            peak_per_minute=int(counts[peak]),
            peak_z=float(z[span].max()),
            clustered_posts=int(clustered_counts[span].sum()),
        ))
    return bursts
