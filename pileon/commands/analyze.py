"""`pileon classify`, `pileon analyze`, `pileon eval`: label one text, every post of a database,
or a labelled JSONL file of cases (scores as the judges read them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from pileon.commands.output import console, print_json
from pileon.store import connect

__all__ = ["COMMANDS"]

_BACKEND = click.option("--backend", default="builtin", show_default=True,
                        help="Classifier backend (builtin, or one a plugin registers).")


@click.command()
@click.argument("text", nargs=-1, required=True)
@_BACKEND
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def classify(text: tuple[str, ...], backend: str, as_json: bool) -> None:
    """Label one TEXT: labels, scores, language and the words that triggered each label.

    Example: pileon classify "sen xain sen, ermenilere yazigin gelir"
    """
    from pileon.analyze.run import get_classifier  # scikit-learn loads only when needed

    joined = " ".join(text)
    result = get_classifier(backend).classify([joined])[0]
    if as_json:
        print_json({"text": joined, **result.to_json()})
        return
    out = click.echo
    out(f"language: {result.lang} (confidence {result.lang_confidence:.2f}"
        + (", written in another script" if result.translit else "") + ")")
    out("labels:   " + ", ".join(result.labels))
    ranked = sorted(result.scores.items(), key=lambda kv: -kv[1])
    out("scores:   " + ", ".join(f"{k} {v:.2f}" for k, v in ranked if v >= 0.05))
    for e in result.evidence:
        why = e.rule + (f" (cue: {e.cue!r})" if e.cue else "")
        out(f"evidence: {e.category:17} {joined[e.start:e.end]!r} [{e.start}:{e.end}] {why}")
    out(f"model:    {result.backend} {result.model_version}")


@click.command()
@click.argument("db", type=click.Path(dir_okay=False, path_type=Path))
@_BACKEND
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Processes to use (default: every core).")
@click.option("--force", is_flag=True,
              help="Score every post again with this model (new rows; older runs are kept).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def analyze(db: Path, backend: str, workers: int | None, force: bool, quiet: bool,
            as_json: bool) -> None:
    """Label every post of DB not yet labelled by this model; resumable, on every core.

    Scores go to table `scores` beside older models' rows; the user's decisions are never
    touched. Next: `pileon triage DB`.
    """
    from pileon.analyze.run import analyze_db

    conn = connect(db, create=False)
    try:
        with Progress(TextColumn("[bold]labelling posts"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=console, transient=True,
                      disable=quiet or as_json or not console.is_terminal) as bar:
            task = bar.add_task("analyze", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = analyze_db(conn, backend, workers, force, progress)
    finally:
        conn.close()
    summary: dict[str, Any] = {"run_id": result.run_id, "backend": result.backend,
               "model_version": result.model_version, "analysed": result.analysed,
               "scored_in_run": result.total, "seconds": round(result.seconds, 2)}
    if as_json:
        note = _second_stage(backend)
        if note:
            summary["second_stage"] = note
        print_json(summary)
    elif not quiet:
        rate = result.analysed / result.seconds if result.seconds > 0 else 0.0
        console.print(f"labelled {result.analysed} posts with {result.backend} "
                      f"{result.model_version} in {result.seconds:.1f}s ({rate:,.0f} posts/s)"
                      + ("" if result.analysed else " — nothing new to label"))
        note = _second_stage(backend)
        if note:
            console.print(note)
        console.print(f"next: pileon triage {db}")


def _second_stage(backend: str) -> str | None:
    """What the builtin classifier's e5 second stage did (None for other backends)."""
    from pileon.analyze.run import get_classifier

    describe = getattr(get_classifier(backend), "second_stage", None)
    return str(describe()) if callable(describe) else None


