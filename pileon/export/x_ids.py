"""X account ids and handles as CSV. X has no block-list import: this is a list to block by
hand (or with a tool of the user's choosing); the command output and docs say so.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pileon.export.accounts import selected_accounts
from pileon.export.selection import ExportResult, ExportSelection
from pileon.export.tabular import spreadsheet_cell

__all__ = ["X_COLUMNS", "XIdsExporter"]

X_COLUMNS = ("user_id", "username", "profile_url", "posts_in_selection", "first_post_url")
NO_IMPORT = ("X has no block-list import: block these accounts one by one on X (the profile"
             " URLs open each account); the numeric user_id stays valid if a handle changes")


class XIdsExporter:
    name = "x-ids"
    suffix = ".csv"
    description = "X user ids and handles (X has no block-list import; for blocking by hand)"

    def export(self, selection: ExportSelection, out: Path,
               options: Mapping[str, Any]) -> ExportResult:
        accounts, skipped = selected_accounts(selection, "x")
        if not accounts:
            return ExportResult(files=(), rows=0, skipped=dict(skipped))
        with out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(X_COLUMNS)
            for account in accounts:
                profile = (f"https://x.com/i/user/{account.account_id}"
                           if account.account_id.isdigit() else account.account_url or "")
                writer.writerow([spreadsheet_cell(v) for v in (
                    account.account_id, account.handle, profile, account.posts, account.post_url)])
        return ExportResult(files=(out,), rows=len(accounts), unit="accounts",
                            skipped=dict(skipped),
                            notes=(NO_IMPORT,))
