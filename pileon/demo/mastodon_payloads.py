"""Mastodon response bodies for the demo: `GET /api/v1/statuses/:id/context` of the root.

Statuses carry sanitized HTML content (mention h-cards, `<p>`, `<br>`, entities), full account
objects, and descendants come depth-first with siblings oldest first, as Mastodon orders them.
A few replies point at a parent that was deleted before the fetch (orphans).
"""

from __future__ import annotations

import html
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from pileon.demo.ids import mastodon_id, opaque_token, stable_int
from pileon.demo.people import MASTODON_HOME, Person
from pileon.demo.plan import (
    TOMBSTONE_ID_BASE,
    DemoPlan,
    PlannedPost,
    ReplyTree,
    Stream,
    root_person,
    root_post_id,
    root_profile,
)
from pileon.demo.timeline import iso_ms

__all__ = ["CONTEXT_LIMIT", "MastodonRenderer"]

#: Descendants one authenticated /context call returns at most.
CONTEXT_LIMIT = 4096
_MISSING = f"https://{MASTODON_HOME}/avatars/original/missing.png"
_MISSING_HEADER = f"https://{MASTODON_HOME}/headers/original/missing.png"
_LANGUAGE = {("ru", "latin_translit"): "ru", ("hy", "latin_translit"): None,
             ("az", "cyrillic"): "az"}


def _midnight(epoch_ms: int) -> str:
    day = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return day.strftime("%Y-%m-%dT00:00:00.000Z")


