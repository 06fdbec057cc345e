"""Writing ingested evidence: raw payloads, posts, accounts, post versions and rejects.

One transaction per group of batches, so a process killed half-way (even kill -9) leaves only
whole payloads behind, and a re-run skips payloads it already holds (keyed on their SHA-256).
Every row passes through `safe_text.Sanitizer` first; a batch that still cannot be stored is
kept aside in `rejects` with the reason, and the rest of the file is stored.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from pileon import __version__
from pileon.records import Account, Post, Rejected, SourceBatch, sha256_hex
from pileon.store.db import is_disk_full, to_iso, transaction
from pileon.store.safe_text import Sanitizer, safe_text

__all__ = ["IngestCounts", "EvidenceWriter", "PreparedBatch", "log_custody", "prepare"]


@dataclass
class IngestCounts:
    payloads_new: int = 0
    payloads_seen: int = 0
    posts: int = 0
    accounts: int = 0
    rejected: int = 0
    surrogates_replaced: int = 0  # lone surrogates in text, stored as U+FFFD
    integers_dropped: int = 0  # integers beyond 64 bits, stored as unknown


_POST_UPSERT = """
INSERT INTO posts (platform, id, kind, text, author_id, uri, url, lang_reported, created_at,
                   reply_to, quote_of, root_id, metrics_json, placeholder, deleted_at_source,
                   raw_sha256, seen_at, labels_json)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT(platform, id) DO UPDATE SET
    -- 'reply' is also what a source without kinds guesses (a bare CSV/JSONL): it never
    -- replaces a kind a richer source stated; a stated kind does replace a guessed 'reply'.
    kind = CASE WHEN excluded.placeholder IS NOT NULL THEN posts.kind
                WHEN posts.placeholder IS NOT NULL THEN excluded.kind
                WHEN excluded.kind = 'reply' AND posts.kind <> 'reply' THEN posts.kind
                ELSE excluded.kind END,
    text = CASE WHEN excluded.placeholder IS NULL THEN excluded.text ELSE posts.text END,
    author_id = COALESCE(excluded.author_id, posts.author_id),
    uri = COALESCE(excluded.uri, posts.uri),
    url = COALESCE(excluded.url, posts.url),
    lang_reported = COALESCE(excluded.lang_reported, posts.lang_reported),
    created_at = COALESCE(excluded.created_at, posts.created_at),
    reply_to = COALESCE(excluded.reply_to, posts.reply_to),
    quote_of = COALESCE(excluded.quote_of, posts.quote_of),
    root_id = COALESCE(excluded.root_id, posts.root_id),
    metrics_json = COALESCE(excluded.metrics_json, posts.metrics_json),
    placeholder = CASE WHEN excluded.placeholder IS NULL OR posts.placeholder IS NOT NULL
                       THEN excluded.placeholder ELSE posts.placeholder END,
    deleted_at_source = COALESCE(posts.deleted_at_source, excluded.deleted_at_source,
        CASE WHEN excluded.placeholder = 'not_found' AND posts.placeholder IS NULL
             THEN excluded.seen_at END),
    raw_sha256 = CASE WHEN excluded.placeholder IS NULL THEN excluded.raw_sha256
                      ELSE posts.raw_sha256 END,
    -- labels as last delivered (a label can be withdrawn); a source silent on labels keeps them
    labels_json = COALESCE(excluded.labels_json, posts.labels_json),
    seen_at = excluded.seen_at
