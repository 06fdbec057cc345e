"""The campaign's outputs after a run: the cross-target tables (Parquet), summary.json, a
summary page (summary.html, escaped; template texts only behind a click) and campaign.sqlite,
a plain SQLite export of the result tables that Datasette opens as it is."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pileon.campaign.columns import write_parquet
from pileon.campaign.coordinate_reduce import ACCOUNTS, CLUSTERS, EDGES, GROUPS, MEMBERS
from pileon.campaign.cross import (
    ACROSS_ACCOUNTS,
    TEMPLATES,
    WAVES,
    accounts_across,
    templates_across,
    waves_across,
)
from pileon.campaign.layout import Campaign, Thread, atomic_write_text
from pileon.coordinate.results import CoordinationParams
from pileon.store.campaign import write_sqlite_export

__all__ = ["read_summary", "write_outputs"]

_PER_THREAD = {"clusters": CLUSTERS, "cluster_members": MEMBERS, "groups": GROUPS,
               "accounts": ACCOUNTS, "edges": EDGES}
_CROSS = {"accounts_across_targets": ACROSS_ACCOUNTS, "waves_across_targets": WAVES,
          "templates_across_threads": TEMPLATES}


def _rows(paths: list[Path], unreadable: list[str]) -> int:
    """Rows over partition files; a damaged file counts nothing and is listed."""
    total = 0
    for path in paths:
        try:
            total += pq.ParquetFile(path).metadata.num_rows
        except (OSError, pa.ArrowException):
            unreadable.append(str(path))
    return total


def _table(campaign: Campaign, name: str, threads: list[Thread]) -> pa.Table:
    files = [p for t in threads if (p := campaign.partition(name, t.name)).is_file()]
    schema = _PER_THREAD[name]
    if not files:
        return schema.empty_table()
    return pa.concat_tables([pq.read_table(p, schema=schema) for p in files])


def _folder_counts(campaign: Campaign, thread: str, unreadable: list[str]) -> dict[str, int]:
    """Posts per triage folder of one thread ({} before its triage ran)."""
    from pileon.triage.folders import FOLDERS

    path = campaign.partition("folders", thread)
    if not path.is_file():
        return {}
    try:
        folders = pq.read_table(path, columns=["folder"]).column("folder").to_pylist()
    except (OSError, pa.ArrowException):
        unreadable.append(str(path))
        return {}
    return {name: folders.count(name) for name in FOLDERS}


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def _summary(campaign: Campaign, threads: list[Thread], tables: dict[str, pa.Table],
             cross: dict[str, pa.Table]) -> dict[str, Any]:
    across = cross["accounts_across_targets"]
    across_by_thread: dict[str, int] = {}
    for names in across.column("threads").to_pylist():
        for name in names:
            across_by_thread[name] = across_by_thread.get(name, 0) + 1
    clusters = tables["clusters"].column("thread").to_pylist()
    groups = tables["groups"].select(["thread", "coordinated"]).to_pylist()
    per_thread = []
    unreadable: list[str] = []
    for t in threads:
        posts = sorted(campaign.table_dir("posts", t.name).glob("day=*/part.parquet"))
        scores = sorted(campaign.table_dir("scores", t.name).glob("day=*/part.parquet"))
        per_thread.append({
            "thread": t.name, "source": t.source, "posts": _rows(posts, unreadable),
            "scored_posts": _rows(scores, unreadable), "days": len(posts),
            "days_scored": len(scores), "clusters": clusters.count(t.name),
            "coordinated_groups": sum(1 for g in groups if g["thread"] == t.name
                                      and g["coordinated"]),
            "coordinated": campaign.partition("clusters", t.name).is_file(),
            "accounts_across_targets": across_by_thread.get(t.name, 0),
            "folders": _folder_counts(campaign, t.name, unreadable)})
    overall: dict[str, Any] = {key: sum(int(row[key]) for row in per_thread)
                               for key in ("posts", "scored_posts", "clusters",
                                           "coordinated_groups")}
    folders: dict[str, int] = {}
    for row in per_thread:
        for name, n in row["folders"].items():
            folders[name] = folders.get(name, 0) + n
    overall["folders"] = folders
    overall.update({"threads": len(threads), "accounts_across_targets": across.num_rows,
                    "waves_across_targets": cross["waves_across_targets"].num_rows,
                    "templates_across_threads": cross["templates_across_threads"].num_rows})
    return {"campaign": str(campaign.root), "written_at": datetime.now(UTC).isoformat(),
            "overall": overall, "threads": per_thread, "unreadable_partitions": unreadable}


def write_outputs(campaign: Campaign, threads: list[Thread], params: CoordinationParams) -> None:
    tables = {name: _table(campaign, name, threads) for name in _PER_THREAD}
    cross = {
        "accounts_across_targets": accounts_across(tables["accounts"]),
        "waves_across_targets": waves_across(tables["groups"], params.window_s),
        "templates_across_threads": templates_across(tables["clusters"], params),
    }
    for name, table in cross.items():
        write_parquet(table, campaign.cross(name))
    summary = _summary(campaign, threads, tables, cross)
    atomic_write_text(campaign.root / "summary.json",
                      json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    _write_html(campaign, summary, cross)
    from pileon.triage.folders import FOLDERS

    columns = ("thread", "source", "posts", "scored_posts", "days", "clusters",
               "coordinated_groups", "accounts_across_targets")
    export = [("threads", [*columns, *FOLDERS],
               [[*(row[k] for k in columns), *(row["folders"].get(f) for f in FOLDERS)]
                for row in summary["threads"]])]
    for name, table in {**tables, **cross}.items():
        export.append((name, table.schema.names, _sql_rows(table)))
    write_sqlite_export(campaign.root / "campaign.sqlite", export)


def _sql_rows(table: pa.Table) -> list[list[Any]]:
    """Lists become JSON text (SQLite has no list type); everything else as it is."""
    listed = [i for i, f in enumerate(table.schema) if pa.types.is_list(f.type)]
    rows = [list(r.values()) for r in table.to_pylist()]
    for row in rows:
        for i in listed:
            row[i] = json.dumps(row[i], ensure_ascii=False)
    return rows


def _write_html(campaign: Campaign, summary: dict[str, Any],
                cross: dict[str, pa.Table]) -> None:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("pileon.campaign", "templates"),
                      autoescape=select_autoescape(["html"]))
    env.filters["when"] = _iso
    page = env.get_template("summary.html").render(
        summary=summary, accounts=cross["accounts_across_targets"].slice(0, 200).to_pylist(),
        waves=cross["waves_across_targets"].slice(0, 200).to_pylist(),
        templates=cross["templates_across_threads"].slice(0, 200).to_pylist())
    atomic_write_text(campaign.root / "summary.html", page)


def read_summary(campaign: Campaign) -> dict[str, Any] | None:
    path = campaign.root / "summary.json"
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
