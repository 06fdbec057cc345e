"""`pileon ingest`, `pileon stats`, `pileon show`: bring files in and look at what is stored."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import click

from pileon.commands.output import byte_progress, console, echo, print_json
from pileon.errors import InputFileError, PileonError
from pileon.ingest.har import NOT_STORED
from pileon.ingest.run import IngestResult, ingest_file
from pileon.store import connect
from pileon.store.queries import find_post, raw_payload, stats

__all__ = ["COMMANDS"]

FORMATS = [
    "auto", "x", "har", "zeeschuimer", "x-web", "x-archive", "bluesky", "mastodon", "csv", "jsonl",
]


def _parse_map(value: str | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for part in (value or "").split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise click.BadParameter(f"{part!r} is not FIELD=COLUMN", param_hint="--map")
        field, column = part.split("=", 1)
        mapping[field.strip()] = column.strip()
    return mapping


@click.command()
@click.argument("db", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="Force a format instead of sniffing it.")
@click.option("--map", "column_map", metavar="FIELD=COLUMN,...",
              help="CSV/JSONL column mapping, e.g. text=body,author=user,id=post_id.")
@click.option("--platform", default=None, help="Platform name for CSV/JSONL rows (default: csv).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def ingest(db: Path, files: tuple[Path, ...], fmt: str, column_map: str | None,
           platform: str | None, as_json: bool, quiet: bool) -> None:
    """Ingest export files (X API v2, X web captures, Bluesky, Mastodon JSON, CSV, JSONL) into DB.

    X web captures need no paid API: a browser HAR of x.com, Zeeschuimer NDJSON, a saved
    GraphQL answer or twitter-web-exporter JSON, and X's account archive (tweets.js). From a
    HAR only the x.com answers' bodies are kept; cookies and request headers are never stored.

    Raw bytes are kept with their SHA-256. Re-ingesting the same file adds nothing; an
    interrupted ingest is finished by running the same command again.
    """
    options = {"map": _parse_map(column_map), "platform": platform}
    for path in files:  # check every path before writing anything
        if not path.exists():
            raise InputFileError("no such file", path=str(path), hint="check the path")
    conn = connect(db)
    failed = 0
    for path in files:
        try:
            result = _ingest_one(conn, path, fmt, options, quiet=quiet or as_json)
        except PileonError as exc:  # one line for this file, then on to the next one
            failed += 1
            click.echo(f"Error: {exc}", err=True)
            continue
        _report(result, as_json=as_json, quiet=quiet, chosen=fmt == "auto")
        failed += int(result.counts.payloads_new == 0 and result.counts.payloads_seen == 0
                      and result.counts.rejected > 0)
    conn.close()
    if failed:
        raise click.ClickException(
            f"{failed} of {len(files)} file(s) failed or gave only rejected records;"
            " see `pileon stats`"
        )


def _ingest_one(conn: sqlite3.Connection, path: Path, fmt: str, options: dict[str, Any],
                *, quiet: bool) -> IngestResult:
    with byte_progress(quiet) as progress:
        task = progress.add_task(f"ingest {path.name}", total=path.stat().st_size)

        def advance(n: int) -> None:
            progress.advance(task, n)

        return ingest_file(conn, path, fmt=fmt, options=options, progress=advance)


def _report(result: IngestResult, *, as_json: bool, quiet: bool, chosen: bool) -> None:
    c = result.counts
    if as_json:
        report: dict[str, Any] = {
            "file": result.path, "format": result.format, "payloads_new": c.payloads_new,
            "payloads_already_stored": c.payloads_seen, "posts": c.posts,
            "accounts": c.accounts, "rejected": c.rejected}
        # Only when something had to be made safe for storage (keeps the common case unchanged).
        if c.surrogates_replaced:
            report["surrogates_replaced"] = c.surrogates_replaced
        if c.integers_dropped:
            report["integers_dropped"] = c.integers_dropped
        if result.format == "har":
            report["not_stored"] = NOT_STORED
        print_json(report)
        return
    if quiet:
        return
    how = "detected" if chosen else "forced"
    console.print(
        f"{result.path}: format {result.format} ({how}); {c.payloads_new} new payloads,"
        f" {c.payloads_seen} already stored; {c.posts} posts, {c.accounts} accounts"
        + (f"; [yellow]{c.rejected} rejected records kept aside[/]" if c.rejected else "")
        + (f"; {c.surrogates_replaced} invalid characters (lone surrogates) stored as U+FFFD"
           if c.surrogates_replaced else "")
        + (f"; {c.integers_dropped} numbers beyond 64 bits stored as unknown"
           if c.integers_dropped else ""),
        soft_wrap=True,  # one line per file, whatever the terminal width
    )
    if result.format == "har":
        console.print(f"{result.path}: {NOT_STORED}", soft_wrap=True)


@click.command("stats")
@click.argument("db", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def stats_command(db: Path, as_json: bool) -> None:
    """Counts: posts per platform, kind, language as reported, hour; accounts; rejects."""
    conn = connect(db, create=False)
    summary = stats(conn)
    conn.close()
    if as_json:
        print_json(summary)
        return
    out = click.echo
    out(f"posts            {summary['posts']}  (placeholders {summary['placeholders']},"
        f" deleted at source {summary['deleted_at_source']}, versions {summary['post_versions']})")
    out(f"accounts         {summary['accounts']}")
    out(f"raw payloads     {summary['raw_payloads']}  ({summary['raw_bytes']:,} bytes)")
    out(f"rejected records {summary['rejected']}")
    out(f"time span        {summary['first_post_at']} .. {summary['last_post_at']}")
    for title, key in (("platform", "by_platform"), ("kind", "by_kind"),
                       ("language (as reported)", "by_lang_reported"),
                       ("rejected, by reason", "rejected_by_reason")):
        if summary[key]:
            out(f"by {title}: " + ", ".join(f"{k} {v}" for k, v in summary[key].items()))
    if summary["by_hour"]:
        out("posts per hour (UTC):")
        peak = max(summary["by_hour"].values())
        for hour, count in summary["by_hour"].items():
            out(f"  {hour}  {count:6d} {'#' * max(1, round(40 * count / peak))}")
    if summary["ingest_runs_unfinished"]:
        out(f"{summary['ingest_runs_unfinished']} ingest run(s) were interrupted;"
            " run the same ingest again to finish.")


@click.command()
@click.argument("db", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("post_id")
@click.option("--raw/--no-raw", default=True, show_default=True, help="Print the raw payload.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per match.")
def show(db: Path, post_id: str, raw: bool, as_json: bool) -> None:
    """Show one post (by id, URI or URL): fields, raw payload, SHA-256, fetched-at, source."""
    conn = connect(db, create=False)
    rows = find_post(conn, post_id)
    if not rows:
        raise click.ClickException(f"{db}: no post with id, URI or URL {post_id!r}")
    for row in rows:
        payload = raw_payload(conn, row["raw_sha256"])
        record = {k: row[k] for k in row.keys()}  # noqa: SIM118 (a Row iterates its values)
        record["metrics"] = json.loads(record.pop("metrics_json") or "null")
        if payload is not None:
            record["raw"] = {k: payload[k] for k in payload.keys() if k != "data"}  # noqa: SIM118
            if raw:
                record["raw"]["text"] = payload["data"].decode("utf-8", errors="replace")
        if as_json:
            print_json(record)
            continue
        for key, value in record.items():
            if key != "raw":
                echo(f"{key:18} {value}")
        if payload is not None:
            echo(f"{'raw sha256':18} {payload['sha256']}")
            echo(f"{'raw source':18} {payload['source']} {payload['locator'] or ''}")
            echo(f"{'fetched at':18} {payload['fetched_at']}")
            echo(f"{'adapter':18} {payload['adapter']} {payload['adapter_version']}")
            if raw:
                echo("raw payload:")
                echo(record["raw"]["text"])
    conn.close()


COMMANDS = [ingest, stats_command, show]
