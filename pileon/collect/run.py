"""Running one collection round for a post URL: choose the platform's client, read credentials
from the environment, resume an interrupted round, notice deletions, log custody.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pileon.collect.bluesky import BlueskyCollector
from pileon.collect.http import Clock, HttpClient, RetryPolicy
from pileon.collect.mastodon import MastodonCollector
from pileon.collect.round import CollectRound, Credential, Page
from pileon.collect.urls import PostRef, parse_post_url
from pileon.collect.x import CostBudget, CostStop, XCollector
from pileon.errors import CollectError
from pileon.store.collect import (
    RoundRow,
    finish_round,
    live_posts_seen_before,
    new_kinds_of_round,
    new_posts_of_round,
    open_round,
    round_seen,
)
from pileon.store.evidence import EvidenceWriter, IngestCounts, log_custody

__all__ = [
    "MAX_DELETION_CHECKS",
    "CollectOptions",
    "CollectResult",
    "Collector",
    "collect_round",
    "make_collector",
]

#: Posts checked for deletion per round at most (each check is a request; the rest wait).
MAX_DELETION_CHECKS = 500


class Collector(Protocol):
    platform: str
    version: str
    target: str
    root: str
    checks_deletions: bool

    @property
    def secrets(self) -> tuple[Credential, ...]: ...

    def prepare(self, rnd: CollectRound) -> None: ...

    def run(self, rnd: CollectRound) -> None: ...

    def confirm_gone(
        self, rnd: CollectRound, post_ids: Sequence[str]
    ) -> list[tuple[str, Page]]: ...


@dataclass(frozen=True, slots=True)
class CollectOptions:
    base_url: str | None = None
    x_token_env: str = "X_BEARER_TOKEN"
    mastodon_token_env: str | None = None
    bsky_app_password_env: str | None = None
    bsky_login: str | None = None
    bsky_pds_url: str | None = None
    mentions: bool = False
    quote_threads: bool = False
    bsky_proofs: bool = False
    bsky_plc_url: str | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass(frozen=True, slots=True)
class CollectResult:
    url: str
    platform: str
    target: str
    root_id: str
    round_id: int
    resumed: bool
    complete: bool  # False: stopped early (cost); the next run resumes this round
    requests: int
    posts_seen: int
    new_posts: tuple[tuple[str, str], ...]
    new_by_kind: dict[str, int]
    deleted: tuple[str, ...]
    notes: tuple[str, ...]
    cost_usd: float | None = None


def _secret(env_var: str | None, what: str) -> Credential | None:
    """The credential in $env_var; asking for one that is not set is an error, not a shrug."""
    if not env_var:
        return None
    value = os.environ.get(env_var, "").strip()
    if not value:
        raise CollectError(
            f"environment variable {env_var} is empty or not set; pileon reads {what} from it",
            hint=f"export {env_var}=… first (pileon never prints or stores it)",
        )
    return Credential(env_var, value)


def _flushed(writer: EvidenceWriter) -> IngestCounts:
    """Write what is pending after a failure; if even that fails, the custody line still goes."""
    with contextlib.suppress(BaseException):  # the original failure is on its way up already
        writer.flush()
    return writer.counts


def make_collector(ref: PostRef, options: CollectOptions, budget: CostBudget | None) -> Collector:
    """The platform's client, with credentials read from the environment (checked up front)."""
    if ref.platform == "bluesky":
        return BlueskyCollector(
            ref,
            base_url=options.base_url,
            pds_url=options.bsky_pds_url,
            app_password=_secret(options.bsky_app_password_env, "the Bluesky app password"),
            login=options.bsky_login,
            mentions=options.mentions,
            quote_threads=options.quote_threads,
            proofs=options.bsky_proofs,
            plc_url=options.bsky_plc_url,
        )
    if ref.platform == "mastodon":
        return MastodonCollector(
            ref,
            base_url=options.base_url,
            token=_secret(options.mastodon_token_env, "the Mastodon access token"),
            mentions=options.mentions,
        )
    token = _secret(options.x_token_env or "X_BEARER_TOKEN", "the X API bearer token")
    assert token is not None
    return XCollector(ref, token=token, budget=budget or CostBudget(5.0),
                      base_url=options.base_url, mentions=options.mentions)


