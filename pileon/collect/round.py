"""One round of collection around one post: every response is hashed the moment it arrives,
kept with its request URL, status and headers, parsed by the same page parsers as the file
adapters, and stored; cursors are saved step by step so an interrupted round resumes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pileon.collect.http import Exchange, HttpClient
from pileon.errors import CollectError, NetworkError, PileonError
from pileon.ingest.pages import PageParser, PageRecords
from pileon.records import Post, RawPayload, Rejected, SourceBatch, utc_now
from pileon.store.collect import (
    ExchangeRow,
    RoundRow,
    StepState,
    archive_exchange,
    existing_post_ids,
    has_post_content,
    mark_deleted_at_source,
    record_seen,
    save_step,
    step_state,
)
from pileon.store.evidence import EvidenceWriter

__all__ = ["CollectRound", "Credential", "Page", "Relabel", "as_mention", "as_quote", "error_text"]


Relabel = Callable[[Post], Post]


def as_mention(root: str) -> Relabel:
    """Posts that are neither replies nor quotes (their own roots) reached the author as mentions."""

    def relabel(post: Post) -> Post:
        return replace(post, kind="mention") if post.kind == "root" and post.id != root else post

    return relabel


def as_quote(root: str) -> Relabel:
    """A quote endpoint answers quotes of `root`: a post quoting it is a quote, even when it also
    replies to someone in a thread (X then names it a reply). Other posts of the page (the root,
    the posts they reply to) keep their kind."""

    def relabel(post: Post) -> Post:
        if post.quote_of == root and post.kind == "reply" and post.placeholder is None:
            return replace(post, kind="quote")
        return post

    return relabel


@dataclass(frozen=True, slots=True)
class Credential:
    """A secret taken from an environment variable: the variable's name is all pileon shows."""

    env_var: str
    value: str = ""

    def __repr__(self) -> str:  # never the value, not even in a traceback
        return f"Credential(env_var={self.env_var!r})"


@dataclass(frozen=True, slots=True)
class Page:
    """A response and what the page parser found in it (nothing unless the status was 2xx)."""

    exchange: Exchange
    body: Any  # the decoded JSON, None when not JSON
    posts: tuple[Post, ...]
    raw_sha256: str
    new_ids: frozenset[str] = frozenset()  # posts the store did not hold before this page

    @property
    def status(self) -> int:
        return self.exchange.status


def error_text(exchange: Exchange) -> str:
    """The platform's own short error message from a JSON error body, if it gave one."""
    try:
        body = json.loads(exchange.body)
    except (ValueError, UnicodeDecodeError):
        return ""
    if not isinstance(body, Mapping):
        return ""
    parts = [str(body[k]) for k in ("error", "title", "message", "detail") if body.get(k)]
    if not parts and isinstance(body.get("errors"), list) and body["errors"]:
        first = body["errors"][0]
        if isinstance(first, Mapping):
            parts = [str(first.get("message") or first.get("detail") or "")]
    return ": ".join(dict.fromkeys(p for p in parts if p))[:200]


