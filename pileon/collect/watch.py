"""Watching a pile-on that is still growing: one collection round every N, what is new handed
to the later stages (through a hook, so collect never imports them), one status line per round.
Ctrl-C between or inside rounds loses nothing: every page is stored as it arrives.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pileon.collect.http import Clock, SystemClock
from pileon.collect.run import CollectOptions, CollectResult, collect_round
from pileon.collect.x import CostBudget
from pileon.errors import CollectError, NetworkError

__all__ = ["RoundReport", "Verdicts", "kinds_text", "parse_every", "status_line", "watch"]

_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h)?\s*$")
_UNIT = {None: 1.0, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


def parse_every(text: str) -> float:
    """'30s', '5m', '1h' (or plain seconds) as seconds."""
    match = _EVERY.match(text.lower())
    if not match or float(match.group(1)) <= 0:
        raise CollectError(f"--every {text!r} is not a duration", hint="use e.g. 30s, 5m or 1h")
    return float(match.group(1)) * _UNIT[match.group(2)]


_PLURAL = {"reply": "replies"}


def kinds_text(by_kind: dict[str, int]) -> str:
    """{'reply': 3, 'quote': 1} -> '3 replies, 1 quote'."""
    return ", ".join(f"{n} {k if n == 1 else _PLURAL.get(k, k + 's')}" for k, n in by_kind.items())


@dataclass(frozen=True, slots=True)
class Verdicts:
    """What the later stages made of a round's new posts (None: not analysed)."""

    abuse: int | None
    support: int | None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class RoundReport:
    number: int
    at: datetime
    result: CollectResult | None
    verdicts: Verdicts
    error: str | None = None  # a round that failed for a while (network); the next one retries


def _now() -> datetime:
    """Local time with its offset: the status line speaks the user's clock."""
    return datetime.now().astimezone()


AfterRound = Callable[[sqlite3.Connection, Sequence[tuple[str, str]]], Verdicts]


def status_line(report: RoundReport) -> str:
    """One line per round: counts only, never the text of a post."""
    head = f"[{report.at.strftime('%H:%M:%S')}] round {report.number}:"
    if report.result is None:
        return f"{head} {report.error}; trying again next round"
    r = report.result
    new = len(r.new_posts)
    kinds = kinds_text(r.new_by_kind)
    parts = [f"{new} new" + (f" ({kinds})" if kinds else "")]
    v = report.verdicts
    if v.abuse is not None and v.support is not None:
        parts.append(f"{v.abuse} new abuse (shielded)")
        parts.append(f"{v.support} new support")
    if r.deleted:
        parts.append(f"{len(r.deleted)} deleted at source")
    if r.cost_usd is not None:
        parts.append(f"X spend ${r.cost_usd:.2f}")
    line = f"{head} " + ", ".join(parts)
    if v.note:
        line += f"; {v.note}"
    if not r.complete:
        line += "; stopped early (see above), state saved"
    return line


def watch(
    conn: sqlite3.Connection,
    url: str,
    options: CollectOptions,
    *,
    every: float,
    rounds: int | None = None,
    budget: CostBudget | None = None,
    after_round: AfterRound | None = None,
    report: Callable[[RoundReport], None] | None = None,
    notify: Callable[[int], None] | None = None,
    clock: Clock | None = None,
    say: Callable[[str], None] | None = None,
) -> list[RoundReport]:
    """Collect every `every` seconds until `rounds` are done (None: until Ctrl-C)."""
    clock = clock or SystemClock()
    budget = budget or CostBudget(5.0)  # one X budget for the whole watch, not per round
    reports: list[RoundReport] = []
    number = 0
    while rounds is None or number < rounds:
        number += 1
        started = clock.monotonic()
        try:
            result = collect_round(conn, url, options, clock=clock, say=say, budget=budget)
        except NetworkError as exc:
            done = RoundReport(number, _now(), None, Verdicts(None, None), str(exc))
        else:
            verdicts = Verdicts(0, 0) if after_round is not None else Verdicts(None, None)
            if after_round is not None and result.new_posts:
                verdicts = after_round(conn, result.new_posts)
            done = RoundReport(number, _now(), result, verdicts)
            if notify is not None and verdicts.support:
                notify(verdicts.support)
        reports.append(done)
        if report is not None:
            report(done)
        if done.result is not None and not done.result.complete:
            break  # stopped by --max-cost: watching on would only stop again
        if rounds is not None and number >= rounds:
            break
        clock.sleep(max(0.0, every - (clock.monotonic() - started)))
    return reports
