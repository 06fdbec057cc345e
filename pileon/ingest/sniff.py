"""Choosing an adapter for a file: each registered source scores the file's first bytes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import BinaryIO

from pileon.errors import FormatError, InputFileError
from pileon.hookspecs import Source

__all__ = ["HEAD_BYTES", "choose_source", "compact_head", "read_head"]

HEAD_BYTES = 256 * 1024
#: When no adapter recognises the first 256 KB (one very long post text comes first), this much
#: more is read with long strings collapsed, so the field names after them can be seen.
WIDE_HEAD_BYTES = 16 * 1024 * 1024
_SKIP = 1024 * 1024
_LEADING = b"\xef\xbb\xbf \t\r\n"
_LONG_STRING = re.compile(rb'"(?:[^"\\]|\\.){512,}"', re.DOTALL)


def _content_start(handle: BinaryIO) -> int:
    """The offset of the first byte that is not a BOM or whitespace (any amount of it)."""
    offset = 0
    while True:
        block = handle.read(_SKIP)
        if not block:
            return offset
        kept = block.lstrip(_LEADING)
        if kept:
            return offset + len(block) - len(kept)
        offset += len(block)


def compact_head(path: Path, size: int = WIDE_HEAD_BYTES) -> bytes:
    """Up to `size` bytes from the first content byte, every string of 512+ characters as \"\"."""
    with path.open("rb") as handle:
        handle.seek(_content_start(handle))
        data = handle.read(size)
    return _LONG_STRING.sub(b'""', data)


def read_head(path: Path) -> bytes:
    if not path.exists():
        raise InputFileError("no such file", path=str(path), hint="check the path")
    if path.is_dir():
        raise InputFileError("is a directory, not a file", path=str(path))
    try:
        with path.open("rb") as handle:
            # Leading whitespace (even megabytes of it) does not count against the head.
            handle.seek(_content_start(handle))
            head = handle.read(HEAD_BYTES)
    except OSError as exc:
        raise InputFileError(f"cannot read ({exc.strerror})", path=str(path)) from exc
    if not head.strip():
        raise InputFileError("file is empty", path=str(path), hint="nothing to ingest")
    return head


def _error_body(head: bytes) -> str | None:
    """The message of a small JSON error body ({"error": "Not Found"}, {"errors": [...]})."""
    if len(head) > 64 * 1024:
        return None
    try:
        value = json.loads(head.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(value, dict) or value.get("data"):
        return None
    for key in ("error", "error_description", "detail", "title", "message"):
        if isinstance(value.get(key), str) and value[key]:
            return str(value[key])[:200]
    errors = value.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("message") or errors[0].get("detail") or errors[0])[:200]
    return None


#: X API v2 answers that hold no posts (what twarc2 also writes): named, not misread as posts.
_NOT_POSTS = (
    (re.compile(rb'"tweet_count"\s*:\s*\d'), re.compile(rb'"start"\s*:'),
     "X post counts (GET /2/tweets/counts: how many posts per hour or day), not posts"),
    (re.compile(rb'"member_count"\s*:'), re.compile(rb'"owner_id"\s*:'),
     "X lists (their names and owners), not posts"),
    (re.compile(rb'"action"\s*:\s*"delete"'), re.compile(rb'"reason"\s*:'),
     "X compliance results (which posts or accounts were deleted or made private), not posts"),
)
_POST_TEXT = re.compile(rb'"(text|full_text|content)"\s*:')


def _not_posts(head: bytes) -> str | None:
    """What a file of X answers that hold no posts holds, or None."""
    if _POST_TEXT.search(head):
        return None
    for first, second, what in _NOT_POSTS:
        if first.search(head) and second.search(head):
            return what
    return None


def choose_source(path: Path, sources: dict[str, Source], fmt: str = "auto") -> Source:
    """The forced format, or the adapter most confident about the file's first bytes."""
    if fmt != "auto" and fmt not in sources:
        raise FormatError(
            f"unknown format {fmt!r}",
            path=str(path),
            hint="choose one of: auto, " + ", ".join(sorted(sources)),
        )
    head = read_head(path)
    scored = sorted(
        ((source.sniff(head, path), name) for name, source in sources.items()), reverse=True
    )
    if (not scored or scored[0][0] < 0.5) and len(head) >= HEAD_BYTES:
        head = compact_head(path)
        scored = sorted(
            ((source.sniff(head, path), name) for name, source in sources.items()), reverse=True
        )
    if fmt != "auto":
        if sources[fmt].sniff(head, path) > 0.0:
            return sources[fmt]
        guess = f"; it looks like {scored[0][1]}" if scored and scored[0][0] >= 0.5 else ""
        raise FormatError(
            f"this is not a {fmt} file{guess}",
            path=str(path),
            hint="leave out --format to let pileon detect it, or choose one of: "
            + ", ".join(sorted(sources)),
        )
    message = _error_body(head)
    if message is not None:
        raise FormatError(
            f"an error answer, not data: {message!r}; nothing was stored",
            path=str(path),
            hint="the request that saved this file failed; fetch or save it again",
        )
    holds = _not_posts(head)
    if holds is not None:
        raise FormatError(
            f"this file holds {holds}; nothing was stored",
            path=str(path),
            hint="pileon reads posts: save the conversation's search, the replies or the quotes",
        )
    if not scored or scored[0][0] < 0.5:
        raise FormatError(
            "not a format pileon recognises",
            path=str(path),
            hint="expected X API v2, Bluesky, Mastodon JSON, CSV or JSONL; force one with"
            " --format " + "|".join(sorted(sources)),
        )
    return sources[scored[0][1]]
