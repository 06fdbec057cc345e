"""Raw payloads parsed once, not on every post view: a Mastodon context or a Bluesky thread is
one 8 MB payload shared by thousands of replies, and a post page shows only its own part.

The index maps each post's id and URI to its own object (compact JSON), for the payloads viewed
most recently up to a byte budget (a page of 50 replies costs little, a whole context a lot);
payloads are immutable (keyed on their SHA-256), so nothing goes stale.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from pileon.web.present import own_record

__all__ = ["PayloadIndex"]

_TEXT_KEYS = ("text", "content", "record", "full_text", "body", "message")


class PayloadIndex:
    """own_record(), answered from per-payload indexes kept for the newest payloads viewed, up to
    `budget` bytes of raw payload in all."""

    def __init__(self, budget: int = 128 * 1024 * 1024) -> None:
        self.budget = budget
        self._indexes: OrderedDict[str, dict[str, tuple[int, str]]] = OrderedDict()
        self._sizes: dict[str, int] = {}
        self._lock = threading.Lock()

    def own_record(self, sha256: str, load: Callable[[], bytes | None], post_id: str,
                   uri: str | None) -> str | None:
        with self._lock:
            index = self._indexes.get(sha256)
            if index is not None:
                self._indexes.move_to_end(sha256)
        if index is None:
            raw = load() or b""
            built = _build(raw)
            if built is None:  # not JSON (a CSV row): small, answered directly
                return own_record(raw, post_id, uri)
            index = built
            with self._lock:
                self._indexes[sha256] = index
                self._sizes[sha256] = len(raw)
                while sum(self._sizes.values()) > self.budget and len(self._indexes) > 1:
                    oldest, _ = self._indexes.popitem(last=False)
                    del self._sizes[oldest]
        hits = [hit for hit in (index.get("id:" + post_id),
                                index.get("uri:" + uri) if uri is not None else None) if hit]
        if not hits:
            return None
        # The first object either key finds, in own_record's order, so both answer the same.
        return json.dumps(json.loads(min(hits)[1]), indent=2, ensure_ascii=False)


def _build(raw: bytes) -> dict[str, tuple[int, str]] | None:
    """Every object holding post text, by id and URI, in present.own_record's search order."""
    try:
        document = json.loads(raw)
    except ValueError:
        return None
    index: dict[str, tuple[int, str]] = {}
    stack: list[Any] = [document]
    order = 0
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if any(key in item for key in _TEXT_KEYS):
                order += 1
                encoded: str | None = None
                uri = item.get("uri")
                for key in ("id:" + str(item.get("id")), "uri:" + uri if isinstance(uri, str)
                            else ""):
                    if key and key not in index:
                        encoded = encoded or json.dumps(item, ensure_ascii=False)
                        index[key] = (order, encoded)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return index
