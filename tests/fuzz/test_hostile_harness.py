"""The fuzz harness itself must survive the hostile values it builds (issue 19)."""

from __future__ import annotations

from typing import Any

from .hostile import MAX_PATH_DEPTH, deep, paths, replaced


def test_paths_stops_at_a_bounded_depth_in_a_1200_level_value() -> None:
    # Before: RecursionError inside the harness once `mutated` had put deep(1200) in a page.
    document = {"data": deep(1200)}
    found = paths(document)
    assert max(len(p) for p in found) == MAX_PATH_DEPTH
    assert ("data",) in found and () in found
    deepest = max(found, key=len)
    changed = replaced(document, deepest, "new")  # before: RecursionError (a JSON round trip)
    assert _at(changed, deepest) == "new"
    assert _at(document, deepest) != "new"  # the original is left as it was


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value
