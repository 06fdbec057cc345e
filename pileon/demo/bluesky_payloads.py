"""Bluesky (AppView) response bodies for the demo: getPostThread, getQuotes, getProfiles.

Thread replies are nested as the AppView nests them (newest first), a few deleted replies show
as `#notFoundPost`, quotes come in pages of 100 with a cursor, profiles in batches of 25.
Fetched unauthenticated from public.api.bsky.app, so no `viewer` state appears.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from functools import lru_cache
from itertools import islice
from typing import Any

from pileon.demo.ids import bluesky_cid, bluesky_did, bluesky_tid, stable_int
from pileon.demo.people import Person
from pileon.demo.plan import (
    DemoPlan,
    PlannedPost,
    ReplyTree,
    Stream,
    root_person,
    root_post_id,
    root_profile,
)
from pileon.demo.timeline import ROOT_AT, iso_ms

__all__ = ["BlueskyRenderer"]

QUOTES_PAGE = 100
PROFILES_PAGE = 25
THREAD_CHUNK = 250  # top-level replies per getPostThread body when a thread is split
_ROOT_MS = int(ROOT_AT.timestamp() * 1000)
_LANGS = {("az", "cyrillic"): ["ru"], ("ru", "latin_translit"): ["en"],
          ("hy", "latin_translit"): ["en"]}


def _compact(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class BlueskyRenderer:
    """Turns planned Bluesky posts into post views, thread trees, quote and profile pages."""

    def __init__(self, plan: DemoPlan) -> None:
        self.plan = plan
        self.root = root_person("bluesky")
        self.root_text: str = root_profile()["text_bluesky"]
        self.root_record: dict[str, Any] = {
            "$type": "app.bsky.feed.post", "text": self.root_text, "langs": ["az"],
            "createdAt": iso_ms(_ROOT_MS + 123),
        }
        self.root_uri = (f"at://{self.did(self.root)}/app.bsky.feed.post/"
                         f"{root_post_id('bluesky', plan.seed, _ROOT_MS * 1000 + 123_000)}")
        self.root_cid = bluesky_cid(_compact(self.root_record))
        self.ordinary_authors: set[int] = set()
        self.wave_authors: dict[str, Person] = {}
        self.basic = lru_cache(maxsize=65536)(self._basic)
        self.view = lru_cache(maxsize=8192)(self._view)

    # -- accounts ------------------------------------------------------------------------------
    def did(self, person: Person) -> str:
        if person.key == "root":
            return str(root_profile()["accounts"]["bluesky"]["did"])
        return bluesky_did(self.plan.seed, "bluesky", person.key)

    def handle(self, person: Person) -> str:
        if person.key == "root":
            return person.handle
        return person.handle.replace("_", "-") + ".bsky.social"

    def _avatar(self, person: Person, kind: str = "avatar") -> str:
        did = self.did(person)
        blob = bluesky_cid(f"{did}|{kind}".encode(), blob=True)
        return f"https://cdn.bsky.app/img/{kind}/plain/{did}/{blob}@jpeg"

    def _remember(self, person: Person) -> None:
        if person.key.startswith("o"):
            self.ordinary_authors.add(int(person.key[1:]))
        elif person.key.startswith("w"):
            self.wave_authors[person.key] = person

    def _basic(self, person: Person) -> dict[str, Any]:
        view: dict[str, Any] = {"did": self.did(person), "handle": self.handle(person)}
        if person.display_name:
            view["displayName"] = person.display_name
        if person.has_avatar:
            view["avatar"] = self._avatar(person)
        view["associated"] = {"activitySubscription": {"allowSubscriptions": "followers"}}
        view["labels"] = []
        view["createdAt"] = iso_ms(person.created_ms)
        return view

    def profile(self, person: Person) -> dict[str, Any]:
        view: dict[str, Any] = {"did": self.did(person), "handle": self.handle(person)}
        if person.display_name:
            view["displayName"] = person.display_name
        if person.bio:
            view["description"] = person.bio
        if person.has_avatar:
            view["avatar"] = self._avatar(person)
            view["banner"] = self._avatar(person, "banner")
        view.update({
            "followersCount": person.followers, "followsCount": person.following,
            "postsCount": person.posts,
            "associated": {"lists": 0, "feedgens": 0, "starterPacks": 0, "labeler": False,
                           "activitySubscription": {"allowSubscriptions": "followers"}},
            "indexedAt": iso_ms(person.created_ms + 7_000),
            "createdAt": iso_ms(person.created_ms),
            "labels": [],
        })
        return view

    # -- posts ---------------------------------------------------------------------------------
    def _record(self, stream: Stream, post: PlannedPost) -> dict[str, Any]:
        created = post.at_ms + stable_int(post.unique, "ms") % 1000 - 500
        text = post.text
        facets = []
        for person in post.mentions:
            text += " "
            start = len(text.encode())
            text += "@" + self.handle(person)
            facets.append({
                "$type": "app.bsky.richtext.facet",
                "index": {"byteStart": start, "byteEnd": len(text.encode())},
                "features": [{"$type": "app.bsky.richtext.facet#mention", "did": self.did(person)}],
            })
        record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text,
                                  "langs": _LANGS.get((post.lang, post.script), [post.lang]),
                                  "createdAt": iso_ms(created)}
        root_ref = {"uri": self.root_uri, "cid": self.root_cid}
        if post.kind == "reply":
            parent_ref = root_ref
            if post.parent is not None:
                parent = self.view(stream, self.plan.organic(stream, post.parent))
                parent_ref = {"uri": parent["uri"], "cid": parent["cid"]}
            record["reply"] = {"root": root_ref, "parent": parent_ref}
        if facets:
            record["facets"] = facets
        if post.kind == "quote":
            record["embed"] = {"$type": "app.bsky.embed.record", "record": root_ref}
        return record

    def _view(self, stream: Stream, post: PlannedPost) -> dict[str, Any]:
        record = self._record(stream, post)
        did = self.did(post.author)
        rkey = bluesky_tid(post.at_ms * 1000 + post.unique % 1000, post.unique % 1024)
        rng = random.Random(stable_int(self.plan.seed, "bsky-metrics", post.unique))
        likes = int(rng.paretovariate(1.4)) - 1
        view: dict[str, Any] = {
            "uri": f"at://{did}/app.bsky.feed.post/{rkey}",
            "cid": bluesky_cid(_compact(record)),
            "author": self.basic(post.author),
            "record": record,
        }
        if post.kind == "quote":
            view["embed"] = {"$type": "app.bsky.embed.record#view", "record": {
                "$type": "app.bsky.embed.record#viewRecord", "uri": self.root_uri,
                "cid": self.root_cid, "author": self.basic(self.root), "value": self.root_record,
                "labels": [], "replyCount": 0, "repostCount": 0, "likeCount": 0,
                "quoteCount": 0, "embeds": [], "indexedAt": iso_ms(_ROOT_MS + 823)}}
        view.update({"bookmarkCount": likes // 25, "replyCount": 0,
                     "repostCount": likes // rng.randint(6, 30), "likeCount": likes,
                     "quoteCount": 0, "indexedAt": iso_ms(post.at_ms + 700), "labels": []})
        return view

    def _root_view(self, replies: int, quotes: int) -> dict[str, Any]:
        return {"uri": self.root_uri, "cid": self.root_cid, "author": self.basic(self.root),
                "record": self.root_record, "bookmarkCount": replies // 8, "replyCount": replies,
                "repostCount": replies // 2, "likeCount": replies * 5, "quoteCount": quotes,
                "indexedAt": iso_ms(_ROOT_MS + 823), "labels": []}

    # -- the thread ----------------------------------------------------------------------------
    def _subtree(self, stream: Stream, tree: ReplyTree, post: PlannedPost,
                 out: list[tuple[PlannedPost, str]]) -> dict[str, Any]:
        view = dict(self.view(stream, post))
        self._remember(post.author)
        out.append((post, view["uri"]))
        replies = []
        if post.wave is None:
            children = tree.children(post.index)
            view["replyCount"] = len(children)
            for child in reversed(children):  # newest first, as the AppView sorts
                replies.append(self._subtree(stream, tree, self.plan.organic(stream, child), out))
        return {"$type": "app.bsky.feed.defs#threadViewPost", "post": view, "replies": replies,
                "threadContext": {}}

    def _not_found(self, number: int) -> dict[str, Any]:
        rng = random.Random(stable_int(self.plan.seed, "bsky-deleted", number))
        did = bluesky_did(self.plan.seed, "bluesky-deleted", number)
        at_us = (_ROOT_MS + rng.randint(10, 40 * 3600) * 1000) * 1000
        return {"$type": "app.bsky.feed.defs#notFoundPost",
                "uri": f"at://{did}/app.bsky.feed.post/{bluesky_tid(at_us, number)}",
                "notFound": True}

    def thread_bodies(self, stream: Stream, *, split: bool
                      ) -> Iterator[tuple[dict[str, Any], list[tuple[PlannedPost, str]]]]:
        """getPostThread bodies anchored at the root: one, or one per chunk of top-level replies."""
        tree = ReplyTree(self.plan, stream)
        waves = sum(w.size for w in self.plan.waves if w.platform == "bluesky" and w.kind == "reply")
        top_count = tree.top_level_count + waves
        deleted_every = max(top_count // max(3, top_count // 400), 1)
        root = self._root_view(top_count, self.plan.streams["bluesky-quote"].count)
        top = (post for post in self.plan.posts(stream, newest_first=True) if post.parent is None)
        chunk = THREAD_CHUNK if split else max(top_count, 1)
        n = 0
        while True:
            written: list[tuple[PlannedPost, str]] = []
            replies = []
            for post in islice(top, chunk):
                if n % deleted_every == deleted_every // 2:
                    replies.append(self._not_found(n))
                replies.append(self._subtree(stream, tree, post, written))
                n += 1
            if not replies and n:
                return
            body = {"thread": {"$type": "app.bsky.feed.defs#threadViewPost", "post": root,
                               "replies": replies, "threadContext": {}}}
            yield body, written
            if not split or not replies:
                return

    def quote_pages(self, stream: Stream
                    ) -> Iterator[tuple[dict[str, Any], list[tuple[PlannedPost, str]]]]:
        """getQuotes bodies, newest first, with a cursor on every page but the last."""
        posts = self.plan.posts(stream, newest_first=True)
        batch = list(islice(posts, QUOTES_PAGE))
        while True:
            following = list(islice(posts, QUOTES_PAGE))
            views = [self.view(stream, p) for p in batch]
            for p in batch:
                self._remember(p.author)
            body: dict[str, Any] = {"posts": views}
            if following:
                body["cursor"] = f"{batch[-1].at_ms}::{views[-1]['cid']}"
            body["uri"] = self.root_uri
            yield body, [(p, v["uri"]) for p, v in zip(batch, views, strict=True)]
            if not following:
                return
            batch = following

    def profile_pages(self) -> Iterator[dict[str, Any]]:
        """getProfiles bodies for everyone who replied or quoted, 25 actors per request."""
        people: list[Person] = [self.root]
        pool = self.plan.pools["bluesky"]
        batch: list[dict[str, Any]] = []

        def flush() -> Iterator[dict[str, Any]]:
            if batch:
                yield {"profiles": list(batch)}
                batch.clear()
        for person in people:
            batch.append(self.profile(person))
        for k in sorted(self.ordinary_authors):
            batch.append(self.profile(pool.person(k)))
            if len(batch) == PROFILES_PAGE:
                yield from flush()
        for key in sorted(self.wave_authors):
            batch.append(self.profile(self.wave_authors[key]))
            if len(batch) == PROFILES_PAGE:
                yield from flush()
        yield from flush()
