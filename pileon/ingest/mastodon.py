"""Mastodon adapter: /statuses/:id/context, single statuses, arrays of statuses, account objects.

Status and account ids are local to the server that answered (Mastodon says: opaque strings);
`uri` is the cross-server identity. A reply whose parent is missing from a context (filtered,
blocked or deleted) gets a placeholder parent, so the tree stays whole.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pileon.errors import RecordError
from pileon.ingest.html_text import html_to_text
from pileon.ingest.pages import (
    PageRecords,
    as_int,
    container,
    need,
    parse_time,
    read_json_pages,
)
from pileon.records import Account, Post, SourceBatch

__all__ = ["MastodonSource", "normalise_acct", "parse_mastodon_page"]

PLATFORM = "mastodon"
_MARKERS = re.compile(rb'"(in_reply_to_id|in_reply_to_account_id|spoiler_text|reblogs_count|descendants)"\s*:')
_QUOTE_FALLBACK = re.compile(r'<p class="quote-inline">.*?</p>', re.DOTALL)
_ACCOUNT_MARKERS = re.compile(rb'"(acct|statuses_count|avatar_static)"\s*:')
_METRICS = {
    "replies_count": "reply_count",
    "reblogs_count": "repost_count",
    "favourites_count": "like_count",
    "quotes_count": "quote_count",
}


def normalise_acct(acct: str, profile_url: Any) -> str:
    """'anna@social.example' stays; a local 'nargiz' becomes 'nargiz@<host of its profile URL>'."""
    acct = acct.lstrip("@")
    if "@" in acct or not isinstance(profile_url, str):
        return acct
    parts = urlsplit(profile_url)
    host = parts.hostname
    try:
        port = parts.port
    except ValueError:
        port = None
    if host and port:  # an instance on a non-default port keeps it: acct@host:port
        host = f"{host}:{port}"
    return f"{acct}@{host}" if host else acct


def _account(account: Any) -> Account:
    account_id = str(need(account, "id", "account"))
    acct = account.get("acct") or account.get("username")
    avatar = account.get("avatar")
    note = account.get("note")
    return Account(
        platform=PLATFORM,
        id=account_id,
        handle=normalise_acct(str(acct), account.get("url")) if acct else None,
        display_name=account.get("display_name") or None,
        created_at=parse_time(account.get("created_at")),
        followers_count=as_int(account.get("followers_count")),
        following_count=as_int(account.get("following_count")),
        posts_count=as_int(account.get("statuses_count")),
        # Mastodon serves /avatars/original/missing.png to accounts without an avatar.
        has_avatar=("missing.png" not in avatar) if isinstance(avatar, str) and avatar else None,
        description=html_to_text(note) if isinstance(note, str) else None,
        url=account.get("url"),
    )


def _quoted_id(status: Mapping[str, Any]) -> str | None:
    quote = status.get("quote")
    if not isinstance(quote, Mapping):
        return None
    quoted = quote.get("quoted_status")
    if isinstance(quoted, Mapping) and quoted.get("id"):
        return str(quoted["id"])
    return str(quote["quoted_status_id"]) if quote.get("quoted_status_id") else None


def _status(status: Any, found: PageRecords, root: str | None) -> Post:
    """One Status entity as a Post (its account, reblogged and quoted statuses go into `found`)."""
    status_id = str(need(status, "id", "status"))
    account = _account(need(status, "account", "status"))
    found.add_account(account)
    content = status.get("content")
    if content is None:
        raise RecordError("status is missing required field 'content'")
    # Quote posts carry a "RE: <url>" fallback line for older servers; the quote is the link.
    text = html_to_text(_QUOTE_FALLBACK.sub("", str(content)))
    spoiler = (status.get("spoiler_text") or "").strip()
    if spoiler:  # the content warning is part of what the author wrote
        text = f"{spoiler}\n\n{text}" if text else spoiler
    reblog = status.get("reblog")
    if isinstance(reblog, Mapping):
        with found.keep_aside("reblog", reblog):
            found.add_post(_status(reblog, found, None))
    quote = status.get("quote")
    if isinstance(quote, Mapping) and isinstance(quote.get("quoted_status"), Mapping):
        with found.keep_aside("quote", quote["quoted_status"]):
            found.add_post(_status(quote["quoted_status"], found, None))
    parent = status.get("in_reply_to_id")
    quote_of = _quoted_id(status)
    if parent:
        kind = "reply"
    elif isinstance(reblog, Mapping):
        kind, quote_of = "repost", str(reblog.get("id")) if reblog.get("id") else None
    elif quote_of:
        kind = "quote"
    else:
        kind = "root"
    return Post(
        platform=PLATFORM,
        id=status_id,
        text=text,
        author_id=account.id,
        uri=status.get("uri"),
        url=status.get("url"),
        lang_reported=status.get("language"),
        created_at=parse_time(status.get("created_at")),
        reply_to=str(parent) if parent else None,
        quote_of=quote_of,
        root_id=status_id if kind == "root" else root,
        kind=kind,
        metrics={
            ours: value for theirs, ours in _METRICS.items()
            if (value := as_int(status.get(theirs))) is not None
        } or None,
    )


def _context_root(statuses: list[Any]) -> str | None:
    """The status a context was asked for: the top ancestor, else the parent most replies lead to."""
    by_id = {str(s.get("id")): s for s in statuses if isinstance(s, Mapping)}
    tops: Counter[str] = Counter()
    for status in by_id.values():
        seen: set[str] = set()
        current: Mapping[str, Any] = status
        while current.get("in_reply_to_id") and str(current["in_reply_to_id"]) in by_id:
            key = str(current["in_reply_to_id"])
            if key in seen:
                break
            seen.add(key)
            current = by_id[key]
        tops[str(current.get("in_reply_to_id") or current.get("id"))] += 1
    return tops.most_common(1)[0][0] if tops else None


def _context(page: Mapping[str, Any], found: PageRecords) -> None:
    ancestors = container(page, "ancestors", list)
    descendants = container(page, "descendants", list)
    everything = [*ancestors, *descendants]
    root = _context_root(everything)
    for where, statuses in (("ancestors", ancestors), ("descendants", descendants)):
        for i, status in enumerate(statuses):
            with found.keep_aside(f"{where}[{i}]", status):
                found.add_post(_status(status, found, root))
    # Orphans: a reply whose parent is neither listed nor the root (the viewer's filters or a
    # deletion took it out). Keep the parent as a placeholder so the branch is not lost.
    listed = {p for p in found.posts}
    for status in everything:
        if not isinstance(status, Mapping):
            continue
        parent = status.get("in_reply_to_id")
        if parent and str(parent) not in listed and str(parent) != root:
            author = status.get("in_reply_to_account_id")
            found.add_post(Post(
                platform=PLATFORM, id=str(parent), text="", kind="reply",
                author_id=str(author) if author else None, root_id=root,
                placeholder="unavailable",
            ))


def parse_mastodon_page(page: Any, found: PageRecords) -> None:
    """Read a context, a status or an account (or an array element holding one) into `found`."""
    if not isinstance(page, Mapping):
        raise RecordError("not a Mastodon response: expected a JSON object")
    if "ancestors" in page or "descendants" in page:
        _context(page, found)
    elif "content" in page and "account" in page:
        found.add_post(_status(page, found, None))
    elif "acct" in page or ("username" in page and "statuses_count" in page):
        found.add_account(_account(page))
    else:
        raise RecordError(
            "not a Mastodon context, status or account: no 'descendants', 'content' or 'acct'"
        )


class MastodonSource:
    """The `mastodon` source: Mastodon REST API JSON bodies."""

    name = "mastodon"
    version = "1"

    def sniff(self, head: bytes, path: Path) -> float:
        if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] not in (b"{", b"["):
            return 0.0
        if head.strip(b"\xef\xbb\xbf \t\r\n").replace(b" ", b"") == b"[]":
            return 0.6  # an empty list of statuses (or accounts): 0 posts, not an unknown format
        if _MARKERS.search(head):
            return 0.9
        if _ACCOUNT_MARKERS.search(head) and b'"username"' in head:
            return 0.8
        return 0.0

    def read(self, path: Path, options: dict[str, Any]) -> Iterator[SourceBatch]:
        return read_json_pages(
            path, options, adapter=self.name, version=self.version, parse_page=parse_mastodon_page
        )
