"""Making untrusted values safe to bind into SQLite: the one place text and numbers are checked.

Text from a file may hold lone surrogates (a JSON `"\\ud800"` escape) that UTF-8 cannot encode;
they become U+FFFD and are counted. Integers beyond SQLite's signed 64 bits become unknown (None).
The raw payload keeps the original bytes, so nothing is lost as evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["INT64_MAX", "INT64_MIN", "Sanitizer", "safe_int", "safe_text"]

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
_SURROGATE = re.compile("[\ud800-\udfff]")


def safe_text(value: str) -> tuple[str, int]:
    """(text with every lone surrogate replaced by U+FFFD, how many were replaced)."""
    if value.isascii():
        return value, 0
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.subn("\ufffd", value)
    return value, 0


def safe_int(value: int | None) -> int | None:
    """An integer SQLite can store, or None when it is out of the signed 64-bit range."""
    if value is None or INT64_MIN <= value <= INT64_MAX:
        return value
    return None


@dataclass
class Sanitizer:
    """Cleans whole rows before they are bound, counting what it had to change."""

    surrogates_replaced: int = 0
    integers_dropped: int = 0
    fields: set[str] = field(default_factory=set)

    def row(self, values: tuple[object, ...]) -> tuple[object, ...]:
        # The hot path of every ingest: a row of ASCII text, small ints and None is returned
        # as it is; only a row holding something to fix (or to refuse) is rebuilt.
        for value in values:
            kind = type(value)
            if kind is str:
                if not value.isascii():  # type: ignore[attr-defined]
                    try:
                        value.encode("utf-8")  # type: ignore[attr-defined]
                    except UnicodeEncodeError:
                        return self._rebuild(values)
            elif kind is int:
                if not INT64_MIN <= value <= INT64_MAX:  # type: ignore[operator]
                    return self._rebuild(values)
            elif value is not None and kind is not bytes and kind is not float:
                return self._rebuild(values)
        return values

    def _rebuild(self, values: tuple[object, ...]) -> tuple[object, ...]:
        out: list[object] = []
        for value in values:
            if isinstance(value, str):
                text, replaced = safe_text(value)
                self.surrogates_replaced += replaced
                out.append(text)
            elif isinstance(value, int) and not isinstance(value, bool):
                bounded = safe_int(value)
                if bounded is None:
                    self.integers_dropped += 1
                out.append(bounded)
            elif value is None or isinstance(value, bytes | float):
                out.append(value)
            else:  # an object where a scalar belongs (e.g. `displayName: {}`)
                raise TypeError(f"a JSON {type(value).__name__} where text or a number belongs")
        return tuple(out)
