"""Which posts to report to a platform, and what every filing platform shares: the planned
request (printed in a dry run, exactly as it would be sent), clear errors for each way a
platform can answer badly, and one custody-log line per report the platform accepted.

Platform modules (`to_mastodon`, `to_bluesky`) plan and send; this module selects and logs.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from pileon.errors import ReportError
from pileon.records import ABUSIVE_LABELS
from pileon.store.db import transaction
from pileon.store.evidence import log_custody
from pileon.store.filing import FILED_ACTION, FilingRow, filed_posts, filing_rows
from pileon.store.report import evidence_keys, find_post, folder_keys, thread_roots
from pileon.store.triage import latest_run

__all__ = ["CONCERN_ORDER", "FiledReport", "PlannedReport", "Selection", "answer_json",
           "check_service_url", "file_reports", "post_categories", "report_comment", "select_posts",
           "thread_target",
           "worst_category"]

#: Most concerning first, as victim-support guides rank abuse (the report uses the same order).
CONCERN_ORDER: tuple[str, ...] = ("threat", "sexual_harassment", "identity_attack",
                                  "atrocity_denial", "identity_denial", "bad_faith", "insult",
                                  "ridicule", "profanity")


@dataclass(frozen=True, slots=True)
class Selection:
    """What the user chose: posts marked as evidence, whole folders, and/or named posts."""

    evidence: bool = False
    folders: tuple[str, ...] = ()
    posts: tuple[str, ...] = ()  # ids, URIs or URLs
    again: bool = False  # file again posts already filed on this platform


@dataclass(frozen=True, slots=True)
class PlannedReport:
    """One report as it will be sent: the exact JSON body, and the posts behind it."""

    method: str
    url: str
    body: dict[str, Any]
    rows: tuple[FilingRow, ...]
    account: str  # the reported account, as the user knows it (@handle or id)
    headers: Mapping[str, str] = field(default_factory=dict)  # never the token: added on send
    pending: tuple[str, ...] = ()  # fields looked up on the platform when sent


@dataclass(frozen=True, slots=True)
class FiledReport:
    planned: PlannedReport
    report_id: str
    answer_sha256: str


def post_categories(row: FilingRow) -> list[str]:
    """The post's abusive labels, most concerning first (its deciding category leading)."""
    found = {label for label in row.labels if label in ABUSIVE_LABELS}
    if row.category:
        found.add(row.category)
    return [c for c in CONCERN_ORDER if c in found]


def worst_category(rows: Iterable[FilingRow]) -> str | None:
    found = {c for row in rows for c in post_categories(row)}
    return next((c for c in CONCERN_ORDER if c in found), None)


def select_posts(conn: sqlite3.Connection, platform: str,
                 selection: Selection) -> tuple[list[FilingRow], dict[str, str]]:
    """The selected posts of `platform`, without the author's own posts and (unless `again`)
    without posts already filed; also returns post id -> report id of those left out as filed."""
    keys: list[tuple[str, str]] = []
    run = latest_run(conn)
    if selection.folders:
        if run is None:
            raise ReportError("no triage run: folders are not known yet",
                              hint="run `pileon triage DB` first, or name posts with --post")
        keys.extend(folder_keys(conn, int(run["id"]), selection.folders))
    for ref in selection.posts:
        found = find_post(conn, ref)
        if not found:
            raise ReportError("no such post in the database", record=ref,
                              hint="give an id, URI or URL as `pileon show` prints it")
        keys.extend(found)
    if selection.evidence or not (selection.folders or selection.posts):
        keys.extend(evidence_keys(conn))
    keys = [k for k in keys if k[0] == platform]
    own = {(r.platform, r.author_id) for r in thread_roots(conn)}
    rows = [r for r in filing_rows(conn, keys, int(run["id"]) if run is not None else None)
            if (r.platform, r.author_id) not in own]
    if not rows:
        raise ReportError(f"no {platform} posts selected",
                          hint="mark posts as evidence (`pileon decide DB ID --action evidence`"
                               " or in the review UI), or use --folder shielded / --post ID")
    filed = filed_posts(conn, platform)
    skipped = {r.post_id: filed[r.post_id] for r in rows if r.post_id in filed}
    if not selection.again:
        rows = [r for r in rows if r.post_id not in filed]
    return rows, skipped


