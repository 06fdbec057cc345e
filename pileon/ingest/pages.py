"""What every JSON adapter shares: turning streamed pages into SourceBatches.

An adapter supplies one function that reads a parsed page into a `PageRecords`; this module
streams the file, keeps each page's exact bytes as its RawPayload and turns problems into rejects.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from pileon.errors import RecordError
from pileon.ingest.streaming import MAX_DOCUMENT_BYTES, iter_json_chunks
from pileon.records import Account, Post, RawPayload, Rejected, SourceBatch, utc_now

__all__ = [
    "INT64_LIMIT",
    "ITEM_ERRORS",
    "PageParser",
    "PageRecords",
    "as_int",
    "container",
    "need",
    "parse_time",
    "read_json_pages",
    "shape_reason",
]


#: What reading one item of a page may raise: a missing field, a value of the wrong JSON type, or
#: a number out of range (a timestamp of 2**63 seconds).
ITEM_ERRORS = (RecordError, AttributeError, TypeError, ValueError, KeyError, OverflowError)


class PageRecords:
    """Posts and accounts found in one page (deduplicated by id) and the items kept aside."""

    def __init__(self, source: str, locator: str) -> None:
        self.source = source
        self.locator = locator
        self.posts: dict[str, Post] = {}
        self.accounts: dict[str, Account] = {}
        self.rejected: list[Rejected] = []

    def add_post(self, post: Post) -> None:
        # A page can name a post twice (X repeats tweets in includes); a real post beats a
        # placeholder, otherwise the first one seen stays.
        known = self.posts.get(post.id)
        if known is None or (known.placeholder is not None and post.placeholder is None):
            self.posts[post.id] = post

    def add_account(self, account: Account) -> None:
        self.accounts.setdefault(account.id, account)

    def reject_item(self, where: str, reason: str, item: Any) -> None:
        """Keep one unusable item of a page aside, re-serialised (the page keeps the original)."""
        raw = json.dumps(item, ensure_ascii=False, sort_keys=True).encode("utf-8", "replace")
        self.rejected.append(Rejected(self.source, f"{self.locator}, {where}", reason, raw))

    def reject_error(self, where: str, exc: Exception, item: Any) -> None:
        """Keep an item aside for one of ITEM_ERRORS (the hot loops catch them without a `with`)."""
        if isinstance(exc, RecordError):
            self.reject_item(where, exc.message, item)
        else:
            self.reject_item(where, shape_reason(exc), item)

    @contextmanager
    def keep_aside(self, where: str, item: Any) -> Iterator[None]:
        """Run the block; a RecordError or a wrongly shaped item becomes a reject, not a crash."""
        try:
            yield
        except ITEM_ERRORS as exc:
            self.reject_error(where, exc, item)


PageParser = Callable[[Any, PageRecords], None]


def shape_reason(exc: Exception) -> str:
    return f"unexpected shape ({type(exc).__name__}: {exc})"


def container(page: Mapping[str, Any], key: str, kind: type, where: str = "") -> Any:
    """page[key] when it is absent/null or of the JSON type `kind` (list or dict); otherwise a
    RecordError naming the field, e.g. `"posts": 1.5`."""
    value = page.get(key)
    if value is None:
        return kind()
    if not isinstance(value, kind) or isinstance(value, bool | str):
        wanted = "an array" if kind is list else "an object"
        raise RecordError(
            f"'{where}{key}' is a JSON {_json_type(value)}, not {wanted}"
        )
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def need(record: Any, field: str, kind: str = "record") -> Any:
    """record[field], or a RecordError naming the missing field."""
    if not isinstance(record, dict):
        raise RecordError(f"{kind} is a JSON {type(record).__name__}, not an object")
    value = record.get(field)
    if value is None or value == "":
        raise RecordError(f"{kind} is missing required field {field!r}")
    return value


#: Numbers below this are Unix seconds (1e11 s is the year 5138); from it up to _MS_LIMIT, milliseconds.
_SECONDS_LIMIT = 1e11
_MS_LIMIT = 1e14
_X_DATE = "%a %b %d %H:%M:%S %z %Y"  # X's legacy format: "Tue Oct 10 07:57:53 +0000 2023"


def _from_number(number: float, value: Any, field: str) -> datetime:
    """Unix seconds or milliseconds, told apart by size; NaN, negative or huge is a RecordError."""
    if not math.isfinite(number) or number < 0 or number >= _MS_LIMIT:
        raise RecordError(
            f"{field} {value!r} is not a usable time (Unix seconds or milliseconds since 1970)"
        )
    seconds = number / 1000.0 if number >= _SECONDS_LIMIT else number
    return datetime.fromtimestamp(seconds, UTC)


_MONTHS = {name: n for n, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}


_X_DATE_PARTS = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" (\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2}) ([+-])(\d\d)(\d\d) (\d{4})")


@functools.lru_cache(maxsize=4096)  # an account's creation date repeats with each of its posts
def _x_date(text: str) -> datetime | None:
    """"Tue Oct 10 07:57:53 +0000 2023" read directly; None for anything else (strptime then
    gets its turn, so an unusual spelling is still read or refused the same way)."""
    parts = _X_DATE_PARTS.fullmatch(text)
    if parts is None:
        return None
    month, day, hour, minute, second, sign, zone_h, zone_m, year = parts.groups()
    if zone_h == "00" and zone_m == "00":
        tz = UTC
    else:
        minutes = int(zone_h) * 60 + int(zone_m)
        tz = timezone(timedelta(minutes=-minutes if sign == "-" else minutes))
    try:
        return datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute),
                        int(second), tzinfo=tz)
    except ValueError:
        return None


def parse_time(value: Any, field: str = "created_at") -> datetime | None:
    """One coercion for every time a file states; None when absent; RecordError when garbled.

    Accepts ISO 8601 (Z or offset; no offset means UTC), Unix seconds or milliseconds as a JSON
    number or digit string (told apart by size), X's "Tue Oct 10 07:57:53 +0000 2023" and
    RFC 2822 dates. NaN, negative and out-of-range values are RecordErrors, never crashes.
    """
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return _from_number(float(value), value, field)
        except OverflowError:  # an int too large for a float
            raise RecordError(f"{field} {value!r} is not a usable time") from None
    if isinstance(value, str):
        # X's web and archive dates ("Tue Oct 10 ..."), without strptime's cost; ISO 8601 cannot
        # start with a letter, so trying them first changes no result.
        quick = _x_date(value) if value[:1].isalpha() else None
        if quick is not None:
            return quick
        try:  # the common case: API timestamps are ISO 8601, "Z" included (Python 3.11)
            moment = datetime.fromisoformat(value)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            pass
        text = value.strip()
        if text.replace(".", "", 1).isdigit():
            return _from_number(float(text), value, field)
        for attempt in (
            lambda: datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00")),
            lambda: datetime.strptime(text, _X_DATE),
            lambda: parsedate_to_datetime(text),
        ):
            try:
                moment = attempt()
            except (ValueError, TypeError, OverflowError, IndexError):
                continue
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise RecordError(
        f"{field} {value!r} is not a date (ISO 8601, Unix seconds/milliseconds or an X date)"
    )


#: A count is a signed 64-bit integer (what SQLite stores); anything longer is not a count.
INT64_LIMIT = 2**63
_INT64 = INT64_LIMIT
_MAX_DIGITS = 19


def as_int(value: Any) -> int | None:
    """A count given as a JSON integer or a digit string; None for anything else, including a
    digit string past 64 bits (a 5,000-digit string is refused before `int()` sees it)."""
    if type(value) is int:  # the common case first (bool is not `type` int)
        return value  # one past 64 bits is stored as unknown, and counted, by the writer
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        digits = value.strip()
        if 0 < len(digits) <= _MAX_DIGITS and digits.isascii() and digits.isdigit():
            number = int(digits)
            return number if number < _INT64 else None
    return None


def read_json_pages(
    path: Path,
    options: Mapping[str, Any],
    *,
    adapter: str,
    version: str,
    parse_page: PageParser,
    capture_time: Callable[[Any], Any] | None = None,
) -> Iterator[SourceBatch]:
    """Stream `path` page by page; one SourceBatch per page, line or array element.

    `capture_time(page)` may name when the page was captured (a time the file states); that is
    its fetched-at time, else the time of this import.
    """
    imported_at = utc_now()
    source = str(path)
    limit = int(options.get("max_document_bytes") or MAX_DOCUMENT_BYTES)
    for chunk in iter_json_chunks(path, max_document_bytes=limit):
        fetched_at = imported_at
        if capture_time is not None and chunk.value is not None:
            try:
                fetched_at = parse_time(capture_time(chunk.value), "capture time") or imported_at
            except RecordError:
                fetched_at = imported_at
        payload = RawPayload(
            data=chunk.data,
            source=source,
            adapter=adapter,
            adapter_version=version,
            fetched_at=fetched_at,
            locator=chunk.locator,
        )
        if chunk.error is not None:
            reject = Rejected(source, chunk.locator, chunk.error, chunk.data)
            yield SourceBatch(payload=payload, rejected=(reject,))
            continue
        found = PageRecords(source, chunk.locator)
        try:
            parse_page(chunk.value, found)
        except ITEM_ERRORS as exc:  # a page whose containers have the wrong JSON type
            reason = exc.message if isinstance(exc, RecordError) else shape_reason(exc)
            reject = Rejected(source, chunk.locator, reason, chunk.data)
            yield SourceBatch(payload=payload, rejected=(reject,))
            continue
        except RecursionError:
            reject = Rejected(source, chunk.locator, "nested too deeply", chunk.data)
            yield SourceBatch(payload=payload, rejected=(reject,))
            continue
        yield SourceBatch(
            payload=payload,
            posts=tuple(found.posts.values()),
            accounts=tuple(found.accounts.values()),
            rejected=tuple(found.rejected),
        )
