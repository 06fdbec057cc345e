"""`pileon export` (CSV, JSONL, block lists, WARC/WACZ) and `pileon bluesky-list`."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from pileon.commands.output import console, print_json
from pileon.errors import ConfigError, PileonError
from pileon.export.accounts import SelectedAccount, selected_accounts
from pileon.export.bluesky_list import DEFAULT_SERVICE, add_to_moderation_list, valid_did
from pileon.export.run import ExportOutcome, choose_exporter, make_selection, run_export
from pileon.plugins import exporters
from pileon.store import connect
from pileon.store.evidence import log_custody
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
    words = [flt.folder or "all", *flt.categories, *flt.langs,
             *([f"marked-{flt.marked}"] if flt.marked else [])]
    # the words come from the command line: keep the default name a plain name in this folder
    return "-".join(re.sub(r"[^A-Za-z0-9_]+", "_", w).strip("_") or "x" for w in words)


class _ExportCommand(click.Command):
    """Lists the formats in --help from the plugins, read only when help is shown."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.epilog = "Formats:\n\n" + "\n\n".join(
            f"{e.name}: {e.description}." for e in exporters().values())
        super().format_epilog(ctx, formatter)


@click.command(cls=_ExportCommand)
@_DB
@click.option("--format", "fmt", required=True, metavar="FORMAT",
              help="csv, jsonl, mastodon-blocks, mastodon-mutes, bluesky-list, x-ids, warc,"
                   " wacz, or a plugin's (see below).")
@_selection_options
@click.option("--out", type=click.Path(path_type=Path),
              help="Output file [default: <DB name>-<selection>-<format> in this folder].")
@click.option("--force", is_flag=True, help="Replace existing output files.")
@click.option("--show-notifications", is_flag=True,
              help="mastodon-mutes: keep notifications from muted accounts (default: hide).")
@click.option("--public", is_flag=True,
              help="csv/jsonl meant for others: leave out the text of posts whose author asked"
                   " to be shown to signed-in readers only (Bluesky !no-unauthenticated).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def export(db: Path, fmt: str, folder: str | None, categories: tuple[str, ...],
           langs: tuple[str, ...], marked: str | None, ids_file: Path | None,
           out: Path | None, force: bool, show_notifications: bool, public: bool,
           as_json: bool, quiet: bool) -> None:
    """Export a folder or selection: all fields, block lists, or the raw evidence as WARC.

    Posts come from the newest `pileon triage` run, so your own decisions are applied. Files
    are written whole or not at all, an existing file is kept unless you add --force, and
    every export is written to the chain-of-custody log with the SHA-256 of each file.
    """
    exporter = choose_exporter(fmt)  # an unknown format fails before the database is opened
    flt = _filter(folder, categories, langs, marked, ids_file)
    target = out or Path.cwd() / f"{db.stem}-{_slug(flt)}-{fmt}{exporter.suffix}"
    conn = connect(db, create=False)
    try:
        selection = make_selection(conn, db, flt, ids_file)
        outcome = run_export(conn, selection, fmt, target, force=force,
                             options={"hide_notifications": not show_notifications,
                                      "public": public})
    finally:
        conn.close()
    if as_json:
        print_json(_as_dict(outcome))
    elif not quiet:
        _say(outcome)


def _as_dict(outcome: ExportOutcome) -> dict[str, object]:
    return {"format": outcome.format, "selection": outcome.selection, "posts": outcome.posts,
            "rows": outcome.result.rows, "unit": outcome.result.unit,
            "skipped": dict(outcome.result.skipped), "notes": list(outcome.result.notes),
            "files": [{"path": str(f.path), "sha256": f.sha256, "bytes": f.bytes}
                      for f in outcome.files], "cleaned": list(outcome.cleaned)}


def _say(outcome: ExportOutcome) -> None:
    result = outcome.result
    say = functools.partial(console.print, markup=False, soft_wrap=True)  # hashes stay whole
    for name in outcome.cleaned:
        say(f"removed {name}, left beside {outcome.files[0].path.parent} by an interrupted export")
    say(f"{outcome.format}: {result.rows} {result.unit} from {outcome.posts} posts"
        f" ({outcome.selection})")
    for f in outcome.files:
        say(f"  {f.path}  {f.bytes:,} bytes  sha256 {f.sha256}")
    for reason, n in result.skipped.items():
        say(f"  left out: {n} {reason}")
    for note in result.notes:
        say(f"  note: {note}")
    say("  logged in the chain of custody (`export`)")


PASSWORD_ENV = "PILEON_BSKY_APP_PASSWORD"


@click.command("bluesky-list")
@_DB
@click.option("--name", default="pile-on", show_default=True,
              help="The list's name as Bluesky shows it (at most 64 characters).")
@click.option("--description", default="Accounts from a pile-on, listed with pileon.",
              show_default=True, help="The list's description.")
@click.option("--handle", help="Your Bluesky handle (or DID), e.g. me.bsky.social.")
@_selection_options
@click.option("--dry-run", is_flag=True,
              help="Print the DIDs and handles that would be added; no network, no password.")
@click.option("--service-url", default=DEFAULT_SERVICE, show_default=True,
              help="Your PDS or entryway.")