def check_service_url(url: str, what: str) -> str:
    """`url` without a trailing slash; plain http only to this machine (a token never travels
    unencrypted over a network)."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ReportError(f"{what} is not a web address", record=url,
                          hint="give it as https://host")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ReportError(f"{what} must use https (your token would travel unencrypted)",
                          record=url)
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def answer_json(response: httpx.Response, host: str, done: int, total: int,
                subject: str) -> dict[str, Any]:
    """The platform's JSON answer, or a ReportError saying in one line what went wrong and
    what was (and was not) filed."""
    later = (f"{done} of {total} report(s) filed and logged; run the same command again later:"
             " posts already filed are skipped")
    status = response.status_code
    if status in (401, 403):
        raise ReportError(f"{host} refused your credentials (HTTP {status})", record=subject,
                          hint=f"check the token or app password; {later}")
    if status == 429:
        wait = response.headers.get("Retry-After")
        reset = f", Retry-After {wait} s" if wait else ""
        raise ReportError(f"{host} is limiting how fast reports are filed (HTTP 429{reset})",
                          record=subject, hint=later)
    if status >= 500:
        raise ReportError(f"{host} failed (HTTP {status})", record=subject, hint=later)
    try:
        body = response.json()
    except ValueError:
        body = None
    if status >= 400:
        said = ""
        if isinstance(body, dict):
            said = str(body.get("error") or body.get("message") or "")[:200]
        raise ReportError(f"{host} rejected the report (HTTP {status}{': ' + said if said else ''})",
                          record=subject, hint=later)
    if not isinstance(body, dict):
        raise ReportError(f"{host} answered HTTP {status} with something that is not a JSON"
                          " object", record=subject,
                          hint=f"the report may have been filed: check the platform before"
                               f" running again (it was not logged); {later}")
    return body


def file_reports(conn: sqlite3.Connection, platform: str, service: str,
                 planned: Sequence[PlannedReport],
                 send: Callable[[PlannedReport, int, int], tuple[str, bytes, dict[str, Any]]],
                 ) -> list[FiledReport]:
    """Send each planned report; log each one the platform accepted, right after it did.

    A failure stops the run with one clear line; what was filed before it stays logged, and
    nothing is logged for the report that failed.
    """
    filed: list[FiledReport] = []
    for report in planned:
        report_id, answer, body = send(report, len(filed), len(planned))
        result = FiledReport(report, report_id, hashlib.sha256(answer).hexdigest())
        sent = json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")
        raw = [row.raw_sha256 for row in report.rows]
        with transaction(conn):
            log_custody(conn, FILED_ACTION, {
                "platform": platform, "service": service, "report_id": report_id,
                "account": report.account, "post_ids": [row.post_id for row in report.rows],
                "urls": [row.url or row.uri for row in report.rows],
                "request": body,
                "request_sha256": hashlib.sha256(sent).hexdigest(),
            }, raw, read=raw, wrote=[result.answer_sha256])
        filed.append(result)
    return filed


def report_comment(rows: Sequence[FilingRow], target: str | None, extra: str | None,
                   limit: int) -> str:
    """The text a platform's moderators read with the report: the user's own words first,
    then what pileon found, in plain English (moderation teams read English), cut to `limit`."""
    categories = sorted({c for row in rows for c in post_categories(row)},
                        key=CONCERN_ORDER.index)
    found = (f"{len(rows)} post(s) aimed at {target}" if target else f"{len(rows)} post(s)")
    if categories:
        found += ": " + ", ".join(c.replace("_", " ") for c in categories)
    found += (". Part of a pile-on; gathered with pileon, a local evidence tool. The reporter"
              " keeps a signed evidence file with the posts' original data.")
    text = f"{extra.strip()}\n\n{found}" if extra and extra.strip() else found
    return text if len(text) <= limit else text[: limit - 1] + "…"


def thread_target(conn: sqlite3.Connection, platform: str) -> str | None:
    """The targeted account (the thread root's author) as @handle, when known."""
    for root in thread_roots(conn):
        if root.platform == platform and root.handle:
            return f"@{root.handle}"
    return None
