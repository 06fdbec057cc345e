"""Search that finds every spelling: SQLite FTS5 over the analyzer's normalized text.

Each post is indexed under all the spellings `pileon.analyze.normalize` gives its words: the
base view (case, diacritics, homoglyphs, leetspeak and Azerbaijani Cyrillic folded), the
translit views (Latin read as Russian or Armenian, Cyrillic read as Azerbaijani) and the
Russian/Armenian "skeletons" that merge the letters translit cannot tell apart. A query goes
through the same views, and matches when any one of its spellings matches (each word as a
prefix). So `xain` finds `XAİN` and `хаин`, and `azerbaycanli` finds `azərbaycanlı`.

A post waits for the index while its rowid is above the store's watermark or its text changed
(migrations 0025 and 0031); `sync` indexes what is waiting (the first search on a fresh
database indexes everything once). The SQL, and the search pages themselves, are
`pileon.store.search`'s: this module only computes spellings.
"""

from __future__ import annotations

import re
import sqlite3

from pileon.analyze.normalize import (
    armenian_skeleton,
    normalize,
    russian_skeleton,
    script_variants,
)
from pileon.store import search as store_search

__all__ = ["catch_up", "match_expression", "pending", "pending_count", "spellings", "sync"]

_WORD = re.compile(r"\w+")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_ARMENIAN = re.compile("[\u0531-\u058f]")
MAX_QUERY_WORDS = 8
MAX_QUERY_CHARS = 200


def _forms(text: str) -> list[str]:
    """Every normalized spelling of `text`, the base one first."""
    base = normalize(text)
    forms = [base.text]
    if _CYRILLIC.search(base.text):
        forms.append(russian_skeleton(base.text))
    if _ARMENIAN.search(base.text):
        forms.append(armenian_skeleton(base.text))
    for view in script_variants(base):
        forms.append(view.text)
        if view.view == "ru_translit":
            forms.append(russian_skeleton(view.text))
        elif view.view == "hy_translit":
            forms.append(armenian_skeleton(view.text))
    return list(dict.fromkeys(forms))


def spellings(text: str) -> str:
    """The indexed body of a post: each distinct word of each spelling, once."""
    words: dict[str, None] = {}
    for form in _forms(text):
        for word in _WORD.findall(form):
            words.setdefault(word, None)
    return " ".join(words)


def match_expression(query: str) -> str | None:
    """An FTS5 MATCH expression for what the user typed (None when it holds no word).

    Within one spelling every word must appear (as a word or a word's beginning; a single
    letter only as a whole word, or "a" would find a third of a thread); any spelling may
    match. The user's text never reaches FTS5 syntax: each word is a quoted string.
    """
    alternatives: list[str] = []
    for form in _forms(query[:MAX_QUERY_CHARS]):
        words = _WORD.findall(form)[:MAX_QUERY_WORDS]
        if words:
            alternatives.append("(" + " AND ".join(
                f'"{w}"*' if len(w) > 1 else f'"{w}"' for w in words) + ")")
    unique = list(dict.fromkeys(alternatives))
    return " OR ".join(unique) if unique else None


#: A search indexes at most this many waiting posts itself; more are left to `pileon serve`'s
#: background indexer, so a first search on a big new database is not a minutes-long wait.
INLINE_SYNC = 2000

pending = store_search.pending
pending_count = store_search.pending_count


def catch_up(conn: sqlite3.Connection) -> int:
    """Before a search: index what is waiting when that is quick; returns how many posts are
    still waiting (the background indexer's work), 0 when the index is complete."""
    if not pending(conn):
        return 0
    waiting = pending_count(conn)
    if waiting <= INLINE_SYNC:
        sync(conn)
        return 0
    return waiting


def sync(conn: sqlite3.Connection, batch: int = 2000) -> int:
    """Index every post whose text is new or changed; returns how many were indexed."""
    done = 0
    while True:
        items = store_search.pending_posts(conn, batch)
        if not items:
            return done
        store_search.write_index(conn, [
            (rowid, None if text is None else spellings(text), platform, post_id)
            for rowid, text, platform, post_id in items])
        done += len(items)
