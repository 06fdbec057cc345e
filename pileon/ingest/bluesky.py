"""Bluesky adapter: getPostThread trees, getQuotes pages and getProfiles into posts and accounts.

Thread nodes are switched on `$type`; `#notFoundPost` and `#blockedPost` become placeholder posts
(known only by their AT-URI). Post ids are AT-URIs; accounts are keyed on the DID, never the handle.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pileon.errors import RecordError
from pileon.ingest.pages import (
    PageRecords,
    as_int,
    container,
    need,
    parse_time,
    read_json_pages,
)
from pileon.records import Account, Post, SourceBatch

__all__ = ["BlueskySource", "parse_bluesky_page", "web_url"]

PLATFORM = "bluesky"
_THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"
_NOT_FOUND = "app.bsky.feed.defs#notFoundPost"
_BLOCKED = "app.bsky.feed.defs#blockedPost"
_MARKERS = re.compile(rb'"(app\.bsky\.[a-z.]+(#\w+)?|at://did:[a-z]+:[^"]+)"')
_PROFILE_MARKERS = re.compile(rb'"(did)"\s*:\s*"did:[a-z]+:')
_METRICS = {
    "replyCount": "reply_count",
    "repostCount": "repost_count",
    "likeCount": "like_count",
    "quoteCount": "quote_count",
    "bookmarkCount": "bookmark_count",
}


def _did_of(uri: str) -> str | None:
    """at://did:plc:abc/app.bsky.feed.post/xyz -> did:plc:abc."""
    if uri.startswith("at://did:"):
        return uri[len("at://"):].split("/", 1)[0]
    return None


def web_url(uri: str, handle: str | None) -> str | None:
    """https://bsky.app/profile/<handle>/post/<rkey>; the DID stands in for an invalid handle."""
    parts = uri[len("at://"):].split("/") if uri.startswith("at://") else []
    if len(parts) != 3 or parts[1] != "app.bsky.feed.post":
        return None
    who = handle if handle and handle != "handle.invalid" else parts[0]
    return f"https://bsky.app/profile/{who}/post/{parts[2]}"


def _labels(owner: str, *sources: Any) -> tuple[tuple[str, str], ...] | None:
    """Labels as (value, "self" | labeler DID) from a view's `labels` array (label objects with
    `src`, `val`, `neg`) and a record's `labels` (com.atproto.label.defs#selfLabels); None when
    neither is there. A negation (`neg: true`) withdraws the label it names."""
    stated = False
    found: dict[tuple[str, str], None] = {}
    for value in sources:
        if isinstance(value, Mapping):  # a record's selfLabels: {"values": [{"val": ...}]}
            value = [{**v, "src": owner} for v in value.get("values") or () if isinstance(v, Mapping)]
        if not isinstance(value, list):
            continue
        stated = True
        for label in value:
            if not isinstance(label, Mapping) or not isinstance(label.get("val"), str):
                continue
            src = label.get("src")
            key = (label["val"], "self" if src in (None, owner) else str(src))
            if label.get("neg") is True:
                found.pop(key, None)
            else:
                found[key] = None
    return tuple(found) if stated else None


def _account(profile: Any) -> Account:
    did = str(need(profile, "did", "profile"))
    handle = profile.get("handle")
    return Account(
        platform=PLATFORM,
        id=did,
        handle=handle,
        display_name=profile.get("displayName") or None,
        created_at=parse_time(profile.get("createdAt"), "createdAt"),
        followers_count=as_int(profile.get("followersCount")),
        following_count=as_int(profile.get("followsCount")),
        posts_count=as_int(profile.get("postsCount")),
        # The AppView leaves `avatar` out when there is none, so absence is a real signal.
        has_avatar="avatar" in profile,
        description=profile.get("description"),
        url=f"https://bsky.app/profile/{handle if handle and handle != 'handle.invalid' else did}",
        labels=_labels(did, profile.get("labels")),
    )


def _ref_uri(reply: Any, which: str) -> str | None:
    ref = reply.get(which) if isinstance(reply, Mapping) else None
    uri = ref.get("uri") if isinstance(ref, Mapping) else None
    return str(uri) if uri else None


