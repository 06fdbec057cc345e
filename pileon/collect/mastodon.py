"""Mastodon live client: the status, its context, and the contexts of descendants whose replies
the first context left out (anonymous contexts stop at 60 descendants and depth 20, silently);
with the author's token, quotes and mentions too. Parsed by ingest/mastodon.py.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from pileon.collect.round import CollectRound, Credential, Page, Relabel, as_mention, as_quote
from pileon.collect.urls import PostRef
from pileon.errors import CollectError
from pileon.ingest.mastodon import MastodonSource, parse_mastodon_page
from pileon.ingest.pages import PageParser, PageRecords
from pileon.store.collect import (
    previous_step_cursor,
    round_posts,
    round_root_created_at,
    unknown_authors,
)

__all__ = ["ANONYMOUS_DESCENDANTS_CAP", "MastodonCollector", "next_link"]

#: What /context returns to an anonymous caller at most (docs: methods/statuses.md #context).
ANONYMOUS_DESCENDANTS_CAP = 60
MAX_WALKS_PER_ROUND = 500
ACCOUNTS_PER_REQUEST = 40
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def next_link(link_header: str | None) -> str | None:
    """The rel="next" URL of an RFC 8288 Link header (how Mastodon pages lists)."""
    match = _NEXT.search(link_header or "")
    return match.group(1) if match else None


def _each(key: str | None) -> PageParser:
    """A page parser for a JSON array: every element (or its `key`) through the status parser."""

    def parse(page: Any, found: PageRecords) -> None:
        for i, item in enumerate(page if isinstance(page, list) else []):
            inner = item.get(key) if key and isinstance(item, Mapping) else item
            if inner is None:
                continue
            with found.keep_aside(f"[{i}]", inner):
                parse_mastodon_page(inner, found)

    return parse


class MastodonCollector:
    platform = "mastodon"
    version = MastodonSource.version
    checks_deletions = True

    def __init__(
        self,
        ref: PostRef,
        *,
        base_url: str | None = None,
        token: Credential | None = None,
        mentions: bool = False,
    ) -> None:
        self.ref = ref
        self.base = (base_url or f"https://{ref.server}").rstrip("/")
        self.token = token
        self.mentions = mentions
        self.root = ref.post_id
        self.target = f"mastodon:{ref.server}/{ref.post_id}"
        self.headers = {"Authorization": f"Bearer {token.value}"} if token else {}

    @property
    def secrets(self) -> tuple[Credential, ...]:
        return (self.token,) if self.token else ()

    def _api(self, path: str) -> str:
        return f"{self.base}/api/v1/{path}"

    def prepare(self, rnd: CollectRound) -> None:
        """Nothing to ask first: the URL names the server and the status."""

    def run(self, rnd: CollectRound) -> None:
        if not self._root(rnd):
            return
        self._walk(rnd)
        self._quotes(rnd)
        if self.mentions:
            self._mentions(rnd)
        self._accounts(rnd)

    def _get_status(self, rnd: CollectRound, status_id: str, purpose: str) -> Page:
        return rnd.fetch(self._api(f"statuses/{status_id}"), purpose=purpose,
                         parser=parse_mastodon_page, found_via="thread", headers=self.headers,
                         accept=(404,))

    def _root(self, rnd: CollectRound) -> bool:
        state = rnd.state("root")
        if state is not None and state.done:
            return True
        page = self._get_status(rnd, self.root, "status")
        if page.status == 404:
            if rnd.has_post(self.root):
                rnd.root_gone(self.root, page)
                return False
            raise CollectError(
                f"{self.ref.server} has no public status {self.root}"
                " (deleted, followers-only, or a wrong URL)",
                path=self.ref.url,
                hint="for a followers-only post give the author's token with --mastodon-token-env",
            )
        context = self._context(rnd, self.root)
        if not self.token and len(context) >= ANONYMOUS_DESCENDANTS_CAP:
            rnd.say(f"the public context stopped at {len(context)} replies (Mastodon's cap for"
                    " anonymous callers): walking the replies' own contexts")
        rnd.save("walk", json.dumps([self.root]))
        rnd.save("root", done=True)
        return True

    def _context(self, rnd: CollectRound, status_id: str) -> list[Any]:
        # A status deleted since it was listed answers 404: the deletion check will see to it.
        page = rnd.fetch(self._api(f"statuses/{status_id}/context"), purpose="context",
                         parser=parse_mastodon_page, found_via="thread", headers=self.headers,
                         accept=(404,))
        body = page.body if isinstance(page.body, Mapping) else {}
        descendants = body.get("descendants")
        return descendants if isinstance(descendants, list) else []

    def _walk(self, rnd: CollectRound) -> None:
        """Ask for the context of every status that has fewer replies here than it counts.

        A status an earlier round walked in vain (its missing replies are filtered, not cut)
        is not walked again while its count and the replies in hand stay the same.
        """
        state = rnd.state("walk")
        if state is None or state.done:
            return
        walked: list[str] = json.loads(state.cursor or "[]")
        vain = {tuple(v) for v in json.loads(previous_step_cursor(
            rnd.conn, rnd.round.target, rnd.round.id, "vain-walks") or "[]")}
        while len(walked) < MAX_WALKS_PER_ROUND:
            todo = [i for i, (count, held) in self._short(rnd).items()
                    if i not in walked and (i, count, held) not in vain]
            if not todo:
                break
            status_id = todo[0]
            self._context(rnd, status_id)
            walked.append(status_id)
            rnd.save("walk", json.dumps(walked))
        short = self._short(rnd)
        rnd.save("vain-walks", json.dumps(sorted([i, count, held] for i, (count, held)
                                                 in short.items() if i in walked
                                                 or (i, count, held) in vain)))
        missing = sum(count - held for count, held in short.values())
        if missing:
            how = "give the author's token with --mastodon-token-env" if not self.token else \
                "they may be from accounts or servers the token's user blocks"
            rnd.note(f"{missing} replies counted by {self.ref.server} could not be reached"
                     f" through public thread views; {how}")
        rnd.save("walk", json.dumps(walked), done=True)

    def _short(self, rnd: CollectRound) -> dict[str, tuple[int, int]]:
        """Statuses seen this round with fewer replies in hand than their replies_count:
        id -> (replies_count, replies in hand)."""
        posts = round_posts(rnd.conn, rnd.round.id, self.platform)
        children = Counter(reply_to for _, reply_to, _, _ in posts if reply_to)
        return {
            post_id: (count, children[post_id])
            for post_id, _, count, placeholder in posts
            if placeholder is None and count is not None and count > children[post_id]
        }

    def _paged(self, rnd: CollectRound, step: str, first: str, params: Sequence[tuple[str, str]],
               *, found_via: str, key: str | None, relabel: Relabel | None = None,
               since: str | None = None) -> None:
        state = rnd.state(step)
        if state is not None and state.done:
            return
        url, query = (state.cursor, []) if state is not None and state.cursor else (first, params)
        while url:
            page = rnd.fetch(url, query, purpose=step, parser=_each(key), found_via=found_via,
                             headers=self.headers, relabel=relabel, accept=(404,))
            if page.status == 404:  # e.g. /statuses/:id/quotes before Mastodon 4.5
                rnd.note(f"{step} not collected: {self.ref.server} has no such list (HTTP 404;"
                         " an older Mastodon?)")
                break
            query = []
            previous, url = url, next_link(page.exchange.header("link")) or ""
            if url == previous:
                break  # a server that points back at the same page would loop forever
            items = page.body if isinstance(page.body, list) else []
            oldest = min((str(i.get("created_at", "")) for i in items if isinstance(i, Mapping)),
                         default="")
            if not items or (since and oldest and oldest < since):
                break
            rnd.save(step, url)
        rnd.save(step, None, done=True)

    def _quotes(self, rnd: CollectRound) -> None:
        if not self.token:
            rnd.note("quotes not collected: Mastodon lists quotes only to a logged-in user;"
                     " give the author's token with --mastodon-token-env")
            return
        self._paged(rnd, "quotes", self._api(f"statuses/{self.root}/quotes"), [("limit", "40")],
                    found_via="quotes", key=None, relabel=as_quote(self.root))

    def _mentions(self, rnd: CollectRound) -> None:
        if not self.token:
            rnd.note("mentions not collected: Mastodon shows notifications only to their owner;"
                     " give the author's token with --mastodon-token-env")
            return
        since = round_root_created_at(rnd.conn, self.platform, self.root)
        self._paged(rnd, "mentions", self._api("notifications"),
                    [("types[]", "mention"), ("limit", "40")], found_via="mentions",
                    key="status", relabel=as_mention(self.root), since=since)

    def _accounts(self, rnd: CollectRound) -> None:
        """Accounts named only by id (authors of replies pileon could not see) looked up."""
        ids = unknown_authors(rnd.conn, rnd.round.id, self.platform)
        for start in range(0, len(ids), ACCOUNTS_PER_REQUEST):
            batch = ids[start : start + ACCOUNTS_PER_REQUEST]
            page = rnd.fetch(self._api("accounts"), [("id[]", i) for i in batch],
                             purpose="accounts", parser=_each(None), headers=self.headers,
                             accept=(404, 401, 403, 422))
            if not page.exchange.ok:  # /api/v1/accounts?id[]= is Mastodon 4.3+
                rnd.note(f"account lookups not available on {self.ref.server}"
                         f" (HTTP {page.status})")
                return

    def confirm_gone(self, rnd: CollectRound, post_ids: Sequence[str]) -> list[tuple[str, Page]]:
        gone: list[tuple[str, Page]] = []
        for post_id in post_ids:
            page = self._get_status(rnd, post_id, "deletion-check")
            if page.status == 404:
                gone.append((post_id, page))
        return gone
