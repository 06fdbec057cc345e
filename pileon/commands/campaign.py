"""`pileon campaign init|add|run|summary`: many threads (targets) analysed together on Dask.

Dask and pyarrow are imported only inside these commands (`pip install 'pileon[campaign]'`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from pileon.commands.output import console, print_json

__all__ = ["COMMANDS"]

_DIR = click.argument("directory", metavar="DIR",
                      type=click.Path(file_okay=False, path_type=Path))


@click.group("campaign")
def campaign() -> None:
    """Analyse many threads (targets) together: Parquet partitions on a Dask cluster.

    pileon campaign init DIR; pileon campaign add DIR THREAD...; pileon campaign run DIR;
    pileon campaign summary DIR.
    """


@campaign.command("init")
@_DIR
def init_command(directory: Path) -> None:
    """Create an empty campaign folder DIR."""
    from pileon.campaign.layout import Campaign

    Campaign.init(directory)
    console.print(f"campaign {directory} created; next: pileon campaign add {directory} "
                  "THREAD...", markup=False)


@campaign.command("add")
@_DIR
@click.argument("threads", metavar="THREAD...", nargs=-1, required=True,
                type=click.Path(path_type=Path))
def add_command(directory: Path, threads: tuple[Path, ...]) -> None:
    """Add THREADs to DIR: pileon databases (copied; an older schema is migrated on the copy)
    or any file `pileon ingest` reads. A thread already in the campaign is refused."""
    from pileon.campaign.layout import Campaign
    from pileon.campaign.threads import add_threads

    done = add_threads(Campaign.open(directory), list(threads))
    for item in done:
        if item.thread is not None:
            console.print(f"added {item.source} as thread {item.thread.name!r}: "
                          f"{item.thread.posts:,} posts", markup=False)
        else:
            click.echo(f"Error: {item.error}", err=True)
    if any(item.thread is None for item in done):
        sys.exit(1)


@campaign.command("run")
@_DIR
@click.option("--scheduler", metavar="tcp://HOST:PORT", default=None,
              help="An existing Dask scheduler (default: a local cluster on this machine).")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Workers of the local cluster (default: one per core).")
@click.option("--backend", default="builtin", show_default=True, help="Classifier backend.")
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Triage rules TOML (default: the shipped rules).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar; errors only.")
def run_command(directory: Path, scheduler: str | None, workers: int | None, backend: str,
                rules_path: Path | None, quiet: bool) -> None:
    """Analyse, find coordination in and triage every thread of DIR, then the cross-target
    tables.

    Resumable: partitions already written are skipped. A failing partition is named in one
    line; the others finish (exit code 1).
    """
    from pileon.campaign.layout import Campaign
    from pileon.campaign.run import run_campaign

    camp = Campaign.open(directory)
    report = run_campaign(camp, scheduler=scheduler, workers=workers, backend=backend,
                          rules_path=rules_path.resolve() if rules_path else None,
                          show_progress=not quiet and sys.stdout.isatty(),
                          say=lambda m: click.echo(m, err=True) if not quiet
                          or m.startswith("Error:") else None)
    if not quiet:
        console.print(f"ran {report.ran} partition task(s), skipped {report.skipped} already "
                      f"done, {len(report.failed)} failed; summary: "
                      f"{directory / 'summary.html'}, Datasette: "
                      f"datasette {directory / 'campaign.sqlite'}", markup=False)
    if report.failed:
        sys.exit(1)


@campaign.command("summary")
@_DIR
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def summary_command(directory: Path, as_json: bool) -> None:
    """Per thread and overall: posts, scored posts, clusters, coordinated groups, accounts
    across targets (as of the last `campaign run`)."""
    from pileon.campaign.layout import Campaign
    from pileon.campaign.summary import read_summary
    from pileon.errors import StoreError

    camp = Campaign.open(directory)
    found = read_summary(camp)
    if found is None:
        raise StoreError("no summary yet", path=str(directory),
                         hint=f"run `pileon campaign run {directory}` first")
    if as_json:
        print_json(found)
        return
    _print(found)


def _print(s: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=f"campaign {s['campaign']}")
    cols = ("posts", "scored_posts", "clusters", "coordinated_groups", "accounts_across_targets")
    table.add_column("thread")
    for col in cols:
        table.add_column(col.replace("_", " "), justify="right")
    for row in s["threads"]:
        table.add_row(row["thread"], *(f"{row[c]:,}" for c in cols))
    table.add_row("[bold]overall[/]", *(f"{s['overall'][c]:,}" for c in cols))
    console.print(table)
    o = s["overall"]
    console.print(f"waves across targets: {o['waves_across_targets']}; templates across "
                  f"threads: {o['templates_across_threads']}")


COMMANDS = [campaign]