WHERE excluded.seen_at >= posts.seen_at
"""

#: The upsert's INSERT half alone: what it does for a key not yet stored, at half the cost (an
#: upsert looks the key up before inserting; a plain INSERT appends).
_POST_INSERT = _POST_UPSERT.split("ON CONFLICT", 1)[0]

_ACCOUNT_UPSERT = """
INSERT INTO accounts (platform, id, handle, display_name, created_at, followers_count,
                      following_count, posts_count, has_avatar, description, url, raw_sha256,
                      seen_at, labels_json)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT(platform, id) DO UPDATE SET
    handle = COALESCE(excluded.handle, accounts.handle),
    display_name = COALESCE(excluded.display_name, accounts.display_name),
    created_at = COALESCE(excluded.created_at, accounts.created_at),
    followers_count = COALESCE(excluded.followers_count, accounts.followers_count),
    following_count = COALESCE(excluded.following_count, accounts.following_count),
    posts_count = COALESCE(excluded.posts_count, accounts.posts_count),
    has_avatar = COALESCE(excluded.has_avatar, accounts.has_avatar),
    description = COALESCE(excluded.description, accounts.description),
    url = COALESCE(excluded.url, accounts.url),
    labels_json = COALESCE(excluded.labels_json, accounts.labels_json),
    raw_sha256 = excluded.raw_sha256,
    seen_at = excluded.seen_at
