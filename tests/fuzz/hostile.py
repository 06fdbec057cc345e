"""Strategies for hostile input: JSON with lone surrogates, controls, bidi overrides, huge and
negative integers, NaN-like floats, deep nesting and wrong types; mutations of real payloads."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

NASTY_TEXT = st.sampled_from([
    "\ud800", "\udfff", "a\udc80b", "\x00", "\x1b]0;title\x07", "\x1b]52;c;ZXZpbA==\x07",
    "\u202egnp.exe", "\u2066x\u2069", "\x85\x9b", "=HYPERLINK(\"http://e\")", "+1", "-1", "@x",
    "\r", "\r\n", "\n\n", "'", '"', "\\", "💀" * 50, "x" * 70_000, "",
])
TEXT = st.one_of(NASTY_TEXT, st.text(max_size=40),
                 st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF,
                                                exclude_categories=()), max_size=20))
NUMBER = st.one_of(
    st.sampled_from([2**63, 2**64, -(2**63) - 1, 10**30, 1e20, 1e308, 1e14, -1, 0, 1.5]),
    st.integers(), st.floats(allow_nan=False, allow_infinity=False))
SCALAR = st.one_of(st.none(), st.booleans(), NUMBER, TEXT)
JSON = st.recursive(SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)), max_leaves=12)


def deep(levels: int) -> Any:
    value: Any = "x"
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


#: `paths` stops descending here: a value nested 1,200 levels deep (one of the hostile values
#: `mutated` puts in) would otherwise exhaust Python's recursion limit in the harness itself.
MAX_PATH_DEPTH = 60


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON value (keys and indexes), at most MAX_PATH_DEPTH steps long."""
    found = [prefix]
    if len(prefix) >= MAX_PATH_DEPTH:
        return found
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += paths(item, (*prefix, i))
    return found


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """`value` with the item at `path` replaced by `new`; only the containers along the path are
    copied (a JSON round trip of the whole value would recurse into a 1,200-level one)."""
    if not path:
        return new
    copy = value.copy()
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> Any:
    """`document` with one to three values replaced by hostile ones (or deleted)."""
    result = document
    for _ in range(draw(st.integers(1, 3))):
        where = paths(result)
        path = draw(st.sampled_from(where))
        new = draw(st.one_of(JSON, st.just(deep(draw(st.integers(30, 1200))))))
        result = replaced(result, path, new)
    return result


def dumps(value: Any) -> str:
    """JSON as a hostile file holds it: surrogates as \\u escapes (ensure_ascii), one line."""
    return json.dumps(value, ensure_ascii=True)
