"""`pileon report` and `pileon verify`: write a signed evidence report folder, and check one."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import click

from pileon.commands.output import console, echo, print_json, terminal_safe
from pileon.report.build import ReportOptions, build_report
from pileon.report.locale import REPORT_LANGUAGES, load_catalog
from pileon.report.verify import verify_report
from pileon.triage.folders import FOLDERS

__all__ = ["COMMANDS"]


def _folders(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
    chosen = ["shielded"]
    for name in (value or "").split(","):
        name = name.strip()
        if not name:
            continue
        if name not in FOLDERS:
            raise click.BadParameter(f"{name!r} is not a folder; folders: {', '.join(FOLDERS)}")
        if name not in chosen:
            chosen.append(name)
    return tuple(chosen)


@click.command()
@click.argument("db", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="The report folder to create (refused if it exists, unless --force).")
@click.option("--lang", type=click.Choice(sorted(REPORT_LANGUAGES)), default="en",
              show_default=True, help="Language of the report's own text (posts stay as written).")
@click.option("--include", callback=_folders, metavar="FOLDERS",
              help="More folders beside shielded, comma separated: review,inbox,support.")
@click.option("--pdf", is_flag=True, help="Also write report.pdf (headless Chromium, else WeasyPrint).")
@click.option("--force", is_flag=True, help="Replace an existing report folder, whole.")
@click.option("--tz", "zone", metavar="ZONE",
              help="Time zone for local times, e.g. Europe/Paris [default: this machine's].")
@click.option("--tsa", "tsa", multiple=True, metavar="URL",
              help="Get an RFC 3161 timestamp over manifest.json from this timestamp authority"
                   " (repeatable). Without it nothing is sent anywhere.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def report(db: Path, out: Path, lang: str, include: tuple[str, ...], pdf: bool, force: bool,
           zone: str | None, tsa: tuple[str, ...], as_json: bool, quiet: bool) -> None:
    """Write an evidence report folder: HTML (and PDF), raw payloads, signed hash manifest.

    Includes the shielded folder, the folders named by --include, and every post you marked
    as evidence. The folder is written beside OUT and renamed into place when complete.
    Check it later, or on another machine, with `pileon verify OUT`.
    """
    result = build_report(db, ReportOptions(out=out, lang=lang, folders=include, pdf=pdf,
                                            force=force, zone=zone, tsa=tsa))
    if as_json:
        print_json({"out": str(result.out), "digest": result.digest, "posts": result.posts,
                    "raw_payloads": result.raw_payloads, "files": result.files,
                    "pdf": result.pdf, "pdf_engine": result.pdf_engine,
                    "key_fingerprint": result.key_fingerprint,
                    "key_path": str(result.key_path), "key_created": result.key_created,
                    "notices": list(result.notices), "cleaned": list(result.cleaned), "seconds": round(result.seconds, 2)})
        return
    if quiet:
        return
    for name in result.cleaned:
        console.print(f"removed {name}, left beside {result.out} by an interrupted report")
    if result.key_created:
        console.print(f"created your signing key {result.key_path} (keep it private; back it"
                      " up: reports you sign later are checked against the same key)")
    catalog = load_catalog("en")
    for notice in result.notices:
        console.print(catalog(notice))
    if not result.posts:
        console.print("no posts selected: the report says so. Add folders with --include or"
                      " mark posts as evidence.")
    console.print(f"report written to {result.out}/ in {result.seconds:.1f} s: {result.posts}"
                  f" posts, {result.raw_payloads} raw payloads, {result.files} files")
    if result.pdf_engine:
        console.print(f"report.pdf printed with {result.pdf_engine}")
    console.print(f"digest {result.digest}")
    console.print(f"signed by {result.key_fingerprint}")


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--key", "expected_key", type=click.Path(dir_okay=False, exists=True,
                                                       path_type=Path),
              help="A public key (PEM) you trust: fail unless the report was signed with it.")
@click.option("--tsa-ca", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="CA certificate(s) (PEM) to check timestamp tokens against [default: the"
                   " system's CAs].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def verify(folder: Path, expected_key: Path | None, tsa_ca: Path | None, as_json: bool) -> None:
    """Check a report folder: every file's SHA-256, the digest and the Ed25519 signature.

    Prints OK, or each item that changed, went missing or was added; exits 1 on any problem.
    """
    result = verify_report(folder, expected_key, tsa_ca)
    if as_json:
        print_json({"ok": result.ok, "folder": str(folder), "digest": result.digest,
                    "files": result.files, "raw_payloads": result.raw_payloads,
                    "key_fingerprint": result.key_fingerprint, "timestamps": result.timestamps,
                    "proofs": result.proofs,
                    "problems": [{"item": p.item, "what": p.what, "detail": p.detail}
                                 for p in result.problems]})
    elif result.ok:
        echo(f"OK {folder}: {result.files} files and {result.raw_payloads} raw payloads"
             f" match, signature valid\ndigest {result.digest}\n"
             f"signed by {result.key_fingerprint}"
             + (f"\n{result.timestamps} timestamp token(s) valid" if result.timestamps
                else "")
             + (f"\n{result.proofs} Bluesky post(s) match their author's signed record"
                if result.proofs else ""))
    else:
        for problem in result.problems:
            echo(f"FAILED {problem}")  # file names and manifest values: whatever a forger wrote
        click.echo(terminal_safe(f"{len(result.problems)} problem(s) in {folder}"), err=True)
    if not result.ok:
        raise SystemExit(1)


@click.command()
@click.argument("db", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("post")
@click.argument("text", required=False)
@click.option("--lang", required=True, metavar="CODE",
              help="Language of the translation, e.g. en, fr, ru.")
@click.option("--by", "translator", metavar="NAME", help="Who translated it (printed with it).")
@click.option("--file", "source", type=click.File("r", encoding="utf-8"),
              help="Read the translation from a file ('-' for standard input).")
@click.option("--platform", help="When the id exists on several platforms.")
def translate(db: Path, post: str, text: str | None, lang: str, translator: str | None,
              source: TextIO | None, platform: str | None) -> None:
    """Add a translation of POST (id, URI or URL) to print under it in the report.

    The original text is never changed; an older translation is kept and the newest one per
    language is printed, with who made it and when. The action is logged in the custody log.
    """
    from pileon.report.translations import translate_post
    from pileon.store import connect

    body = source.read() if source is not None else text
    if body is None:
        raise click.UsageError("give the translation as TEXT or with --file")
    conn = connect(db, create=False)
    try:
        platform_id = translate_post(conn, post, lang, body, translator, platform)
    finally:
        conn.close()
    console.print(f"translation ({lang}) stored for {platform_id[0]} post {platform_id[1]}")


COMMANDS = [report, verify, translate]