def _quoted_uri(embed: Any) -> str | None:
    if not isinstance(embed, Mapping):
        return None
    kind = embed.get("$type", "")
    inner = embed.get("record")
    if kind.startswith("app.bsky.embed.recordWithMedia") and isinstance(inner, Mapping):
        inner = inner.get("record")
    elif not kind.startswith("app.bsky.embed.record"):
        return None
    uri = inner.get("uri") if isinstance(inner, Mapping) else None
    return str(uri) if uri else None


def _embedded_quote(embed: Any, found: PageRecords) -> None:
    """The quoted post the AppView delivers inside `embed` (record#view) is a post of its own."""
    if not isinstance(embed, Mapping):
        return
    inner = embed.get("record")
    if str(embed.get("$type", "")).startswith("app.bsky.embed.recordWithMedia"):
        inner = inner.get("record") if isinstance(inner, Mapping) else None
    if not isinstance(inner, Mapping) or inner.get("$type") != "app.bsky.embed.record#viewRecord":
        return
    quoted = {"uri": inner.get("uri"), "author": inner.get("author"),
              "record": inner.get("value"), "indexedAt": inner.get("indexedAt")}
    with found.keep_aside("embed.record", inner):
        found.add_post(_post(quoted, found))


def _post(view: Any, found: PageRecords) -> Post:
    """A postView (plus its author) as a Post; the author goes into `found`."""
    uri = str(need(view, "uri", "post"))
    author = need(view, "author", "post")
    record = need(view, "record", "post")
    if not isinstance(record, Mapping) or "text" not in record:
        raise RecordError("post record is missing required field 'text'")
    account = _account(author)
    found.add_account(account)
    reply = record.get("reply")
    parent = _ref_uri(reply, "parent")
    root = _ref_uri(reply, "root")
    quote_of = _quoted_uri(record.get("embed"))
    _embedded_quote(view.get("embed"), found)
    created = parse_time(record.get("createdAt"), "createdAt")
    indexed = parse_time(view.get("indexedAt"), "indexedAt")
    # createdAt is client-declared; like the AppView's sortAt, never trust a time in the future.
    when = min(t for t in (created, indexed) if t) if (created or indexed) else None
    langs = record.get("langs")
    return Post(
        platform=PLATFORM,
        id=uri,
        text=str(record["text"]),
        author_id=account.id,
        uri=uri,
        url=web_url(uri, account.handle),
        lang_reported=",".join(langs) if isinstance(langs, list) and langs else None,
        created_at=when,
        reply_to=str(parent) if parent else None,
        quote_of=quote_of,
        root_id=str(root) if root else (uri if not parent else None),
        kind="reply" if parent else ("quote" if quote_of else "root"),
        metrics={
            ours: value for theirs, ours in _METRICS.items()
            if (value := as_int(view.get(theirs))) is not None
        } or None,
        labels=_labels(account.id, view.get("labels"), record.get("labels")),
    )


def _placeholder(node: Mapping[str, Any], kind: str, parent: str | None, root: str | None) -> Post:
    uri = str(need(node, "uri", "thread node"))
    author = node.get("author")
    did = author.get("did") if isinstance(author, Mapping) else None
    return Post(
        platform=PLATFORM,
        id=uri,
        text="",
        author_id=did or _did_of(uri),
        uri=uri,
        url=web_url(uri, None),
        reply_to=parent,
        root_id=root,
        kind="root" if uri == root else "reply",
        placeholder=kind,
    )


