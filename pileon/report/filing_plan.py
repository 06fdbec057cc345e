"""Planning and sending reports to a platform, once for the CLI (`pileon report-to`) and the
review UI: where to report (a `MastodonTarget` or `BlueskyTarget`), what (a `Selection`), the
plan a dry run shows, and the same plan sent with the user's secret.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field

import httpx

from pileon import __version__
from pileon.errors import ReportError
from pileon.report.filing import (
    FiledReport,
    PlannedReport,
    Selection,
    check_service_url,
    file_reports,
    select_posts,
    thread_target,
)
from pileon.store.filing import FilingRow

__all__ = ["BlueskyTarget", "FilingPlan", "MastodonTarget", "Target", "plan_filing", "send_filing"]

_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@dataclass(frozen=True, slots=True)
class MastodonTarget:
    instance: str
    category: str = "other"
    rules: tuple[str, ...] = ()
    forward: bool = True
    comment: str | None = None
    platform: str = "mastodon"


@dataclass(frozen=True, slots=True)
class BlueskyTarget:
    pds: str = "https://bsky.social"
    labeler: str = "did:plc:ar7c4by46qjdydhdevvrndac"
    legacy: bool = False
    comment: str | None = None
    handle: str | None = None  # the user's own handle or DID: needed to send, not to plan
    platform: str = "bluesky"


Target = MastodonTarget | BlueskyTarget


@dataclass(frozen=True, slots=True)
class FilingPlan:
    """What a dry run shows: the requests exactly as they will be sent, and what is left out."""

    platform: str
    service: str
    planned: tuple[PlannedReport, ...]
    already_filed: dict[str, str] = field(default_factory=dict)  # post id -> report id
    no_cid: tuple[FilingRow, ...] = ()  # Bluesky posts without a CID in their payload

    @property
    def posts(self) -> int:
        return sum(len(p.rows) for p in self.planned)

    @property
    def digest(self) -> str:
        """SHA-256 of the planned requests: a send checks it still plans what was shown."""
        shown = [[p.method, p.url, p.body] for p in self.planned]
        return hashlib.sha256(json.dumps(shown, sort_keys=True, ensure_ascii=False)
                              .encode("utf-8")).hexdigest()


def plan_filing(conn: sqlite3.Connection, target: Target, selection: Selection) -> FilingPlan:
    """The reports `target` would receive for `selection`; nothing is sent."""
    if isinstance(target, MastodonTarget):
        from pileon.report.to_mastodon import plan_mastodon

        base = check_service_url(target.instance, "--instance")
        rows, skipped = select_posts(conn, "mastodon", selection)
        planned = plan_mastodon(conn, rows, base, category=target.category,
                                rule_ids=target.rules, forward=target.forward,
                                comment=target.comment,
                                target=thread_target(conn, "mastodon")) if rows else []
        return FilingPlan("mastodon", base, tuple(planned), skipped)
    from pileon.report.to_bluesky import plan_bluesky

    base = check_service_url(target.pds, "--pds")
    if not target.labeler.startswith("did:"):
        raise ReportError("--labeler must be a DID", record=target.labeler)
    rows, skipped = select_posts(conn, "bluesky", selection)
    planned_b, unknown = plan_bluesky(conn, rows, base, labeler=target.labeler,
                                      comment=target.comment,
                                      target=thread_target(conn, "bluesky"),
                                      legacy=target.legacy) if rows else ([], [])
    if rows and not planned_b:
        raise ReportError("no selected Bluesky post has a CID in its raw payload",
                          hint="collect the thread with `pileon collect` (or ingest its"
                               " getPostThread JSON) and try again")
    return FilingPlan("bluesky", base, tuple(planned_b), skipped, tuple(unknown))


def _client() -> httpx.Client:
    return httpx.Client(timeout=_TIMEOUT, follow_redirects=False,
                        headers={"User-Agent": f"pileon/{__version__} (reports filed by the"
                                               " user)"})


def send_filing(conn: sqlite3.Connection, target: Target, plan: FilingPlan, secret: str,
                client: httpx.Client | None = None) -> list[FiledReport]:
    """File the planned reports with the user's token or app password (kept in memory only);
    each report the platform accepts is logged in the custody log right after it did."""
    own = client is None
    http = _client() if client is None else client
    try:
        if isinstance(target, MastodonTarget):
            from pileon.report.to_mastodon import MastodonSender

            return file_reports(conn, plan.platform, plan.service, plan.planned,
                                MastodonSender(plan.service, secret, http))
        from pileon.report.to_bluesky import BlueskySender

        if not target.handle:
            raise ReportError("sending to Bluesky needs your handle or DID",
                              hint="give --handle (your Bluesky handle or DID)")
        return file_reports(conn, plan.platform, plan.service, plan.planned,
                            BlueskySender(plan.service, target.handle, secret, target.labeler,
                                          http))
    finally:
        if own:
            http.close()
