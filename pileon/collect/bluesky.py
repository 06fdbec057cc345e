"""Bluesky live client: the whole reply tree (re-fetching subtrees the AppView cut), quotes,
profiles for account signals and, with an app password, mentions and notifications.

Public reads go to the AppView (no login). Everything is parsed by ingest/bluesky.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pileon.collect.bluesky_proof import ProofError, check_proof, pds_endpoint
from pileon.collect.round import CollectRound, Credential, Page, as_mention, as_quote
from pileon.collect.urls import PostRef
from pileon.errors import CollectError
from pileon.ingest.bluesky import BlueskySource, parse_bluesky_page
from pileon.store.collect import (
    authors_without_counts,
    previous_step_cursor,
    round_quotes,
    round_root_created_at,
)
from pileon.store.db import to_iso
from pileon.store.proofs import ProofRow, proven_posts, round_bluesky_posts, save_proof

__all__ = ["DEFAULT_APPVIEW", "DEFAULT_PDS", "BlueskyCollector", "cut_points"]

DEFAULT_APPVIEW = "https://public.api.bsky.app"
DEFAULT_PDS = "https://bsky.social"
DEFAULT_PLC = "https://plc.directory"  # the DID directory: did:plc documents
MAX_DEPTH = "1000"  # the lexicon's maximum for getPostThread depth
PROFILES_PER_REQUEST = 25  # getProfiles takes at most 25 actors
POSTS_PER_REQUEST = 25  # getPosts takes at most 25 URIs
_THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"


def cut_points(thread: Any, anchor: str | None = None) -> list[tuple[str, int, int]]:
    """(URI, replyCount, replies held) of posts whose count says more replies exist than the
    tree holds under them: the AppView stops at its own depth limit without saying so, so these
    are where to ask again. The anchor of a subtree fetch is left out (same answer again).
    """
    found: list[tuple[str, int, int]] = []
    stack = [thread]
    while stack:
        node = stack.pop()
        if not isinstance(node, Mapping):
            continue
        if node.get("$type", _THREAD_VIEW) != _THREAD_VIEW or not isinstance(node.get("post"), Mapping):
            continue
        replies = node.get("replies") or []
        count = node["post"].get("replyCount")
        uri = node["post"].get("uri")
        if isinstance(count, int) and count > len(replies) and uri and uri != anchor:
            found.append((str(uri), count, len(replies)))
        stack.extend(replies)
    return found


class BlueskyCollector:
    platform = "bluesky"
    version = BlueskySource.version
    checks_deletions = True

    def __init__(
        self,
        ref: PostRef,
        *,
        base_url: str | None = None,
        pds_url: str | None = None,
        app_password: Credential | None = None,
        login: str | None = None,
        mentions: bool = False,
        quote_threads: bool = False,
        proofs: bool = False,
        plc_url: str | None = None,
    ) -> None:
        self.ref = ref
        self.actor = (ref.author or "").lower() if not (ref.author or "").startswith("did:") \
            else str(ref.author)
        self.base = (base_url or DEFAULT_APPVIEW).rstrip("/")
        self.pds = (pds_url or base_url or DEFAULT_PDS).rstrip("/")
        self.app_password = app_password
        self.login = login
        self.mentions = mentions
        self.quote_threads = quote_threads
        self.proofs = proofs
        self.plc = (plc_url or DEFAULT_PLC).rstrip("/")
        self._did_docs: dict[str, tuple[str, bytes, str | None]] = {}  # did -> sha, doc, PDS
        self.target = f"bluesky:{self.actor}/{ref.post_id}"
        self.root = ""
        self.did = ""
        self._auth: dict[str, str] = {}

    @property
    def secrets(self) -> tuple[Credential, ...]:
        return (self.app_password,) if self.app_password else ()

    def _xrpc(self, nsid: str, *, authed: bool = False) -> str:
        return f"{self.pds if authed else self.base}/xrpc/{nsid}"

    # the round --------------------------------------------------------------------------------
    def prepare(self, rnd: CollectRound) -> None:
        """Handle to DID: rounds are keyed on the DID, so a changed handle changes nothing."""
        self.did = self._resolve(rnd)
        self.root = f"at://{self.did}/app.bsky.feed.post/{self.ref.post_id}"
        self.target = f"bluesky:{self.did}/{self.ref.post_id}"

    def run(self, rnd: CollectRound) -> None:
        did = self.did
        if not self._thread(rnd):
            return
        self._subtrees(rnd)
        self._quotes(rnd)
        if self.quote_threads:
            self._around_quotes(rnd)
        if self.app_password is not None:
            self._log_in(rnd, did)
            self._notifications(rnd)
        if self.mentions or self.app_password is not None:
            self._search_mentions(rnd, did)
        self._profiles(rnd)
        if self.proofs:
            self._proofs(rnd)

    def _resolve(self, rnd: CollectRound) -> str:
        if self.actor.startswith("did:"):
            return self.actor
        page = rnd.fetch(self._xrpc("com.atproto.identity.resolveHandle"),
                         [("handle", self.actor)], purpose="resolve", accept=(400, 404))
        did = page.body.get("did") if isinstance(page.body, Mapping) else None
        if not page.exchange.ok or not isinstance(did, str):
            raise CollectError(f"unknown Bluesky handle {self.actor!r}",
                               path=self.ref.url, hint="check the handle in the URL")
        return did

    def _get_thread(self, rnd: CollectRound, uri: str, found_via: str = "thread") -> Page:
        return rnd.fetch(
            self._xrpc("app.bsky.feed.getPostThread"),
            [("uri", uri), ("depth", MAX_DEPTH), ("parentHeight", "0")],
            purpose="thread", parser=parse_bluesky_page, found_via=found_via, accept=(400, 404),
        )

    def _thread(self, rnd: CollectRound) -> bool:
        """The root's tree; False when the root itself is gone (then nothing else is asked)."""
        state = rnd.state("thread")
        if state is not None and state.done:
            return True
        page = self._get_thread(rnd, self.root)
        if not page.exchange.ok:
            if not rnd.has_post(self.root):
                raise CollectError("Bluesky has no such post (deleted, or a wrong URL)",
                                   path=self.ref.url)
            rnd.root_gone(self.root, page)
            return False
        thread = page.body.get("thread") if isinstance(page.body, Mapping) else None
        # Cuts that an earlier round asked about in vain (the rest are blocked or hidden by a
        # threadgate, not cut by depth) are not asked again while they look the same.
        vain = {tuple(c) for c in json.loads(previous_step_cursor(
            rnd.conn, rnd.round.target, rnd.round.id, "vain-cuts") or "[]")}
        cuts = [list(c) for c in cut_points(thread)]
        rnd.save("vain-cuts", json.dumps([c for c in cuts if tuple(c) in vain]))
        queue = [c for c in cuts if tuple(c) not in vain]
        rnd.save("subtrees", json.dumps({"queue": queue, "asked": []}))
        rnd.save("thread", done=True)
        return True

    def _subtrees(self, rnd: CollectRound) -> None:
        state = rnd.state("subtrees")
        if state is None or state.done or not state.cursor:
            return
        progress = json.loads(state.cursor)
        queue: list[list[Any]] = progress["queue"]
        asked: list[str] = progress["asked"]
        vain_state = rnd.state("vain-cuts")
        vain: list[list[Any]] = json.loads(vain_state.cursor or "[]") if vain_state else []
        while queue:
            cut = queue.pop(0)
            uri, held = str(cut[0]), int(cut[2])
            if uri in asked:
                continue
            page = self._get_thread(rnd, uri)
            asked.append(uri)
            sub = page.body.get("thread") if isinstance(page.body, Mapping) else None
            if isinstance(sub, Mapping) and len(sub.get("replies") or []) <= held:
                vain.append(cut)  # asking again gave nothing more
            queued = {str(c[0]) for c in queue}
            queue.extend(list(c) for c in cut_points(sub, anchor=uri)
                         if c[0] not in asked and c[0] not in queued)
            rnd.save("vain-cuts", json.dumps(vain))
            rnd.save("subtrees", json.dumps({"queue": queue, "asked": asked}))
        rnd.save("subtrees", None, done=True)

    def _paged(self, rnd: CollectRound, step: str, url: str, params: Sequence[tuple[str, str]],
               *, found_via: str, headers: Mapping[str, str] | None = None,
               optional: bool = False) -> None:
        """Page through a list with `cursor`; an optional list the server lacks is a note."""
        state = rnd.state(step)
        if state is not None and state.done:
            return
        cursor = state.cursor if state is not None else None
        while True:
            extra = [("cursor", cursor)] if cursor else []
            page = rnd.fetch(url, [*params, *extra], purpose=step, parser=parse_bluesky_page,
                             found_via=found_via, headers=headers,
                             accept=(400, 403, 404, 501) if optional else (),
                             relabel=as_mention(self.root) if found_via == "mentions"
                             else as_quote(self.root) if found_via == "quotes" else None)
            if not page.exchange.ok:
                rnd.note(f"{step} not collected: {page.exchange.host} answered"
                         f" HTTP {page.status}")
                break
            body = page.body if isinstance(page.body, Mapping) else {}
            previous = cursor
            cursor = body.get("cursor") if isinstance(body.get("cursor"), str) else None
            if not cursor or cursor == previous or not body.get("posts"):
                break
            rnd.save(step, cursor)
        rnd.save(step, None, done=True)

    def _quotes(self, rnd: CollectRound) -> None:
        self._paged(rnd, "quotes", self._xrpc("app.bsky.feed.getQuotes"),
                    [("uri", self.root), ("limit", "100")], found_via="quotes")

    def _around_quotes(self, rnd: CollectRound) -> None:
        """Replies under each quote post and quotes of it: where a quote-dunk's pile-on goes."""
        state = rnd.state("around-quotes")
        if state is not None and state.done:
            return
        if state is not None and state.cursor:
            todo = json.loads(state.cursor)
        else:
            quotes = round_quotes(rnd.conn, rnd.round.id, self.platform)
            todo = [[uri, "replies"] for uri, replies, _ in quotes if replies] + \
                   [[uri, "quotes"] for uri, _, quoted in quotes if quoted]
        while todo:
            uri, what = todo[0]
            if what == "replies":
                self._get_thread(rnd, uri, found_via="quote-replies")
            else:
                cursor: str | None = None
                while True:
                    extra = [("cursor", cursor)] if cursor else []
                    page = rnd.fetch(self._xrpc("app.bsky.feed.getQuotes"),
                                     [("uri", uri), ("limit", "100"), *extra],
                                     purpose="quotes", parser=parse_bluesky_page,
                                     found_via="quotes-of-quotes")
                    body = page.body if isinstance(page.body, Mapping) else {}
                    previous, cursor = cursor, body.get("cursor")
                    if not isinstance(cursor, str) or cursor == previous or not body.get("posts"):
                        break
            todo.pop(0)
            rnd.save("around-quotes", json.dumps(todo))
        rnd.save("around-quotes", None, done=True)

    def _profiles(self, rnd: CollectRound) -> None:
        """Follower counts and the like for authors the thread showed only in brief."""
        dids = authors_without_counts(rnd.conn, rnd.round.id, self.platform)
        for start in range(0, len(dids), PROFILES_PER_REQUEST):
            batch = dids[start : start + PROFILES_PER_REQUEST]
            rnd.fetch(self._xrpc("app.bsky.actor.getProfiles"), [("actors", d) for d in batch],
                      purpose="profiles", parser=parse_bluesky_page)

    # with a login -----------------------------------------------------------------------------
    def _log_in(self, rnd: CollectRound, did: str) -> None:
        """createSession with the app password. Its answer holds tokens, so it is not archived."""
        assert self.app_password is not None
        response = rnd.client.post_json(
            self._xrpc("com.atproto.server.createSession", authed=True),
            {"identifier": self.login or did, "password": self.app_password.value},
        )
        exchange = response.exchange
        if not exchange.ok:
            raise rnd.refusal(exchange)
        body = exchange.json()
        token = body.get("accessJwt") if isinstance(body, Mapping) else None
        if not isinstance(token, str):
            raise CollectError("Bluesky login answered without an access token",
                               path=exchange.url, hint="check --bsky-pds-url")
        rnd.secrets = (*rnd.secrets, Credential(self.app_password.env_var, token))
        self._auth = {"Authorization": f"Bearer {token}"}

    def _notifications(self, rnd: CollectRound) -> None:
        """Mentions, replies and quotes the author was notified of, since the post was written."""
        state = rnd.state("notifications")
        if state is not None and state.done:
            return
        since = round_root_created_at(rnd.conn, self.platform, self.root) or ""
        cursor = state.cursor if state is not None else None
        while True:
            params = [("limit", "100")] + ([("cursor", cursor)] if cursor else [])
            page = rnd.fetch(self._xrpc("app.bsky.notification.listNotifications", authed=True),
                             params, purpose="notifications", headers=self._auth)
            body = page.body if isinstance(page.body, Mapping) else {}
            items = [n for n in body.get("notifications") or [] if isinstance(n, Mapping)]
            uris = [str(n["uri"]) for n in items
                    if n.get("reason") in ("mention", "reply", "quote") and n.get("uri")
                    and str(n.get("indexedAt", "")) >= since]
            for start in range(0, len(uris), POSTS_PER_REQUEST):
                rnd.fetch(self._xrpc("app.bsky.feed.getPosts", authed=True),
                          [("uris", u) for u in uris[start : start + POSTS_PER_REQUEST]],
                          purpose="notifications", parser=parse_bluesky_page,
                          found_via="notifications", headers=self._auth,
                          relabel=as_mention(self.root))
            cursor = body.get("cursor") if isinstance(body.get("cursor"), str) else None
            oldest = min((str(n.get("indexedAt", "")) for n in items), default="")
            if not cursor or not items or oldest < since:
                break
            rnd.save("notifications", cursor)
        rnd.save("notifications", None, done=True)

    def _search_mentions(self, rnd: CollectRound, did: str) -> None:
        state = rnd.state("mentions")
        if state is not None and state.done:
            return
        handle = self.actor if not self.actor.startswith("did:") else did
        params = [("q", handle), ("mentions", did), ("sort", "latest"), ("limit", "100")]
        if not self._auth:
            # The public AppView often refuses search (403) and never pages it: ask once.
            page = rnd.fetch(self._xrpc("app.bsky.feed.searchPosts"), params, purpose="mentions",
                             parser=parse_bluesky_page, found_via="mentions",
                             accept=(400, 401, 403, 404, 501), relabel=as_mention(self.root))
            if page.status in (401, 403):
                rnd.note(f"mentions not collected: Bluesky refused search without a login"
                         f" (HTTP {page.status}); give --bsky-app-password-env to collect them")
            elif not page.exchange.ok:
                rnd.note(f"mentions not collected: {page.exchange.host} has no post search"
                         f" (HTTP {page.status})")
            rnd.save("mentions", None, done=True)
            return
        self._paged(rnd, "mentions", self._xrpc("app.bsky.feed.searchPosts", authed=True),
                    params, found_via="mentions", headers=self._auth, optional=True)

    # proofs ---------------------------------------------------------------------------------
    def _did_document(self, rnd: CollectRound, did: str) -> tuple[str, bytes, str | None] | None:
        """The author's DID document (archived; its sha256, bytes and PDS), once per round."""
        if did in self._did_docs:
            return self._did_docs[did]
        if did.startswith("did:plc:"):
            url = f"{self.plc}/{did}"
        elif did.startswith("did:web:"):
            url = f"https://{did.removeprefix('did:web:')}/.well-known/did.json"
        else:
            return None
        page = rnd.fetch(url, purpose="did-document", accept=(400, 404, 410))
        if not page.exchange.ok or not isinstance(page.body, Mapping):
            rnd.note(f"no DID document for {did} (HTTP {page.status}): its posts have no proof")
            return None
        found = (page.raw_sha256, page.exchange.body, pds_endpoint(page.body))
        self._did_docs[did] = found
        return found

    def _proofs(self, rnd: CollectRound) -> None:
        """com.atproto.sync.getRecord for each post the round saw: the author's signed commit,
        the tree path and the record (a CAR file), kept with the DID document naming the key,
        and checked now (pileon verify checks them again, offline, in a report)."""
        state = rnd.state("proofs")
        if state is not None and state.done:
            return
        seen = round_bluesky_posts(rnd.conn, rnd.round.id)
        done = proven_posts(rnd.conn, seen)
        failed = 0
        for uri in seen:
            if uri in done:
                continue
            did, collection, rkey = uri.removeprefix("at://").split("/", 2)
            doc = self._did_document(rnd, did)
            if doc is None or doc[2] is None:
                failed += 1
                continue
            page = rnd.fetch(f"{doc[2]}/xrpc/com.atproto.sync.getRecord",
                             [("did", did), ("collection", collection), ("rkey", rkey)],
                             purpose="proof", accept=(400, 404))
            if not page.exchange.ok:
                failed += 1
                continue
            try:
                checked = check_proof(page.exchange.body, doc[1], uri)
                cid, problem = checked.record_cid, None
            except ProofError as exc:
                cid, problem = None, str(exc)
                failed += 1
            save_proof(rnd.conn, ProofRow(uri, did, page.raw_sha256, doc[0], cid, problem,
                                          to_iso(page.exchange.requested_at) or ""))
        if failed:
            rnd.note(f"{failed} Bluesky post(s) without a proof that checks (deleted, a PDS"
                     f" that did not answer, or a proof that failed)")
        rnd.save("proofs", None, done=True)

    # deletions ------------------------------------------------------------------------------
    def confirm_gone(self, rnd: CollectRound, post_ids: Sequence[str]) -> list[tuple[str, Page]]:
        """Ask getPosts for posts a round no longer saw; those it does not return are gone."""
        gone: list[tuple[str, Page]] = []
        for start in range(0, len(post_ids), POSTS_PER_REQUEST):
            batch = list(post_ids[start : start + POSTS_PER_REQUEST])
            page = rnd.fetch(self._xrpc("app.bsky.feed.getPosts"), [("uris", u) for u in batch],
                             purpose="deletion-check", parser=parse_bluesky_page,
                             found_via="deletion-check")
            present = {p.id for p in page.posts}
            gone.extend((uri, page) for uri in batch if uri not in present)
        return gone
