"""Zeeschuimer NDJSON (one captured item a line) and the 4CAT-ready variant of it.

Zeeschuimer: `{"item_id", "timestamp_collected" (ms), "source_platform", "data": <tweet>}`.
4CAT: the tweet object itself with the capture facts under `__import_meta`. Zeeschuimer's own
numeric `id` is a JSON number that loses digits past 2^53: it is never used as a key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pileon.errors import FormatError, RecordError
from pileon.ingest.pages import ITEM_ERRORS, PageRecords, parse_time, shape_reason
from pileon.ingest.streaming import MAX_DOCUMENT_BYTES, iter_json_chunks
from pileon.ingest.xweb import parse_web_answer
from pileon.records import RawPayload, Rejected, SourceBatch, utc_now

__all__ = ["ZeeschuimerSource"]

_X_PLATFORMS = ("twitter.com", "x.com")


def _meta(line: Mapping[str, Any]) -> tuple[Mapping[str, Any], Any]:
    """(capture facts, the captured item) for either variant."""
    if isinstance(line.get("__import_meta"), dict):
        return line["__import_meta"], {k: v for k, v in line.items() if k != "__import_meta"}
    return line, line.get("data")


class ZeeschuimerSource:
    """The `zeeschuimer` source: X items captured with the Zeeschuimer browser extension."""

    name = "zeeschuimer"
    version = "1"

    def sniff(self, head: bytes, path: Path) -> float:
        if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"{":
            return 0.0
        if b'"timestamp_collected"' in head and b'"source_platform"' in head:
            return 0.95
        return 0.9 if b'"__import_meta"' in head else 0.0

    def read(self, path: Path, options: dict[str, Any]) -> Iterator[SourceBatch]:
        source = str(path)
        limit = int(options.get("max_document_bytes") or MAX_DOCUMENT_BYTES)
        checked = False
        for chunk in iter_json_chunks(path, max_document_bytes=limit):
            value = chunk.value
            meta, item = _meta(value) if isinstance(value, dict) else ({}, None)
            platform = str(meta.get("source_platform") or "")
            shown = " ".join(platform[:80].split())  # for a message: one short line
            if not checked and chunk.error is None:
                # The first item decides: a TikTok or Instagram capture is refused before writing.
                if platform and not platform.endswith(_X_PLATFORMS):
                    raise FormatError(
                        f"a Zeeschuimer capture of {shown}, not of X; nothing was"
                        " stored",
                        path=source,
                        hint="pileon reads Zeeschuimer's X (twitter.com / x.com) captures",
                    )
                checked = True
            try:
                fetched = parse_time(meta.get("timestamp_collected"), "timestamp_collected")
            except ITEM_ERRORS:
                fetched = None
            payload = RawPayload(
                data=chunk.data, source=source, adapter=self.name, adapter_version=self.version,
                fetched_at=fetched or utc_now(), locator=chunk.locator,
            )
            if chunk.error is not None:
                reject = Rejected(source, chunk.locator, chunk.error, chunk.data)
                yield SourceBatch(payload, rejected=(reject,))
                continue
            found = PageRecords(source, chunk.locator)
            try:
                if platform and not platform.endswith(_X_PLATFORMS):
                    raise RecordError(f"an item from {shown}, not X")
                if item is None:
                    raise RecordError("item has no 'data'")
                parse_web_answer(item, found)
            except (*ITEM_ERRORS, RecursionError) as exc:
                # Any failure of one item is that line kept aside, never a crash of the file.
                reason = (exc.message if isinstance(exc, RecordError)
                          else "nested too deeply" if isinstance(exc, RecursionError)
                          else shape_reason(exc))
                reject = Rejected(source, chunk.locator, reason, chunk.data)
                yield SourceBatch(payload, rejected=(reject,))
                continue
            yield SourceBatch(
                payload,
                posts=tuple(found.posts.values()),
                accounts=tuple(found.accounts.values()),
                rejected=tuple(found.rejected),
            )


