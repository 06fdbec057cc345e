"""Watch mode: rounds every N, only what is new, one status line per round (counts, never
text), support-only notifications, a failed round retried, and the analyse/triage hook."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Sequence

import pytest

from pileon.collect.run import CollectOptions
from pileon.collect.watch import RoundReport, Verdicts, parse_every, status_line, watch
from pileon.commands.collect import _after_round
from pileon.errors import CollectError

from . import payloads as p
from .conftest import FakeClock
from .server import ReplayServer, Reply

API = "/api/v1/statuses/"
NEW = "116226990000000000"


def serve_masto(server: ReplayServer) -> None:
    server.route(API + p.MASTO_ROOT, Reply.json(p.masto_root(3)))
    server.route(API + p.MASTO_ROOT + "/context", Reply.json(p.masto_context()))
    server.route("/api/v1/accounts", Reply.json([]))


def grown_context() -> dict:
    context = p.masto_context()
    context["descendants"].append(p.masto_status(NEW, p.MASTO_ROOT, template=1))
    return context


def texts(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT text FROM posts WHERE text != ''")]


def test_two_rounds_only_new_posts_counted_and_support_notified(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: FakeClock
) -> None:
    serve_masto(server)
    lines: list[str] = []
    notified: list[int] = []
    handed: list[Sequence[tuple[str, str]]] = []

    def report(done: RoundReport) -> None:
        lines.append(status_line(done))
        if done.number == 1:  # the pile-on grows between the two rounds
            server.route(API + p.MASTO_ROOT + "/context", Reply.json(grown_context()))

    def after(_conn: sqlite3.Connection, keys: Sequence[tuple[str, str]]) -> Verdicts:
        handed.append(keys)
        return Verdicts(abuse=len(keys) - 1, support=1)

    reports = watch(conn, p.MASTO_URL, options, every=300, rounds=2, after_round=after,
                    report=report, notify=notified.append, clock=clock)
    assert [len(r.result.new_posts) for r in reports if r.result] == [6, 1]
    assert handed[1] == (("mastodon", NEW),)
    assert "round 2: 1 new (1 reply), 0 new abuse (shielded), 1 new support" in lines[1]
    assert notified == [1, 1]
    assert 300.0 in clock.sleeps
    for line in lines:  # a status line never carries what anyone wrote
        assert not any(text[:20] in line for text in texts(conn))


def test_abuse_alone_never_notifies(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: FakeClock
) -> None:
    serve_masto(server)
    notified: list[int] = []
    watch(conn, p.MASTO_URL, options, every=60, rounds=1, clock=clock, notify=notified.append,
          after_round=lambda _c, keys: Verdicts(abuse=len(keys), support=0))
    assert notified == []


def test_a_round_the_network_breaks_is_retried_next_round(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: FakeClock
) -> None:
    serve_masto(server)
    lines: list[str] = []

    def report(done: RoundReport) -> None:
        lines.append(status_line(done))
        if done.number == 1:
            server.route(API + p.MASTO_ROOT + "/context", Reply.json(grown_context()))
            server.down()
        else:
            server.up()

    reports = watch(conn, p.MASTO_URL, options, every=60, rounds=3, report=report, clock=clock)
    assert reports[1].result is None and "network" in (reports[1].error or "")
    assert "trying again next round" in lines[1]
    assert reports[2].result is not None and reports[2].result.resumed
    assert reports[2].result.new_posts == (("mastodon", NEW),)


def test_after_round_says_when_the_classifier_is_missing(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_masto(server)
    monkeypatch.setitem(sys.modules, "pileon.analyze.run", None)  # import now fails
    [done] = watch(conn, p.MASTO_URL, options, every=60, rounds=1, clock=clock,
                   after_round=_after_round)
    assert done.verdicts == Verdicts(None, None, "not analysed: pileon analyze not available")
    line = status_line(done)
    assert "not analysed: pileon analyze not available" in line and "abuse" not in line
    # Triage still ran, so the review UI shows the new replies (in review, unanalysed).
    assert conn.execute("SELECT COUNT(*) FROM triage_runs").fetchone()[0] == 1


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("1h", 3600),
                                               ("90", 90), ("1.5m", 90)])
def test_every(text: str, seconds: float) -> None:
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["", "5x", "-1m", "0s", "soon"])
def test_every_rejects_nonsense(text: str) -> None:
    with pytest.raises(CollectError, match="is not a duration"):
        parse_every(text)
