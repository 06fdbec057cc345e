"""`pileon triage`, `pileon folders`, `pileon decide`, `pileon serve`: sort, list, decide, review."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pileon.commands.output import console, echo, print_json
from pileon.errors import ConfigError, StoreError
from pileon.store import connect
from pileon.store.triage import (
    DecisionInput,
    batch_size,
    iter_folder_posts,
    latest_run,
    posts_with_id,
)
from pileon.triage.decisions import ACTIONS
from pileon.triage.folders import FOLDERS
from pileon.triage.rules import load_rules
from pileon.triage.run import TriageResult, explain_post, record_decisions, run_triage

__all__ = ["COMMANDS", "ensure_triaged"]

_DB = click.argument("db", type=click.Path(dir_okay=False, path_type=Path))


def _say_result(result: TriageResult) -> None:
    c = result.counts
    console.print(
        f"triage run {result.run_id}: {result.posts} replies in {result.seconds:.1f} s —"
        f" support {c['support']}, inbox {c['inbox']}, review {c['review']},"
        f" shielded {c['shielded']}" + (f"; {result.decided} placed by your own decisions"
                                       if result.decided else ""))
    if not result.analysed and result.posts:
        console.print("not analysed yet: every reply is in review until you run"
                      " `pileon analyze DB`, then `pileon triage DB` again.")


def ensure_triaged(db: Path) -> None:
    """Run triage with the default rules when the database has none yet (and say so)."""
    conn = connect(db, create=False)
    try:
        if latest_run(conn) is None:
            console.print("no triage yet: sorting the replies with the default rules first.")
            _say_result(run_triage(conn, load_rules(None)))
    finally:
        conn.close()


@click.command()
@click.argument("db", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False, path_type=Path),
              help="A rules TOML file (default: the commented defaults shipped with pileon).")
@click.option("--explain", "explain_id", metavar="POST_ID",
              help="Say which rule put this post where, with which scores; change nothing.")
@click.option("--print-default-rules", is_flag=True, help="Print the default rules and exit.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def triage(db: Path | None, rules_path: Path | None, explain_id: str | None,
           print_default_rules: bool, as_json: bool) -> None:
    """Sort replies into folders: support, inbox, review, shielded.

    Folders come from the classifier's scores, account signals and coordinated clusters, by
    the rules file; your own decisions always win and are never changed. Each run is kept.
    """
    if print_default_rules:
        from pileon.triage.rules import default_rules_text

        click.echo(default_rules_text(), nl=False)
        return
    if db is None:
        raise click.UsageError("Missing argument 'DB'.")
    rules = load_rules(rules_path)
    conn = connect(db, create=False)
    try:
        if explain_id:
            found = explain_post(conn, explain_id)
            if not found:
                raise StoreError(f"no triaged post with id, URI or URL {explain_id!r}",
                                 path=str(db), hint="check the id with `pileon show`")
            for item in found:
                if as_json:
                    print_json(item)
                else:
                    _print_explain(item)
            return
        result = run_triage(conn, rules)
    finally:
        conn.close()
    if as_json:
        print_json({"run_id": result.run_id, "posts": result.posts, "counts": result.counts,
                    "analysed": result.analysed, "user_decisions_applied": result.decided})
    else:
        _say_result(result)


def _print_explain(item: dict[str, object]) -> None:
    out = echo
    out(f"{item['platform']}:{item['id']}  folder {item['folder']}"
        + (" (your decision)" if item["decided_by_user"] else ""))
    out(f"  rules put it in {item['model_folder']} by rule '{item['rule']}'"
        f" ({item['rules']}, run {item['run_id']})")
    explain = item["explain"]
    assert isinstance(explain, dict)
    if "why" in explain:
        out(f"  {explain['why']}")
    if item["category"]:
        out(f"  deciding category: {item['category']}"
            + (f" (threshold {explain['threshold']})" if "threshold" in explain else ""))
    if "supportive" in explain:
        out(f"  supportive score {explain['supportive']}")
    if explain.get("abuse"):
        out("  abuse scores: " + ", ".join(f"{k} {v}" for k, v in explain["abuse"].items()))
    out(f"  labels: {', '.join(item['labels']) or '-'}   language: {item['lang'] or '?'}"  # type: ignore[arg-type]
        )
    out(f"  account signals: {', '.join(item['signals']) or 'none'}"  # type: ignore[arg-type]
        + ("  (throwaway: shield thresholds lowered by"
           f" {explain['shield_discount']})" if explain.get("throwaway_account") else ""))
    if item["cluster_id"]:
        out(f"  member of near-duplicate cluster {item['cluster_id']}")
    if "accusation" in explain:
        out(f"  second-person accusation {explain['accusation']!r} with the counter-speech cue"
            f" {explain['cue']!r}: support is earned, so it waits in review")
    words = explain.get("words")
    if isinstance(words, dict) and words:
        out("  its words: " + ", ".join(f"{kind} cue {found!r}" for kind, found in words.items()))
    copies = explain.get("copies")
    if isinstance(copies, dict) and "read_together" in copies:
        out(f"  one text, one fate: {copies['size']} copies ({' and '.join(copies['how'])});"
            f" only single scores held them back, so each exact text is read together (average"
            f" supportive {copies.get('mean_supportive', '?')}):"
            f" {copies['read_together']} (this copy alone: {copies['own_folder']} by"
            f" '{copies['own_rule']}')")
    elif isinstance(copies, dict):
        out(f"  one text, one fate: {copies['size']} copies ({' and '.join(copies['how'])});"
            f" the strictest, {copies['strictest_copy']}, is in {copies['its_folder']} by"
            f" '{copies['its_rule']}' (this copy alone: {copies['own_folder']})")
    if explain.get("kind"):
        out(f"  aimed at you as a {explain['kind']}")
    for d in item["decisions"]:  # type: ignore[attr-defined]
        out(f"  your decision {d['decided_at']}: {d['action']} {d['value'] or ''}"
            f" {('— ' + d['reason']) if d['reason'] else ''}")


#: What each folder is called in the review UI (docs/glossary.md), beside its id.
FOLDER_TITLES = {"support": "Support", "inbox": "Inbox", "review": "To review (blurred)",
                 "shielded": "Abusive replies (blurred)"}


@click.command()
@_DB
@click.option("--folder", type=click.Choice(FOLDERS), help="Only this folder's posts.")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per post: id, platform, text, folder, labels, lang, ...")
@click.option("--show-shielded", is_flag=True,
              help="Print the text of abusive and to-review posts too (hidden by default in"
                   " the terminal, as they are blurred in the review UI; --json keeps it).")
def folders(db: Path, folder: str | None, as_json: bool, show_shielded: bool) -> None:
    """Counts per folder, or the posts of one folder (--json: one object a line)."""
    ensure_triaged(db)
    conn = connect(db, create=False)
    try:
        run = latest_run(conn)
        assert run is not None
        if not as_json and folder is None:
            counts = json.loads(run["counts_json"])
            for name in FOLDERS:
                click.echo(f"{name:10} {counts.get(name, 0):8d}  {FOLDER_TITLES[name]}")
            return
        for row in iter_folder_posts(conn, int(run["id"]), folder):
            labels = json.loads(row["labels_json"])
            if as_json:
                print_json({"id": row["post_id"], "platform": row["platform"],
                            "text": row["text"], "folder": row["folder"], "labels": labels,
                            "lang": row["lang"], "category": row["category"],
                            "rule": row["rule"], "created_at": row["created_at"],
                            "author_id": row["author_id"], "url": row["url"],
                            "decided_by_user": bool(row["decided"]),
                            "signals": [s for s in row["signals"].split(",") if s],
                            "cluster_id": row["cluster_id"]})
                continue
            text = row["text"]
            if row["folder"] == "shielded" and not show_shielded:
                text = f"[hidden: {row['category'] or 'abuse'}]"
            elif row["folder"] == "review" and not show_shielded:
                text = f"[hidden, might be: {row['category'] or 'not checked yet'}]"
            echo(f"{row['platform']}:{row['post_id']}  {row['lang'] or '?':3} "
                       f"{text.replace(chr(10), ' ')[:120]}")
    finally:
        conn.close()


@click.command()
@_DB
@click.argument("post_ids", nargs=-1, required=True)
@click.option("--action", type=click.Choice([a for a in ACTIONS if a != "undo"]),
              required=True, help="What to do with the posts.")
@click.option("--value", help="Folder for move, text for note, category for mark_abuse.")
@click.option("--reason", help="Why (kept with the decision).")
@click.option("--platform", help="Platform, when an id exists on several.")
@click.option("--all-copies", is_flag=True,
              help="Apply the decision to every copy of each post too (the same text, or the"
                   " same coordination cluster, in the newest triage run).")
def decide(db: Path, post_ids: tuple[str, ...], action: str, value: str | None,
           reason: str | None, platform: str | None, all_copies: bool) -> None:
    """Record your own decision about posts; it wins over the model and is kept forever."""
    conn = connect(db, create=False)
    try:
        items: list[DecisionInput] = []
        for post_id in post_ids:
            rows = posts_with_id(conn, post_id, platform)
            if not rows:
                raise StoreError(f"no post with id {post_id!r}", path=str(db))
            items.extend(DecisionInput(p, i, action, value, reason) for p, i in rows)
        batch = record_decisions(conn, items, via="cli", all_copies=all_copies)
        recorded = batch_size(conn, batch)
    finally:
        conn.close()
    console.print(f"recorded {recorded} decision(s) ({action}), batch {batch}"
                  + (f" ({recorded - len(items)} of them on copies)" if all_copies else ""))


@click.command()
@_DB
@click.option("--port", type=int, default=8765, show_default=True,
              help="Port on 127.0.0.1; the next free one is used if it is taken.")
@click.option("--no-browser", is_flag=True, help="Do not open a browser; just print the link.")
@click.option("--helper", "helpers", multiple=True, metavar="NAME",
              help="Also print a one-time link for a trusted helper called NAME, who reviews"
                   " “To review” and “Abusive replies” unblurred and decides; each decision"
                   " records who made it. Repeatable. The author can remove a helper in"
                   " Settings.")
@click.option("--new-link", is_flag=True,
              help="Do not start a server: print a fresh one-time link from the one already"
                   " running on DB (with --helper NAME: a link for that helper), without"
                   " restarting it.")
def serve(db: Path, port: int, no_browser: bool, helpers: tuple[str, ...],
          new_link: bool) -> None:
    """Open the review UI on 127.0.0.1 (never on the network), with a one-time link."""
    from pileon.web.serve import request_new_link, serve_forever

    if not db.exists():
        raise StoreError("no such database", path=str(db),
                         hint="run `pileon ingest` or `pileon demo` first")
    names = tuple(dict.fromkeys(n.strip() for n in helpers if n.strip()))
    if any(len(n) > 60 or not n.isprintable() for n in names):
        raise click.BadParameter("a helper's name is at most 60 printable characters",
                                 param_hint="--helper")
    if new_link:
        for name in names or (None,):
            link = request_new_link(db, name)
            console.print(f"new one-time link for your helper {name}: " if name
                          else "new one-time link: ", end="", soft_wrap=True)
            click.echo(link)  # the link alone on stdout, for scripts
        return
    ensure_triaged(db)
    serve_forever(db, port=port, open_browser=not no_browser, helpers=names)


@click.command(name="triage-eval")
@click.argument("cases", nargs=-1, required=True,
                type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False, path_type=Path),
              help="A rules TOML file (default: the shipped defaults).")
@click.option("--backend", default="builtin", show_default=True, help="Classifier backend.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per language.")
def triage_eval(cases: tuple[Path, ...], rules_path: Path | None, backend: str,
                as_json: bool) -> None:
    """Classify labelled CASES (JSONL: lang, text, labels) and sort them by the rules.

    Prints, per language, how many supportive replies the rules would shield (target: at most
    2%), how many abusive replies they would put in support (target: at most 1%), and how
    many supportive replies reach Support (the higher the better).
    """
    from pileon.triage.dev_rates import LabelledScores, folder_rates

    rules = load_rules(rules_path)
    rows = [row for path in cases for row in _labelled_lines(path)]
    from pileon.analyze.run import get_classifier  # loads the model: only once input is good

    classifier = get_classifier(backend)
    results = classifier.classify([str(r["text"]) for r in rows])
    items = [LabelledScores(str(r.get("lang") or result.lang),
                            frozenset(str(label) for label in r["labels"]),  # type: ignore[attr-defined]
                            dict(result.scores), str(r["text"]))
             for r, result in zip(rows, results, strict=True)]
    for rate in folder_rates(items, rules):
        values = {"lang": rate.lang, "cases": rate.cases, "supportive": rate.supportive,
                  "supportive_shielded": rate.supportive_shielded,
                  "supportive_shielded_rate": rate.supportive_shielded_rate,
                  "supportive_in_support": rate.supportive_in_support,
                  "supportive_in_support_rate": rate.supportive_in_support_rate,
                  "abusive": rate.abusive, "abusive_in_support": rate.abusive_in_support,
                  "abusive_in_support_rate": rate.abusive_in_support_rate,
                  "folders": rate.folders}
        if as_json:
            print_json(values)
            continue
        click.echo(f"{rate.lang:4} supportive shielded"
                   f" {_share(rate.supportive_shielded, rate.supportive):16}"
                   f"{_mark(rate.supportive_shielded_rate, 0.02)} abuse in support"
                   f" {_share(rate.abusive_in_support, rate.abusive):16}"
                   f"{_mark(rate.abusive_in_support_rate, 0.01)} supportive in support"
                   f" {_share(rate.supportive_in_support, rate.supportive):16} folders"
                   f" {rate.folders}")


def _mark(rate: float | None, target: float) -> str:
    """' ok' or ' OVER' beside a rate, against its target."""
    if rate is None:
        return "     "
    return "   ok" if rate <= target else " OVER"


def _share(n: int, total: int) -> str:
    return f"{n}/{total} ({100 * n / total:.1f}%)" if total else "-"


def _labelled_lines(path: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise ConfigError(f"not JSON ({exc})", path=str(path),
                                  record=f"line {number}") from exc
            if not isinstance(row, dict) or not isinstance(row.get("labels"), list) \
                    or not isinstance(row.get("text"), str):
                raise ConfigError("needs \"text\" and a \"labels\" list", path=str(path),
                                  record=f"line {number}")
            rows.append(row)
    return rows


COMMANDS = [triage, folders, decide, serve, triage_eval]
