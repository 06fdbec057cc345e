"""Reports to a Mastodon instance: one `POST /api/v1/reports` per reported account, with the
account's posts attached as `status_ids[]`, a category, the comment and `forward`.

Ids are the instance's own: a post collected through the user's instance carries them already;
a post seen elsewhere is looked up on the user's instance (`/api/v2/search?resolve=true`) when
the report is sent, and the dry run says so.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from pileon.errors import ReportError
from pileon.report.filing import PlannedReport, answer_json, report_comment
from pileon.store.filing import FilingRow, payload_source

__all__ = ["CATEGORIES", "COMMENT_LIMIT", "MastodonSender", "plan_mastodon"]

#: Mastodon's report categories (`legal` since 4.2; `violation` needs the instance's rule ids).
CATEGORIES = ("other", "spam", "legal", "violation")
#: Mastodon's default limit on a report's comment, in characters.
COMMENT_LIMIT = 1000
_LOOKUP = "(looked up on {host} when sent)"


def _local(conn: sqlite3.Connection, row: FilingRow, host: str) -> bool:
    """True when the post's ids are the user's instance's own (it was collected through it)."""
    source = payload_source(conn, row.raw_sha256) or ""
    return urlsplit(source).hostname == host


def plan_mastodon(conn: sqlite3.Connection, rows: Sequence[FilingRow], instance: str, *,
                  category: str, rule_ids: Sequence[str], forward: bool,
                  comment: str | None, target: str | None) -> list[PlannedReport]:
    """One planned report per account, its posts oldest first."""
    if category == "violation" and not rule_ids:
        raise ReportError("category violation needs the rules broken",
                          hint="add --rule ID for each of the instance's rules"
                               " (listed at INSTANCE/about), or use --category other")
    host = urlsplit(instance).hostname or ""
    by_account: dict[str, list[FilingRow]] = {}
    for row in rows:
        by_account.setdefault(row.author_id or "", []).append(row)
    planned = []
    for account_id, posts in by_account.items():
        if not account_id:
            raise ReportError("the post's author is not known, so it cannot be reported",
                              record=posts[0].url or posts[0].post_id)
        local = all(_local(conn, row, host) for row in posts)
        lookup = _LOOKUP.format(host=host)
        body: dict[str, Any] = {
            "account_id": account_id if local else lookup,
            "status_ids": [row.post_id for row in posts] if local else [lookup] * len(posts),
            "comment": report_comment(posts, target, comment, COMMENT_LIMIT),
            "category": category,
            "forward": forward,
        }
        if category == "violation":
            body["rule_ids"] = list(rule_ids)
        handle = posts[0].handle
        planned.append(PlannedReport(
            "POST", f"{instance}/api/v1/reports", body, tuple(posts),
            f"@{handle}" if handle else account_id,
            {"Authorization": "Bearer (your token)"},
            () if local else ("account_id", "status_ids")))
    return planned


class MastodonSender:
    """Sends planned reports with the user's token (kept in memory only)."""

    def __init__(self, instance: str, token: str, client: httpx.Client) -> None:
        self._instance = instance
        self._host = urlsplit(instance).hostname or instance
        self._headers = {"Authorization": f"Bearer {token}"}
        self._client = client

    def __call__(self, report: PlannedReport, done: int,
                 total: int) -> tuple[str, bytes, dict[str, Any]]:
        body = dict(report.body)
        if report.pending:
            account, statuses = self._look_up(report, done, total)
            body["account_id"], body["status_ids"] = account, statuses
        response = self._request("POST", f"{self._instance}/api/v1/reports", report, done,
                                 total, json=body)
        answer = answer_json(response, self._host, done, total, report.account)
        report_id = answer.get("id")
        if not isinstance(report_id, str | int) or isinstance(report_id, bool):
            raise ReportError(f"{self._host} answered without a report id", record=report.account,
                              hint="the report may have been filed: check the instance's"
                                   " reports before running again (it was not logged)")
        return str(report_id), response.content, body

    def _look_up(self, report: PlannedReport, done: int,
                 total: int) -> tuple[str, list[str]]:
        account: str | None = None
        statuses = []
        for row in report.rows:
            address = row.uri or row.url
            response = self._request("GET", f"{self._instance}/api/v2/search", report, done,
                                     total, params={"q": address or "", "type": "statuses",
                                                    "resolve": "true", "limit": "1"})
            found = answer_json(response, self._host, done, total, address or row.post_id)
            hits = found.get("statuses")
            if not isinstance(hits, list) or not hits or not isinstance(hits[0], dict):
                raise ReportError(f"{self._host} does not know this post (deleted, or not"
                                  " federated to your instance)", record=address or row.post_id,
                                  hint=f"leave it out with --post, or report it on its own"
                                       f" instance; {done} of {total} report(s) filed")
            statuses.append(str(hits[0].get("id")))
            author = hits[0].get("account")
            if isinstance(author, dict) and author.get("id") is not None:
                account = account or str(author["id"])
        if account is None:
            raise ReportError(f"{self._host} did not say who wrote the post",
                              record=report.account)
        return account, statuses

    def _request(self, method: str, url: str, report: PlannedReport, done: int, total: int,
                 **kwargs: Any) -> httpx.Response:
        try:
            return self._client.request(method, url, headers=self._headers, **kwargs)
        except httpx.HTTPError as exc:
            raise ReportError(f"cannot reach {self._host} ({type(exc).__name__})",
                              record=report.account,
                              hint=f"check the address and your connection; {done} of {total}"
                                   " report(s) filed and logged") from exc