class MastodonRenderer:
    """Turns planned Mastodon posts into Status entities and /context bodies."""

    def __init__(self, plan: DemoPlan) -> None:
        self.plan = plan
        self.root = root_person("mastodon")
        self.root_id = root_post_id("mastodon", plan.seed)
        self.account = lru_cache(maxsize=65536)(self._account)
        self.status = lru_cache(maxsize=8192)(self._status)

    # -- accounts ------------------------------------------------------------------------------
    def account_id(self, person: Person) -> str:
        if person.key == "root":
            return str(root_profile()["accounts"]["mastodon"]["id"])
        return mastodon_id(person.created_ms, stable_int(self.plan.seed, "masto", person.key))

    @staticmethod
    def username(person: Person) -> str:
        return person.handle.replace(".", "_")

    def _account(self, person: Person) -> dict[str, Any]:
        account_id = self.account_id(person)
        username = self.username(person)
        server = person.server
        local = server == MASTODON_HOME
        if person.has_avatar:
            path = "/".join(account_id[i:i + 3] for i in range(0, len(account_id), 3))
            cache = "" if local else "cache/"
            avatar = (f"https://files.{MASTODON_HOME}/{cache}accounts/avatars/{path}/original/"
                      f"{opaque_token(account_id, length=16)}.jpg")
        else:
            avatar = _MISSING
        account: dict[str, Any] = {
            "id": account_id,
            "username": username,
            "acct": username if local else f"{username}@{server}",
            "display_name": person.display_name,
            "locked": False,
            "bot": False,
            "discoverable": not person.fresh,
            "indexable": not person.fresh,
            "group": False,
            "created_at": _midnight(person.created_ms),
            "note": f"<p>{html.escape(person.bio)}</p>" if person.bio else "",
            "url": f"https://{server}/@{username}",
            "uri": f"https://{server}/users/{username}",
            "avatar": avatar,
            "avatar_static": avatar,
            "header": _MISSING_HEADER,
            "header_static": _MISSING_HEADER,
            "followers_count": person.followers,
            "following_count": person.following,
            "statuses_count": person.posts,
            "last_status_at": "2026-03-15",
            "hide_collections": False,
        }
        if local:
            account["noindex"] = False
        account["emojis"] = []
        account["fields"] = []
        return account

    def _mention(self, person: Person) -> dict[str, str]:
        account = self.account(person)
        return {"id": account["id"], "username": account["username"], "url": account["url"],
                "acct": account["acct"]}

    @staticmethod
    def _h_card(mention: dict[str, str]) -> str:
        return (f'<span class="h-card" translate="no"><a href="{mention["url"]}" '
                f'class="u-url mention">@<span>{mention["username"]}</span></a></span>')

    # -- statuses ------------------------------------------------------------------------------
    def status_id(self, post: PlannedPost) -> str:
        return mastodon_id(post.at_ms, post.unique)

    def deleted_parent_id(self, post: PlannedPost) -> str:
        return mastodon_id(post.at_ms - 420_000, TOMBSTONE_ID_BASE + post.index)

    def _status(self, stream: Stream, post: PlannedPost) -> dict[str, Any]:
        status_id = self.status_id(post)
        account = self.account(post.author)
        if post.parent_deleted:
            pool = self.plan.pools["mastodon"]
            parent_author = pool.person(pool.pick(random.Random(post.unique)))
            parent_id = self.deleted_parent_id(post)
        elif post.parent is None:
            parent_author, parent_id = self.root, self.root_id
        else:
            parent = self.plan.organic(stream, post.parent)
            parent_author, parent_id = parent.author, self.status_id(parent)
        mentioned = [p for p in dict.fromkeys((parent_author, self.root, *post.mentions))
                     if p.key != post.author.key]
        mentions = [self._mention(p) for p in mentioned]
        paragraphs = [html.escape(line, quote=True).replace("&#x27;", "&#39;")
                      for line in post.text.split("\n")]
        cards = " ".join(self._h_card(m) for m in mentions)
        content = "<p>" + (cards + " " if cards else "") + "<br>".join(paragraphs) + "</p>"
        server = post.author.server
        rng = random.Random(stable_int(self.plan.seed, "masto-metrics", post.unique))
        likes = int(rng.paretovariate(1.5)) - 1
        return {
            "id": status_id,
            "created_at": iso_ms(post.at_ms),
            "in_reply_to_id": parent_id,
            "in_reply_to_account_id": self.account_id(parent_author),
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": _LANGUAGE.get((post.lang, post.script), post.lang),
            "uri": f"https://{server}/users/{account['username']}/statuses/{status_id}",
            "url": f"https://{server}/@{account['username']}/{status_id}",
            "replies_count": 0,
            "reblogs_count": likes // rng.randint(5, 25),
            "favourites_count": likes,
            "quotes_count": 0,
            "edited_at": None,
            "favourited": False,
            "reblogged": False,
            "muted": False,
            "bookmarked": False,
            "content": content,
            "filtered": [],
            "reblog": None,
            "account": account,
            "media_attachments": [],
            "mentions": mentions,
            "tags": [],
            "emojis": [],
            "quote": None,
            "card": None,
            "poll": None,
            "quote_approval": {"automatic": ["public"], "manual": [], "current_user": "automatic"},
        }

    # -- the context ---------------------------------------------------------------------------
    def _depth_first(self, stream: Stream) -> Iterator[tuple[PlannedPost, int]]:
        """(post, number of direct replies) in Mastodon's order: depth-first, oldest first."""
        tree = ReplyTree(self.plan, stream)
        for post in self.plan.posts(stream, newest_first=False):
            if post.parent is not None:
                continue
            stack = [post]
            while stack:
                current = stack.pop()
                children = tree.children(current.index) if current.wave is None else []
                yield current, len(children)
                stack.extend(self.plan.organic(stream, c) for c in reversed(children))

    def context_bodies(self, stream: Stream
                       ) -> Iterator[tuple[dict[str, Any], list[tuple[PlannedPost, str]]]]:
        """/context of the root; a thread above the server's limit comes in several bodies."""
        batch: list[tuple[PlannedPost, dict[str, Any]]] = []
        tree_posts = self._depth_first(stream)
        while True:
            batch = []
            for post, replies in tree_posts:
                status = dict(self.status(stream, post))
                status["replies_count"] = replies
                batch.append((post, status))
                if len(batch) == CONTEXT_LIMIT:
                    break
            if not batch:
                return
            yield ({"ancestors": [], "descendants": [s for _, s in batch]},
                   [(p, s["id"]) for p, s in batch])
            if len(batch) < CONTEXT_LIMIT:
                return