def _check_deletions(rnd: CollectRound, collector: Collector) -> list[str]:
    """Posts earlier rounds saw and this one did not: ask for each; the gone ones are marked."""
    before = live_posts_seen_before(rnd.conn, rnd.round.target, rnd.round.id, collector.platform)
    missing = sorted(before - round_seen(rnd.conn, rnd.round.id) - {collector.root})
    if not missing:
        return []
    if len(missing) > MAX_DELETION_CHECKS:
        rnd.note(f"{len(missing) - MAX_DELETION_CHECKS} posts not checked for deletion this"
                 " round (checked next round)")
        missing = missing[:MAX_DELETION_CHECKS]
    deleted = []
    for post_id, page in collector.confirm_gone(rnd, missing):
        if rnd.mark_deleted(post_id, page):
            deleted.append(post_id)
    return deleted


def collect_round(
    conn: sqlite3.Connection,
    url: str,
    options: CollectOptions,
    *,
    clock: Clock | None = None,
    say: Callable[[str], None] | None = None,
    budget: CostBudget | None = None,
) -> CollectResult:
    """Collect (or resume collecting) around the post at `url`; one round, then return."""
    ref = parse_post_url(url)
    collector = make_collector(ref, options, budget)
    speak = say or (lambda _m: None)
    client = HttpClient(policy=options.policy, clock=clock, say=speak)
    writer = EvidenceWriter(conn, source=url, fmt=f"collect-{ref.platform}", group=1)
    rnd = CollectRound(conn, client, writer, None, platform=ref.platform,
                       adapter_version=collector.version, secrets=collector.secrets, say=speak)
    round_row: RoundRow | None = None
    complete, deleted, failure = False, [], ""
    try:
        collector.prepare(rnd)  # e.g. a Bluesky handle to its DID: the target's stable name
        round_row = open_round(conn, collector.target, ref.platform, collector.root, url)
        rnd.begin(round_row)
        if round_row.resumed:
            speak(f"resuming the interrupted round {round_row.id} for {url}")
        collector.run(rnd)
        if collector.checks_deletions:
            deleted = _check_deletions(rnd, collector)
        finish_round(conn, round_row.id, deleted=len(deleted), notes=rnd.notes)
        complete = True
    except CostStop as exc:
        rnd.note(str(exc))
        failure = "cost"
    except CollectError as exc:
        failure = rnd.scrub(str(exc))
        raise
    except KeyboardInterrupt:
        failure = "interrupted"
        raise
    except Exception as exc:
        failure = type(exc).__name__
        raise
    finally:
        client.close()
        # An ingest run left unfinished tells `pileon stats` that something was cut short.
        counts = writer.finish() if complete else _flushed(writer)
        seen = round_seen(conn, round_row.id) if round_row is not None else set()
        cost = getattr(collector, "budget", None)
        log_custody(conn, "collect", {
            "url": url,
            "target": collector.target,
            "round": round_row.id if round_row is not None else None,
            "resumed": round_row.resumed if round_row is not None else False,
            "complete": complete,
            "stopped": failure or None,
            "requests": client.requests,
            "payloads_new": counts.payloads_new,
            "posts_seen": len(seen),
            "deleted_at_source": deleted,
            "notes": rnd.notes,
            "cost_usd": round(cost.spent_usd, 4) if cost is not None else None,
        }, rnd.fetched_sha256s, wrote=writer.payloads_new)
    assert round_row is not None  # every path that leaves it None has raised
    return CollectResult(
        url=url, platform=ref.platform, target=collector.target, root_id=collector.root,
        round_id=round_row.id, resumed=round_row.resumed, complete=complete,
        requests=client.requests, posts_seen=len(seen),
        new_posts=tuple(new_posts_of_round(conn, round_row.id)),
        new_by_kind=new_kinds_of_round(conn, round_row.id), deleted=tuple(deleted),
        notes=tuple(rnd.notes),
        cost_usd=round(cost.spent_usd, 4) if cost is not None else None,
    )
