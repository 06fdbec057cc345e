"""The Bluesky accounts of a selection (DID and handle) as CSV: what `pileon bluesky-list` would
add to a moderation list, for checking first or for another tool.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pileon.export.accounts import selected_accounts
from pileon.export.selection import ExportResult, ExportSelection
from pileon.export.tabular import spreadsheet_cell

__all__ = ["BlueskyListExporter"]


class BlueskyListExporter:
    name = "bluesky-list"
    suffix = ".csv"
    description = ("Bluesky accounts (DID, handle) for a moderation list; `pileon bluesky-list`"
                   " creates the list itself")

    def export(self, selection: ExportSelection, out: Path,
               options: Mapping[str, Any]) -> ExportResult:
        accounts, skipped = selected_accounts(selection, "bluesky")
        if not accounts:
            return ExportResult(files=(), rows=0, skipped=dict(skipped))
        with out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(("did", "handle", "posts_in_selection"))
            for account in accounts:
                writer.writerow([spreadsheet_cell(v) for v in (
                    account.account_id, account.handle, account.posts)])
        return ExportResult(files=(out,), rows=len(accounts), unit="accounts",
                            skipped=dict(skipped),
                            notes=("to create the moderation list on Bluesky, run"
                                   " `pileon bluesky-list DB --handle YOU.bsky.social`",))
