"""The raw payloads behind a selection as a WARC/1.1 file (ISO 28500) written with warcio.

One `resource` record per payload whose target URI is where it came from (the file as a
file: URI, or the request URL), dated when pileon read or fetched it, with SHA-256 block and
payload digests in hex (so they equal the `raw_sha256` printed everywhere else). Where a live
collector stored the HTTP status and response headers, the payload is a `response` record.
The record's content is the stored bytes, unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import quote, urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pileon import __version__
from pileon.export.selection import ExportResult, ExportSelection
from pileon.store.export import StoredPayload

__all__ = ["WarcExporter", "target_uri", "write_warc"]

_CONFORMS_TO = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
# The stored body is already decoded: these would make a reader decode it a second time.
_DECODED_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


def target_uri(payload: StoredPayload) -> str:
    """The request URL, a URL source as is, or the source file as a file: URI."""
    if payload.request_url:
        return payload.request_url
    source = payload.source
    if urlsplit(source).scheme in ("http", "https"):
        return source
    path = PurePosixPath(source)
    if path.is_absolute():
        return path.as_uri()
    return "file:" + quote(source)  # a relative path stays relative: no guessed folder


def _content_type(payload: StoredPayload) -> str:
    head = payload.data[:64].lstrip()
    if head[:1] in (b"{", b"["):
        return "application/json"
    if payload.adapter == "csv":
        return "text/csv"
    return "application/octet-stream"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _warc_date(iso: str) -> str:
    return iso if iso.endswith("Z") else iso.replace("+00:00", "Z")


def _http_headers(payload: StoredPayload) -> StatusAndHeaders:
    status = payload.status or 200
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    headers: list[tuple[str, str]] = []
    for name, value in payload.response_headers or ():
        if name.lower() in _DECODED_HEADERS:
            headers.append((f"X-Pileon-Original-{name}", value))
        else:
            headers.append((name, value))
    headers.append(("Content-Length", str(len(payload.data))))
    return StatusAndHeaders(f"{status} {reason}".strip(), headers, protocol="HTTP/1.1")


def _record(writer: WARCWriter, payload: StoredPayload) -> Any:
    warc_headers = {
        "WARC-Date": _warc_date(payload.fetched_at),
        "WARC-Payload-Digest": _digest(payload.data),
        "Pileon-Adapter": f"{payload.adapter} {payload.adapter_version}",
    }
    if payload.locator:
        warc_headers["Pileon-Locator"] = payload.locator
    if payload.request_url and payload.response_headers is not None:
        http = _http_headers(payload)
        http.compute_headers_buffer()
        warc_headers["WARC-Block-Digest"] = _digest(http.headers_buff + payload.data)
        return writer.create_warc_record(
            target_uri(payload), "response", payload=BytesIO(payload.data),
            length=len(payload.data), http_headers=http, warc_headers_dict=warc_headers)
    warc_headers["WARC-Block-Digest"] = _digest(payload.data)
    return writer.create_warc_record(
        target_uri(payload), "resource", payload=BytesIO(payload.data),
        length=len(payload.data), warc_content_type=_content_type(payload),
        warc_headers_dict=warc_headers)


def write_warc(fh: IO[bytes], payloads: Iterable[StoredPayload], *, filename: str,
               description: str) -> int:
    """Write a warcinfo record, then one record per payload; returns the payload count."""
    writer = WARCWriter(fh, gzip=True, warc_version="1.1")
    writer.write_record(writer.create_warcinfo_record(filename, {
        "software": f"pileon {__version__}",
        "format": "WARC File Format 1.1",
        "conformsTo": _CONFORMS_TO,
        "description": description,
    }))
    count = 0
    for payload in payloads:
        writer.write_record(_record(writer, payload))
        count += 1
    return count


class WarcExporter:
    name = "warc"
    suffix = ".warc.gz"
    description = ("the raw payloads behind the selected posts and their authors, byte for"
                   " byte, as WARC/1.1 records with SHA-256 digests")

    def export(self, selection: ExportSelection, out: Path,
               options: Mapping[str, Any]) -> ExportResult:
        with out.open("wb") as fh:
            count = write_warc(fh, selection.payloads(), filename=out.name, description=(
                f"raw payloads of {selection.name}, as stored at ingest by pileon"))
        return ExportResult(files=(out,), rows=count, unit="raw payloads")
