"""X API v2 adapter: conversation-search and quote-tweet response pages into posts and accounts.

Reads a single page, a JSON array of pages or JSON lines of pages. Tweets in `includes.tweets`
(the root, quoted posts) are posts too; `errors[]` naming a missing tweet becomes a placeholder.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pileon.errors import RecordError
from pileon.ingest.pages import (
    ITEM_ERRORS,
    PageRecords,
    as_int,
    container,
    need,
    parse_time,
    read_json_pages,
)
from pileon.records import Account, Post, SourceBatch

__all__ = ["XSource", "has_custom_avatar", "parse_x_page"]

PLATFORM = "x"
_DEFAULT_AVATAR = "/default_profile_images/default_profile"
_MARKERS = re.compile(
    rb'"(edit_history_tweet_ids|edit_history_post_ids|conversation_id|referenced_tweets'
    rb'|referenced_posts|note_tweet|in_reply_to_user_id)"\s*:'
)
# X's web app (GraphQL) answers share some field names with API v2 pages; these are web-only.
_WEB_ONLY = re.compile(rb'"(__typename|rest_id|tweet_results|full_text|globalObjects)"\s*:')
_ENVELOPE = re.compile(rb'"(data|includes|result_count|next_token|newest_id)"\s*:')
# Field names changed in the 2.167 OpenAPI (tweet -> post); accept both spellings.
_REFERENCED = ("referenced_tweets", "referenced_posts")
_METRICS = {
    "reply_count": "reply_count",
    "retweet_count": "repost_count",
    "like_count": "like_count",
    "quote_count": "quote_count",
    "bookmark_count": "bookmark_count",
    "impression_count": "impression_count",
}


def has_custom_avatar(profile_image_url: Any) -> bool | None:
    """False only for X's default egg/silhouette image; None when the field was not requested."""
    if not isinstance(profile_image_url, str) or not profile_image_url:
        return None
    return _DEFAULT_AVATAR not in profile_image_url


