"""`pileon export` (CSV, JSONL, block lists, WARC/WACZ) and `pileon bluesky-list`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from pileon.commands.output import console, print_json
from pileon.errors import ConfigError
from pileon.export.run import ExportOutcome, make_selection, run_export
from pileon.plugins import exporters
from pileon.store import connect
from pileon.store.export import ExportFilter
from pileon.triage.folders import FOLDERS

__all__ = ["COMMANDS"]

_DB = click.argument("db", type=click.Path(dir_okay=False, path_type=Path))


def _selection_options(command: Callable[..., None]) -> Callable[..., None]:
    for option in reversed([
        click.option("--folder", metavar="|".join((*FOLDERS, "all")),
                     help="Which triage folder (your own decisions included) [default:"
                          " shielded, or all with --marked / --ids]."),
        click.option("--category", "categories", multiple=True, metavar="LABEL",
                     help="Only posts whose deciding category is LABEL (repeatable)."),
        click.option("--lang", "langs", multiple=True, metavar="CODE",
                     help="Only posts in this language: az tr ru en hy fr (repeatable)."),
        click.option("--marked", type=click.Choice(["block", "evidence"]),
                     help="Only posts you marked 'block' or 'evidence' in the review UI."),
        click.option("--ids", "ids_file", type=click.Path(dir_okay=False, path_type=Path),
                     help="A file of post ids, URIs or URLs, one a line."),
    ]):
        command = option(command)
    return command


def _filter(folder: str | None, categories: tuple[str, ...], langs: tuple[str, ...],
            marked: str | None, ids_file: Path | None) -> ExportFilter:
    if folder is None:
        folder = "all" if marked or ids_file else "shielded"
    if folder != "all" and folder not in FOLDERS:
        raise ConfigError(f"unknown folder {folder!r}",
                          hint="one of: " + ", ".join((*FOLDERS, "all")))
    return ExportFilter(folder=None if folder == "all" else folder, categories=categories,
                        langs=langs, marked=marked)


def _slug(flt: ExportFilter) -> str:
    return "-".join([flt.folder or "all", *flt.categories, *flt.langs,
                     *([f"marked-{flt.marked}"] if flt.marked else [])])


def _formats_help() -> str:
    return "\n\n".join(f"{e.name}: {e.description}." for e in exporters().values())


@click.command(epilog="Formats:\n\n" + _formats_help())
@_DB
@click.option("--format", "fmt", required=True, metavar="FORMAT",
              help="One of: " + ", ".join(exporters()) + " (see below).")
@_selection_options
@click.option("--out", type=click.Path(path_type=Path),
              help="Output file [default: <DB name>-<selection>-<format> in this folder].")
@click.option("--force", is_flag=True, help="Replace existing output files.")
@click.option("--show-notifications", is_flag=True,
              help="mastodon-mutes: keep notifications from muted accounts (default: hide).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def export(db: Path, fmt: str, folder: str | None, categories: tuple[str, ...],
           langs: tuple[str, ...], marked: str | None, ids_file: Path | None,
           out: Path | None, force: bool, show_notifications: bool, as_json: bool,
           quiet: bool) -> None:
    """Export a folder or selection: all fields, block lists, or the raw evidence as WARC.

    Posts come from the newest `pileon triage` run, so your own decisions are applied. Files
    are written whole or not at all, an existing file is kept unless you add --force, and
    every export is written to the chain-of-custody log with the SHA-256 of each file.
    """
    from pileon.export.run import choose_exporter

    exporter = choose_exporter(fmt)  # an unknown format fails before the database is opened
    flt = _filter(folder, categories, langs, marked, ids_file)
    target = out or Path.cwd() / f"{db.stem}-{_slug(flt)}-{fmt}{exporter.suffix}"
    conn = connect(db, create=False)
    try:
        selection = make_selection(conn, db, flt, ids_file)
        outcome = run_export(conn, selection, fmt, target, force=force,
                             options={"hide_notifications": not show_notifications})
    finally:
        conn.close()
    if as_json:
        print_json(_as_dict(outcome))
    elif not quiet:
        _say(outcome)


def _as_dict(outcome: ExportOutcome) -> dict[str, object]:
    return {"format": outcome.format, "selection": outcome.selection, "posts": outcome.posts,
            "rows": outcome.result.rows, "skipped": dict(outcome.result.skipped),
            "notes": list(outcome.result.notes),
            "files": [{"path": str(f.path), "sha256": f.sha256, "bytes": f.bytes}
                      for f in outcome.files]}


def _say(outcome: ExportOutcome) -> None:
    result = outcome.result
    console.print(f"{outcome.format}: {result.rows} rows from {outcome.posts} posts"
                  f" ({outcome.selection})")
    for f in outcome.files:
        console.print(f"  {f.path}  {f.bytes:,} bytes  sha256 {f.sha256}")
    for reason, n in result.skipped.items():
        console.print(f"  left out: {n} {reason}")
    for note in result.notes:
        console.print(f"  note: {note}")
    console.print("  logged in the chain of custody (`export`)")


COMMANDS: list[click.Command] = [export]
