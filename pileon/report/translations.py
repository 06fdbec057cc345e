"""Translations the user adds for the report: appended beside the post, never over the original.

The original text is the evidence; a translation is the user's (or a translator's) reading of
it, printed under the post with who made it and when, and logged in the chain of custody.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from pileon.errors import ReportError
from pileon.store import to_iso
from pileon.store.db import transaction
from pileon.store.evidence import log_custody
from pileon.store.report import add_translation, find_post
from pileon.store.triage import has_table

__all__ = ["translate_post"]


def translate_post(conn: sqlite3.Connection, ref: str, lang: str, text: str,
                   translator: str | None, platform: str | None = None) -> tuple[str, str]:
    """Store a translation of the post `ref` (id, URI or URL); returns its (platform, id)."""
    if not text.strip():
        raise ReportError("the translation is empty", record=ref)
    if not has_table(conn, "translations"):
        raise ReportError("this database has no translations table",
                          hint="it was migrated by a pileon without migration 0005; upgrade")
    found = [k for k in find_post(conn, ref) if platform is None or k[0] == platform]
    if not found:
        raise ReportError(f"no post with id, URI or URL {ref!r}",
                          hint="check the id with `pileon show`")
    if len(found) > 1:
        raise ReportError(f"{ref!r} names posts on several platforms",
                          hint="add --platform " + " or --platform ".join(k[0] for k in found))
    key = found[0]
    with transaction(conn):
        add_translation(conn, key[0], key[1], lang, text, translator,
                        to_iso(datetime.now(UTC)) or "")
        log_custody(conn, "translation", {"platform": key[0], "post_id": key[1], "lang": lang,
                                          "translator": translator, "chars": len(text)})
    return key