def _first(record: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if record.get(name) is not None:
            return record[name]
    return None


def _account(user: Any) -> Account:
    user_id = str(need(user, "id", "user"))
    username = user.get("username")
    metrics = user.get("public_metrics") or {}
    return Account(
        platform=PLATFORM,
        id=user_id,
        handle=username,
        display_name=user.get("name"),
        created_at=parse_time(user.get("created_at")),
        followers_count=as_int(metrics.get("followers_count")),
        following_count=as_int(metrics.get("following_count")),
        posts_count=as_int(metrics.get("tweet_count")),
        has_avatar=has_custom_avatar(user.get("profile_image_url")),
        description=user.get("description"),
        url=f"https://x.com/{username}" if username else None,
    )


def _post(tweet: Any, usernames: Mapping[str, str]) -> Post:
    tweet_id = str(need(tweet, "id", "tweet"))
    edits = tweet.get("edit_history_tweet_ids") or tweet.get("edit_history_post_ids")
    if isinstance(edits, list) and len(edits) > 1 and str(edits[0]).isdigit():
        # An edited post is one post with versions: keyed by its first id, each text a version.
        tweet_id = str(edits[0])
    note = tweet.get("note_tweet") or tweet.get("note_post")
    text = note.get("text") if isinstance(note, dict) and note.get("text") else None
    if text is None:
        text = tweet.get("text")
        if text is None:
            raise RecordError("tweet is missing required field 'text'")
    refs = {
        ref.get("type"): str(ref.get("id"))
        for ref in tweet.get("referenced_tweets") or tweet.get("referenced_posts") or ()
        if isinstance(ref, dict) and ref.get("id")
    }
    if "replied_to" in refs:
        kind = "reply"
    elif "quoted" in refs:
        kind = "quote"
    elif "retweeted" in refs:
        kind = "repost"
    else:
        kind = "root"
    author_id = str(tweet["author_id"]) if tweet.get("author_id") else None
    username = usernames.get(author_id or "")
    metrics = tweet.get("public_metrics") or {}
    conversation = tweet.get("conversation_id")
    return Post(
        platform=PLATFORM,
        id=tweet_id,
        text=html.unescape(text) if "&" in text else text,  # X escapes &, < and > in text
        author_id=author_id,
        # Without the author's username there is no canonical link; None lets a later page fill it.
        url=f"https://x.com/{username}/status/{tweet_id}" if username else None,
        lang_reported=tweet.get("lang"),
        created_at=parse_time(tweet.get("created_at")),
        reply_to=refs.get("replied_to"),
        # A repost is linked to what it reposts through quote_of (kind tells them apart).
        quote_of=refs.get("quoted") or refs.get("retweeted"),
        root_id=str(conversation) if conversation else (tweet_id if kind == "root" else None),
        kind=kind,
        metrics={
            ours: value
            for theirs, ours in _METRICS.items()
            if type(value := metrics.get(theirs)) is int
        }
        or None,
    )


def _placeholders(page: Mapping[str, Any], tweets: list[Any], found: PageRecords) -> None:
    """Tweets named in `errors[]` (deleted, or from a protected account) become placeholders."""
    if not page.get("errors"):
        return
    problems = container(page, "errors", list)
    children: dict[str, Mapping[str, Any]] = {}
    for tweet in tweets:
        if isinstance(tweet, dict):
            for ref in _first(tweet, _REFERENCED) or []:
                if isinstance(ref, dict) and ref.get("type") == "replied_to":
                    children.setdefault(str(ref.get("id")), tweet)
    for problem in problems:
        if not isinstance(problem, dict) or problem.get("resource_type") not in ("tweet", "post"):
            continue
        missing = problem.get("resource_id") or problem.get("value")
        if not missing:
            continue
        kind_of_problem = str(problem.get("type", ""))
        placeholder = "not_found" if kind_of_problem.endswith("resource-not-found") else "unavailable"
        child = children.get(str(missing), {})
        found.add_post(
            Post(
                platform=PLATFORM,
                id=str(missing),
                text="",
                # The reply under a deleted tweet still names the deleted tweet's author.
                author_id=str(child["in_reply_to_user_id"]) if child.get("in_reply_to_user_id") else None,
                root_id=str(child["conversation_id"]) if child.get("conversation_id") else None,
                kind="reply" if child else "root",
                url=f"https://x.com/i/web/status/{missing}",
                placeholder=placeholder,
            )
        )


def _error_answer(page: Mapping[str, Any]) -> str | None:
    """The message of an API error body ({"error": ...} / {"title", "detail"}), else None."""
    if "data" in page or "includes" in page:
        return None
    for key in ("error", "detail", "title", "message"):
        if isinstance(page.get(key), str) and page[key]:
            return page[key][:200]
    return None


def _is_user(item: Any) -> bool:
    return isinstance(item, dict) and "username" in item and "text" not in item


def _flattened_tweet(page: Mapping[str, Any], found: PageRecords) -> None:
    """One `twarc2 flatten` line: a tweet with its `author` (and quoted tweets) embedded."""
    author = page.get("author")
    usernames: dict[str, str] = {}
    if isinstance(author, dict):
        with found.keep_aside("author", author):
            account = _account(author)
            found.add_account(account)
            if account.handle:
                usernames[account.id] = account.handle
    found.add_post(_post(page, usernames))
    for ref in _first(page, _REFERENCED) or ():
        inner = ref.get("tweet") if isinstance(ref, dict) else None
        if isinstance(inner, dict) and inner.get("id") and inner.get("text") is not None:
            with found.keep_aside(f"referenced_tweets ({ref.get('type')})", inner):
                _flattened_tweet(inner, found)


def capture_time(page: Any) -> Any:
    """The capture time a page states about itself (twarc's `__twarc.retrieved_at`)."""
    if isinstance(page, dict):
        twarc = page.get("__twarc")
        if isinstance(twarc, dict):
            return twarc.get("retrieved_at")
    return None


def parse_x_page(page: Any, found: PageRecords) -> None:
    """Read one X API v2 response body (`data`, `includes`, `errors`, `meta`) into `found`."""
    if isinstance(page, dict) and (message := _error_answer(page)) is not None:
        raise RecordError(f"an error answer from the X API, no posts: {message}")
    if isinstance(page, dict) and "data" not in page and page.get("id") and "text" in page:
        _flattened_tweet(page, found)  # twarc2 flatten: one tweet a line
        return
    if not isinstance(page, dict) or not ({"data", "includes", "errors", "meta"} & page.keys()):
        raise RecordError("not an X API v2 response: no 'data', 'includes', 'errors' or 'meta'")
    includes = container(page, "includes", dict)
    data = page.get("data") or []
    if isinstance(data, dict):  # GET /2/tweets/:id answers with one object
        data = [data]
    data = container({"data": data}, "data", list)
    container(page, "errors", list)  # checked before anything is mapped
    users = container(includes, "users", list, "includes.")
    usernames = {
        str(u["id"]): u["username"]
        for u in users
        if isinstance(u, dict) and u.get("id") and u.get("username")
    }
    for i, user in enumerate(users):
        with found.keep_aside(f"includes.users[{i}]", user):
            found.add_account(_account(user))
    included = container(includes, "tweets", list, "includes.")
    for i, user in enumerate(data):
        if _is_user(user):  # GET /2/users pages: the data are accounts
            with found.keep_aside(f"data[{i}]", user):
                found.add_account(_account(user))
    data = [item for item in data if not _is_user(item)]
    for where, tweets in (("data", data), ("includes.tweets", included)):
        for i, tweet in enumerate(tweets):
            try:
                found.add_post(_post(tweet, usernames))
            except ITEM_ERRORS as exc:
                found.reject_error(f"{where}[{i}]", exc, tweet)
    _placeholders(page, [*data, *included], found)


class XSource:
    """The `x` source: X API v2 JSON pages."""

    name = "x"
    version = "1"

    def sniff(self, head: bytes, path: Path) -> float:
        if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] not in (b"{", b"["):
            return 0.0
        if _WEB_ONLY.search(head):
            return 0.0
        if b'"__twarc"' in head and _MARKERS.search(head):
            return 0.9  # twarc2 output, flattened or not
        if not _MARKERS.search(head):
            return 0.7 if re.search(rb'"data"\s*:\s*\[\s*\{[^{}]*"username"\s*:', head) else 0.0
        # Tweet fields inside an API envelope; the same fields alone may be any JSON-lines export.
        return 0.9 if _ENVELOPE.search(head) else 0.3

    def read(self, path: Path, options: dict[str, Any]) -> Iterator[SourceBatch]:
        return read_json_pages(
            path, options, adapter=self.name, version=self.version, parse_page=parse_x_page,
            capture_time=capture_time,
        )
