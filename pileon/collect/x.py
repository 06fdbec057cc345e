"""X API v2 live client with the user's own bearer token: the conversation through recent search,
quote posts and (optionally) the author's mentions. Reads are paid per post, so the estimated
cost is shown first and collection stops before a page could take it over --max-cost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pileon.collect.round import CollectRound, Credential, Page, Relabel, as_mention, as_quote
from pileon.collect.urls import PostRef
from pileon.errors import CollectError
from pileon.ingest.x import XSource, parse_x_page
from pileon.store.collect import previous_step_cursor

__all__ = [
    "DEFAULT_API",
    "POST_READ_USD",
    "PRICE_SOURCE",
    "USER_READ_USD",
    "CostBudget",
    "XCollector",
    "page_cost",
]

DEFAULT_API = "https://api.x.com"
#: Pay-per-use prices per resource returned, from docs.x.com "x-api/getting-started/pricing"
#: (xdevplatform/docs @ 28713281, read 2026-08-22). Override with --x-post-price/--x-user-price.
POST_READ_USD = 0.005
USER_READ_USD = 0.010
PRICE_SOURCE = "docs.x.com pricing page, read 2026-08-22"
PAGE_MAX = 100  # max_results of search and quote_tweets is 10..100
PAGE_MIN = 10
TWEET_FIELDS = ("author_id,conversation_id,created_at,entities,in_reply_to_user_id,lang,"
                "note_tweet,public_metrics,referenced_tweets")
EXPANSIONS = "author_id,in_reply_to_user_id,referenced_tweets.id"
USER_FIELDS = "created_at,description,profile_image_url,protected,public_metrics,verified"
_FIELDS = (("tweet.fields", TWEET_FIELDS), ("expansions", EXPANSIONS), ("user.fields", USER_FIELDS))


@dataclass
class CostBudget:
    """What pileon may spend on X reads, shared by every round of a `watch`."""

    max_usd: float
    post_usd: float = POST_READ_USD
    user_usd: float = USER_READ_USD
    spent_usd: float = 0.0
    posts_read: int = 0
    users_read: int = 0

    def page_size(self) -> int:
        """The largest page that cannot take the total over the budget (0: stop)."""
        per_post = self.post_usd + self.user_usd  # each post may bring its author along
        room = int((self.max_usd - self.spent_usd) / per_post) if per_post > 0 else PAGE_MAX
        return 0 if room < PAGE_MIN else min(PAGE_MAX, room)

    def charge(self, body: Any) -> None:
        posts, users = page_cost(body)
        self.posts_read += posts
        self.users_read += users
        self.spent_usd += posts * self.post_usd + users * self.user_usd


def page_cost(body: Any) -> tuple[int, int]:
    """Posts and users an X response returned (what is billed)."""
    if not isinstance(body, Mapping):
        return 0, 0
    data = body.get("data") or []
    data = [data] if isinstance(data, Mapping) else data
    includes = body.get("includes") or {}
    tweets = len(data) + len(includes.get("tweets") or [])
    return tweets, len(includes.get("users") or [])


class CostStop(CollectError):
    """The next page could take the spending over --max-cost; the round stays resumable."""


class XCollector:
    platform = "x"
    version = XSource.version
    # Recent search is read incrementally (since_id), so absence proves nothing; checking each
    # post again would be paid: X deletions are noticed only through errors[] placeholders.
    checks_deletions = False

    def __init__(
        self,
        ref: PostRef,
        *,
        token: Credential,
        budget: CostBudget,
        base_url: str | None = None,
        mentions: bool = False,
    ) -> None:
        self.ref = ref
        self.token = token
        self.budget = budget
        self.base = (base_url or DEFAULT_API).rstrip("/")
        self.mentions = mentions
        self.root = ref.post_id
        self.target = f"x:{ref.post_id}"
        self.headers = {"Authorization": f"Bearer {token.value}"}

    @property
    def secrets(self) -> tuple[Credential, ...]:
        return (self.token,)

    def prepare(self, rnd: CollectRound) -> None:
        """Nothing to ask first: the URL names the post."""

    def run(self, rnd: CollectRound) -> None:
        author = self._root(rnd)
        since = previous_step_cursor(rnd.conn, self.target, rnd.round.id, "newest")
        conversation = rnd.state("conversation")
        self._search(rnd, since, conversation.cursor if conversation and conversation.cursor
                     else self.root)
        self._quotes(rnd)
        if self.mentions and author:
            self._mentions(rnd, author)

    def _fetch(self, rnd: CollectRound, path: str, params: Sequence[tuple[str, str]], *,
               purpose: str, found_via: str, relabel: Relabel | None = None) -> Page:
        page = rnd.fetch(f"{self.base}/2/{path}", params, purpose=purpose, parser=parse_x_page,
                         found_via=found_via, headers=self.headers, relabel=relabel)
        self.budget.charge(page.body)
        return page

    def _root(self, rnd: CollectRound) -> str | None:
        """The post itself, its author, and the estimate of what collecting will cost."""
        state = rnd.state("root")
        if state is not None and state.done:
            return state.cursor
        page = self._fetch(rnd, f"tweets/{self.root}", _FIELDS, purpose="status", found_via="thread")
        body = page.body if isinstance(page.body, Mapping) else {}
        tweet = body.get("data")
        if not isinstance(tweet, Mapping):
            if not rnd.has_post(self.root):
                raise CollectError(f"X has no such post {self.root} (deleted, protected, or a"
                                   " wrong URL)", path=self.ref.url)
            rnd.root_gone(self.root, page)
        metrics = tweet.get("public_metrics") if isinstance(tweet, Mapping) else None
        metrics = metrics if isinstance(metrics, Mapping) else {}
        expected = int(metrics.get("reply_count") or 0) + int(metrics.get("quote_count") or 0)
        b = self.budget
        estimate = expected * (b.post_usd + b.user_usd)
        rnd.say(f"X: about {expected} replies and quotes counted on the post; reading them costs"
                f" about ${estimate:.2f} (${b.post_usd} per post, ${b.user_usd} per user,"
                f" {PRICE_SOURCE}); stopping before ${b.max_usd:.2f} (--max-cost)")
        author = str(tweet["author_id"]) if isinstance(tweet, Mapping) and tweet.get("author_id") \
            else None
        # A post that is itself a reply sits in someone else's conversation: X's search knows
        # the thread only by the conversation's own id (its first post), never by the reply's.
        conversation = tweet.get("conversation_id") if isinstance(tweet, Mapping) else None
        if isinstance(conversation, str) and conversation.isdigit() and conversation != self.root:
            rnd.say(f"X: the post is a reply in conversation {conversation}; searching that"
                    " conversation (the post and the posts above it are context, not replies)")
            rnd.save("conversation", conversation, done=True)
        rnd.save("root", author, done=True)
        return author

    def _paged(self, rnd: CollectRound, step: str, path: str, params: Sequence[tuple[str, str]],
               *, token_param: str, found_via: str, stop_when_known: bool = False,
               relabel: Relabel | None = None) -> None:
        state = rnd.state(step)
        if state is not None and state.done:
            return
        cursor = state.cursor if state is not None else None
        while True:
            size = self.budget.page_size()
            if size == 0:
                b = self.budget
                raise CostStop(
                    f"stopped at ${b.spent_usd:.2f} of --max-cost {b.max_usd:.2f}"
                    f" ({b.posts_read} posts, {b.users_read} users read); the place is saved",
                    hint="run again (with a higher --max-cost) to continue",
                )
            extra = [(token_param, cursor)] if cursor else []
            page = self._fetch(rnd, path, [*params, ("max_results", str(size)), *_FIELDS, *extra],
                               purpose=step, found_via=found_via, relabel=relabel)
            body = page.body if isinstance(page.body, Mapping) else {}
            meta: Mapping[str, Any] = body["meta"] if isinstance(body.get("meta"), Mapping) else {}
            newest = meta.get("newest_id")
            if step == "search" and isinstance(newest, str):
                self._remember_newest(rnd, newest)
            previous = cursor
            cursor = meta.get("next_token") if isinstance(meta.get("next_token"), str) else None
            known = stop_when_known and bool(page.posts) and not page.new_ids
            if not cursor or cursor == previous or known:
                break
            rnd.save(step, cursor)
        rnd.save(step, None, done=True)

    def _remember_newest(self, rnd: CollectRound, newest: str) -> None:
        state = rnd.state("newest")
        old = state.cursor if state is not None else None
        if old is None or int(newest) > int(old):
            rnd.save("newest", newest, done=True)

    def _search(self, rnd: CollectRound, since: str | None, conversation: str) -> None:
        params = [("query", f"conversation_id:{conversation}")]
        if since:
            params.append(("since_id", since))  # later rounds read only what is new
        self._paged(rnd, "search", "tweets/search/recent", params, token_param="next_token",
                    found_via="thread")

    def _quotes(self, rnd: CollectRound) -> None:
        # Newest first: once a page holds only quotes already stored, the rest are stored too.
        self._paged(rnd, "quotes", f"tweets/{self.root}/quote_tweets", [("exclude", "retweets")],
                    token_param="pagination_token", found_via="quotes", stop_when_known=True,
                    relabel=as_quote(self.root))

    def confirm_gone(self, rnd: CollectRound, post_ids: Sequence[str]) -> list[tuple[str, Page]]:
        return []  # see checks_deletions

    def _mentions(self, rnd: CollectRound, author: str) -> None:
        since = previous_step_cursor(rnd.conn, self.target, rnd.round.id, "newest") or self.root
        self._paged(rnd, "mentions", f"users/{author}/mentions", [("since_id", since)],
                    token_param="pagination_token", found_via="mentions",
                    relabel=as_mention(self.root))
