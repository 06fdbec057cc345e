"""The X report sheet: X has no reporting API for users, so pileon writes what X's report form
asks, in the order it asks it, for each reported account: who is targeted, the type of issue,
its detail, then the posts (at most five per report, as the form allows), with their texts.

Written as HTML (texts behind a click, a content warning first) and CSV (one row per post,
no cell a spreadsheet would run as a formula), and logged in the custody log with their hashes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from pileon.export.tabular import spreadsheet_cell
from pileon.report.filing import CONCERN_ORDER, post_categories, worst_category
from pileon.store.db import to_iso, transaction
from pileon.store.evidence import log_custody
from pileon.store.filing import FilingRow

__all__ = ["POSTS_PER_REPORT", "SheetAccount", "X_ISSUES", "sheet_accounts", "write_x_sheet"]

#: X's form lets a report carry up to five posts of the reported account.
POSTS_PER_REPORT = 5
#: pileon category -> (X's "type of issue", the detail X asks next), as the form words them.
X_ISSUES: dict[str, tuple[str, str]] = {
    "threat": ("Violent Speech", "Violent threats"),
    "atrocity_denial": ("Violent Speech", "Glorification of violence"),
    "identity_attack": ("Hate", "Slurs & tropes"),
    "sexual_harassment": ("Abuse & Harassment", "Unwanted sexual content & graphic"
                                                " objectification"),
    "identity_denial": ("Abuse & Harassment", "Targeted harassment"),
    "bad_faith": ("Abuse & Harassment", "Targeted harassment"),
    "insult": ("Abuse & Harassment", "Insults"),
    "ridicule": ("Abuse & Harassment", "Insults"),
    "profanity": ("Abuse & Harassment", "Insults"),
}
_OTHER = ("Abuse & Harassment", "Targeted harassment")
CSV_FILE = "x-report-sheet.csv"
HTML_FILE = "x-report-sheet.html"
_COLUMNS = ("report", "step_1_who_is_targeted", "step_2_type_of_issue", "step_3_detail",
            "account_handle", "account_id", "account_url", "post_number", "post_url",
            "post_id", "posted_at_utc", "categories", "folder", "text", "raw_sha256")


@dataclass(frozen=True, slots=True)
class SheetAccount:
    number: int  # the report's number on the sheet (an account with >5 posts gets several)
    handle: str | None
    account_id: str | None
    account_url: str | None
    issue: str
    detail: str
    posts: tuple[FilingRow, ...]


def sheet_accounts(rows: Sequence[FilingRow]) -> list[SheetAccount]:
    """Reports to file, most concerning account first, each with at most five posts."""
    by_account: dict[str, list[FilingRow]] = {}
    for row in rows:
        by_account.setdefault(row.author_id or row.handle or row.post_id, []).append(row)
    ranked = sorted(by_account.values(), key=lambda posts: (
        _rank(worst_category(posts)), -len(posts), posts[0].created_at or ""))
    sheet: list[SheetAccount] = []
    for posts in ranked:
        issue, detail = X_ISSUES.get(worst_category(posts) or "", _OTHER)
        first = posts[0]
        url = first.account_url or (f"https://x.com/{first.handle}" if first.handle else None)
        for start in range(0, len(posts), POSTS_PER_REPORT):
            sheet.append(SheetAccount(len(sheet) + 1, first.handle, first.author_id, url, issue,
                                      detail, tuple(posts[start:start + POSTS_PER_REPORT])))
    return sheet


def _rank(category: str | None) -> int:
    return CONCERN_ORDER.index(category) if category in CONCERN_ORDER else len(CONCERN_ORDER)


def _post_url(row: FilingRow) -> str:
    return row.url or f"https://x.com/i/web/status/{row.post_id}"


def _csv(sheet: Sequence[SheetAccount]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_COLUMNS)
    for account in sheet:
        for number, row in enumerate(account.posts, start=1):
            writer.writerow([spreadsheet_cell(v) for v in (
                account.number, "Me", account.issue, account.detail, account.handle,
                account.account_id, account.account_url, number, _post_url(row), row.post_id,
                row.created_at, " ".join(post_categories(row)), row.folder, row.text,
                row.raw_sha256)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: spreadsheets read it as UTF-8


def write_x_sheet(conn: sqlite3.Connection, rows: Sequence[FilingRow], out: Path,
                  target: str | None) -> tuple[Path, Path, int]:
    """Write the sheet's HTML and CSV into folder `out`; returns their paths and report count."""
    sheet = sheet_accounts(rows)
    env = Environment(loader=PackageLoader("pileon.report", "templates"), autoescape=True,
                      undefined=StrictUndefined)
    html = env.get_template("x_sheet.html").render(
        sheet=sheet, target=target, created=to_iso(datetime.now(UTC)), post_url=_post_url,
        categories=post_categories, per_report=POSTS_PER_REPORT,
        posts=sum(len(a.posts) for a in sheet)).encode("utf-8")
    table = _csv(sheet)
    out.mkdir(parents=True, exist_ok=True)
    html_path, csv_path = out / HTML_FILE, out / CSV_FILE
    for path, data in ((html_path, html), (csv_path, table)):
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    raw = [row.raw_sha256 for row in rows]
    with transaction(conn):
        log_custody(conn, "export", {"format": "x-report-sheet", "out": str(out),
                                     "reports": len(sheet), "posts": len(rows)}, raw, read=raw,
                    wrote=[hashlib.sha256(html).hexdigest(), hashlib.sha256(table).hexdigest()])
    return html_path, csv_path, len(sheet)
