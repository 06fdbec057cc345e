"""Thread databases for filing reports (`pileon report-to` and the review UI's filing pages):
the shared real-format fixtures, collected through the real live client from the loopback
server (Mastodon) or ingested by the real adapter (Bluesky), with posts marked as evidence."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent.parent))
from collect import payloads as p  # noqa: E402
from collect.server import ReplayServer, Reply  # noqa: E402

from pileon.cli import main  # noqa: E402
from pileon.collect.http import RetryPolicy  # noqa: E402
from pileon.collect.run import CollectOptions, collect_round  # noqa: E402
from pileon.store import connect  # noqa: E402

FORMATS = Path(__file__).parent.parent / "fixtures" / "formats"
KIRILL_M = "116217898729475729"  # the Mastodon fixture's abusive account
KIRILL_POSTS = ("116226744661635127", "116226864495542504")


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(main, list(args), env=env or {}, catch_exceptions=False)


def mastodon_thread(db: Path, server: ReplayServer) -> Path:
    """The Mastodon fixture thread collected through the user's instance (the loopback one),
    the abusive account's two posts marked as evidence."""
    server.route("/api/v1/statuses/" + p.MASTO_ROOT, Reply.json(p.masto_root(6)))
    server.route("/api/v1/statuses/" + p.MASTO_ROOT + "/context", Reply.json(p.masto_context()))
    conn = connect(db)
    collect_round(conn, p.MASTO_URL, CollectOptions(
        base_url=server.base_url, policy=RetryPolicy(attempts=1, min_interval=0.0)),
        say=lambda _: None)
    conn.close()
    server.requests.clear()
    for post in KIRILL_POSTS:
        assert run("decide", str(db), post, "--action", "evidence").exit_code == 0
    return db


def bluesky_thread(db: Path) -> Path:
    assert run("ingest", str(db), str(FORMATS / "bluesky_getPostThread.json")).exit_code == 0
    run("decide", str(db), p.KIRILL_POST, "--action", "evidence")
    return db