def _print_report(report: dict[str, Any]) -> None:
    out = console.print
    if report.get("macro_f1") is not None:
        table = Table(title=f"per label ({report['n']} cases)")
        for col in ("label", "precision", "recall", "F1", "support"):
            table.add_column(col, justify="left" if col == "label" else "right")
        for label, m in report["per_label"].items():
            if m["support"] or m["precision"]:
                table.add_row(label, f"{m['precision']:.3f}", f"{m['recall']:.3f}",
                              f"{m['f1']:.3f}", str(m["support"]))
        out(table)
        out(f"macro-F1: {report['macro_f1']:.3f}   supportive recall: "
            f"{report['supportive_recall'] if report['supportive_recall'] is not None else '-'}"
            f"   civil disagreement flagged as abuse: "
            f"{report['civil_disagreement_flagged_as_abuse']}")
    langs = Table(title="per language")
    for col in ("lang", "n", "macro-F1", "abusive acc", "abusive F1"):
        langs.add_column(col, justify="left" if col == "lang" else "right")
    for lang, m in report["per_language"].items():
        macro = m.get("macro_f1")
        langs.add_row(lang, str(m["n"]), "-" if macro is None else f"{macro:.3f}",
                      f"{m['binary_accuracy']:.3f}", f"{m['binary_f1']:.3f}")
    out(langs)
    b = report["binary"]
    out(f"abusive vs not: accuracy {b['accuracy']:.3f}, F1 {b['f1']:.3f}, macro-F1 "
        f"{b['macro_f1']:.3f}  (tp {b['tp']} fp {b['fp']} tn {b['tn']} fn {b['fn']})")
    if report.get("lang_accuracy") is not None:
        line = f"language ID accuracy: {report['lang_accuracy']:.3f}"
        if report.get("lang_wordless") and report.get("lang_accuracy_worded") is not None:
            line += (f"  ({report['lang_accuracy_worded']:.3f} on the replies with words; "
                     f"{report['lang_wordless']} without letters are `und`)")
        out(line)
    confusion = Table(title="where the harm lands")
    for col in ("gold", "predicted abusive", "predicted not abusive"):
        confusion.add_column(col)
    for group, row in report["confusion"].items():
        confusion.add_row(group, str(row["predicted abusive"]), str(row["predicted not abusive"]))
    out(confusion)
    if report.get("per_group"):
        groups = Table(title="abusive-vs-not accuracy per functionality / hard-case tag")
        groups.add_column("group")
        groups.add_column("n", justify="right")
        groups.add_column("accuracy", justify="right")
        for name, m in report["per_group"].items():
            groups.add_row(name, str(m["n"]), f"{m['abusive_accuracy']:.3f}")
        out(groups)
    if report["worst_errors"]:
        out("worst errors:")
        for e in report["worst_errors"]:
            out(f"  {e['id']} [{e['lang']}] gold {e['gold']} predicted {e['predicted']}: "
                f"{e['text'][:90]!r}", markup=False)


@click.command(name="eval")
@click.argument("cases", type=click.Path(dir_okay=False, path_type=Path))
@_BACKEND
@click.option("--binary", is_flag=True,
              help="Cases are {text, abusive} (detected automatically when labels are absent).")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object: n, macro_f1, per_label, per_language, supportive_recall, "
                   "lang_accuracy, binary.")
def eval_cases(cases: Path, backend: str, binary: bool, as_json: bool) -> None:
    """Score the classifier on labelled CASES (JSONL): per-label P/R/F1, macro-F1, per language.

    Lines: {"id", "lang", "text", "labels": [...]} or, for binary suites, {"text", "abusive"}.
    """
    from pileon.analyze.evaluate import evaluate, read_cases
    from pileon.analyze.run import get_classifier

    loaded = read_cases(cases, binary)
    classifier = get_classifier(backend)
    report = evaluate(loaded, classifier.classify)
    report["backend"] = backend
    report["model_version"] = classifier.version
    if as_json:
        print_json(report)
    else:
        _print_report(report)


COMMANDS = [classify, analyze, eval_cases]
