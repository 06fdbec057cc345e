"""What a Dask worker runs: one function per kind of partition, plain arguments in (paths,
names), a small outcome dict out. A failure is caught here and returned as an outcome naming
the partition, so one bad partition never takes the others down and no traceback reaches the
user. Every output file is written whole and renamed into place: a file that exists is done.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["coordinate_thread", "export_thread", "score_partition", "sketch_partition"]

DONE = "_done.json"


def _guard(label: str, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        return {"ok": True, "partition": label, **work(),
                "seconds": round(time.perf_counter() - started, 3)}
    except Exception as exc:  # noqa: BLE001 - reported as one line naming the partition
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return {"ok": False, "partition": label, "error": f"{type(exc).__name__}: {reason}",
                "detail": traceback.format_exc(limit=3)}


def export_thread(root: str, thread: str) -> dict[str, Any]:
    """Thread database → posts partitions, one per UTC day."""
    from pileon.campaign.columns import posts_by_day, write_parquet
    from pileon.campaign.layout import Campaign, atomic_write_text
    from pileon.store import connect
    from pileon.store.coordination import load_batch

    def work() -> dict[str, Any]:
        campaign = Campaign(Path(root))
        conn = connect(campaign.thread_db(thread), create=False)
        try:
            batch = load_batch(conn)
        finally:
            conn.close()
        days = posts_by_day(batch)
        for day, table in days.items():
            write_parquet(table, campaign.partition("posts", thread, day))
        atomic_write_text(campaign.table_dir("posts", thread) / DONE, json.dumps(
            {"days": sorted(days), "posts": len(batch)}))
        return {"days": sorted(days), "posts": len(batch)}

    return _guard(f"posts thread={thread}", work)


def score_partition(root: str, thread: str, day: str, backend: str) -> dict[str, Any]:
    """posts/thread=T/day=D → scores/thread=T/day=D (the analyze map)."""
    import pyarrow.parquet as pq

    from pileon.campaign.analyze_map import classify_table
    from pileon.campaign.columns import POSTS, write_parquet
    from pileon.campaign.layout import Campaign

    def work() -> dict[str, Any]:
        campaign = Campaign(Path(root))
        posts = pq.read_table(campaign.partition("posts", thread, day), schema=POSTS)
        scores = classify_table(posts, backend)
        write_parquet(scores, campaign.partition("scores", thread, day))
        return {"posts": posts.num_rows}

    return _guard(f"scores thread={thread} day={day}", work)


def sketch_partition(root: str, thread: str, day: str, params: dict[str, Any]) -> Any:
    """posts/thread=T/day=D → its coordination sketch (the map; kept in worker memory and
    handed to the thread's reduce, never written). A failure comes back as an outcome dict,
    which the reduce reports instead of running."""
    import pyarrow.parquet as pq

    from pileon.campaign.columns import POSTS, batch_from_table
    from pileon.campaign.coordinate_reduce import sketch_partition as sketch
    from pileon.campaign.layout import Campaign
    from pileon.coordinate.results import CoordinationParams

    def work() -> dict[str, Any]:
        campaign = Campaign(Path(root))
        table = pq.read_table(campaign.partition("posts", thread, day), schema=POSTS)
        return {"sketch": sketch(batch_from_table(table), CoordinationParams(**params))}

    outcome = _guard(f"coordination map thread={thread} day={day}", work)
    return outcome["sketch"] if outcome["ok"] else outcome


def coordinate_thread(root: str, thread: str, params: dict[str, Any], *sketches: Any
                      ) -> dict[str, Any]:
    """A thread's sketches → its clusters, groups, accounts and edges (the reduce)."""
    from pileon.campaign.columns import write_parquet
    from pileon.campaign.coordinate_reduce import reduce_thread
    from pileon.campaign.layout import Campaign, atomic_write_text
    from pileon.coordinate.results import CoordinationParams
    from pileon.store import connect
    from pileon.store.coordination import load_accounts

    failures = [s for s in sketches if isinstance(s, dict)]
    if failures:
        return {"ok": False, "partition": f"coordination thread={thread}",
                "error": "not run: a map partition failed", "failures": failures}

    def work() -> dict[str, Any]:
        campaign = Campaign(Path(root))
        conn = connect(campaign.thread_db(thread), create=False)
        try:
            accounts = load_accounts(conn)
        finally:
            conn.close()
        tables = reduce_thread(thread, list(sketches), accounts, CoordinationParams(**params))
        for name, table in tables.items():
            write_parquet(table, campaign.partition(name, thread))
        counts = {name: table.num_rows for name, table in tables.items()}
        atomic_write_text(campaign.table_dir("clusters", thread) / DONE,
                          json.dumps({"params": params, **counts}, sort_keys=True))
        return counts

    return _guard(f"coordination thread={thread}", work)
