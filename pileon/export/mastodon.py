"""Mastodon block and mute lists in exactly the CSV its import accepts (Settings › Import and
export): blocks `Account address`, mutes `Account address,Hide notifications`, one `user@domain`
a row, UTF-8 without a BOM, split into several files under the 20,000-row / 20 MB limits.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import idna

from pileon.export.accounts import SelectedAccount, selected_accounts
from pileon.export.selection import ExportResult, ExportSelection

__all__ = ["BLOCKS_HEADER", "MAX_BYTES", "MAX_ROWS", "MUTES_HEADER", "MastodonBlocksExporter",
           "MastodonMutesExporter", "chunk_paths", "mastodon_address", "write_chunked"]

BLOCKS_HEADER = "Account address"
MUTES_HEADER = "Account address,Hide notifications"
#: Mastodon refuses an import file of more than 20,000 rows or 20 MB.
MAX_ROWS = 20_000
MAX_BYTES = 20 * 1024 * 1024

# Mastodon's own username pattern (Account::USERNAME_RE); anything else would fail the import.
# ASCII only: with IGNORECASE alone, Python lets the Turkish dotless ı match [a-z].
_USERNAME = re.compile(r"[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*", re.IGNORECASE | re.ASCII)
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)", re.ASCII)


def _domain(text: str | None) -> str | None:
    if not text:
        return None
    domain = text.strip().rstrip(".").lower()
    try:  # an IDN instance as Mastodon stores it (IDNA 2008, UTS 46 mapping)
        domain = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    if labels[-1].isdigit():  # an IP address or a number, not an instance's name
        return None
    return domain


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def mastodon_address(handle: str | None, account_url: str | None = None,
                     post_url: str | None = None) -> str | None:
    """`user@domain` as Mastodon's import wants it, or None when the handle cannot be one.

    A leading @ is dropped; a local handle (`kirill`) takes the domain of the account's or the
    post's URL, which is the instance the author is on.
    """
    if not handle:
        return None
    user, at, domain = handle.strip().lstrip("@").partition("@")
    if not at:
        domain = _host(account_url) or _host(post_url) or ""
    normal = _domain(domain)
    if normal is None or not _USERNAME.fullmatch(user):
        return None
    return f"{user}@{normal}"


def chunk_paths(out: Path, count: int) -> list[Path]:
    """`out` for one file; `name-1-of-3.csv` … for several, so each says it is part of a set."""
    if count == 1:
        return [out]
    return [out.with_name(f"{out.stem}-{n}-of-{count}{out.suffix}") for n in range(1, count + 1)]


def write_chunked(out: Path, header: str, lines: Iterable[str]) -> list[Path]:
    """Write `lines` under `header` in as many files as the row and byte limits need."""
    limit_rows, limit_bytes = MAX_ROWS, MAX_BYTES  # read at call time (tests lower them)
    head = (header + "\n").encode("utf-8")
    chunks: list[list[bytes]] = [[]]
    size = len(head)
    for line in lines:
        row = (line + "\n").encode("utf-8")
        if chunks[-1] and (len(chunks[-1]) >= limit_rows or size + len(row) > limit_bytes):
            chunks.append([])
            size = len(head)
        chunks[-1].append(row)
        size += len(row)
    paths = chunk_paths(out, len(chunks))
    for path, rows in zip(paths, chunks, strict=True):
        with path.open("wb") as fh:
            fh.write(head)
            fh.writelines(rows)
    return paths


def _addresses(accounts: Iterable[SelectedAccount], skipped: Counter[str]) -> list[str]:
    seen: dict[str, str] = {}
    for account in accounts:
        if not account.handle:
            skipped["accounts with no handle"] += 1
            continue
        address = mastodon_address(account.handle, account.account_url, account.post_url)
        if address is None:
            skipped["accounts whose handle is not a valid user@domain"] += 1
            continue
        seen.setdefault(address.lower(), address)
    return list(seen.values())


class _MastodonExporter:
    name = ""
    suffix = ".csv"
    description = ""
    header = ""

    def _line(self, address: str, options: Mapping[str, Any]) -> str:
        return address

    def export(self, selection: ExportSelection, out: Path,
               options: Mapping[str, Any]) -> ExportResult:
        accounts, skipped = selected_accounts(selection, "mastodon")
        addresses = _addresses(accounts, skipped)
        if not addresses:
            return ExportResult(files=(), rows=0, skipped=dict(skipped))
        files = write_chunked(out, self.header, (self._line(a, options) for a in addresses))
        notes: tuple[str, ...] = ()
        if len(files) > 1:
            notes = (f"{len(files)} files: Mastodon imports at most {MAX_ROWS:,} rows and"
                     f" {MAX_BYTES // (1024 * 1024)} MB at once; import them one after another"
                     " with 'Merge'",)
        return ExportResult(files=tuple(files), rows=len(addresses), unit="accounts",
                            skipped=dict(skipped),
                            notes=notes)


class MastodonBlocksExporter(_MastodonExporter):
    name = "mastodon-blocks"
    description = "Mastodon block list import (Account address), one file per 20,000 accounts"
    header = BLOCKS_HEADER


class MastodonMutesExporter(_MastodonExporter):
    name = "mastodon-mutes"
    description = ("Mastodon mute list import (Account address,Hide notifications),"
                   " one file per 20,000 accounts")
    header = MUTES_HEADER

    def _line(self, address: str, options: Mapping[str, Any]) -> str:
        return f"{address},{'true' if options.get('hide_notifications', True) else 'false'}"
