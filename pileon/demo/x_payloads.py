"""X API v2 response bodies for the demo: conversation search, quote tweets, mentions timeline.

Pages hold 100 posts, newest first, with `includes.users` / `includes.tweets` expansions,
`errors[]` for deleted parents and `meta.next_token` chaining, as X sends them.
"""

from __future__ import annotations

import html
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from pileon.demo.ids import opaque_token, stable_int, x_snowflake
from pileon.demo.people import Person
from pileon.demo.plan import (
    TOMBSTONE_ID_BASE,
    DemoPlan,
    PlannedPost,
    Stream,
    root_person,
    root_post_id,
    root_profile,
)
from pileon.demo.timeline import ROOT_AT, iso_s

__all__ = ["XRenderer"]

PAGE_SIZE = 100
_ROOT_MS = int(ROOT_AT.timestamp() * 1000)
_DEFAULT_AVATAR = "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"
_SNOWFLAKE_START_MS = int(datetime(2010, 11, 4, tzinfo=UTC).timestamp() * 1000)
_LANG_CODE = {("az", "latin"): "tr", ("az", "latin_plain"): "tr", ("az", "cyrillic"): "ru",
              ("ru", "latin_translit"): "und", ("hy", "latin_translit"): "und"}


class XRenderer:
    """Turns planned X posts into tweet and user objects and pages of them."""

    def __init__(self, plan: DemoPlan) -> None:
        self.plan = plan
        self.root = root_person("x")
        info = root_profile()
        self.root_id = root_post_id("x", plan.seed)
        self.root_text = info["text_x"]
        self.user = lru_cache(maxsize=65536)(self._user)
        self.tweet = lru_cache(maxsize=8192)(self._tweet)

    # -- accounts ------------------------------------------------------------------------------
    def user_id(self, person: Person) -> str:
        if person.key == "root":
            return str(root_profile()["accounts"]["x"]["id"])
        unique = stable_int(self.plan.seed, "x-user", person.key)
        if person.created_ms < _SNOWFLAKE_START_MS:  # pre-snowflake accounts have short ids
            return str(10_000_000 + unique % 190_000_000)
        return x_snowflake(person.created_ms, unique)

    def _user(self, person: Person) -> dict[str, Any]:
        uid = self.user_id(person)
        if person.has_avatar:
            avatar_id = x_snowflake(person.created_ms + 86_400_000, stable_int(uid, "avatar"))
            picture = (f"https://pbs.twimg.com/profile_images/{avatar_id}/"
                       f"{opaque_token(uid, length=8)}_normal.jpg")
        else:
            picture = _DEFAULT_AVATAR
        rng = random.Random(stable_int(uid, "listed"))
        return {
            "id": uid,
            "name": person.display_name or person.handle,
            "username": person.handle,
            "created_at": iso_s(person.created_ms),
            "description": person.bio,
            "profile_image_url": picture,
            "protected": False,
            "public_metrics": {
                "followers_count": person.followers,
                "following_count": person.following,
                "tweet_count": person.posts,
                "listed_count": person.followers // rng.randint(40, 400),
                "like_count": person.posts * rng.randint(1, 6),
            },
            "verified": False,
        }

    # -- posts ---------------------------------------------------------------------------------
    def post_id(self, post: PlannedPost) -> str:
        return x_snowflake(post.at_ms, post.unique)

    def deleted_parent_id(self, post: PlannedPost) -> str:
        return x_snowflake(post.at_ms - 600_000, TOMBSTONE_ID_BASE + post.index % 300_000)

    def _parent(self, stream: Stream, post: PlannedPost) -> tuple[str, Person]:
        """Id and author of what `post` replies to (the root, a reply, or a deleted tweet)."""
        if post.parent_deleted:
            pool = self.plan.pools["x"]
            gone = pool.person(pool.pick(random.Random(post.unique)))
            return self.deleted_parent_id(post), gone
        if post.parent is None:
            return self.root_id, self.root
        parent = self.plan.organic(stream, post.parent)
        return self.post_id(parent), parent.author

    def _tweet(self, stream: Stream, post: PlannedPost) -> dict[str, Any]:
        rng = random.Random(stable_int(self.plan.seed, "x-metrics", post.unique))
        tweet_id = self.post_id(post)
        mentions: list[tuple[Person, int]] = []
        prefix = ""
        if post.kind == "reply":
            parent_id, parent_author = self._parent(stream, post)
            for person in dict.fromkeys(p for p in (parent_author, self.root)
                                        if p.key != post.author.key):
                mentions.append((person, len(prefix)))
                prefix += f"@{person.handle} "
        body = post.text
        if post.kind == "mention":
            mentions.append((self.root, len(prefix)))
            prefix += f"@{self.root.handle} "
        for person in post.mentions:
            body += " "
            mentions.append((person, len(prefix) + len(body)))
            body += f"@{person.handle}"
        text = prefix + body
        tweet: dict[str, Any] = {
            "id": tweet_id,
            "text": "",
            "edit_history_tweet_ids": [tweet_id],
            "author_id": self.user_id(post.author),
        }
        if post.kind == "reply":
            tweet["conversation_id"] = self.root_id
        elif post.kind == "mention":
            tweet["conversation_id"] = tweet_id
        tweet["created_at"] = iso_s(post.at_ms)
        urls = []
        if post.kind == "reply":
            tweet["in_reply_to_user_id"] = self.user_id(parent_author)
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": parent_id}]
        elif post.kind == "quote":
            tweet["referenced_tweets"] = [{"type": "quoted", "id": self.root_id}]
            short = "https://t.co/" + opaque_token(tweet_id, length=10)
            text += " " + short
            urls.append({"start": len(text) - len(short), "end": len(text), "url": short,
                         "expanded_url": f"https://x.com/{self.root.handle}/status/{self.root_id}",
                         "display_url": f"x.com/{self.root.handle}/status…"})
        tweet["text"] = html.escape(text, quote=False)
        tweet["lang"] = ("und" if post.hard == "emoji_only"
                         else _LANG_CODE.get((post.lang, post.script), post.lang))
        likes = int(rng.paretovariate(1.3)) - 1 + (2 if post.wave else 0)
        tweet["public_metrics"] = {
            "retweet_count": likes // rng.randint(8, 40),
            "reply_count": rng.randint(0, 2) if rng.random() < 0.2 else 0,
            "like_count": likes,
            "quote_count": 0,
            "bookmark_count": likes // rng.randint(30, 200),
            "impression_count": 40 + likes * rng.randint(20, 90) + rng.randint(0, 400),
        }
        entities: dict[str, Any] = {}
        if mentions:
            entities["mentions"] = [
                {"start": start, "end": start + 1 + len(p.handle), "username": p.handle,
                 "id": self.user_id(p)} for p, start in mentions]
        if urls:
            entities["urls"] = urls
        if entities:
            tweet["entities"] = entities
        return tweet

    def root_tweet(self, *, conversation: bool) -> dict[str, Any]:
        counts = self.plan.streams
        tweet: dict[str, Any] = {
            "id": self.root_id,
            "text": html.escape(self.root_text[:270], quote=False),
            "edit_history_tweet_ids": [self.root_id],
            "author_id": self.user_id(self.root),
        }
        if conversation:
            tweet["conversation_id"] = self.root_id
        tweet.update({
            "created_at": iso_s(_ROOT_MS),
            "lang": "tr",
            "public_metrics": {
                "retweet_count": counts["x-reply"].count // 3,
                "reply_count": counts["x-reply"].count,
                "like_count": counts["x-reply"].count * 4,
                "quote_count": counts["x-quote"].count,
                "bookmark_count": counts["x-reply"].count // 3,
                "impression_count": counts["x-reply"].count * 330,
            },
        })
        if len(self.root_text) > 270:
            tweet["note_tweet"] = {"text": self.root_text}
        return tweet

    # -- pages ---------------------------------------------------------------------------------
    def pages(self, stream: Stream) -> Iterator[tuple[dict[str, Any], list[tuple[PlannedPost, str]]]]:
        """(page body, [(post, id)]) for each page of the stream, newest first."""
        pending: list[PlannedPost] | None = None
        batch: list[PlannedPost] = []
        number = 0
        for post in self.plan.posts(stream, newest_first=True):
            batch.append(post)
            if len(batch) == PAGE_SIZE:
                if pending is not None:
                    number += 1
                    yield self._page(stream, pending, number, last=False)
                pending, batch = batch, []
        if pending is not None:
            number += 1
            yield self._page(stream, pending, number, last=not batch)
        if batch or pending is None:
            yield self._page(stream, batch, number + 1, last=True)

    def _page(self, stream: Stream, batch: list[PlannedPost], number: int,
              *, last: bool) -> tuple[dict[str, Any], list[tuple[PlannedPost, str]]]:
        data = [self.tweet(stream, post) for post in batch]
        users: dict[str, dict[str, Any]] = {}
        referenced: dict[str, dict[str, Any]] = {}
        errors = []
        for post, tweet in zip(batch, data, strict=True):
            users.setdefault(tweet["author_id"], self.user(post.author))
            if post.kind == "reply":
                if post.parent_deleted:
                    gone = self.deleted_parent_id(post)
                    errors.append({
                        "value": gone,
                        "detail": f"Could not find tweet with referenced_tweets.id: [{gone}].",
                        "title": "Not Found Error", "resource_type": "tweet",
                        "parameter": "referenced_tweets.id", "resource_id": gone,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    })
                    parent_author = self._parent(stream, post)[1]
                elif post.parent is None:
                    referenced.setdefault(self.root_id, self.root_tweet(conversation=True))
                    parent_author = self.root
                else:
                    parent = self.plan.organic(stream, post.parent)
                    referenced.setdefault(self.post_id(parent), self.tweet(stream, parent))
                    parent_author = parent.author
                users.setdefault(self.user_id(parent_author), self.user(parent_author))
            elif post.kind == "quote":
                referenced.setdefault(self.root_id, self.root_tweet(conversation=False))
                users.setdefault(self.user_id(self.root), self.user(self.root))
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
            body["includes"] = {"users": list(users.values())}
            if referenced:
                body["includes"]["tweets"] = list(referenced.values())
        if errors:
            body["errors"] = errors
        meta: dict[str, Any] = {}
        if stream.kind != "quote" and data:
            meta["newest_id"] = data[0]["id"]
            meta["oldest_id"] = data[-1]["id"]
        meta["result_count"] = len(data)
        if not last:
            meta["next_token"] = opaque_token(self.plan.seed, stream.key, number)
        body["meta"] = meta
        return body, [(post, tweet["id"]) for post, tweet in zip(batch, data, strict=True)]
