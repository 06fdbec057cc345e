"""A large alternation of regular expressions, searched as fast as its literal prefixes allow,
with the very matches of the joined pattern.

Python's `re` tries every alternative at every position of a text: the 400 support cues made
`read_cues` the largest cost of triage. Most cues start with a literal word (`\\bthank`,
`\\bmerci`). Each alternative's possible literal prefixes are read from its parsed pattern; one
Aho-Corasick pass over the text finds which prefixes occur, and only the alternatives that can
match are searched. The leftmost match wins and, at the same position, the earlier alternative,
exactly as in `re.compile("|".join(...))`: an alternative whose every prefix is absent from the
text can match nowhere in it, so leaving it out changes nothing. An alternative with no
literal prefix (a lookbehind first, a character class, a flag) is always searched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import product
from re import _constants as _sre  # type: ignore[attr-defined]  # the parser of re itself
from re import _parser as _sre_parse  # type: ignore[attr-defined]

import ahocorasick

__all__ = ["Alternation", "literal_prefixes"]

#: At most this many prefixes per alternative (a class or branch past it ends the prefix).
_MAX_PREFIXES = 64
#: A character class of at most this many literal characters is expanded.
_MAX_CLASS = 6


def _seq(items: object) -> tuple[set[str], bool]:
    """(prefixes, complete): every match of `items` starts with one of the prefixes; complete
    when the prefixes are the whole of every match (the items are literal)."""
    found = {""}
    for op, arg in items:  # type: ignore[attr-defined]
        if op is _sre.AT:
            continue  # zero width: consumes nothing
        if op is _sre.LITERAL:
            found = {s + chr(arg) for s in found}
            continue
        options: set[str] | None = None
        complete = False
        if op is _sre.SUBPATTERN:
            _, add_flags, del_flags, sub = arg
            if add_flags or del_flags:
                return found, False
            options, complete = _seq(sub)
        elif op is _sre.BRANCH:
            options, complete = set(), True
            for alternative in arg[1]:
                sub_found, sub_complete = _seq(alternative)
                options |= sub_found
                complete = complete and sub_complete
        elif op is _sre.IN and len(arg) <= _MAX_CLASS and all(o is _sre.LITERAL
                                                              for o, _ in arg):
            options, complete = {chr(c) for _, c in arg}, True
        if options is None or len(found) * len(options) > _MAX_PREFIXES:
            return found, False
        found = {s + t for s, t in product(found, options)}
        if not complete:
            return found, False
    return found, True


def literal_prefixes(pattern: str) -> frozenset[str] | None:
    """Literal strings one of which starts every match of `pattern`; None when there is none
    to rely on (an empty prefix, a flag, a pattern the parser cannot read)."""
    try:
        parsed = _sre_parse.parse(pattern)
    except re.error:
        return None
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    found, _ = _seq(parsed)
    if not found or "" in found:
        return None
    # "thank" covers "thanks": keep only the prefixes no shorter one starts.
    return frozenset(p for p in found if not any(q != p and p.startswith(q) for q in found))


class Alternation:
    """`re.compile("|".join(f"(?:{p})" for p in parts))`, searched faster. `search` and
    `finditer` return the same spans and `group(0)` as the joined pattern (the match objects
    are those of the one alternative that matched)."""

    def __init__(self, parts: Sequence[str]) -> None:
        self.parts = list(parts)
        self.joined = re.compile("|".join(f"(?:{p})" for p in self.parts))
        self._compiled = [re.compile(p) for p in self.parts]
        self._always: list[int] = []
        self._automaton: ahocorasick.Automaton | None = None
        owners: dict[str, list[int]] = {}
        for index, part in enumerate(self.parts):
            prefixes = literal_prefixes(part)
            if prefixes is None:
                self._always.append(index)
                continue
            for prefix in prefixes:
                owners.setdefault(prefix, []).append(index)
        if owners:
            automaton = ahocorasick.Automaton()
            for prefix, indexes in owners.items():
                automaton.add_word(prefix, tuple(indexes))
            automaton.make_automaton()
            self._automaton = automaton

    @property
    def pattern(self) -> str:
        return self.joined.pattern

    def candidates(self, text: str) -> list[re.Pattern[str]]:
        """The alternatives that can match somewhere in `text`, in their order."""
        found = set(self._always)
        if self._automaton is not None and text:
            for _, indexes in self._automaton.iter(text):
                found.update(indexes)
        return [self._compiled[i] for i in sorted(found)]

    def search(self, text: str, pos: int = 0, endpos: int | None = None
               ) -> re.Match[str] | None:
        return self._first(self.candidates(text), text, pos, len(text) if endpos is None
                           else endpos)

    @staticmethod
    def _first(candidates: Sequence[re.Pattern[str]], text: str, pos: int, endpos: int
               ) -> re.Match[str] | None:
        best: re.Match[str] | None = None
        for compiled in candidates:
            match = compiled.search(text, pos, endpos)
            if match is not None and (best is None or match.start() < best.start()):
                best = match
        return best

    def finditer(self, text: str) -> list[re.Match[str]]:
        """Every non-overlapping match, left to right (a list, not an iterator)."""
        candidates = self.candidates(text)
        out: list[re.Match[str]] = []
        pos, n = 0, len(text)
        while pos <= n:
            match = self._first(candidates, text, pos, n)
            if match is None:
                break
            if match.end() == match.start():  # empty matches: leave their rules to `re`
                return list(self.joined.finditer(text))
            out.append(match)
            pos = match.end()
        return out
