"""Reports to Bluesky: a session on the user's PDS with an app password
(`com.atproto.server.createSession`), then one `com.atproto.moderation.createReport` per post,
its subject a strong reference (the post's AT URI and CID), proxied by the PDS to the
moderation service named in the `atproto-proxy` header.

The CID comes from the raw payload the post was ingested from, so what is reported is exactly
the version of the post that was archived.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from pileon.errors import ReportError
from pileon.report.filing import PlannedReport, answer_json, post_categories, report_comment
from pileon.store.filing import FilingRow
from pileon.store.report import raw_payload

__all__ = ["BLUESKY_MODERATION", "BlueskySender", "REASON_LIMIT", "plan_bluesky", "reason_type"]

#: Bluesky's own moderation service; reports are proxied to it unless --labeler names another.
BLUESKY_MODERATION = "did:plc:ar7c4by46qjdydhdevvrndac"
#: createReport's `reason`: at most 2,000 graphemes (characters here, a safe reading).
REASON_LIMIT = 2000
_DEFS = "com.atproto.moderation.defs#"
#: pileon category -> the lexicon's reason; the first known in CONCERN order wins.
_REASONS = {"threat": "reasonThreat", "identity_attack": "reasonIntolerance",
            "atrocity_denial": "reasonIntolerance", "sexual_harassment": "reasonHarassment",
            "identity_denial": "reasonHarassment", "bad_faith": "reasonHarassment",
            "insult": "reasonHarassment", "ridicule": "reasonHarassment",
            "profanity": "reasonRude"}
#: The six reasons every moderation service knows (before the 2025 additions).
_LEGACY = {"reasonThreat": "reasonViolation", "reasonIntolerance": "reasonViolation",
           "reasonHarassment": "reasonRude"}


def reason_type(row: FilingRow, legacy: bool = False) -> str:
    categories = post_categories(row)
    reason = _REASONS.get(categories[0], "reasonOther") if categories else "reasonOther"
    return _DEFS + (_LEGACY.get(reason, reason) if legacy else reason)


def _records(node: Any) -> Iterator[dict[str, Any]]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("uri"), str) and isinstance(item.get("cid"), str):
                yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


class _Cids:
    """uri -> CID, read from the raw payloads the posts came from (each parsed once)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._found: dict[str, str] = {}
        self._read: set[str] = set()

    def cid(self, row: FilingRow) -> str | None:
        uri = row.uri or row.post_id
        if uri not in self._found and row.raw_sha256 not in self._read:
            self._read.add(row.raw_sha256)
            data = raw_payload(self._conn, row.raw_sha256)
            try:
                parsed = json.loads(data or b"null")
            except ValueError:
                parsed = None
            for record in _records(parsed):
                self._found.setdefault(record["uri"], record["cid"])
        return self._found.get(uri)


def plan_bluesky(conn: sqlite3.Connection, rows: Sequence[FilingRow], pds: str, *,
                 labeler: str, comment: str | None, target: str | None,
                 legacy: bool = False) -> tuple[list[PlannedReport], list[FilingRow]]:
    """One planned report per post; also the posts left out because no CID is known."""
    cids = _Cids(conn)
    planned, unknown = [], []
    for row in rows:
        uri = row.uri or row.post_id
        cid = cids.cid(row)
        if not uri.startswith("at://") or cid is None:
            unknown.append(row)
            continue
        body = {
            "reasonType": reason_type(row, legacy),
            "reason": report_comment([row], target, comment, REASON_LIMIT),
            "subject": {"$type": "com.atproto.repo.strongRef", "uri": uri, "cid": cid},
        }
        planned.append(PlannedReport(
            "POST", f"{pds}/xrpc/com.atproto.moderation.createReport", body, (row,),
            f"@{row.handle}" if row.handle else (row.author_id or uri),
            {"Authorization": "Bearer (session from your app password)",
             "atproto-proxy": f"{labeler}#atproto_labeler"}))
    return planned, unknown


class BlueskySender:
    """Opens one session with the app password (kept in memory only), then files reports."""

    def __init__(self, pds: str, identifier: str, password: str, labeler: str,
                 client: httpx.Client) -> None:
        self._pds = pds
        self._host = urlsplit(pds).hostname or pds
        self._identifier = identifier
        self._password = password
        self._labeler = labeler
        self._client = client
        self._access: str | None = None

    def _post(self, nsid: str, body: dict[str, Any], headers: dict[str, str],
              subject: str, done: int, total: int) -> httpx.Response:
        try:
            return self._client.post(f"{self._pds}/xrpc/{nsid}", json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ReportError(f"cannot reach {self._host} ({type(exc).__name__})",
                              record=subject,
                              hint=f"check --pds and your connection; {done} of {total}"
                                   " report(s) filed and logged") from exc

    def _session(self, done: int, total: int) -> str:
        if self._access is None:
            response = self._post("com.atproto.server.createSession",
                                  {"identifier": self._identifier, "password": self._password},
                                  {}, self._identifier, done, total)
            answer = answer_json(response, self._host, done, total, self._identifier)
            access = answer.get("accessJwt")
            if not isinstance(access, str) or not access:
                raise ReportError(f"{self._host} opened no session (no accessJwt)",
                                  record=self._identifier)
            self._access = access
        return self._access

    def __call__(self, report: PlannedReport, done: int,
                 total: int) -> tuple[str, bytes, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self._session(done, total)}",
                   "atproto-proxy": f"{self._labeler}#atproto_labeler"}
        subject = str(report.body["subject"]["uri"])
        response = self._post("com.atproto.moderation.createReport", report.body, headers,
                              subject, done, total)
        answer = answer_json(response, self._host, done, total, subject)
        report_id = answer.get("id")
        if not isinstance(report_id, int) or isinstance(report_id, bool):
            raise ReportError(f"{self._host} answered without a report id", record=subject,
                              hint="the report may have been filed (it was not logged)")
        return str(report_id), response.content, dict(report.body)
