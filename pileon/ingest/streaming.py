"""Streaming JSON out of a file, one top-level record at a time, with bounded memory.

Three layouts are read: JSON lines (line by line), a JSON array (element by element, through
`json.JSONDecoder.raw_decode` over a rolling buffer) and one or more concatenated documents.
Each chunk carries the exact bytes it was parsed from; a bad chunk carries the reason instead.
`iter_array_at` reads the elements of one array nested in an object (a HAR's `log.entries`)
the same way, one at a time, so that a 1 GB HAR never sits in memory whole.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from pileon.errors import InputFileError

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "REJECT_RAW_CAP",
    "JsonChunk",
    "JsonShapeError",
    "decode_json_line",
    "fast_loads",
    "iter_array_at",
    "iter_json_chunks",
]

#: Largest single JSON value (one page, line or document) pileon holds in memory at once.
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
#: How much of an unreadable tail is kept in the rejects table.
REJECT_RAW_CAP = 1024 * 1024
_READ_SIZE = 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_WHITESPACE = " \t\r\n"
_JSON_LINES_SUFFIXES = (".jsonl", ".ndjson", ".jsonlines")


@dataclass(frozen=True, slots=True)
class JsonChunk:
    """One top-level JSON value as found in the file, or the bytes that failed to parse."""

    data: bytes  # exact bytes from the file (a JSON line without its line break)
    locator: str  # "line 12", "element 3 (line 40)", "document 1 (line 1)"
    value: Any = None
    error: str | None = None  # set when `data` is not usable JSON; `value` is then None


#: Python refuses to convert an integer of more than 4,300 digits (int_max_str_digits): json
#: raises a plain ValueError, not a JSONDecodeError. No real field holds such a number.
TOO_MANY_DIGITS = "malformed JSON: an integer of more than 4,300 digits"


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"


# A JSON number of 19+ digits may not fit 64 bits: orjson reads such a number as a float where
# the json module keeps the exact int. Such a number follows ':', '[', ',' or whitespace (and
# maybe a '-'); a string id follows a quote. The bytes are mapped to those classes (one C pass)
# and searched; a match inside a string only costs the slower parse.
_CLASSES = bytearray(b"x" * 256)
for _byte in b"0123456789":
    _CLASSES[_byte] = ord("0")
for _byte in b":,[ \t\r\n":
    _CLASSES[_byte] = ord("S")
_CLASSES[ord("-")] = ord("M")
_NUMBER_CLASSES = bytes(_CLASSES)
_LONG_DIGITS = b"0" * 19


def _may_hold_long_int(data: bytes) -> bool:
    classes = data.translate(_NUMBER_CLASSES)
    return (b"S" + _LONG_DIGITS in classes or b"SM" + _LONG_DIGITS in classes
            or classes.startswith(_LONG_DIGITS) or classes.startswith(b"M" + _LONG_DIGITS))


def fast_loads(data: bytes) -> Any:
    """json.loads(data) with orjson where both give the same value; raises ValueError otherwise.

    orjson is several times faster. It refuses what the json module reads differently (lone
    surrogates, NaN, numbers out of double range, nesting past 1024) and reads an integer past
    64 bits as a float, so those inputs, and anything orjson refuses, go to the json module: the
    value, and the reason a bad input is refused, are the json module's in every case.
    """
    if not _may_hold_long_int(data):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data)


def decode_json_line(data: bytes) -> tuple[Any, str | None]:
    """Parse one JSON line given as bytes: (value, None) or (None, reason)."""
    if not _may_hold_long_int(data):
        try:
            return orjson.loads(data), None
        except orjson.JSONDecodeError:
            pass  # the json module below says why (the reasons are its own)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"invalid UTF-8 at byte {exc.start + 1}"
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"malformed JSON: {exc.msg} at column {exc.colno}"
    except ValueError:  # json's only other refusal: an integer Python will not convert
        return None, TOO_MANY_DIGITS
    except RecursionError:
        return None, "malformed JSON: nested too deeply"


def iter_json_chunks(
    path: Path, *, max_document_bytes: int = MAX_DOCUMENT_BYTES
) -> Iterator[JsonChunk]:
    """Yield every top-level record of a JSON, JSON-array or JSON-lines file, in file order."""
    with path.open("rb") as handle:
        start, skipped_lines = _content_start(handle)  # a BOM and any amount of whitespace
        handle.seek(start)
        body = handle.read(64 * 1024)
        handle.seek(start)
        first = body.lstrip()[:1]
        if path.suffix.lower() in _JSON_LINES_SUFFIXES or (
            first != b"[" and _looks_like_json_lines(body)
        ):
            yield from _json_lines(handle, path, max_document_bytes, skipped_lines)
        else:
            stream = _ValueStream(handle, path, max_document_bytes, in_array=first == b"[")
            stream.line += skipped_lines
            yield from stream.chunks()


def _content_start(handle: IO[bytes]) -> tuple[int, int]:
    """(offset of the first byte after a BOM and whitespace, line breaks skipped on the way)."""
    offset = lines = 0
    while True:
        block = handle.read(_READ_SIZE)
        if not block:
            return offset, lines
        if offset == 0 and block.startswith(_BOM):
            offset, block = len(_BOM), block[len(_BOM):]
        kept = block.lstrip()
        lines += block.count(b"\n", 0, len(block) - len(kept))
        if kept:
            return offset + len(block) - len(kept), lines
        offset += len(block)


def _looks_like_json_lines(head: bytes) -> bool:
    first_line = head.lstrip().split(b"\n", 1)[0].strip()
    return len(first_line) > 1 and first_line.startswith(b"{") and first_line.endswith(b"}")


def _json_lines(
    handle: IO[bytes], path: Path, limit: int, skipped: int = 0
) -> Iterator[JsonChunk]:
    lineno = skipped
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        lineno += 1
        if len(line) > limit and not line.endswith(b"\n"):
            raise InputFileError(
                f"line {lineno} is larger than {_size(limit)}",
                path=str(path),
                hint="one JSON line should hold one page or record",
            )
        data = line.rstrip(b"\r\n")
        if not data.strip():
            continue
        value, error = decode_json_line(data)
        if error and not line.endswith(b"\n") and error.startswith("malformed"):
            error = "truncated: the file ends before this line's JSON is complete"
        yield JsonChunk(data, f"line {lineno}", value, error)


class _ValueStream:
    """A rolling text buffer over the file, from which whole JSON values are cut."""

    def __init__(self, handle: IO[bytes], path: Path, limit: int, *, in_array: bool) -> None:
        self.handle = handle
        self.path = path
        self.limit = limit
        self.in_array = in_array
        # surrogateescape keeps invalid UTF-8 as lone surrogates: the round trip back to bytes is
        # exact, and the record holding them is rejected instead of the whole file.
        self.decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self.json = json.JSONDecoder()
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.line = 1
        self.index = 0
        self.what = "element" if in_array else "document"

    def _fill(self, want: int = _READ_SIZE) -> bool:
        if self.eof:
            return False
        data = self.handle.read(max(want, _READ_SIZE))
        if not data:
            self.eof = True
            self.buf = self.buf[self.pos:] + self.decoder.decode(b"", final=True)
            self.pos = 0
            return False
        self.buf = self.buf[self.pos:] + self.decoder.decode(data)
        self.pos = 0
        return True

    def _skip_whitespace(self) -> str:
        """Advance past whitespace; the next character, or "" at end of file."""
        while True:
            start = self.pos
            buf = self.buf
            while self.pos < len(buf) and buf[self.pos] in _WHITESPACE:
                self.pos += 1
            self.line += buf.count("\n", start, self.pos)
            if self.pos < len(buf):
                return buf[self.pos]
            if not self._fill():
                return ""

    def chunks(self) -> Iterator[JsonChunk]:
        if self.in_array:
            self._skip_whitespace()
            self.pos += 1  # the opening "["
        expect_value = True
        while True:
            char = self._skip_whitespace()
            if char == "":
                if self.in_array:
                    yield self._reject_tail("truncated: the file ends before the JSON array is closed")
                return
            if self.in_array and char == "]" and (expect_value is False or self.index == 0):
                self.pos += 1
                if self._skip_whitespace() != "":
                    yield self._reject_tail("malformed JSON: more data after the closing ]")
                return
            if not expect_value:
                if char != ",":
                    yield self._reject_tail(f"malformed JSON: expected ',' or ']', found {char!r}")
                    return
                self.pos += 1
                expect_value = True
                continue
            chunk = self._next_value()
            yield chunk
            if chunk.error and chunk.value is None and not chunk.error.startswith("invalid UTF-8"):
                return  # cannot find the next record after a syntax error
            expect_value = not self.in_array

    def _next_value(self) -> JsonChunk:
        self.index += 1
        locator = f"{self.what} {self.index} (line {self.line})"
        while True:
            try:
                value, end = self.json.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                # Cut-off input fails at the end of the buffer (or inside an open string).
                incomplete = exc.msg.startswith("Unterminated string") or not self.buf[exc.pos:].strip()
                if incomplete and not self.eof:
                    self._grow_or_refuse()
                    continue
                if incomplete:
                    return self._reject_tail(
                        f"truncated: the file ends inside {self.what} {self.index}", locator
                    )
                at_line = self.line + self.buf.count("\n", self.pos, exc.pos)
                return self._reject_tail(f"malformed JSON: {exc.msg} at line {at_line}", locator)
            except ValueError:
                return self._reject_tail(f"{TOO_MANY_DIGITS} at line {self.line}", locator)
            except RecursionError:
                return self._reject_tail("malformed JSON: nested too deeply", locator)
            if end >= len(self.buf) and not self.eof:
                self._grow_or_refuse()  # a number at the buffer's edge may continue
                continue
            text = self.buf[self.pos:end]
            self.line += text.count("\n")
            self.pos = end
            try:
                return JsonChunk(text.encode("utf-8"), locator, value)
            except UnicodeEncodeError as exc:
                raw = text.encode("utf-8", "surrogateescape")
                return JsonChunk(raw, locator, None, f"invalid UTF-8 near character {exc.start + 1}")

    def _grow_or_refuse(self) -> None:
        pending = len(self.buf) - self.pos
        if pending > self.limit:
            raise InputFileError(
                f"{self.what} {self.index} is one JSON value larger than {_size(self.limit)};"
                " pileon reads at most that much at once",
                path=str(self.path),
                hint="split it into JSON lines (one page per line) or a JSON array of pages",
            )
        self._fill(want=pending)  # doubling the buffer keeps re-parsing linear overall

    def _reject_tail(self, reason: str, locator: str | None = None) -> JsonChunk:
        """The rest of the file (up to REJECT_RAW_CAP bytes) as one rejected chunk."""
        tail = self.buf[self.pos:self.pos + REJECT_RAW_CAP].encode("utf-8", "surrogateescape")
        if len(tail) < REJECT_RAW_CAP and not self.eof:
            tail += self.handle.read(REJECT_RAW_CAP - len(tail))
        self.pos = len(self.buf)
        return JsonChunk(tail, locator or f"end of file (line {self.line})", None, reason)


class JsonShapeError(ValueError):
    """A file `iter_array_at` cannot walk: cut off, malformed, or without the array asked for."""

    def __init__(self, message: str, *, truncated: bool = False, missing: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.truncated = truncated
        self.missing = missing


def iter_array_at(
    path: Path, keys: tuple[str, ...], *, max_value_bytes: int = MAX_DOCUMENT_BYTES
) -> Iterator[Any]:
    """Yield each element of the array at `keys` (("log", "entries"): `{"log": {"entries": [...]}}`)
    of a JSON object file, one at a time; every other member is parsed and let go. The whole
    file is checked to its end. Raises JsonShapeError, and UnicodeDecodeError for bytes that
    are not UTF-8."""
    with path.open("rb") as handle:
        start, skipped = _content_start(handle)
        handle.seek(start)
        walker = _Walker(handle, path, max_value_bytes)
        walker.line += skipped
        yield from walker.descend(keys)
        if walker._skip_whitespace() != "":
            raise JsonShapeError(f"more data after the end of the JSON (line {walker.line})")
        if not walker.found:
            raise JsonShapeError("no " + ".".join(keys) + " array", missing=True)


class _Walker(_ValueStream):
    """Members and elements of nested JSON objects and arrays, read without holding the file."""

    def __init__(self, handle: IO[bytes], path: Path, limit: int) -> None:
        super().__init__(handle, path, limit, in_array=False)
        self.decoder = codecs.getincrementaldecoder("utf-8")()  # strict: not UTF-8 is refused
        self.found = False

    def _expect(self, chars: str) -> str:
        char = self._skip_whitespace()
        if char == "":
            raise JsonShapeError(f"the file ends at line {self.line}", truncated=True)
        if char not in chars:
            wanted = " or ".join(repr(c) for c in chars)
            raise JsonShapeError(f"expected {wanted}, found {char!r} at line {self.line}")
        self.pos += 1
        return char

    def value(self) -> Any:
        self._skip_whitespace()
        while True:
            try:
                value, end = self.json.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                incomplete = exc.msg.startswith("Unterminated string") or not self.buf[exc.pos:].strip()
                if incomplete and not self.eof:
                    self._grow_or_refuse()
                    continue
                at_line = self.line + self.buf.count("\n", self.pos, exc.pos)
                if incomplete:
                    raise JsonShapeError(f"the file ends inside a value begun at line {self.line}",
                                         truncated=True) from None
                raise JsonShapeError(f"{exc.msg} at line {at_line}") from None
            except ValueError:
                raise JsonShapeError(f"{TOO_MANY_DIGITS} at line {self.line}") from None
            except RecursionError:
                raise JsonShapeError(f"nested too deeply at line {self.line}") from None
            if end >= len(self.buf) and not self.eof:
                self._grow_or_refuse()  # a number at the buffer's edge may continue
                continue
            self.line += self.buf.count("\n", self.pos, end)
            self.pos = end
            return value

    def members(self) -> Iterator[str]:
        """After an object's "{": each key, with the walker at its value (the caller reads it)."""
        char = self._skip_whitespace()
        if char == "}":
            self.pos += 1
            return
        while True:
            if char != '"':
                raise JsonShapeError(f"expected a key, found {char!r} at line {self.line}",
                                     truncated=char == "")
            key = self.value()
            self._expect(":")
            yield key
            if self._expect(",}") == "}":
                return
            char = self._skip_whitespace()

    def elements(self) -> Iterator[Any]:
        """After an array's "[": each element."""
        if self._skip_whitespace() == "]":
            self.pos += 1
            return
        while True:
            yield self.value()
            if self._expect(",]") == "]":
                return

    def descend(self, keys: tuple[str, ...]) -> Iterator[Any]:
        self._expect("{")
        for key in self.members():
            want = "[" if len(keys) == 1 else "{"
            if key == keys[0] and not self.found and self._skip_whitespace() == want:
                if len(keys) == 1:
                    self.found = True
                    self.pos += 1
                    yield from self.elements()
                else:
                    yield from self.descend(keys[1:])
            else:
                self.value()
