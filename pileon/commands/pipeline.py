"""`pileon run`: the whole pipeline on one thread database (ingest → analyze → coordination →
triage), the same code `pileon demo --run`, `make demo` and `pileon watch` use."""

from __future__ import annotations

from pathlib import Path

import click

from pileon.commands.output import console, print_json
from pileon.pipeline import STAGES, PipelineOptions, StageDone, run_pipeline
from pileon.store import connect

__all__ = ["COMMANDS", "stage_line"]


def stage_line(done: StageDone) -> str:
    """One line per finished stage: counts only, never the text of a post."""
    s = done.summary
    took = f"({done.seconds:.1f} s)"
    if done.stage == "ingest":
        return (f"ingest        {s['posts']} posts, {s['accounts']} accounts from {s['files']} "
                f"file(s); {s['payloads_new']} new payloads, {s['rejected']} rejected {took}")
    if done.stage == "analyze":
        return (f"analyze       {s['analysed']} posts labelled with {s['backend']} "
                f"{s['model_version']}" + ("" if s["analysed"] else " (nothing new)") + f" {took}")
    if done.stage == "coordination":
        return (f"coordination  {s.get('clusters', 0)} near-duplicate clusters, "
                f"{s.get('coordinated_groups', 0)} coordinated groups, "
                f"{s.get('accounts_in_coordinated_groups', 0)} accounts in them {took}")
    counts = ", ".join(f"{k} {v}" for k, v in s["counts"].items())
    return f"triage        {s['posts']} replies: {counts} {took}"


@click.command("run")
@click.argument("db", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--skip", "skip", multiple=True, type=click.Choice(STAGES),
              help="Leave out a stage (repeatable), e.g. --skip coordination.")
@click.option("--backend", default="builtin", show_default=True, help="Classifier backend.")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Processes for the classifier (default: every core).")
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False, path_type=Path),
              help="A triage rules TOML file (default: the shipped rules).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object, keyed by stage.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def run_command(db: Path, files: tuple[Path, ...], skip: tuple[str, ...], backend: str,
                workers: int | None, rules_path: Path | None, as_json: bool,
                quiet: bool) -> None:
    """Ingest FILES (if any) into DB, then analyze, find coordination and triage: every stage.

    Each stage writes its own run and skips what is already done, so running again after new
    files (or after an interruption) only does the new work. Next: `pileon serve DB`.
    """
    options = PipelineOptions(stages=tuple(s for s in STAGES if s not in skip),
                              backend=backend, workers=workers, rules_path=rules_path)
    if rules_path is not None:  # a bad rules file fails before any stage runs
        from pileon.triage.rules import load_rules

        load_rules(rules_path)
    conn = connect(db, create=bool(files))
    try:
        result = run_pipeline(
            conn, list(files), options,
            on_stage=None if quiet or as_json else (
                lambda d: console.print(stage_line(d), markup=False)))
    finally:
        conn.close()
    if as_json:
        print_json(result.to_json())
    elif not quiet:
        console.print(f"next: pileon serve {db}")


COMMANDS = [run_command]
