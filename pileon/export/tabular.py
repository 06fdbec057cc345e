"""CSV and JSONL of the selected posts with every field: the post, its author and account
signals, the model's labels, scores and evidence, the folder, the user's notes and the SHA-256
of the raw payload it came from. JSONL keeps every value exact; CSV is for spreadsheets.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pileon.export.selection import ExportResult, ExportSelection
from pileon.store.export import ExportPost

__all__ = ["CSV_COLUMNS", "WITHHELD", "CsvExporter", "JsonlExporter", "post_record",
           "spreadsheet_cell"]

#: Column order of the CSV (and key order of each JSONL object).
CSV_COLUMNS: tuple[str, ...] = (
    "platform", "post_id", "kind", "created_at", "url", "uri", "reply_to", "text",
    "text_withheld", "lang", "lang_reported", "deleted_at_source", "source_labels", "folder", "model_folder", "decided_by_user",
    "category", "rule", "labels", "scores", "evidence", "model", "author_id", "author_handle",
    "author_display_name", "author_url", "author_created_at", "author_followers",
    "author_following", "author_posts", "author_has_avatar", "account_signals",
    "coordination_score", "cluster_id", "notes", "raw_sha256", "raw_source", "raw_locator",
    "fetched_at", "account_raw_sha256",
)

# A cell starting with one of these is run as a formula by spreadsheet programs; abusers can
# write such replies on purpose. The CSV quotes them with a leading apostrophe (JSONL is exact).
_FORMULA_START = frozenset("=+-@\t\r")


#: Why a post's text is left out of a --public export (the cell says it, in place of the text).
WITHHELD = ("the author asked (Bluesky !no-unauthenticated) not to be shown to logged-out"
            " readers")


def post_record(post: ExportPost, *, public: bool = False) -> dict[str, Any]:
    """Every field of a post as plain JSON values, in CSV_COLUMNS order. With `public`, the
    text of a post whose author asked to be shown to signed-in readers only is left out."""
    values = {column: getattr(post, column, None) for column in CSV_COLUMNS}  # asdict deep-copies
    withheld = public and post.logged_in_only
    values["text"] = "" if withheld else post.text
    values["text_withheld"] = WITHHELD if withheld else None
    values["source_labels"] = [dict(label) for label in post.source_labels]
    values["labels"] = list(post.labels)
    values["account_signals"] = list(post.account_signals)
    values["evidence"] = [dict(e) for e in post.evidence]
    values["scores"] = dict(post.scores)
    values["notes"] = list(post.notes)
    return values


def spreadsheet_cell(value: Any) -> str:
    """One CSV cell that no spreadsheet runs as a formula (every pileon CSV writes through it)."""
    if value is None:
        return ""
    if value.__class__ is str:  # the common case first: most cells are text
        return "'" + value if value[:1] in _FORMULA_START else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    text = str(value)
    return "'" + text if text[:1] in _FORMULA_START else text


def _csv_row(post: ExportPost, public: bool) -> list[str]:
    record = post_record(post, public=public)
    record["labels"] = ";".join(post.labels)
    record["source_labels"] = ";".join(
        f"{lab['val']} ({'author' if lab['by'] == 'self' else lab['by']}, {lab['on']})"
        for lab in post.source_labels)
    record["account_signals"] = ";".join(post.account_signals)
    record["evidence"] = (json.dumps(record["evidence"], ensure_ascii=False)
                          if post.evidence else "")
    record["notes"] = "\n".join(post.notes)
    return [spreadsheet_cell(record[c]) for c in CSV_COLUMNS]


class CsvExporter:
    name = "csv"
    suffix = ".csv"
    description = ("every field of every selected post, one row each (UTF-8 with BOM, for"
                   " spreadsheets)")

    def export(self, selection: ExportSelection, out: Path,
               options: Mapping[str, Any]) -> ExportResult:
        rows = 0
        # utf-8-sig: spreadsheet programs otherwise read Armenian and Cyrillic as mojibake.
        with out.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(CSV_COLUMNS)
            for post in selection.posts():
                writer.writerow(_csv_row(post, bool(options.get("public"))))
                rows += 1
        return ExportResult(files=(out,), rows=rows, notes=(
            "cells that begin with = + - @ are prefixed with ' so a spreadsheet never runs"
            " them as formulas; the JSONL export keeps the text exact",))


class JsonlExporter:
    name = "jsonl"
    suffix = ".jsonl"
    description = "every field of every selected post, one JSON object a line, values exact"

    def export(self, selection: ExportSelection, out: Path,
               options: Mapping[str, Any]) -> ExportResult:
        rows = 0
        with out.open("w", encoding="utf-8", newline="\n") as fh:
            for post in selection.posts():
                fh.write(json.dumps(post_record(post, public=bool(options.get("public"))),
                                    ensure_ascii=False) + "\n")
                rows += 1
        return ExportResult(files=(out,), rows=rows)
