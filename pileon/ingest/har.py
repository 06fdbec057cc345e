"""HAR 1.2 files from a browser's network panel: the x.com answers inside, nothing else.

The file is streamed entry by entry (memory bounded by the largest entry, not the file). Each
usable entry's response body is one RawPayload: its exact bytes (base64 decoded when the
browser encoded it) with the SHA-256, the request URL, the HTTP status and `startedDateTime` as
the capture time. Request and response headers (cookies, `authorization`, `x-csrf-token`) and
request bodies are never read into a record, so none of them can reach the database.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pileon.errors import FormatError, RecordError
from pileon.ingest.pages import ITEM_ERRORS, PageRecords, parse_time, shape_reason
from pileon.ingest.streaming import (
    MAX_DOCUMENT_BYTES,
    JsonShapeError,
    fast_loads,
    iter_array_at,
)
from pileon.ingest.xweb import parse_web_answer
from pileon.records import RawPayload, Rejected, SourceBatch, utc_now

__all__ = ["HarSource", "NOT_STORED"]

#: Said in the ingest output, and true: HAR headers are not read at all.
NOT_STORED = "cookies, authorization, x-csrf-token and all other request headers were not stored"
_X_HOSTS = ("x.com", "twitter.com")
#: The answers that carry posts: GraphQL operations and the legacy adaptive search.
_X_PATH = re.compile(
    r"/i/api/graphql/[^/]+/(TweetDetail|SearchTimeline|UserTweets|UserTweetsAndReplies"
    r"|TweetResultByRestId|TweetResultsByRestIds|HomeTimeline|HomeLatestTimeline|Likes"
    r"|ListLatestTweetsTimeline|UserMedia|NotificationsTimeline|Bookmarks|QuoteTweets|Retweeters)"
    r"|/i/api/2/(search/adaptive|notifications/(all|mentions)|timeline/conversation/\d+)\.json"
    r"|/2/notifications/(all|mentions)\.json"
)


def _is_x_host(host: str) -> bool:
    return any(host == h or host.endswith("." + h) for h in _X_HOSTS)


def _body(content: Mapping[str, Any]) -> bytes | None:
    text = content.get("text")
    if not isinstance(text, str) or not text:
        return None
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError):
            return None
    return text.encode("utf-8", "surrogatepass")


class HarSource:
    """The `har` source: a browser HAR capture of x.com."""

    name = "har"
    version = "1"

    def sniff(self, head: bytes, path: Path) -> float:
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        if start != b"{" or b'"log"' not in head[:65536]:
            return 0.0
        return 0.95 if b'"entries"' in head or b'"creator"' in head else 0.4

    def read(self, path: Path, options: dict[str, Any]) -> Iterator[SourceBatch]:
        # Nothing is passed on before the first answer holding posts: a HAR without X answers,
        # or whose X answers hold no posts, stores nothing. After it, batches stream.
        return self._batches(path, options)

    def _entries(self, path: Path, limit: int) -> Iterator[Any]:
        """log.entries one at a time (bounded memory); a HAR that is not whole is refused."""
        try:
            yield from iter_array_at(path, ("log", "entries"), max_value_bytes=limit)
        except UnicodeDecodeError as exc:
            raise FormatError(f"this HAR is not UTF-8 ({exc.reason}); nothing was stored",
                              path=str(path)) from None
        except JsonShapeError as exc:
            if exc.missing:
                raise FormatError("not a HAR file: no log.entries list", path=str(path)) from None
            what = "truncated" if exc.truncated else "malformed"
            raise FormatError(
                f"this HAR is {what} ({exc.message}); nothing was stored",
                path=str(path),
                hint="save the HAR again from the browser's network panel after the page loads",
            ) from None

    def _batches(self, path: Path, options: Mapping[str, Any]) -> Iterator[SourceBatch]:
        limit = int(options.get("max_document_bytes") or MAX_DOCUMENT_BYTES)
        # A first pass checks the whole file is there (a cut-off HAR stores nothing), holding
        # one entry at a time; the second reads the answers. Parsing twice costs ~5% here.
        requests = sum(1 for _ in self._entries(path, limit))
        source = str(path)
        hosts: dict[str, int] = {}
        x_answers = 0
        held: list[SourceBatch] = []  # until the first answer with posts
        streaming = False
        for i, entry in enumerate(self._entries(path, limit), start=1):
            if not isinstance(entry, dict):
                continue
            request = entry.get("request") or {}
            response = entry.get("response") or {}
            url = request.get("url") if isinstance(request, dict) else None
            if not isinstance(url, str) or not isinstance(response, dict):
                continue
            try:
                parts = urlsplit(url)
                host = (parts.hostname or "").lower()
            except ValueError:  # not a URL (a forged or damaged entry): not an x.com answer
                continue
            hosts[host] = hosts.get(host, 0) + 1
            if not _is_x_host(host) or not _X_PATH.search(parts.path):
                continue
            content = response.get("content")
            body = _body(content if isinstance(content, dict) else {})
            status = response.get("status")
            locator = f"entry {i}: HTTP {status} {url}"
            if body is None:
                continue  # the browser kept no body (e.g. a cached or aborted request)
            x_answers += 1
            try:
                fetched = parse_time(entry.get("startedDateTime"), "startedDateTime") or utc_now()
            except ITEM_ERRORS:
                fetched = utc_now()
            payload = RawPayload(
                data=body, source=source, adapter=self.name, adapter_version=self.version,
                fetched_at=fetched, locator=locator,
            )
            batch = self._answer(payload, source, locator, body)
            if streaming:
                yield batch
            elif batch.posts:
                streaming = True
                yield from held
                held.clear()
                yield batch
            else:
                held.append(batch)
        if not x_answers:
            top = ", ".join(h for h, _ in sorted(hosts.items(), key=lambda kv: -kv[1])[:3]) or "none"
            raise FormatError(
                f"a HAR with no x.com answers holding posts ({requests} requests;"
                f" sites: {top}); nothing was stored",
                path=str(path),
                hint="open the post on x.com with the network panel recording, scroll through"
                " the replies, then save all as HAR",
            )
        if not streaming:
            first = next((b.rejected[0].reason for b in held if b.rejected), "no posts")
            raise FormatError(
                f"a HAR whose {x_answers} x.com answers hold no posts ({first}); nothing was stored",
                path=str(path),
            )

    @staticmethod
    def _answer(payload: RawPayload, source: str, locator: str, body: bytes) -> SourceBatch:
        """One x.com answer's batch; any failure of it is the answer kept aside, not a crash."""
        found = PageRecords(source, locator)
        try:
            answer = fast_loads(body)
        except (ValueError, RecursionError):
            reason = "response body is not JSON"
        else:
            try:
                parse_web_answer(answer, found)
            except (*ITEM_ERRORS, RecursionError) as exc:
                reason = (exc.message if isinstance(exc, RecordError)
                          else "nested too deeply" if isinstance(exc, RecursionError)
                          else shape_reason(exc))
            else:
                return SourceBatch(
                    payload,
                    posts=tuple(found.posts.values()),
                    accounts=tuple(found.accounts.values()),
                    rejected=tuple(found.rejected),
                )
        return SourceBatch(payload, rejected=(Rejected(source, locator, reason, body),))
