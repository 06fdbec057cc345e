"""Arrow schemas of the campaign's Parquet tables, and the conversions between a thread's
`PostBatch` and Arrow. Posts are identified by (platform, id), never by row position."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pileon.coordinate.batch import NO_TIME, PostBatch
from pileon.records import LABELS

__all__ = ["POSTS", "SCORES", "batch_from_table", "day_of", "posts_by_day", "read_parquet",
           "write_parquet"]

UNDATED = "undated"

POSTS = pa.schema([
    ("platform", pa.string()), ("id", pa.string()), ("text", pa.string()),
    ("author_id", pa.string()), ("created_ms", pa.int64()), ("kind", pa.string()),
    ("reply_to", pa.string()), ("quote_of", pa.string()),
])

#: The fixed schema of classifier scores: one float column per label of records.LABELS.
SCORES = pa.schema([
    ("platform", pa.string()), ("id", pa.string()), ("backend", pa.string()),
    ("model_version", pa.string()), ("lang", pa.string()), ("lang_confidence", pa.float64()),
    ("labels", pa.list_(pa.string())),
    *[(f"score_{label}", pa.float64()) for label in LABELS],
    ("evidence_json", pa.string()),
])


def day_of(ms: int) -> str:
    if ms == NO_TIME:
        return UNDATED
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")


def posts_by_day(batch: PostBatch) -> dict[str, pa.Table]:
    """One Arrow table of posts per UTC day (and one for posts without a time)."""
    created = batch.created_ms
    days = np.where(created == NO_TIME, -1, created // 86_400_000)
    table = pa.table({
        "platform": pa.array(batch.platforms, pa.string()),
        "id": pa.array(batch.ids, pa.string()),
        "text": pa.array(batch.texts, pa.string()),
        "author_id": pa.array(batch.authors, pa.string()),
        "created_ms": pa.array(created, pa.int64(), mask=created == NO_TIME),
        "kind": pa.array(batch.kinds, pa.string()),
        "reply_to": pa.array(batch.reply_to, pa.string()),
        "quote_of": pa.array(batch.quote_of, pa.string()),
    }, schema=POSTS)
    out = {}
    for day in np.unique(days).tolist():
        rows = np.flatnonzero(days == day)
        name = UNDATED if day == -1 else day_of(int(day) * 86_400_000)
        out[name] = table.take(pa.array(rows))
    return out


def batch_from_table(table: pa.Table) -> PostBatch:
    """A thread's posts (all its day partitions) as the batch the coordination code takes,
    in (platform, id) order — the order the single-thread path reads them in."""
    table = table.select(POSTS.names).sort_by([("platform", "ascending"), ("id", "ascending")])
    created = table.column("created_ms").to_numpy(zero_copy_only=False)
    created = np.where(np.isnan(created), NO_TIME, created) if created.dtype.kind == "f" \
        else created
    cols: dict[str, list[Any]] = {name: table.column(name).to_pylist()
                                  for name in POSTS.names if name != "created_ms"}
    return PostBatch(platforms=cols["platform"], ids=cols["id"], texts=cols["text"],
                     authors=cols["author_id"], created_ms=np.asarray(created, dtype=np.int64),
                     kinds=cols["kind"], reply_to=cols["reply_to"], quote_of=cols["quote_of"])


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write beside the target and rename: a partition file exists only once complete, which is
    what a resumed run checks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def read_parquet(paths: Sequence[Path], schema: pa.Schema | None = None) -> pa.Table:
    tables = [pq.read_table(p, schema=schema) for p in paths]
    if not tables:
        return (schema or POSTS).empty_table()
    return pa.concat_tables(tables)