class CollectRound:
    """The store, the HTTP client and the round's progress, as the platform collectors use them."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        client: HttpClient,
        writer: EvidenceWriter,
        round_row: RoundRow | None,
        *,
        platform: str,
        adapter_version: str,
        secrets: Sequence[Credential] = (),
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.conn = conn
        self.client = client
        self.writer = writer
        self._round = round_row
        self.platform = platform
        self.adapter_version = adapter_version
        self.secrets = tuple(s for s in secrets if s.value)
        self.say = say or (lambda _message: None)
        self.notes: list[str] = []
        self.fetched_sha256s: list[str] = []  # every response of this run, for the custody log

    # progress -------------------------------------------------------------------------------
    @property
    def round(self) -> RoundRow:
        if self._round is None:
            raise AssertionError("the round is opened once the collector is prepared")
        return self._round

    def begin(self, round_row: RoundRow) -> None:
        """Attach the round, once the collector knows which post it collects around."""
        self._round = round_row

    def state(self, step: str) -> StepState | None:
        return step_state(self.conn, self.round.id, step)

    def save(self, step: str, cursor: str | None = None, *, done: bool = False) -> None:
        save_step(self.conn, self.round.id, step, cursor, done)

    def note(self, message: str) -> None:
        """Something the round could not collect, said once to the user and kept in the round."""
        if message not in self.notes:
            self.notes.append(message)
            self.say(message)

    # fetching -------------------------------------------------------------------------------
    def fetch(
        self,
        url: str,
        params: Sequence[tuple[str, str]] = (),
        *,
        purpose: str,
        parser: PageParser | None = None,
        found_via: str = "",
        headers: Mapping[str, str] | None = None,
        accept: Sequence[int] = (),
        relabel: Relabel | None = None,
    ) -> Page:
        """GET with retries; archive every response; parse and store a 2xx one.

        Each response is archived (bytes, SHA-256, URL, status, headers) the moment it has
        arrived whole, before any parsing; a parsed page's posts then join the same bytes.
        Any status other than 2xx raises a CollectError after archiving, unless in `accept`.
        """
        response = self.client.get(url, params, headers=headers)
        for earlier in response.retried:
            self._archive(earlier, "retried")
        for hop in response.redirects:
            self._archive(hop, "redirect")
        exchange = response.exchange
        payload = self._archive(exchange, purpose)
        if not exchange.ok or parser is None:
            if not exchange.ok and exchange.status not in accept:
                raise self.refusal(exchange)
            try:
                body = json.loads(exchange.body)
            except (ValueError, UnicodeDecodeError):
                body = None
            return Page(exchange, body, (), payload.sha256)
        batch, body = self._parse(exchange, payload, parser)
        if relabel is not None:
            batch = replace(batch, posts=tuple(relabel(p) for p in batch.posts))
        ids = list(dict.fromkeys(p.id for p in batch.posts))
        known = existing_post_ids(self.conn, self.platform, ids)
        self.writer.add(batch)
        self.writer.flush()  # what the bytes hold, in one transaction
        new_ids = frozenset(pid for pid in ids if pid not in known)
        record_seen(self.conn, self.round.id, self.platform,
                    [(pid, pid in new_ids) for pid in ids], found_via)
        return Page(exchange, body, batch.posts, payload.sha256, new_ids)

    def _parse(
        self, exchange: Exchange, payload: RawPayload, parser: PageParser
    ) -> tuple[SourceBatch, Any]:
        """The page parser's findings; whatever it cannot read is kept aside as a reject."""
        try:
            body = json.loads(exchange.body)
        except (ValueError, UnicodeDecodeError) as exc:
            reject = Rejected(exchange.url, "body", f"not JSON ({exc})", exchange.body)
            self.writer.add(SourceBatch(payload, rejected=(reject,)))
            self.writer.flush()
            raise CollectError(
                f"{exchange.host} answered HTTP {exchange.status} with a body that is not JSON;"
                f" kept in the archive as {payload.sha256[:12]}",
                path=exchange.url.split("?", 1)[0],
                hint="is --base-url right? run again later to resume",
            ) from exc
        found = PageRecords(exchange.url, "body")
        try:
            parser(body, found)
        except Exception as exc:  # noqa: BLE001 - a parser bug must not lose the page
            reason = exc.message if isinstance(exc, PileonError) else f"{type(exc).__name__}: {exc}"
            reject = Rejected(exchange.url, "body", reason, exchange.body)
            return SourceBatch(payload, rejected=(reject,)), body
        return (
            SourceBatch(
                payload,
                posts=tuple(found.posts.values()),
                accounts=tuple(found.accounts.values()),
                rejected=tuple(found.rejected),
            ),
            body,
        )

    def _archive(self, exchange: Exchange, purpose: str) -> RawPayload:
        """Bytes and exchange stored, committed, before anything reads them."""
        payload = RawPayload(
            data=exchange.body,
            source=exchange.url,
            adapter=self.platform,
            adapter_version=self.adapter_version,
            fetched_at=exchange.requested_at,
            locator=f"HTTP {exchange.status}",
        )
        row = ExchangeRow(
            method=exchange.method,
            url=exchange.url,
            status=exchange.status,
            reason=exchange.reason,
            http_version=exchange.http_version,
            headers=exchange.headers,
            requested_at=exchange.requested_at,
            purpose=purpose,
        )
        round_id = self._round.id if self._round is not None else None
        archive_exchange(self.conn, payload, row, round_id=round_id)
        self.fetched_sha256s.append(payload.sha256)
        return payload

    # errors ---------------------------------------------------------------------------------
    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret.value, f"${secret.env_var}")
        return text

    def refusal(self, exchange: Exchange, what: str | None = None) -> CollectError:
        """One clear line for an answer pileon cannot use; never a credential in it."""
        said = error_text(exchange)
        detail = f" ({said})" if said else ""
        where = exchange.url.split("?", 1)[0]
        status = exchange.status
        if status in (401, 403) and self.secrets:
            names = ", ".join(dict.fromkeys(f"${s.env_var}" for s in self.secrets))
            return CollectError(
                self.scrub(f"{exchange.host} refused the credentials from {names}"
                           f" (HTTP {status}){detail}"),
                path=where,
                hint="check the token; pileon never prints or stores it",
            )
        if status in (401, 403):
            return CollectError(
                f"{exchange.host} refused an anonymous request (HTTP {status}){detail}",
                path=where,
                hint="this needs a login or token; see `pileon collect --help`",
            )
        if status == 429 or status >= 500:
            return NetworkError(
                self.scrub(f"{exchange.host} kept answering HTTP {status}{detail}"),
                path=where,
                hint="what was collected is stored; run the same command later to resume",
            )
        return CollectError(
            self.scrub(f"{what or exchange.host + ' answered'} HTTP {status}{detail}"),
            path=where,
        )

    # deletions ------------------------------------------------------------------------------
    def has_post(self, post_id: str) -> bool:
        """True when the store holds this post with its content (not only a placeholder)."""
        return has_post_content(self.conn, self.platform, post_id)

    def root_gone(self, post_id: str, page: Page) -> None:
        """The post collected around is gone: keep it, mark it, and say so."""
        self.mark_deleted(post_id, page)
        self.note("the post itself is gone at the source; everything collected before is"
                  " kept and marked deleted")

    def mark_deleted(self, post_id: str, page: Page, noticed_at: datetime | None = None) -> bool:
        return mark_deleted_at_source(
            self.conn, self.platform, post_id, noticed_at or utc_now(), page.raw_sha256
        )
