"""`pileon demo`: write the generated demo pile-on next to DB and ingest it, then summarise;
with --run, analyse, coordinate and triage it too (the one pipeline, as `pileon run`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from pileon.commands.output import byte_progress, console, print_json
from pileon.commands.pipeline import stage_line
from pileon.demo import DemoSummary, generate, parse_size, summarize
from pileon.pipeline import STAGES, PipelineOptions, PipelineResult, StageDone, run_pipeline
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
@click.option("--run", "run_all", is_flag=True,
              help="After ingesting, analyse, find coordination and triage (the whole pipeline).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def demo(db: Path, size: str, seed: int, out: Path | None, no_ingest: bool, run_all: bool,
         as_json: bool, quiet: bool) -> None:
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
    result: PipelineResult | None = None
    if not no_ingest:
        conn = connect(db)
        bars: list[Progress] = []

        def ingest_progress(path: Path) -> Callable[[int], None]:
            for old in bars:
                old.stop()
            bar = byte_progress(silent)
            bars.append(bar)
            bar.start()
            task = bar.add_task(f"ingest {path.name}", total=path.stat().st_size)
            return lambda n: bar.advance(task, n)

        def say(done: StageDone) -> None:
            for old in bars:
                old.stop()
            if not silent and done.stage != "ingest":
                console.print(stage_line(done), markup=False)

        try:
            result = run_pipeline(conn, files, PipelineOptions(
                stages=STAGES if run_all else ("ingest",)), ingest_progress=ingest_progress,
                on_stage=say)
        finally:
            for old in bars:
                old.stop()
            conn.close()
    _report(db, folder, files, summary, result, as_json=as_json, quiet=quiet, seed=seed)


def _report(db: Path, folder: Path, files: list[Path], summary: DemoSummary,
            result: PipelineResult | None, *, as_json: bool, quiet: bool, seed: int) -> None:
    stage = result.get("ingest") if result else None
    ingested = dict(stage.summary) if stage else None
    if as_json:
        print_json({"folder": str(folder), "files": [str(f) for f in files], "seed": seed,
                    "generated": {"posts": summary.posts, "by_platform": summary.by_platform,
                                  "by_kind": summary.by_kind, "by_lang": summary.by_lang,
                                  "by_label": summary.by_label, "waves": summary.waves,
                                  "first_at": summary.first_at, "last_at": summary.last_at},
                    "ingested": ingested,
                    "pipeline": result.to_json() if result else None})
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
    if ingested is not None:
        out(f"ingested into {db}: {ingested['posts']} posts, {ingested['accounts']} accounts, "
            f"{ingested['payloads_new']} new payloads ({ingested['payloads_already_stored']} "
            f"already stored), {ingested['rejected']} rejected records")
        ran = result is not None and result.get("triage") is not None
        out(f"next: pileon serve {db}" if ran else f"next: pileon run {db}  (analyse, "
            "find coordination, triage)")


COMMANDS = [demo]
