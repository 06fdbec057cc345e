"""X's account archive: `data/tweets.js` (`window.YTD.tweets.part0 = [...]`), the author's own posts.

The archive holds no one else's replies; its posts are stored as the author's, as the context the
replies answer. The author is read from `account.js` beside the file when it is there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pileon.errors import FormatError, InputFileError, RecordError
from pileon.ingest.pages import ITEM_ERRORS, PageRecords
from pileon.ingest.streaming import MAX_DOCUMENT_BYTES
from pileon.ingest.xweb import _legacy_post
from pileon.records import Account, RawPayload, SourceBatch, utc_now

__all__ = ["XArchiveSource"]

_PREFIX = re.compile(rb"^\s*window\.YTD\.([A-Za-z_]+)\.part(\d+)\s*=\s*")


def _load_js(path: Path, limit: int) -> tuple[str, Any]:
    if path.stat().st_size > limit:
        raise InputFileError(f"larger than {limit // (1024 * 1024)} MB", path=str(path))
    data = path.read_bytes().lstrip(b"\xef\xbb\xbf")
    match = _PREFIX.match(data)
    if match is None:
        raise FormatError("not an X archive file (no window.YTD.<name>.partN = ...)", path=str(path))
    try:
        return match.group(1).decode(), json.loads(data[match.end():].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:  # ValueError: an integer of 4,300+ digits
        raise FormatError(
            f"this X archive file is damaged or truncated ({exc}); nothing was stored",
            path=str(path),
        ) from None


def _author(path: Path) -> Account | None:
    sibling = path.with_name("account.js")
    try:
        _, value = _load_js(sibling, 16 * 1024 * 1024)
        account = value[0]["account"]
        handle = account.get("username")
        return Account(
            platform="x", id=str(account["accountId"]), handle=handle,
            display_name=account.get("accountDisplayName"),
            url=f"https://x.com/{handle}" if handle else None,
        )
    except (OSError, FormatError, InputFileError, LookupError, TypeError, AttributeError):
        return None


class XArchiveSource:
    """The `x-archive` source: tweets.js from the archive X lets an account holder download."""

    name = "x-archive"
    version = "1"

    def sniff(self, head: bytes, path: Path) -> float:
        match = _PREFIX.match(head.lstrip(b"\xef\xbb\xbf"))
        return 0.95 if match and match.group(1) in (b"tweets", b"tweet", b"note_tweet") else 0.0

    def read(self, path: Path, options: dict[str, Any]) -> Iterator[SourceBatch]:
        limit = int(options.get("max_document_bytes") or MAX_DOCUMENT_BYTES)
        name, value = _load_js(path, limit)
        if not isinstance(value, list):
            raise FormatError(f"X archive {name} is a JSON {type(value).__name__}, not a list",
                              path=str(path))
        author = _author(path)
        author_id = options.get("author_id") or (author.id if author else None)
        source = str(path)
        payload = RawPayload(data=path.read_bytes(), source=source, adapter=self.name,
                             adapter_version=self.version, fetched_at=utc_now(), locator=name)
        found = PageRecords(source, name)
        if author is not None:
            found.add_account(author)
        for i, item in enumerate(value):
            tweet = item.get("tweet", item) if isinstance(item, Mapping) else item
            try:
                if not isinstance(tweet, Mapping) or not tweet.get("id_str"):
                    raise RecordError("archive item has no tweet id_str")
                post = _legacy_post(
                    str(tweet["id_str"]), {**tweet, "user_id_str": author_id}, None, {},
                    author, None, found, f"[{i}]",
                )
                found.add_post(post)
            except ITEM_ERRORS as exc:
                found.reject_error(f"[{i}]", exc, item)
        yield SourceBatch(payload, posts=tuple(found.posts.values()),
                          accounts=tuple(found.accounts.values()), rejected=tuple(found.rejected))