WHERE excluded.seen_at >= accounts.seen_at
"""

_ACCOUNT_INSERT = _ACCOUNT_UPSERT.split("ON CONFLICT", 1)[0]


def _iso(moment: datetime | None) -> str | None:
    """`to_iso`, without the time-zone conversion in the common case of a UTC time."""
    if moment is not None and moment.tzinfo is UTC:
        return moment.isoformat(timespec="milliseconds")[:-6] + "Z"
    return to_iso(moment)


_VERSION_INSERT = (
    "INSERT OR IGNORE INTO post_versions (platform, post_id, content_sha256, text, placeholder,"
    " raw_sha256, seen_at) VALUES (?,?,?,?,?,?,?)"
)

# json.dumps(..., sort_keys=True) builds a new encoder per call; one shared encoder is ~3x faster.
_sorted_encoder = json.JSONEncoder(sort_keys=True).encode
# The json module's own string escaper (C): what json.dumps writes for a str, quotes included.
_quoted = json.encoder.encode_basestring_ascii


def _sorted_json(metrics: dict[str, object]) -> str:
    """`json.dumps(metrics, sort_keys=True)`, written directly when every value is an int and
    every key plain ASCII (a post's counts: the common case), else by the json module."""
    parts = []
    for key in sorted(metrics):
        value = metrics[key]
        if (type(value) is not int or type(key) is not str or not key.isascii()
                or not key.replace("_", "").isalnum()):
            return _sorted_encoder(metrics)
        parts.append(f'"{key}": {value}')
    return "{" + ", ".join(parts) + "}"


def _post_row(post: Post, raw_sha: str, seen: str) -> tuple[object, ...]:
    return (
        post.platform,
        post.id,
        post.kind,
        post.text,
        post.author_id,
        post.uri,
        post.url,
        post.lang_reported,
        _iso(post.created_at),
        post.reply_to,
        post.quote_of,
        post.root_id,
        _sorted_json(dict(post.metrics)) if post.metrics is not None else None,
        post.placeholder,
        # A post first seen as not_found was already gone when this payload was fetched.
        _iso(post.deleted_at_source) or (seen if post.placeholder == "not_found" else None),
        raw_sha,
        seen,
        _labels_json(post.labels),
    )


def _labels_json(labels: tuple[tuple[str, str], ...] | None) -> str | None:
    if labels is None:
        return None
    return json.dumps([{"val": val, "by": by} for val, by in labels], ensure_ascii=False)


def _json_or_null(value: str | None) -> str:
    return "null" if value is None else _quoted(value)


def _version_row(post: Post, raw_sha: str, seen: str) -> tuple[object, ...]:
    # json.dumps([text, placeholder, deleted]) (the hash store/collect.py also writes), built
    # with the json module's own escaper: the same characters, without the encoder's set-up.
    state = (f"[{_json_or_null(post.text)}, {_json_or_null(post.placeholder)},"
             f" {_json_or_null(_iso(post.deleted_at_source))}]")
    content_sha = hashlib.sha256(state.encode("utf-8")).hexdigest()
    return (post.platform, post.id, content_sha, post.text, post.placeholder, raw_sha, seen)


def _account_row(acc: Account, raw_sha: str, seen: str) -> tuple[object, ...]:
    return (
        acc.platform,
        acc.id,
        acc.handle,
        acc.display_name,
        _iso(acc.created_at),
        acc.followers_count,
        acc.following_count,
        acc.posts_count,
        None if acc.has_avatar is None else int(acc.has_avatar),
        acc.description,
        acc.url,
        raw_sha,
        seen,
        _labels_json(acc.labels),
    )


def _as_built(values: tuple[object, ...]) -> tuple[object, ...]:
    return values


def _reject_row(rej: Rejected, now: str) -> tuple[object, ...]:
    return (
        safe_text(rej.source)[0],
        safe_text(rej.locator)[0],
        safe_text(rej.reason)[0],
        rej.raw,
        sha256_hex(rej.raw),
        now,
    )


Row = tuple[object, ...]
#: What building a batch's rows may raise (a value of a type no column takes).
_ROW_ERRORS = (TypeError, ValueError, OverflowError)


class PreparedBatch(NamedTuple):
    """A SourceBatch as the rows it becomes: built once, by `prepare`, in any process (a tuple
    of tuples pickles cheaply, so a second process can build them while this one writes)."""

    sha256: str
    payload: Row  # raw_payloads' values but the ingest run's id
    source: str
    locator: str | None
    data: bytes
    posts: list[Row]
    accounts: list[Row]
    versions: list[Row]
    rejected: tuple[Rejected, ...]
    error: str | None = None  # a row could not be built: the batch is kept aside with it


def prepare(batch: SourceBatch) -> PreparedBatch:
    """The rows of one batch, exactly as the writer binds them."""
    p = batch.payload
    seen = _iso(p.fetched_at) or to_iso(datetime.now(UTC)) or ""
    sha = p.sha256
    payload = (sha, p.data, len(p.data), p.source, p.locator, p.adapter, p.adapter_version, seen)
    if not batch.posts and not batch.accounts:
        return PreparedBatch(sha, payload, p.source, p.locator, p.data, [], [], [], batch.rejected)
    try:
        posts = [_post_row(x, sha, seen) for x in batch.posts]
        accounts = [_account_row(a, sha, seen) for a in batch.accounts]
        versions = [_version_row(x, sha, seen) for x in batch.posts]
    except _ROW_ERRORS as exc:
        return PreparedBatch(sha, payload, p.source, p.locator, p.data, [], [], [],
                             batch.rejected, str(exc))
    return PreparedBatch(sha, payload, p.source, p.locator, p.data, posts, accounts, versions,
                         batch.rejected)


class EvidenceWriter:
    """Writes batches from one ingest run; a commit happens every `group` batches or every
    `rows` rows (posts, accounts and rejects), whichever comes first."""

    def __init__(
        self, conn: sqlite3.Connection, *, source: str, fmt: str, group: int = 1000,
        rows: int = 5000,
    ):
        self.conn = conn
        self.group = group
        self.rows = rows
        self.counts = IngestCounts()
        #: SHA-256 of every payload this run stored or found already stored (custody log).
        self.payloads_new: set[str] = set()
        self.payloads_seen: set[str] = set()
        self._pending: list[PreparedBatch] = []
        self._pending_rows = 0
        self._clean = Sanitizer()
        now = to_iso(datetime.now(UTC))
        cur = conn.execute(
            "INSERT INTO ingest_runs (source, format, started_at) VALUES (?, ?, ?)",
            (safe_text(source)[0], fmt, now),
        )
        self.run_id = int(cur.lastrowid or 0)

    def add(self, batch: SourceBatch) -> None:
        self.add_prepared(prepare(batch))

    def add_prepared(self, batch: PreparedBatch) -> None:
        self._pending.append(batch)
        self._pending_rows += 1 + len(batch.posts) + len(batch.accounts) + len(batch.rejected)
        if len(self._pending) >= self.group or self._pending_rows >= self.rows:
            self.flush()

    def add_all(self, batches: Iterable[SourceBatch]) -> None:
        for batch in batches:
            self.add(batch)

    def flush(self) -> None:
        if not self._pending:
            return
        conn = self.conn
        with transaction(conn):
            # Rows are bound as built: SQLite itself refuses a lone surrogate or a 65-bit
            # integer, and only then is the group cleaned row by row (the Sanitizer cost a
            # tenth of an ingest when it read every row of every group).
            if not self._write_group(self._pending, cleaned=False) and not self._write_group(
                    self._pending, cleaned=True):
                # SQLite refused some record: redo the group one batch at a time, so only the
                # batch holding it is kept aside and the rest is stored.
                for batch in self._pending:
                    self._write_or_keep_aside(batch)
            self.counts.surrogates_replaced = self._clean.surrogates_replaced
            self.counts.integers_dropped = self._clean.integers_dropped
            conn.execute(
                "UPDATE ingest_runs SET payloads_new=?, payloads_seen=?, posts=?, accounts=?,"
                " rejected=? WHERE id=?",
                (
                    self.counts.payloads_new,
                    self.counts.payloads_seen,
                    self.counts.posts,
                    self.counts.accounts,
                    self.counts.rejected,
                    self.run_id,
                ),
            )
        self._pending.clear()
        self._pending_rows = 0

    def _stored_payloads(self, shas: list[str]) -> dict[str, bool]:
        """{sha256: still unparsed (archived by a live collector)} for the payloads already held."""
        found: dict[str, bool] = {}
        for start in range(0, len(shas), 500):
            part = shas[start:start + 500]
            marks = ",".join("?" * len(part))
            for sha, unparsed in self.conn.execute(
                f"SELECT sha256, ingest_run_id IS NULL FROM raw_payloads WHERE sha256 IN ({marks})",
                part,
            ):
                found[sha] = bool(unparsed)
        return found

    def _stored_keys(self, table: str, rows: list[tuple[object, ...]]) -> set[tuple[object, object]]:
        """The (platform, id) of `rows` (each starting with platform, id) already in `table`."""
        by_platform: dict[object, list[object]] = {}
        for r in rows:
            by_platform.setdefault(r[0], []).append(r[1])
        found: set[tuple[object, object]] = set()
        for platform, ids in by_platform.items():
            unique = list(dict.fromkeys(ids))
            for start in range(0, len(unique), 500):
                part = unique[start:start + 500]
                marks = ",".join("?" * len(part))
                found.update(self.conn.execute(
                    f"SELECT platform, id FROM {table} WHERE platform = ? AND id IN ({marks})",
                    [platform, *part],
                ).fetchall())
        return {tuple(k) for k in found}  # type: ignore[misc]

    def _upsert(self, table: str, insert: str, upsert: str, rows: list[tuple[object, ...]]) -> None:
        """`upsert` every row, in order, with the same result: a key neither stored nor met
        earlier in `rows` takes the plain INSERT (run first), every other row the upsert."""
        stored = self._stored_keys(table, rows)
        fresh: list[tuple[object, ...]] = []
        again: list[tuple[object, ...]] = []
        for r in rows:
            key = (r[0], r[1])
            if key in stored:
                again.append(r)
            else:
                stored.add(key)
                fresh.append(r)
        if fresh:
            self.conn.executemany(insert, fresh)
        if again:
            self.conn.executemany(upsert, again)

    def _write_group(self, batches: list[PreparedBatch], *, cleaned: bool) -> bool:
        """Write every batch with one statement per table. False, with nothing written, when
        SQLite refuses a record (the caller then writes batch by batch)."""
        conn = self.conn
        clean = self._clean
        surrogates, integers = clean.surrogates_replaced, clean.integers_dropped
        row = clean.row if cleaned else _as_built
        now = to_iso(datetime.now(UTC)) or ""
        conn.execute("SAVEPOINT grp")
        try:
            rejects = [_reject_row(rej, now) for b in batches for rej in b.rejected]
            rejected = conn.executemany(
                "INSERT OR IGNORE INTO rejects (source, locator, reason, raw, raw_sha256,"
                " rejected_at) VALUES (?,?,?,?,?,?)",
                rejects,
            ).rowcount if rejects else 0
            parsed = [b for b in batches if b.posts or b.accounts or b.error is not None]
            stored = self._stored_payloads(list({b.sha256 for b in parsed}))
            new: list[PreparedBatch] = []
            seen: list[str] = []
            taken: set[str] = set()
            inserts: list[Row] = []
            claims: list[Row] = []
            for b in parsed:
                sha = b.sha256
                if sha in taken or stored.get(sha) is False:
                    seen.append(sha)  # stored, with everything parsed from it, earlier
                    continue
                if b.error is not None:
                    raise ValueError(b.error)  # a row that cannot be built: batch by batch
                taken.add(sha)
                new.append(b)
                if sha in stored:  # archived on arrival by a collector, unparsed: claim it
                    claims.append((self.run_id, sha))
                else:
                    inserts.append(row((*b.payload, self.run_id)))
            if inserts:
                conn.executemany(
                    "INSERT INTO raw_payloads (sha256, data, size_bytes, source, locator,"
                    " adapter, adapter_version, fetched_at, ingest_run_id)"
                    " VALUES (?,?,?,?,?,?,?,?,?)",
                    inserts,
                )
            if claims:
                conn.executemany(
                    "UPDATE raw_payloads SET ingest_run_id=? WHERE sha256=?", claims
                )
            accounts: list[Row] = []
            posts: list[Row] = []
            versions: list[Row] = []
            if cleaned:
                # versions hold the posts' text again: not counted twice
                again = Sanitizer().row
                for b in new:
                    accounts.extend(row(r) for r in b.accounts)
                    posts.extend(row(r) for r in b.posts)
                    versions.extend(again(r) for r in b.versions)
            else:
                for b in new:
                    accounts.extend(b.accounts)
                    posts.extend(b.posts)
                    versions.extend(b.versions)
            if accounts:
                self._upsert("accounts", _ACCOUNT_INSERT, _ACCOUNT_UPSERT, accounts)
            if posts:
                self._upsert("posts", _POST_INSERT, _POST_UPSERT, posts)
            if versions:
                conn.executemany(_VERSION_INSERT, versions)
        except (sqlite3.Error, TypeError, ValueError, OverflowError) as exc:
            if not conn.in_transaction or (isinstance(exc, sqlite3.OperationalError) and (
                is_disk_full(exc) or "locked" in str(exc) or "busy" in str(exc)
            )):
                raise  # the database, not a record, is the problem
            conn.execute("ROLLBACK TO grp")
            conn.execute("RELEASE grp")
            clean.surrogates_replaced, clean.integers_dropped = surrogates, integers
            return False
        conn.execute("RELEASE grp")
        c = self.counts
        c.rejected += rejected
        c.payloads_new += len(new)
        c.payloads_seen += len(seen)
        self.payloads_new.update(b.sha256 for b in new)
        self.payloads_seen.update(seen)
        c.posts += sum(len(b.posts) for b in new)
        c.accounts += sum(len(b.accounts) for b in new)
        return True

    def _write_or_keep_aside(self, batch: PreparedBatch) -> None:
        """Write one batch inside a savepoint; if SQLite refuses it, keep its bytes aside."""
        conn = self.conn
        before = (self.counts.payloads_new, self.counts.payloads_seen, self.counts.posts,
                  self.counts.accounts, self.counts.rejected)
        cleaned = (self._clean.surrogates_replaced, self._clean.integers_dropped)
        sha = batch.sha256
        known = (sha in self.payloads_new, sha in self.payloads_seen)
        conn.execute("SAVEPOINT batch")
        try:
            self._write(batch)
        except (sqlite3.Error, TypeError, ValueError, OverflowError) as exc:
            if not conn.in_transaction or (isinstance(exc, sqlite3.OperationalError) and (
                is_disk_full(exc) or "locked" in str(exc) or "busy" in str(exc)
            )):
                raise  # the database, not the record, is the problem (SQLite may have rolled back)
            conn.execute("ROLLBACK TO batch")
            conn.execute("RELEASE batch")
            (self.counts.payloads_new, self.counts.payloads_seen, self.counts.posts,
             self.counts.accounts, self.counts.rejected) = before
            self._clean.surrogates_replaced, self._clean.integers_dropped = cleaned
            if not known[0]:
                self.payloads_new.discard(sha)
            if not known[1]:
                self.payloads_seen.discard(sha)
            rej = Rejected(batch.source, batch.locator or "payload", f"cannot be stored: {exc}",
                           batch.data)
            cur = conn.execute(
                "INSERT OR IGNORE INTO rejects (source, locator, reason, raw, raw_sha256,"
                " rejected_at) VALUES (?,?,?,?,?,?)",
                _reject_row(rej, to_iso(datetime.now(UTC)) or ""),
            )
            self.counts.rejected += cur.rowcount
            return
        conn.execute("RELEASE batch")

    def _write(self, batch: PreparedBatch) -> None:
        conn = self.conn
        now = to_iso(datetime.now(UTC)) or ""
        for rej in batch.rejected:
            cur = conn.execute(
                "INSERT OR IGNORE INTO rejects (source, locator, reason, raw, raw_sha256,"
                " rejected_at) VALUES (?,?,?,?,?,?)",
                _reject_row(rej, now),
            )
            self.counts.rejected += cur.rowcount
        if not batch.posts and not batch.accounts and batch.error is None:
            return  # nothing parsed: the rejects above hold the bytes
        sha = batch.sha256
        cur = conn.execute(
            "INSERT OR IGNORE INTO raw_payloads (sha256, data, size_bytes, source, locator,"
            " adapter, adapter_version, fetched_at, ingest_run_id) VALUES (?,?,?,?,?,?,?,?,?)",
            self._clean.row((*batch.payload, self.run_id)),
        )
        if cur.rowcount == 0 and not self._claim_archived(sha):
            self.counts.payloads_seen += 1
            self.payloads_seen.add(sha)
            return  # already stored, with everything parsed from it, in an earlier run
        if batch.error is not None:
            raise ValueError(batch.error)
        self.counts.payloads_new += 1
        self.payloads_new.add(sha)
        clean = self._clean.row
        conn.executemany(_ACCOUNT_UPSERT, [clean(r) for r in batch.accounts])
        conn.executemany(_POST_UPSERT, [clean(r) for r in batch.posts])
        # The same text as the post's row: cleaned again, but not counted twice.
        again = Sanitizer().row
        conn.executemany(_VERSION_INSERT, [again(r) for r in batch.versions])
        self.counts.posts += len(batch.posts)
        self.counts.accounts += len(batch.accounts)

    def _claim_archived(self, sha256: str) -> bool:
        """True for bytes a live collector archived on arrival (ingest_run_id still NULL) that
        nothing has been parsed from yet: this run parses them, and they become its own."""
        claimed = self.conn.execute(
            "UPDATE raw_payloads SET ingest_run_id=? WHERE sha256=? AND ingest_run_id IS NULL",
            (self.run_id, sha256),
        )
        return claimed.rowcount == 1

    def finish(self) -> IngestCounts:
        self.flush()
        self.conn.execute(
            "UPDATE ingest_runs SET finished_at=? WHERE id=?",
            (to_iso(datetime.now(UTC)), self.run_id),
        )
        return self.counts


def log_custody(
    conn: sqlite3.Connection,
    action: str,
    details: dict[str, object],
    sha256s: Iterable[str] = (),
    *,
    read: Iterable[str] = (),
    wrote: Iterable[str] = (),
) -> None:
    """Append one line to the chain-of-custody log (never updated, never deleted).

    `sha256s` are the raw payloads the action is about; `read` and `wrote` the SHA-256 of what
    it read (a source file, the inputs) and what it wrote (payloads, a manifest, an output file).
    """
    conn.execute(
        "INSERT INTO custody_log (at, action, tool_version, details_json, sha256s_json,"
        " read_json, wrote_json) VALUES (?,?,?,?,?,?,?)",
        (
            to_iso(datetime.now(UTC)),
            action,
            f"pileon {__version__}",
            safe_text(json.dumps(details, sort_keys=True, ensure_ascii=False))[0],
            json.dumps(sorted(set(sha256s))),
            json.dumps(sorted(set(read))),
            json.dumps(sorted(set(wrote))),
        ),
    )
