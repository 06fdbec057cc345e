"""`pileon demo`: write the generated demo pile-on next to DB and ingest it, then summarise."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from pileon.commands.output import byte_progress, console, print_json
from pileon.demo import DemoSummary, generate, parse_size, summarize
from pileon.ingest.run import IngestResult, ingest_file
from pileon.store import connect

__all__ = ["COMMANDS"]


def _post_progress(quiet: bool) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("posts"), TimeElapsedColumn(), console=console,
                    disable=quiet or not console.is_terminal, transient=True)


def _hours(summary: DemoSummary) -> float:
    if not summary.first_at:
        return 0.0
    first = datetime.fromisoformat(summary.first_at.replace("Z", "+00:00"))
    last = datetime.fromisoformat(summary.last_at.replace("Z", "+00:00"))
    return (last - first).total_seconds() / 3600


def _counts(values: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in values.items())


@click.command()
@click.argument("db", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--size", default="3000", show_default=True,
              help="How many replies, quotes and mentions: 3000, 10k, 100k, 1m (or a number).")
@click.option("--seed", default=13, show_default=True, type=int,
              help="Same seed, same files, byte for byte.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the generated files [default: <DB stem>-demo-files/ next to DB].")
@click.option("--no-ingest", is_flag=True, help="Only write the files; do not touch DB.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def demo(db: Path, size: str, seed: int, out: Path | None, no_ingest: bool, as_json: bool,
         quiet: bool) -> None:
    """Write an invented viral pile-on as X, Bluesky and Mastodon files and ingest it into DB.

    The thread is an Azerbaijani writer's post about the war, with replies in az, tr, ru, en,
    hy and fr: support, civil disagreement, abuse of every category, coordinated waves from
    fresh accounts, deleted replies and hostile markup. Texts are invented; truth.jsonl beside
    the files holds the generator's labels (for demos and smoke tests, not for measuring).
    """
    posts = parse_size(size)
    folder = out if out is not None else db.parent / f"{db.stem}-demo-files"
    silent = quiet or as_json
    with _post_progress(silent) as progress:
        task = progress.add_task("generate demo", total=posts)
        files = generate(folder, posts, seed, progress=lambda n: progress.advance(task, n))
    summary = summarize(folder)
    results: list[IngestResult] = []
    if not no_ingest:
        conn = connect(db)
        try:
            for path in files:
                with byte_progress(silent) as bar:
                    file_task = bar.add_task(f"ingest {path.name}", total=path.stat().st_size)

                    def advance(n: int, bar: Progress = bar, task: TaskID = file_task) -> None:
                        bar.advance(task, n)

                    results.append(ingest_file(conn, path, progress=advance))
        finally:
            conn.close()
    _report(db, folder, files, summary, results, as_json=as_json, quiet=quiet, seed=seed)


def _report(db: Path, folder: Path, files: list[Path], summary: DemoSummary,
            results: list[IngestResult], *, as_json: bool, quiet: bool, seed: int) -> None:
    ingested = {
        "posts": sum(r.counts.posts for r in results),
        "accounts": sum(r.counts.accounts for r in results),
        "rejected": sum(r.counts.rejected for r in results),
        "payloads_new": sum(r.counts.payloads_new for r in results),
        "payloads_already_stored": sum(r.counts.payloads_seen for r in results),
    }
    if as_json:
        print_json({"folder": str(folder), "files": [str(f) for f in files], "seed": seed,
                    "generated": {"posts": summary.posts, "by_platform": summary.by_platform,
                                  "by_kind": summary.by_kind, "by_lang": summary.by_lang,
                                  "by_label": summary.by_label, "waves": summary.waves,
                                  "first_at": summary.first_at, "last_at": summary.last_at},
                    "ingested": ingested if results else None})
        return
    if quiet:
        return
    out = click.echo
    out(f"demo pile-on (seed {seed}): {summary.posts} posts in {len(files)} files in {folder}/")
    for path in files:
        out(f"  {path.name:32} {path.stat().st_size:>14,} bytes")
    out(f"platforms   {_counts(summary.by_platform)}")
    out(f"kinds       {_counts(summary.by_kind)}")
    out(f"languages   {_counts(summary.by_lang)}  (as generated)")
    out(f"time span   {summary.first_at} .. {summary.last_at} ({_hours(summary):.1f} h)")
    out(f"waves       {len(summary.waves)} coordinated: {_counts(summary.waves)} posts")
    out(f"labels      {_counts(summary.by_label)}  (generator's labels, see truth.jsonl)")
    if results:
        out(f"ingested into {db}: {ingested['posts']} posts, {ingested['accounts']} accounts, "
            f"{ingested['payloads_new']} new payloads ({ingested['payloads_already_stored']} "
            f"already stored), {ingested['rejected']} rejected records")
        out(f"next: pileon stats {db}")


COMMANDS = [demo]
