"""`pileon collect` and `pileon watch`: fetch a post's replies, quotes and mentions live, once or
every N minutes, archiving every response; credentials only ever come from environment variables.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from pileon.collect.http import RetryPolicy
from pileon.collect.run import CollectOptions, CollectResult, collect_round, make_collector
from pileon.collect.urls import SUPPORTED_FORMS, parse_post_url
from pileon.collect.watch import (
    RoundReport,
    Verdicts,
    kinds_text,
    parse_every,
    status_line,
    watch,
)
from pileon.collect.x import POST_READ_USD, PRICE_SOURCE, USER_READ_USD, CostBudget
from pileon.commands.output import console, print_json
from pileon.store import connect
from pileon.store.collect import folder_counts_for

__all__ = ["COMMANDS"]

_FORMS = "\b\n" + "\n".join(f"    {form}" for form in SUPPORTED_FORMS)


def _options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options `collect` and `watch` share."""
    options = [
        click.option("--base-url", metavar="URL",
                     help="API base URL instead of the platform's (a self-hosted Mastodon, a"
                          " Bluesky AppView or PDS, a test server)."),
        click.option("--x-bearer-token-env", "x_token_env", default="X_BEARER_TOKEN",
                     show_default=True, metavar="VAR",
                     help="Environment variable holding your X API bearer token."),
        click.option("--max-cost", type=click.FloatRange(min=0), default=5.0, show_default=True,
                     metavar="USD", help="X only: stop before reads could cost more than this."),
        click.option("--x-post-price", type=click.FloatRange(min=0), default=POST_READ_USD,
                     show_default=True, metavar="USD",
                     help=f"X price per post read ({PRICE_SOURCE})."),
        click.option("--x-user-price", type=click.FloatRange(min=0), default=USER_READ_USD,
                     show_default=True, metavar="USD", help="X price per user read."),
        click.option("--mastodon-token-env", metavar="VAR",
                     help="Environment variable holding your Mastodon access token (full"
                          " threads past the public cap, quotes, mentions)."),
        click.option("--bsky-app-password-env", metavar="VAR",
                     help="Environment variable holding a Bluesky app password (mentions,"
                          " notifications)."),
        click.option("--bsky-login", metavar="HANDLE",
                     help="Bluesky account to log in as (default: the post's author)."),
        click.option("--bsky-pds-url", metavar="URL",
                     help="Bluesky server to log in at (default: https://bsky.social)."),
        click.option("--mentions", is_flag=True,
                     help="Also collect mentions of the author that are not replies."),
        click.option("--quote-threads", is_flag=True,
                     help="Bluesky: also the replies under each quote post, and quotes of"
                          " quotes (one more request per quote post that has any)."),
        click.option("--bsky-proofs", is_flag=True,
                     help="Bluesky: also keep each post's signed proof (com.atproto.sync."
                          "getRecord, a CAR file) and its author's DID document, so `pileon"
                          " verify` can check the post's CID and signature offline (two more"
                          " requests per post, one per author)."),
        click.option("--bsky-plc-url", metavar="URL",
                     help="DID directory for did:plc documents (default:"
                          " https://plc.directory)."),
        click.option("--rate", type=click.FloatRange(min=0), default=1.0, show_default=True,
                     metavar="SECONDS", help="At least this long between two requests."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _collect_options(kw: dict[str, Any]) -> tuple[CollectOptions, CostBudget]:
    options = CollectOptions(
        base_url=kw["base_url"],
        x_token_env=kw["x_token_env"],
        mastodon_token_env=kw["mastodon_token_env"],
        bsky_app_password_env=kw["bsky_app_password_env"],
        bsky_login=kw["bsky_login"],
        bsky_pds_url=kw["bsky_pds_url"],
        mentions=kw["mentions"],
        quote_threads=kw["quote_threads"],
        bsky_proofs=kw["bsky_proofs"],
        bsky_plc_url=kw["bsky_plc_url"],
        policy=RetryPolicy(min_interval=kw["rate"]),
    )
    budget = CostBudget(kw["max_cost"], post_usd=kw["x_post_price"], user_usd=kw["x_user_price"])
    return options, budget


def _check_first(url: str, options: CollectOptions, budget: CostBudget) -> None:
    """A URL pileon cannot read or a missing credential fails before the database is touched."""
    make_collector(parse_post_url(url), options, budget)


def _result_json(result: CollectResult) -> dict[str, Any]:
    record = asdict(result)
    record["new_posts"] = [post_id for _, post_id in result.new_posts]
    return record


def _say_result(result: CollectResult) -> None:
    kinds = kinds_text(result.new_by_kind)
    console.print(
        f"{result.platform} {result.root_id}: {result.posts_seen} posts seen this round,"
        f" {len(result.new_posts)} new" + (f" ({kinds})" if kinds else "")
        + f", {len(result.deleted)} newly deleted at source; {result.requests} requests"
        + (f"; X spend ${result.cost_usd:.2f}" if result.cost_usd is not None else "")
        + ("" if result.complete else "; [yellow]stopped early: run again to continue[/]"),
        soft_wrap=True,
    )


def _interrupted() -> None:
    click.echo("interrupted: everything fetched so far is stored; run the same command again"
               " to resume.", err=True)
    sys.exit(130)


@click.command()
@click.argument("db", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("url")
@_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def collect(db: Path, url: str, as_json: bool, quiet: bool, **kw: Any) -> None:
    """Collect the replies (whole tree), quotes and optionally mentions of the post at URL.

    Every response is archived byte for byte with its SHA-256, URL and headers. An interrupted
    collect resumes where it stopped; running it again later adds what is new and marks
    posts that vanished as deleted at source (they stay in the archive). Supported URLs:

    {forms}
    """
    options, budget = _collect_options(kw)
    _check_first(url, options, budget)
    say = (lambda _m: None) if quiet or as_json else (lambda m: console.print(m, soft_wrap=True))
    conn = connect(db)
    try:
        result = collect_round(conn, url, options, say=say, budget=budget)
    except KeyboardInterrupt:
        _interrupted()
        return
    finally:
        conn.close()
    if as_json:
        print_json(_result_json(result))
    elif not quiet:
        _say_result(result)


def _after_round(conn: sqlite3.Connection, keys: Sequence[tuple[str, str]]) -> Verdicts:
    """The one pipeline's live round (analyze, coordination, triage), then this round's counts."""
    from pileon.pipeline import run_live_round

    note = run_live_round(conn)
    counts = folder_counts_for(conn, keys) or {}
    if note is not None:
        return Verdicts(None, None, note)
    return Verdicts(counts.get("shielded", 0), counts.get("support", 0))


def _notify(count: int) -> None:
    """A bell, and a desktop notification where there is one: support only, counts only."""
    message = f"{count} new supportive repl{'y' if count == 1 else 'ies'}"
    click.echo("\a", nl=False, err=True)
    sender = shutil.which("notify-send")
    if sender:
        subprocess.run([sender, "pileon", message], check=False, timeout=10,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@click.command("watch")
@click.argument("db", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("url")
@click.option("--every", default="5m", show_default=True, metavar="DURATION",
              help="Time between rounds: 30s, 5m, 1h.")
@click.option("--rounds", type=click.IntRange(min=1), metavar="N",
              help="Stop after N rounds (default: until Ctrl-C).")
@click.option("--notify", is_flag=True,
              help="Bell / desktop notification when new support arrives (never abuse).")
@click.option("--analyze/--no-analyze", "analyse", default=True, show_default=True,
              help="Analyse and triage new posts after each round.")
@_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per round.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def watch_command(db: Path, url: str, every: str, rounds: int | None, notify: bool,
                  analyse: bool, as_json: bool, quiet: bool, **kw: Any) -> None:
    """Collect around the post at URL every --every while the pile-on grows.

    Each round fetches only what is new, has it analysed and triaged (when pileon analyze is
    available) and prints one line: new posts, new abuse, new support. Ctrl-C is safe: what
    was fetched is stored and the next watch or collect resumes.
    """
    seconds = parse_every(every)
    options, budget = _collect_options(kw)
    _check_first(url, options, budget)
    say = (lambda _m: None) if quiet or as_json else (lambda m: console.print(m, soft_wrap=True))

    def report(done: RoundReport) -> None:
        if as_json:
            print_json({"round": done.number, "at": done.at.isoformat(), "error": done.error,
                        "abuse": done.verdicts.abuse, "support": done.verdicts.support,
                        "note": done.verdicts.note,
                        "result": _result_json(done.result) if done.result else None})
        elif not quiet:
            click.echo(status_line(done))

    conn = connect(db)
    try:
        watch(conn, url, options, every=seconds, rounds=rounds, budget=budget,
              after_round=_after_round if analyse else None, report=report,
              notify=_notify if notify else None, say=say)
    except KeyboardInterrupt:
        _interrupted()
    finally:
        conn.close()


collect.help = (collect.help or "").replace("{forms}", _FORMS)
COMMANDS = [collect, watch_command]
