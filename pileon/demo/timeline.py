"""When replies arrive: a viral curve over ~48 hours (fast rise, long decay, day/night rhythm).

Post i of n gets the time at quantile (i + u) / n of the curve, so times rise with i and any
post's time can be computed alone, without generating the posts before it.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from datetime import UTC, datetime

__all__ = ["ROOT_AT", "ViralCurve", "iso_ms", "iso_s"]

#: When the author posted (10:05 in Baku, UTC+4).
ROOT_AT = datetime(2026, 3, 14, 6, 5, 41, tzinfo=UTC)
_ROOT_MS = int(ROOT_AT.timestamp() * 1000)


class ViralCurve:
    """Arrival intensity per minute after the root post, and its inverse CDF."""

    def __init__(self, hours: float = 48.0, rise_h: float = 0.9, decay_h: float = 9.0,
                 local_utc_offset_h: float = 4.0) -> None:
        self.minutes = int(hours * 60)
        weights = []
        for minute in range(self.minutes):
            t_h = (minute + 0.5) / 60
            viral = (1 - math.exp(-t_h / rise_h)) * (math.exp(-t_h / decay_h) + 0.04)
            local_h = (ROOT_AT.hour + ROOT_AT.minute / 60 + t_h + local_utc_offset_h) % 24
            # Quietest around 4 a.m. local time, busiest in the late afternoon.
            awake = 0.55 + 0.45 * math.cos(2 * math.pi * (local_h - 16) / 24)
            weights.append(viral * awake)
        total = sum(weights)
        self._cumulative: list[float] = []
        running = 0.0
        for weight in weights:
            running += weight / total
            self._cumulative.append(running)
        self._cumulative[-1] = 1.0

    def offset_ms(self, quantile: float) -> int:
        """Milliseconds after the root post at which `quantile` of all replies have arrived."""
        quantile = min(max(quantile, 0.0), 1.0)
        minute = min(bisect_right(self._cumulative, quantile), self.minutes - 1)
        before = self._cumulative[minute - 1] if minute else 0.0
        span = self._cumulative[minute] - before
        within = (quantile - before) / span if span > 0 else 0.5
        return 90_000 + int((minute + min(max(within, 0.0), 1.0)) * 60_000)

    def at_ms(self, quantile: float) -> int:
        return _ROOT_MS + self.offset_ms(quantile)


def iso_s(epoch_ms: int) -> str:
    """X style: second precision with `.000Z`."""
    return datetime.fromtimestamp(epoch_ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def iso_ms(epoch_ms: int) -> str:
    """Bluesky / Mastodon style: millisecond precision."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"