def _thread(top: Any, found: PageRecords) -> None:
    """Walk a getPostThread tree (parents up, replies down) without recursion."""
    anchor_root: str | None = None
    if isinstance(top, Mapping) and isinstance(top.get("post"), Mapping):
        record = top["post"].get("record")
        reply = record.get("reply") if isinstance(record, Mapping) else None
        root = _ref_uri(reply, "root")
        anchor_root = root or top["post"].get("uri")
    # (node, where, parent uri known from the tree position, walk replies?, walk parent?)
    stack: list[tuple[Any, str, str | None, bool, bool]] = [(top, "thread", None, True, True)]
    while stack:
        node, where, tree_parent, down, up = stack.pop()
        if not isinstance(node, Mapping):
            found.reject_item(where, "thread node is not an object", node)
            continue
        kind = node.get("$type", "")
        if kind == _NOT_FOUND or node.get("notFound") is True:
            with found.keep_aside(where, node):
                found.add_post(_placeholder(node, "not_found", tree_parent, anchor_root))
        elif kind == _BLOCKED or node.get("blocked") is True:
            with found.keep_aside(where, node):
                found.add_post(_placeholder(node, "blocked", tree_parent, anchor_root))
        elif kind == _THREAD_VIEW or "post" in node:
            post: Post | None = None
            with found.keep_aside(where + ".post", node.get("post")):
                post = _post(node.get("post"), found)
            if post is None:
                continue
            found.add_post(post)
            if up and node.get("parent") is not None:
                stack.append((node["parent"], where + ".parent", None, False, True))
            replies = node.get("replies") or []
            if down and not isinstance(replies, list):
                found.reject_item(where + ".replies", "'replies' is not a JSON array", replies)
            elif down:
                for i, child in enumerate(replies):
                    stack.append((child, f"{where}.replies[{i}]", post.id, True, False))
        else:
            found.reject_item(where, f"unknown thread node type {kind!r}", node)


_V2_GONE = {
    "app.bsky.unspecced.defs#threadItemNotFound": "not_found",
    "app.bsky.unspecced.defs#threadItemBlocked": "blocked",
    # the author lets only signed-in readers see it: known by its address, no text
    "app.bsky.unspecced.defs#threadItemNoUnauthenticated": "unavailable",
}


def _thread_v2(items: list[Any], found: PageRecords) -> None:
    """app.bsky.unspecced.getPostThreadV2: `thread` is a flat list of {uri, depth, value}, the
    anchor at depth 0, its parents above (negative depth), replies below."""
    root: str | None = None
    for i, item in enumerate(items):
        where = f"thread[{i}]"
        value = item.get("value") if isinstance(item, Mapping) else None
        if not isinstance(value, Mapping):
            found.reject_item(where, "thread item has no 'value' object", item)
            continue
        kind = str(value.get("$type", ""))
        if isinstance(value.get("post"), Mapping):
            post: Post | None = None
            with found.keep_aside(where + ".value.post", value["post"]):
                post = _post(value["post"], found)
            if post is not None:
                found.add_post(post)
                root = root or (post.root_id if post.kind == "reply" else post.id)
        elif kind in _V2_GONE:
            with found.keep_aside(where, item):
                found.add_post(_placeholder({"uri": item.get("uri")}, _V2_GONE[kind], None, root))
        else:
            found.reject_item(where, f"unknown thread item type {kind!r}", item)


def parse_bluesky_page(page: Any, found: PageRecords) -> None:
    """Read one getPostThread / getQuotes / searchPosts / getProfiles body into `found`."""
    if not isinstance(page, Mapping):
        raise RecordError("not a Bluesky response: expected a JSON object")
    if "thread" in page and isinstance(page["thread"], list):
        _thread_v2(page["thread"], found)
    elif "thread" in page:
        _thread(page["thread"], found)
    elif "posts" in page:
        for i, view in enumerate(container(page, "posts", list)):
            with found.keep_aside(f"posts[{i}]", view):
                found.add_post(_post(view, found))
    elif "profiles" in page:
        for i, profile in enumerate(container(page, "profiles", list)):
            with found.keep_aside(f"profiles[{i}]", profile):
                found.add_account(_account(profile))
    elif "did" in page and "handle" in page:  # one profile on its own (getProfile)
        found.add_account(_account(page))
    else:
        raise RecordError(
            "not a Bluesky getPostThread, getQuotes or getProfiles response:"
            " no 'thread', 'posts' or 'profiles'"
        )


class BlueskySource:
    """The `bluesky` source: app.bsky.* JSON response bodies."""

    name = "bluesky"
    version = "1"

    def sniff(self, head: bytes, path: Path) -> float:
        if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] not in (b"{", b"["):
            return 0.0
        if _MARKERS.search(head):
            return 0.9
        if _PROFILE_MARKERS.search(head) and b'"handle"' in head:
            return 0.8
        return 0.0

    def read(self, path: Path, options: dict[str, Any]) -> Iterator[SourceBatch]:
        return read_json_pages(
            path, options, adapter=self.name, version=self.version, parse_page=parse_bluesky_page
        )
