"""`pileon report-to mastodon|bluesky|x`: file reports for the selected posts on the platform
itself (dry run unless --send), or write the X report sheet for filing by hand."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from pileon.commands.output import console, print_json, terminal_safe
from pileon.errors import ReportError
from pileon.report.filing import (
    FiledReport,
    PlannedReport,
    Selection,
    check_service_url,
    select_posts,
    thread_target,
)
from pileon.report.filing_plan import (
    BlueskyTarget,
    FilingPlan,
    MastodonTarget,
    Target,
    plan_filing,
    send_filing,
)
from pileon.triage.folders import FOLDERS

__all__ = ["COMMANDS"]

def _folders(ctx: click.Context, param: click.Parameter,
             value: tuple[str, ...]) -> tuple[str, ...]:
    chosen: list[str] = []
    for name in (n.strip() for v in value for n in v.split(",")):
        if name and name not in FOLDERS:
            raise click.BadParameter(f"{name!r} is not a folder; folders: {', '.join(FOLDERS)}")
        if name and name not in chosen:
            chosen.append(name)
    return tuple(chosen)


def _selection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.argument("db", type=click.Path(dir_okay=False, path_type=Path)),
        click.option("--evidence", is_flag=True,
                     help="The posts you marked as evidence (the default when nothing else is"
                          " chosen)."),
        click.option("--folder", "folders", multiple=True, callback=_folders, metavar="NAME",
                     help="Every post of this folder in the newest triage run (repeatable,"
                          " or comma separated), e.g. shielded."),
        click.option("--post", "posts", multiple=True, metavar="REF",
                     help="A post by id, URI or URL (repeatable)."),
        click.option("--again", is_flag=True,
                     help="Also file posts already filed on this platform (logged before)."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object."),
    ]):
        command = option(command)
    return command


def _secret(env: str, path: Path | None, what: str) -> str:
    """The token from a file or an environment variable; never echoed, stored or logged."""
    if path is not None:
        try:
            value = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ReportError(f"cannot read the {what} file ({type(exc).__name__})",
                              path=str(path)) from exc
        source = str(path)
    else:
        value = os.environ.get(env, "").strip()
        source = f"${env}"
    if not value:
        raise ReportError(f"no {what}: {source} is empty or not set",
                          hint=f"put your {what} in ${env} or in a file named with the option")
    if not value.isascii() or not value.isprintable():
        raise ReportError(f"the {what} in {source} holds characters a {what} cannot have")
    return value


def _show(planned: Sequence[PlannedReport], skipped: dict[str, str], as_json: bool,
          sent: Sequence[FiledReport] | None, extra: dict[str, Any] | None = None) -> None:
    if as_json:
        print_json({
            "dry_run": sent is None, "reports": [
                {"method": p.method, "url": p.url, "headers": dict(p.headers), "body": p.body,
                 "account": p.account, "post_ids": [r.post_id for r in p.rows],
                 "looked_up_when_sent": list(p.pending)} for p in planned],
            "filed": [{"report_id": f.report_id, "account": f.planned.account,
                       "post_ids": [r.post_id for r in f.planned.rows]} for f in sent or ()],
            "already_filed": skipped, **(extra or {})})
        return
    if sent is None:
        for number, report in enumerate(planned, start=1):
            click.echo(f"report {number} of {len(planned)} ({report.account}):"
                       f" {report.method} {report.url}")
            for name, value in report.headers.items():
                click.echo(f"  {name}: {value}")
            click.echo(terminal_safe(json.dumps(report.body, ensure_ascii=False, indent=2)))
        console.print(f"dry run: nothing was sent. Add --send to file these {len(planned)}"
                      " report(s); each filed report is logged in the custody log.")
    else:
        for filed in sent:
            click.echo(f"filed report {filed.report_id} about {filed.planned.account}"
                       f" ({len(filed.planned.rows)} post(s))")
    if skipped:
        console.print(f"{len(skipped)} post(s) left out: already filed (add --again to file"
                      " them again)")


def _run(db: Path, target: Target, selection: Selection, secret: str | None,
         as_json: bool) -> FilingPlan:
    """The dry run (no secret) or the filing: the same plan the review UI shows and sends."""
    from pileon.store import connect

    conn = connect(db, create=False)
    try:
        plan = plan_filing(conn, target, selection)
        sent = None if secret is None else send_filing(conn, target, plan, secret)
        _show(plan.planned, plan.already_filed, as_json, sent)
    finally:
        conn.close()
    return plan


@click.group("report-to")
def report_to() -> None:
    """File reports for selected posts on the platform itself, or write the X report sheet.

    A dry run by default: prints exactly what would be sent and sends nothing. With --send,
    each report the platform accepts is logged, with the id it returned, in the custody log.
    Tokens and app passwords are read from the environment or a file, never stored.
    """


@report_to.command("mastodon")
@_selection_options
@click.option("--instance", required=True, metavar="URL",
              help="Your Mastodon instance, e.g. https://mastodon.social.")
@click.option("--category", type=click.Choice(["other", "spam", "legal", "violation"]),
              default="other", show_default=True, help="Mastodon's report category.")
@click.option("--rule", "rules", multiple=True, metavar="ID",
              help="An instance rule the posts break (needed by --category violation).")
@click.option("--forward/--no-forward", default=True, show_default=True,
              help="Forward the report (anonymously) to the author's own instance.")
@click.option("--comment", metavar="TEXT", help="Your own words, put before pileon's summary.")
@click.option("--token-env", default="PILEON_MASTODON_TOKEN", show_default=True, metavar="VAR",
              help="Environment variable holding your access token (scope write:reports).")
@click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Read the access token from this file instead.")
@click.option("--send", is_flag=True, help="Really file the reports.")
def mastodon(db: Path, evidence: bool, folders: tuple[str, ...], posts: tuple[str, ...],
             again: bool, as_json: bool, instance: str, category: str, rules: tuple[str, ...],
             forward: bool, comment: str | None, token_env: str, token_file: Path | None,
             send: bool) -> None:
    """Report the selected Mastodon posts' accounts to your instance's moderators.

    One report per account, its posts attached (POST /api/v1/reports).
    """
    check_service_url(instance, "--instance")
    token = _secret(token_env, token_file, "access token") if send else None
    target = MastodonTarget(instance, category, rules, forward, comment)
    _run(db, target, Selection(evidence, folders, posts, again), token, as_json)


@report_to.command("bluesky")
@_selection_options
@click.option("--handle", metavar="HANDLE", help="Your Bluesky handle or DID (needed to send).")
@click.option("--pds", default="https://bsky.social", show_default=True, metavar="URL",
              help="Your PDS (where your account lives).")
@click.option("--labeler", default="did:plc:ar7c4by46qjdydhdevvrndac", show_default=True,
              metavar="DID", help="The moderation service to report to (Bluesky's own).")
@click.option("--legacy-reasons", is_flag=True,
              help="Use only the six original reason types (for older moderation services).")
@click.option("--comment", metavar="TEXT", help="Your own words, put before pileon's summary.")
@click.option("--app-password-env", default="PILEON_BLUESKY_APP_PASSWORD", show_default=True,
              metavar="VAR", help="Environment variable holding an app password.")
@click.option("--app-password-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Read the app password from this file instead.")
@click.option("--send", is_flag=True, help="Really file the reports.")
def bluesky(db: Path, evidence: bool, folders: tuple[str, ...], posts: tuple[str, ...],
            again: bool, as_json: bool, handle: str | None, pds: str, labeler: str,
            legacy_reasons: bool, comment: str | None, app_password_env: str,
            app_password_file: Path | None, send: bool) -> None:
    """Report each selected Bluesky post to a moderation service through your PDS.

    One com.atproto.moderation.createReport per post, its subject the post's URI and CID.
    """
    check_service_url(pds, "--pds")
    if not labeler.startswith("did:"):
        raise ReportError("--labeler must be a DID", record=labeler)
    password = None
    if send:
        if not handle:
            raise click.UsageError("--send needs --handle (your Bluesky handle or DID)")
        password = _secret(app_password_env, app_password_file, "app password")
    target = BlueskyTarget(pds, labeler, legacy_reasons, comment, handle)
    plan = _run(db, target, Selection(evidence, folders, posts, again), password, as_json)
    if plan.no_cid and not as_json:
        console.print(f"{len(plan.no_cid)} post(s) left out: no CID in their raw payload (a"
                      " strong reference needs one): " + ", ".join(
                          terminal_safe(r.url or r.post_id) for r in plan.no_cid[:5]))


@report_to.command("x")
@_selection_options
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for x-report-sheet.html and x-report-sheet.csv.")
def x_sheet(db: Path, evidence: bool, folders: tuple[str, ...], posts: tuple[str, ...],
            again: bool, as_json: bool, out: Path) -> None:
    """Write the X report sheet: per account, the answers X's report form asks, in its order,
    and the posts' addresses and texts (HTML with texts behind a click, and CSV)."""
    from pileon.report.x_sheet import write_x_sheet
    from pileon.store import connect

    conn = connect(db, create=False)
    try:
        rows, _ = select_posts(conn, "x", Selection(evidence, folders, posts, again=True))
        html, table, reports = write_x_sheet(conn, rows, out, thread_target(conn, "x"))
    finally:
        conn.close()
    if as_json:
        print_json({"html": str(html), "csv": str(table), "reports": reports,
                    "posts": len(rows)})
        return
    console.print(f"X report sheet: {reports} report(s), {len(rows)} post(s) in {html} and"
                  f" {table}")


COMMANDS = [report_to]
