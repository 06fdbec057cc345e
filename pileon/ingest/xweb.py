"""X's web app answers (GraphQL and the legacy adaptive.json) into posts and accounts.

The HAR, Zeeschuimer and saved-answer adapters all end here. Both of X's layouts are read: the
older one with `legacy` user objects and the 2026-05 one (user fields under `core`, `avatar`,
`relationship_counts`, `tweet_counts`, `privacy`, `verification`; a tweet's `legacy` may be null).
Ids are strings end to end: only `rest_id` / `id_str` are used, never a JSON number.
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
    parse_time,
    read_json_pages,
)
from pileon.ingest.x import has_custom_avatar
from pileon.records import Account, Post, SourceBatch

__all__ = [
    "XGraphQLSource",
    "graphql_error",
    "looks_like_x_web",
    "parse_tweet_result",
    "parse_web_answer",
]

PLATFORM = "x"
#: Keys under which X's web answers hold one tweet result.
_RESULT_KEYS = ("tweet_results", "tweetResult", "quoted_status_result", "retweeted_status_result")
_TWEET_TYPES = {"Tweet", "TweetWithVisibilityResults", "TweetTombstone", "TweetUnavailable"}
_ENTRY_ID = re.compile(r"(?:tweet|conversationthread)-(\d+)")
_WEB_MARKERS = re.compile(
    rb'"(tweet_results|tweetResult|threaded_conversation_with_injections_v2|search_by_raw_query'
    rb'|globalObjects|full_text|rest_id)"\s*:'
)
_METRICS = {
    "reply_count": "reply_count",
    "retweet_count": "repost_count",
    "favorite_count": "like_count",
    "quote_count": "quote_count",
    "bookmark_count": "bookmark_count",
}


def looks_like_x_web(head: bytes) -> bool:
    return _WEB_MARKERS.search(head) is not None


def graphql_error(answer: Any) -> str | None:
    """The message of a GraphQL error answer ({"errors": [...]} and no data), else None."""
    if not isinstance(answer, dict) or answer.get("data"):
        return None
    errors = answer.get("errors")
    if isinstance(errors, list) and errors:
        first = errors[0] if isinstance(errors[0], dict) else {}
        return str(first.get("message") or first.get("code") or "unknown error")[:200]
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


_EMPTY: Mapping[str, Any] = {}


def _obj(value: Any) -> Mapping[str, Any]:
    """`value` when it is a JSON object, else an empty one: a field X gives as an object but a
    file gives as a number, list or boolean counts as absent, never as a crash."""
    return value if isinstance(value, dict) else _EMPTY


def parse_user(user: Any) -> Account | None:
    """A `User` result of either layout; None for a user X would not give (UserUnavailable)."""
    if not isinstance(user, dict):
        return None
    get = user.get
    if get("__typename") not in (None, "User"):
        return None
    user_id = _text(get("rest_id")) or _text(get("id_str"))
    if user_id is None or not user_id.isdigit():
        return None
    legacy = _obj(get("legacy"))
    core = _obj(get("core"))
    counts = _obj(get("relationship_counts"))
    tweets = _obj(get("tweet_counts"))
    avatar = _text(_obj(get("avatar")).get("image_url")) or _text(
        legacy.get("profile_image_url_https"))
    has_avatar = has_custom_avatar(avatar)
    if has_avatar is None and isinstance(legacy.get("default_profile_image"), bool):
        has_avatar = not legacy["default_profile_image"]
    handle = _text(core.get("screen_name")) or _text(legacy.get("screen_name"))
    bio = _obj(get("profile_bio"))
    return Account(
        platform=PLATFORM,
        id=user_id,
        handle=handle,
        display_name=_text(core.get("name")) or _text(legacy.get("name")),
        created_at=parse_time(core.get("created_at") or legacy.get("created_at")),
        followers_count=as_int(counts.get("followers", legacy.get("followers_count"))),
        following_count=as_int(counts.get("following", legacy.get("friends_count"))),
        posts_count=as_int(tweets.get("tweets", legacy.get("statuses_count"))),
        has_avatar=has_avatar,
        description=_text(bio.get("description")) or _text(legacy.get("description")),
        url=f"https://x.com/{handle}" if handle else None,
    )


def _placeholder(tweet_id: str, reason: str) -> Post:
    return Post(
        platform=PLATFORM,
        id=tweet_id,
        text="",
        kind="root",
        url=f"https://x.com/i/web/status/{tweet_id}",
        placeholder=reason,
    )


def parse_tweet_result(
    result: Any, found: PageRecords, where: str, fallback_id: str | None = None
) -> str | None:
    """Store one tweet result (and the quoted / reposted tweet inside it); its id, if known."""
    if not isinstance(result, dict):
        return None
    kind_name = result.get("__typename")
    if kind_name == "TweetWithVisibilityResults":
        return parse_tweet_result(result.get("tweet"), found, where, fallback_id)
    if kind_name in ("TweetTombstone", "TweetUnavailable") or (
        kind_name is None and not result.get("rest_id") and not result.get("legacy")
    ):
        if fallback_id:
            tombstone = str(_obj(_obj(result.get("tombstone")).get("text")).get("text") or "")
            gone = "deleted" in tombstone.lower() or result.get("reason") == "Deleted"
            found.add_post(_placeholder(fallback_id, "not_found" if gone else "unavailable"))
        return fallback_id
    legacy = result.get("legacy") if isinstance(result.get("legacy"), dict) else None
    tweet_id = _text(result.get("rest_id")) or (legacy and _text(legacy.get("id_str"))) or None
    if tweet_id is None:
        raise RecordError("tweet result has no 'rest_id'")
    user = _obj(_obj(result.get("core")).get("user_results")).get("result")
    try:
        account = parse_user(user)
    except ITEM_ERRORS as exc:  # the author's object is kept aside; the post is still read
        found.reject_error(where + ".core.user_results", exc, user)
        account = None
    if account is not None:
        found.add_account(account)
    quoted_result = _obj(result.get("quoted_status_result")).get("result")
    quoted = None
    if isinstance(quoted_result, dict):  # (anything else reads as no quoted tweet)
        quoted_where = where + " (quoted)"
        try:
            quoted = parse_tweet_result(
                quoted_result, found, quoted_where,
                _text(legacy.get("quoted_status_id_str")) if legacy else None)
        except ITEM_ERRORS as exc:  # a broken quoted tweet is kept aside, not the quoting one
            found.reject_error(quoted_where, exc, quoted_result)
    if legacy is None:
        # The 2026-05 layout may leave `legacy` null for a post X would not show in full.
        note = _note_text(result)
        if note is None:
            found.add_post(
                Post(
                    platform=PLATFORM,
                    id=tweet_id,
                    text="",
                    author_id=account.id if account else None,
                    kind="root",
                    url=f"https://x.com/i/web/status/{tweet_id}",
                    placeholder="unavailable",
                )
            )
            return tweet_id
        legacy = {}
    else:
        note = _note_text(result)
    found.add_post(_legacy_post(tweet_id, legacy, note, result, account, quoted, found, where))
    return tweet_id


def _note_text(result: Mapping[str, Any]) -> str | None:
    if result.get("note_tweet") is None:
        return None  # most posts: not a long one
    note = _obj(_obj(_obj(result.get("note_tweet")).get("note_tweet_results")).get("result"))
    return _text(note.get("text"))


def _legacy_post(
    tweet_id: str,
    legacy: Mapping[str, Any],
    note: str | None,
    result: Mapping[str, Any],
    account: Account | None,
    quoted: str | None,
    found: PageRecords,
    where: str,
) -> Post:
    text = note or _text(legacy.get("full_text")) or legacy.get("text")
    if not isinstance(text, str):
        raise RecordError("tweet has neither 'full_text' nor note_tweet text")
    reposted = None
    inner = legacy.get("retweeted_status_result")
    if isinstance(inner, dict):
        try:
            reposted = parse_tweet_result(inner.get("result"), found, where + " (reposted)")
        except ITEM_ERRORS as exc:  # the reposted tweet is kept aside; the repost still counts
            found.reject_error(where + " (reposted)", exc, inner.get("result"))
            reposted = None
    reply_to = _text(legacy.get("in_reply_to_status_id_str"))
    quoted = quoted or _text(legacy.get("quoted_status_id_str"))
    if reposted:
        kind = "repost"
    elif reply_to:
        kind = "reply"
    elif quoted or legacy.get("is_quote_status") is True:
        kind = "quote"
    else:
        kind = "root"
    author_id = (account.id if account else None) or _text(legacy.get("user_id_str"))
    handle = account.handle if account else None
    metrics = {ours: v for theirs, ours in _METRICS.items()
               if type(v := legacy.get(theirs)) is int}
    views = as_int(_obj(result.get("views")).get("count"))
    if views is not None:
        metrics["impression_count"] = views
    conversation = _text(legacy.get("conversation_id_str"))
    return Post(
        platform=PLATFORM,
        id=tweet_id,
        text=html.unescape(text) if "&" in text else text,  # X escapes &, < and > in text
        author_id=author_id,
        url=f"https://x.com/{handle}/status/{tweet_id}" if handle else None,
        lang_reported=_text(legacy.get("lang")),
        created_at=parse_time(legacy.get("created_at")),
        reply_to=reply_to,
        quote_of=reposted or quoted,
        root_id=conversation or (tweet_id if kind == "root" else None),
        kind=kind,
        metrics=metrics or None,
    )


def _legacy_user(user_id: str, user: Any) -> Account | None:
    if not isinstance(user, dict):
        return None
    return parse_user({**user, "rest_id": user.get("id_str") or user_id, "legacy": user})


def _walk(value: Any, found: PageRecords, path: str, entry_id: str | None) -> None:
    if isinstance(value, dict):
        entry = value.get("entryId")
        if isinstance(entry, str) and (match := _ENTRY_ID.fullmatch(entry)):
            entry_id = match.group(1)
        for key, inner in value.items():
            if key in _RESULT_KEYS and isinstance(inner, dict) and "result" in inner:
                try:
                    parse_tweet_result(inner["result"], found, path + "." + key, entry_id)
                except ITEM_ERRORS as exc:
                    found.reject_error(path + "." + key, exc, inner["result"])
            elif key == "user_results" and isinstance(inner, dict):
                try:
                    account = parse_user(inner.get("result"))
                except ITEM_ERRORS as exc:
                    found.reject_error(path + "." + key, exc, inner.get("result"))
                    continue
                if account is not None:
                    found.add_account(account)
            elif isinstance(inner, dict | list):
                _walk(inner, found, path + "." + key, entry_id)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            if isinstance(inner, dict | list):
                _walk(inner, found, f"{path}[{i}]", entry_id)


def parse_web_answer(answer: Any, found: PageRecords) -> None:
    """Read one X web answer (GraphQL body, legacy adaptive.json or one tweet result)."""
    message = graphql_error(answer)
    if message is not None:
        raise RecordError(f"an X GraphQL error answer, no posts: {message}")
    if not isinstance(answer, dict):
        raise RecordError(f"not an X web answer: a JSON {type(answer).__name__}")
    glob = answer.get("globalObjects")
    if isinstance(glob, dict):  # legacy adaptive.json: {"globalObjects": {"tweets", "users"}}
        users = glob.get("users") or {}
        for user_id, user in users.items() if isinstance(users, dict) else ():
            with found.keep_aside(f"globalObjects.users.{user_id}", user):
                account = _legacy_user(str(user_id), user)
                if account is not None:
                    found.add_account(account)
        tweets = glob.get("tweets") or {}
        for tweet_id, tweet in tweets.items() if isinstance(tweets, dict) else ():
            with found.keep_aside(f"globalObjects.tweets.{tweet_id}", tweet):
                user = users.get(str(tweet.get("user_id_str"))) if isinstance(users, dict) else None
                account = _legacy_user(str(tweet.get("user_id_str")), user) if user else None
                tid = str(tweet.get("id_str") or tweet_id)
                found.add_post(_legacy_post(tid, tweet, None, {}, account, None, found, "tweet"))
        return
    typename = answer.get("__typename")
    if (isinstance(typename, str) and typename in _TWEET_TYPES) or (
        "rest_id" in answer and "legacy" in answer
    ):
        parse_tweet_result(answer, found, "tweet")  # one bare tweet result (Zeeschuimer's items)
        return
    before = len(found.posts) + len(found.rejected)
    _walk(answer, found, "data", None)
    if len(found.posts) + len(found.rejected) == before and not found.accounts:
        raise RecordError("an X web answer with no posts in it")


def _exporter_item(item: Any, found: PageRecords) -> None:
    """One element of a saved file: a GraphQL answer, a bare tweet result or an exporter row."""
    if isinstance(item, dict) and isinstance(item.get("metadata"), dict):
        parse_tweet_result(item["metadata"], found, "metadata")  # twitter-web-exporter keeps it
        return
    parse_web_answer(item, found)


class XGraphQLSource:
    """The `x-web` source: saved X web answers (TweetDetail, SearchTimeline, ...) and exports."""

    name = "x-web"
    version = "1"

    def sniff(self, head: bytes, path: Path) -> float:
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        if start not in (b"{", b"["):
            return 0.0
        if b'"log"' in head[:4096] and b'"entries"' in head:
            return 0.0  # a HAR: its own adapter
        if b'"timestamp_collected"' in head or b'"__import_meta"' in head:
            return 0.0  # Zeeschuimer
        return 0.85 if looks_like_x_web(head) else 0.0

    def read(self, path: Path, options: dict[str, Any]) -> Iterator[SourceBatch]:
        return read_json_pages(
            path, options, adapter=self.name, version=self.version, parse_page=_exporter_item
        )
