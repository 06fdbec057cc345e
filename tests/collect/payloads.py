"""Response bodies for the replay server, built from the real-format examples in
tests/fixtures/formats (copied from ../shared/formats): cut trees, extra pages, deletions."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FORMATS = Path(__file__).parent.parent / "fixtures" / "formats"

BSKY_DID = "did:plc:3qcahf3obfm3dacetfblea2k"
BSKY_RKEY = "3mgyy7clrxsva"
BSKY_ROOT = f"at://{BSKY_DID}/app.bsky.feed.post/{BSKY_RKEY}"
BSKY_URL = f"https://bsky.app/profile/nargiz.example.com/post/{BSKY_RKEY}"
KIRILL_POST = "at://did:plc:cvu56hwf4v44hgjbq2gckx64/app.bsky.feed.post/3mgyz3pne6km4"
MIRA_REPLY = "at://did:plc:sczhscwcgeqmwffgvl5j3sdj/app.bsky.feed.post/3mgyymvtelk2u"
NARGIZ_UNDER_MIRA = f"at://{BSKY_DID}/app.bsky.feed.post/3mgyzyr647kra"
GONE_REPLY = "at://did:plc:tmpacct73exampleabcdefgh/app.bsky.feed.post/3mgz6xxxxxxx2"

MASTO_ROOT = "116226706668358875"
MASTO_URL = f"https://mastodon.example/@nargiz/{MASTO_ROOT}"

X_ROOT = "2032759188149411755"
X_URL = f"https://x.com/sample_nargiz/status/{X_ROOT}"


def load(name: str) -> Any:
    return json.loads((FORMATS / name).read_text(encoding="utf-8"))


# Bluesky -------------------------------------------------------------------------------------
def _nodes(thread: dict[str, Any]) -> list[dict[str, Any]]:
    found, stack = [], [thread]
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(node.get("replies") or [])
    return found


def _node(thread: dict[str, Any], uri: str) -> dict[str, Any]:
    return next(n for n in _nodes(thread) if (n.get("post") or {}).get("uri") == uri)


def bsky_thread() -> dict[str, Any]:
    return load("bluesky_getPostThread.json")


def bsky_thread_cut() -> tuple[dict[str, Any], dict[str, Any]]:
    """The tree with kirill's reply cut off below (replyCount 1, no replies) + that subtree."""
    full = bsky_thread()
    subtree = {"thread": copy.deepcopy(_node(full["thread"], KIRILL_POST))}
    cut = bsky_thread()
    del _node(cut["thread"], KIRILL_POST)["replies"]
    return cut, subtree


def bsky_thread_with_not_found() -> dict[str, Any]:
    body = bsky_thread()
    body["thread"]["replies"].append(
        {"$type": "app.bsky.feed.defs#notFoundPost", "uri": GONE_REPLY, "notFound": True}
    )
    return body


def bsky_thread_without(uri: str) -> dict[str, Any]:
    """The tree after `uri` was deleted: gone with its subtree, the parent's count lowered."""
    body = bsky_thread()
    for node in _nodes(body["thread"]):
        replies = node.get("replies") or []
        kept = [r for r in replies if (r.get("post") or {}).get("uri") != uri]
        if len(kept) != len(replies):
            node["replies"] = kept
            node["post"]["replyCount"] -= 1
    return body


def bsky_posts(*uris: str) -> dict[str, Any]:
    """getPosts: the views of those `uris` the thread example holds."""
    views = {n["post"]["uri"]: n["post"] for n in _nodes(bsky_thread()["thread"]) if "post" in n}
    return {"posts": [views[u] for u in uris if u in views]}


def bsky_quotes_pages() -> tuple[dict[str, Any], dict[str, Any]]:
    first = load("bluesky_getQuotes.json")
    first["cursor"] = "1773487000000::bafyreiquotespage2"
    extra = copy.deepcopy(first["posts"][2])
    extra["uri"] = extra["uri"].replace("3mgz3hou4q2bf", "3mh2b2222222a")
    extra["cid"] = extra["cid"][:-4] + "aaaa"
    second = {"posts": [extra], "uri": first["uri"]}
    return first, second


def bsky_profiles() -> dict[str, Any]:
    return load("bluesky_getProfiles.json")


# Mastodon ------------------------------------------------------------------------------------
def masto_context() -> dict[str, Any]:
    return load("mastodon_context.json")


def masto_status(status_id: str, parent: str | None, *, replies: int = 0,
                 template: int = 1) -> dict[str, Any]:
    """A status shaped exactly like the example's, with a new id, parent and reply count."""
    status = copy.deepcopy(masto_context()["descendants"][template])
    status["id"] = status_id
    status["in_reply_to_id"] = parent
    status["uri"] = status["uri"].rsplit("/", 1)[0] + "/" + status_id
    status["url"] = status["url"].rsplit("/", 1)[0] + "/" + status_id
    status["replies_count"] = replies
    return status


def masto_root(replies: int) -> dict[str, Any]:
    root = masto_status(MASTO_ROOT, None, replies=replies, template=0)
    root["in_reply_to_account_id"] = None
    root["content"] = "<p>I was nine when we left our house with one suitcase.</p>"
    return root


# X ---------------------------------------------------------------------------------------------
def x_search() -> dict[str, Any]:
    return load("x_v2_conversation_search.json")


def x_root() -> dict[str, Any]:
    search = x_search()
    tweet = next(t for t in search["includes"]["tweets"] if t["id"] == X_ROOT)
    user = next(u for u in search["includes"]["users"] if u["id"] == tweet["author_id"])
    return {"data": tweet, "includes": {"users": [user]}}


def x_quotes() -> dict[str, Any]:
    return load("x_v2_quote_tweets.json")