@click.option("--list-uri", metavar="AT_URI",
              help="Add to this existing list (e.g. to finish a run a rate limit stopped).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def bluesky_list(db: Path, name: str, description: str, handle: str | None, folder: str | None,
                 categories: tuple[str, ...], langs: tuple[str, ...], marked: str | None,
                 ids_file: Path | None, dry_run: bool, service_url: str, list_uri: str | None,
                 as_json: bool, quiet: bool) -> None:
    """Create a Bluesky moderation list of the selected accounts, with the atproto SDK.

    Subscribe to the list in Bluesky (Moderation › Moderation lists) to mute or block them
    all at once. Log in with an app password, never your main password: it is read from
    $PILEON_BSKY_APP_PASSWORD or asked for without echo, used once and stored nowhere.
    """
    if len(name) > 64 or not name.strip():
        raise ConfigError("a list name must have 1 to 64 characters", hint=f"got {len(name)}")
    flt = _filter(folder, categories, langs, marked, ids_file)
    conn = connect(db, create=False)
    try:
        selection = make_selection(conn, db, flt, ids_file)
        accounts, skipped = selected_accounts(selection, "bluesky")
        bad = [a for a in accounts if not valid_did(a.account_id)]
        if bad:
            skipped["accounts whose id is not a DID"] += len(bad)
            accounts = [a for a in accounts if valid_did(a.account_id)]
        if not accounts:
            raise PileonError(f"no Bluesky account to list in {selection.name}",
                              path=str(db), hint=_skipped_words(skipped) or None)
        if dry_run:
            _say_dry_run(accounts, skipped, selection.name, as_json=as_json, quiet=quiet)
            return
        if not handle:
            raise ConfigError("--handle is needed to log in to Bluesky",
                              hint="or use --dry-run to see the accounts without logging in")
        password = _app_password(handle)
        with Progress(TextColumn("[bold]adding to the list"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=console, transient=True,
                      disable=quiet or as_json or not console.is_terminal) as progress:
            task = progress.add_task("list", total=len(accounts))
            outcome = add_to_moderation_list(
                accounts, handle=handle, password=password, name=name,
                description=description, service_url=service_url, list_uri=list_uri,
                on_added=lambda _account: progress.advance(task))
        del password
        log_custody(conn, "export", {
            "format": "bluesky-list", "selection": selection.name,
            "triage_run": selection.run_id, "service": service_url, "owner": outcome.owner_did,
            "list_uri": outcome.list_uri, "created_list": outcome.created_list,
            "added": len(outcome.added), "already_on_list": outcome.already,
            "skipped": dict(skipped),
            "added_dids_sha256": _dids_digest(outcome.added),
        }, wrote=[_dids_digest(outcome.added)])
    finally:
        conn.close()
    if as_json:
        print_json({"list_uri": outcome.list_uri, "created_list": outcome.created_list,
                    "added": list(outcome.added), "already_on_list": outcome.already,
                    "skipped": dict(skipped)})
    elif not quiet:
        console.print(f"{'created' if outcome.created_list else 'added to'} {outcome.list_uri}:"
                      f" {len(outcome.added)} account(s) added, {outcome.already} already on it",
                      markup=False)
        for reason, n in skipped.items():
            console.print(f"  left out: {n} {reason}", markup=False)
        console.print("  subscribe to it in Bluesky: Moderation › Moderation lists;"
                      " logged in the chain of custody (`export`)")


def _app_password(handle: str) -> str:
    """From the environment, else a prompt that does not echo, else one line piped in."""
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if sys.stdin.isatty():
        return str(click.prompt(f"App password for {handle}", hide_input=True, err=True))
    line = sys.stdin.readline().rstrip("\r\n")  # piped in by a script: nothing to echo
    if not line:
        raise ConfigError("no app password given",
                          hint=f"set {PASSWORD_ENV}, or run it in a terminal to be asked")
    return line


def _dids_digest(dids: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(dids).encode("utf-8")).hexdigest()


def _skipped_words(skipped: Mapping[str, int]) -> str:
    return "; ".join(f"{n} {reason}" for reason, n in skipped.items())


def _say_dry_run(accounts: Sequence[SelectedAccount], skipped: Mapping[str, int], name: str,
                 *, as_json: bool, quiet: bool) -> None:
    if as_json:
        print_json({"dry_run": True, "selection": name, "skipped": dict(skipped),
                    "accounts": [{"did": a.account_id, "handle": a.handle, "posts": a.posts}
                                 for a in accounts]})
        return
    if not quiet:
        console.print(f"dry run: would add {len(accounts)} account(s) from {name}"
                      " (nothing sent, no password asked)")
        for reason, n in skipped.items():
            console.print(f"  left out: {n} {reason}", markup=False)
    for a in accounts:
        click.echo(f"{_visible(a.account_id)}\t{_visible(a.handle or '')}")


def _visible(text: str) -> str:
    """Control and invisible format characters (line breaks, RTL overrides) shown escaped, so
    one account stays one line and reads as what it is."""
    return "".join(f"\\u{ord(c):04x}" if unicodedata.category(c)[0] == "C" else c
                   for c in text)


COMMANDS: list[click.Command] = [export, bluesky_list]
