"""Bursts against the thread's own baseline: a planted spike is found, noise is not."""

from __future__ import annotations

import numpy as np

from pileon.coordinate.bursts import MINUTE_MS, find_bursts
from pileon.coordinate.results import CoordinationParams

START = 1_773_468_000_000


def _times(per_minute: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    minutes = np.repeat(np.arange(len(per_minute)), per_minute)
    return START + minutes * MINUTE_MS + rng.integers(0, MINUTE_MS, len(minutes))


def test_steady_poisson_traffic_has_no_bursts() -> None:
    rng = np.random.default_rng(1)
    for rate in (0.5, 3, 40):
        times = _times(rng.poisson(rate, 2880), rng)
        assert find_bursts(times, np.zeros(len(times), bool), CoordinationParams()) == []


def test_a_spike_on_a_slow_decay_is_one_burst_with_its_size() -> None:
    rng = np.random.default_rng(2)
    rate = 30 * np.exp(-np.arange(2880) / 600) + 1
    counts = rng.poisson(rate)
    counts[900:905] += 40  # 200 extra posts in five minutes, 15 hours in
    times = _times(counts, rng)
    clustered = np.zeros(len(times), bool)
    (burst,) = find_bursts(times, clustered, CoordinationParams())
    assert burst.start_ms == START + 900 * MINUTE_MS
    assert burst.end_ms == START + 905 * MINUTE_MS
    assert 190 <= burst.posts - burst.expected <= 215


def test_undated_posts_are_ignored() -> None:
    times = np.array([np.iinfo(np.int64).min, START], dtype=np.int64)
    assert find_bursts(times, np.zeros(2, bool), CoordinationParams()) == []
