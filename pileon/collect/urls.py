"""Reading a post's URL: which platform, which server, which post. Anything else is a clear
error that lists the forms pileon understands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from pileon.errors import CollectError

__all__ = ["SUPPORTED_FORMS", "PostRef", "parse_post_url"]

SUPPORTED_FORMS: tuple[str, ...] = (
    "https://bsky.app/profile/<handle or did>/post/<rkey>",
    "at://<did or handle>/app.bsky.feed.post/<rkey>",
    "https://<mastodon server>/@<user>/<status id>",
    "https://<mastodon server>/@<user>@<their server>/<status id>",
    "https://<mastodon server>/users/<user>/statuses/<status id>",
    "https://x.com/<user>/status/<post id>  (twitter.com and mobile.twitter.com too)",
    "https://x.com/i/web/status/<post id>",
)

_RKEY = r"[234567abcdefghijklmnopqrstuvwxyz]{13}|[A-Za-z0-9._~:-]{1,512}"
_ACTOR = r"did:[a-z]+:[A-Za-z0-9._:%-]+|[A-Za-z0-9.-]+\.[A-Za-z0-9-]+"
_BSKY_WEB = re.compile(rf"^/profile/(?P<actor>{_ACTOR})/post/(?P<rkey>{_RKEY})/?$")
_AT_URI = re.compile(rf"^at://(?P<actor>{_ACTOR})/app\.bsky\.feed\.post/(?P<rkey>{_RKEY})$")
_BSKY_HOSTS = frozenset({"bsky.app", "www.bsky.app", "staging.bsky.app"})
_X_HOSTS = frozenset(
    {"x.com", "www.x.com", "twitter.com", "www.twitter.com", "mobile.twitter.com", "mobile.x.com"}
)
_X_PATH = re.compile(r"^/(?:(?P<user>[A-Za-z0-9_]{1,15})|i/web|i)/status(?:es)?/(?P<id>\d{1,19})(?:/.*)?$")
_MASTO_PATHS = (
    re.compile(r"^/@(?P<user>[A-Za-z0-9_.-]+(?:@[A-Za-z0-9.-]+)?)/(?P<id>\d{1,20})/?$"),
    re.compile(r"^/users/(?P<user>[A-Za-z0-9_.-]+)/statuses/(?P<id>\d{1,20})/?$"),
    re.compile(r"^/web/@(?P<user>[A-Za-z0-9_.-]+(?:@[A-Za-z0-9.-]+)?)/(?P<id>\d{1,20})/?$"),
    re.compile(r"^/web/statuses/(?P<id>\d{1,20})/?$"),
)


@dataclass(frozen=True, slots=True)
class PostRef:
    """A post named by its URL. `post_id` is the platform's id (Mastodon: local to `server`)."""

    platform: str  # bluesky | mastodon | x
    post_id: str  # Bluesky: the rkey; Mastodon: the status id on `server`; X: the post id
    author: str | None  # Bluesky: handle or DID; Mastodon: user; X: username (may be None)
    server: str | None = None  # Mastodon only: the host that serves the status id
    url: str = ""


def _unsupported(url: str, why: str) -> CollectError:
    forms = "; ".join(SUPPORTED_FORMS)
    return CollectError(f"{why}: {url!r}", hint=f"pileon understands: {forms}")


def parse_post_url(url: str) -> PostRef:
    """The platform, server and post a URL names, or a CollectError listing the supported forms."""
    text = url.strip()
    if text.startswith("at://"):
        match = _AT_URI.match(text.split("?", 1)[0].split("#", 1)[0])
        if not match:
            raise _unsupported(text, "not an AT-URI of a Bluesky post")
        return PostRef("bluesky", match["rkey"], match["actor"], url=text)
    if "://" not in text and re.match(r"^[A-Za-z0-9.-]+\.[a-z]{2,}/", text):
        text = "https://" + text  # "bsky.app/profile/…" pasted without the scheme
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _unsupported(url, "not a web address of a post")
    host = parts.hostname.lower()
    path = parts.path
    if host in _BSKY_HOSTS:
        match = _BSKY_WEB.match(path)
        if not match:
            raise _unsupported(url, "a bsky.app address, but not of a post")
        return PostRef("bluesky", match["rkey"], match["actor"], url=text)
    if host in _X_HOSTS:
        match = _X_PATH.match(path)
        if not match:
            raise _unsupported(url, "an X address, but not of a post")
        return PostRef("x", match["id"], match["user"], url=text)
    for pattern in _MASTO_PATHS:
        match = pattern.match(path)
        if match:
            server = host if parts.port is None else f"{host}:{parts.port}"
            return PostRef(
                "mastodon", match["id"], match.groupdict().get("user"), server=server, url=text
            )
    raise _unsupported(url, "not a post address pileon knows")
