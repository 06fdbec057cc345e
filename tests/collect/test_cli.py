"""`pileon collect` and `pileon watch` through click's CliRunner, against the loopback server."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pileon.cli import main

from . import payloads as p
from .server import ReplayServer, Reply
from .test_bluesky import serve_bluesky
from .test_watch import serve_masto

TOKEN = "xbt-" + "0123456789abcdef"


def run(*args: str, env: dict[str, str] | None = None) -> object:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_collect_bluesky_json(server: ReplayServer, db_path: Path) -> None:
    serve_bluesky(server)
    result = run("collect", str(db_path), p.BSKY_URL, "--base-url", server.base_url,
                 "--rate", "0", "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    record = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert record["platform"] == "bluesky" and record["complete"] is True
    # Five replies (the blocked one is a placeholder, not new content) and four quotes.
    assert record["root_id"] == p.BSKY_ROOT and len(record["new_posts"]) == 9
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM http_exchanges").fetchone()[0] == len(
            server.requests)


def test_collect_mastodon_says_one_line_and_the_public_limits(
    server: ReplayServer, db_path: Path
) -> None:
    serve_masto(server)
    result = run("collect", str(db_path), p.MASTO_URL, "--base-url", server.base_url,
                 "--rate", "0")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    out = result.output  # type: ignore[attr-defined]
    assert f"mastodon {p.MASTO_ROOT}: 8 posts seen this round, 6 new (6 replies)" in out
    assert "quotes not collected" in out


def test_collect_quiet_prints_nothing(server: ReplayServer, db_path: Path) -> None:
    serve_masto(server)
    result = run("collect", str(db_path), p.MASTO_URL, "--base-url", server.base_url,
                 "--rate", "0", "--quiet")
    assert result.exit_code == 0 and result.output == ""  # type: ignore[attr-defined]


def test_unknown_url_is_one_line_and_no_database_is_made(db_path: Path) -> None:
    result = CliRunner().invoke(main, ["collect", str(db_path), "https://example.com/a/b"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "pileon understands" in lines[0] and "bsky.app" in lines[0]
    assert "Traceback" not in result.output
    assert not db_path.exists()


def test_wrong_x_token_is_one_line_and_never_echoed(server: ReplayServer, db_path: Path) -> None:
    server.route(f"/2/tweets/{p.X_ROOT}", Reply.json(
        {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
        401))
    result = CliRunner().invoke(main, ["collect", str(db_path), p.X_URL, "--base-url",
                                       server.base_url, "--rate", "0",
                                       "--x-bearer-token-env", "X_TOKEN"],
                                env={"X_TOKEN": TOKEN})
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "$X_TOKEN" in lines[0] and "HTTP 401" in lines[0]
    assert TOKEN not in result.output
    assert TOKEN.encode() not in b"".join(f.read_bytes() for f in db_path.parent.glob("thread.db*"))


@pytest.mark.parametrize("every", ["1s"])
def test_watch_prints_one_status_line_per_round(server: ReplayServer, db_path: Path,
                                                every: str) -> None:
    serve_masto(server)
    result = run("watch", str(db_path), p.MASTO_URL, "--base-url", server.base_url, "--rate",
                 "0", "--every", every, "--rounds", "2", "--no-analyze")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    rounds = [line for line in result.stdout.splitlines() if "] round " in line]  # type: ignore[attr-defined]
    assert len(rounds) == 2
    assert "round 1: 6 new (6 replies)" in rounds[0]
    assert "round 2: 0 new" in rounds[1]


def test_watch_rejects_a_bad_duration(db_path: Path) -> None:
    result = CliRunner().invoke(main, ["watch", str(db_path), p.MASTO_URL, "--every", "often"])
    assert result.exit_code == 1 and "is not a duration" in result.output


def test_watch_without_analysis_claims_no_abuse_or_support_counts(
    server: ReplayServer, db_path: Path
) -> None:
    serve_masto(server)
    result = run("watch", str(db_path), p.MASTO_URL, "--base-url", server.base_url, "--rate",
                 "0", "--rounds", "1", "--no-analyze")
    assert "abuse" not in result.stdout and "support" not in result.stdout  # type: ignore[attr-defined]


def test_ctrl_c_in_watch_says_the_state_is_kept(server: ReplayServer, db_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import pileon.commands.collect as command

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(command, "watch", interrupted)
    result = CliRunner().invoke(main, ["watch", str(db_path), p.MASTO_URL, "--base-url",
                                       server.base_url])
    assert result.exit_code == 130
    assert "everything fetched so far is stored; run the same command again" in result.output
