"""`pileon coordination`, `pileon clusters`, `pileon graph`: find coordinated behaviour in a
thread, list near-duplicate clusters, export the co-action graph for Gephi."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import click

from pileon.commands.output import console, echo, print_json
from pileon.coordinate.graph_export import FORMATS, GraphEdge, GraphNode, render_graph
from pileon.coordinate.results import WINDOW_SEMANTICS, CoordinationParams
from pileon.coordinate.tables import save_result
from pileon.errors import ConfigError, StoreError
from pileon.pipeline import coordinate_thread
from pileon.store import connect
from pileon.store.coordination import (
    count_posts,
    latest_run,
    read_account_signals,
    read_bursts,
    read_clusters,
    read_edges,
    run_by_id,
)
from pileon.triage.rules import load_rules

__all__ = ["COMMANDS"]

#: Posts one `pileon coordination` process takes on: 1M measured at about 1 GB peak.
MAX_THREAD_POSTS = 3_000_000
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|min|h)?\s*$")


def parse_window(value: str) -> int:
    """'10m', '600s', '1h', '600' (seconds) -> seconds."""
    match = _DURATION.match(value)
    if not match or int(match.group(1)) <= 0:
        raise ConfigError(f"window {value!r} is not a duration", hint="use e.g. 10m, 90s or 1h")
    return int(match.group(1)) * {"s": 1, None: 1, "m": 60, "min": 60, "h": 3600}[match.group(2)]


def _duration(seconds: int) -> str:
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"


def _run_or_fail(conn: Any, db: Path) -> Any:
    run = latest_run(conn)
    if run is None:
        raise StoreError("no coordination results yet", path=str(db),
                         hint=f"run `pileon coordination {db}` first")
    return run


def _short(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _when(iso: str | None) -> str:
    return "unknown" if not iso else iso[:16].replace("T", " ")


@click.command()
@click.argument("db", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--window", default="10m", show_default=True,
              help="W: synchronised = every member within W of the group's first member.")
@click.option("--threshold", type=click.FloatRange(0.05, 1.0), default=0.4, show_default=True,
              help="Exact Jaccard two texts need to count as near-duplicates.")
@click.option("--min-group", type=click.IntRange(2), default=5, show_default=True,
              help="Posts (and distinct accounts) a synchronised group needs.")
@click.option("--max-posts", type=click.IntRange(1), default=None,
              help="Refuse threads larger than this (default 3,000,000: about 2 GB).")
@click.option("--workers", type=click.IntRange(1), default=None,
              help="Processes for the map step (default: 2 from 150,000 posts up, else 1); "
                   "the result is the same for any number.")
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Triage rules file whose [account_signals] thresholds the "
                                 "account signals use (the same ones triage uses; default: "
                                 "the built-in rules).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def coordination(db: Path, window: str, threshold: float, min_group: int,
                 max_posts: int | None, workers: int | None, rules_path: Path | None,
                 as_json: bool) -> None:
    """Find near-duplicate clusters, bursts and groups consistent with coordination in DB.

    A group counts when its template is specific and its posts are far tighter in time than
    the thread's own rate predicts; profile fields add evidence only when present. Results
    are "consistent with coordination", not proof. Each run is kept beside the older ones
    (tables coordination_runs, clusters,
    cluster_members, bursts, account_signals, coaction_edges).
    """
    params = CoordinationParams(window_s=parse_window(window), jaccard_threshold=threshold,
                                min_group_size=min_group, min_group_accounts=min_group)
    params = params.with_account_signals(load_rules(rules_path).accounts.signals)
    conn = connect(db, create=False)
    started = time.perf_counter()
    posts = count_posts(conn)
    limit = max_posts or MAX_THREAD_POSTS
    if posts > limit:
        conn.close()
        raise ConfigError(
            f"{db}: {posts:,} posts are more than one process analyses within the 2 GB memory "
            f"target ({limit:,}); nothing was computed",
            hint="use campaign mode (`pileon campaign`), which partitions the posts; "
                 "or pass --max-posts to try anyway")
    batch, result = coordinate_thread(conn, params, workers)
    run_id = save_result(conn, batch, result)
    summary = _summary(conn, run_id)
    conn.close()
    summary["seconds"] = round(time.perf_counter() - started, 2)
    if as_json:
        print_json(summary)
    else:
        _print_summary(summary)


def _summary(conn: Any, run_id: int) -> dict[str, Any]:
    run = run_by_id(conn, run_id)
    if run is None:
        raise StoreError(f"coordination run {run_id} is not in the database",
                         hint="run `pileon coordination` again")
    clusters = read_clusters(conn, run_id, 2)
    return {
        "run_id": run_id,
        "window_semantics": run["window_semantics"],
        "params": json.loads(run["params_json"]),
        "counts": json.loads(run["summary_json"]),
        "not_computed": json.loads(run["not_computed_json"]),
        "largest_clusters": clusters[:10],
        "bursts": read_bursts(conn, run_id),
        "suspicious_accounts": read_account_signals(conn, run_id, 0.5)[:20],
    }


def _print_summary(s: dict[str, Any]) -> None:
    c, p = s["counts"], s["params"]
    out = console.print
    out(f"[bold]Coordination run {s['run_id']}[/] over {c['posts']} posts ({s['seconds']} s)")
    out(f"window W = {p['window_s'] // 60} min; {WINDOW_SEMANTICS}")
    out(f"near-duplicate clusters: {c['clusters']} ({c['clustered_posts']} posts, largest "
        f"{c.get('largest_cluster', '?')}); synchronised groups: {c['synchronised_groups']}; "
        f"consistent with coordination (text + time evidence): {c['coordinated_groups']} "
        f"groups, {c['coordinated_posts']} posts, {c['accounts_in_coordinated_groups']} accounts")
    if c.get("spreading_groups"):
        out(f"not counted as coordination: {c['spreading_groups']} group(s) whose text kept "
            "spreading to new accounts for an hour around them (shared headlines, links, "
            "quotes)")
    if c.get("evidence_rule"):
        out(f"rule: {c['evidence_rule']}")
    effect = c.get("window_effect") or {}
    if effect:
        out("window effect (same clusters, W re-judged): " + "; ".join(
            f"W = {_duration(int(k.split('_')[1][:-1]))}: "
            f"{effect[k]} groups, {effect[k.replace('groups', 'posts')]} posts"
            for k in sorted(effect, key=lambda k: int(k.split("_")[1][:-1]))
            if k.endswith("_coordinated_groups")))
    out(f"co-action graph: {c['components']} components, largest {c['largest_component']} "
        "accounts")
    if s["largest_clusters"]:
        out("[bold]largest clusters[/]")
        for cl in s["largest_clusters"][:5]:
            out(f"  #{cl['id']:<5} {cl['size']:5d} posts {cl['accounts']:5d} accounts  "
                f"{cl['verdict']:<14} {_when(cl['first_at'])} .. {_when(cl['last_at'])}  "
                f"“{_short(cl['template_text'], 50)}”")
    if s["bursts"]:
        out(f"[bold]bursts[/] (minutes far above the thread's own rolling median; "
            f"{len(s['bursts'])} found)")
        for b in sorted(s["bursts"], key=lambda b: -b["posts"])[:5]:
            out(f"  {_when(b['start_at'])} .. {_when(b['end_at'])}  {b['posts']} posts "
                f"(baseline {b['expected']:.0f}), peak {b['peak_per_minute']}/min, "
                f"{b['clustered_posts']} in clusters")
    if s["suspicious_accounts"]:
        out(f"[bold]accounts with score >= 0.5[/] (top {len(s['suspicious_accounts'])})")
        for a in s["suspicious_accounts"][:8]:
            out(f"  {a['platform']}:{a['handle'] or a['account_id']}  {a['score']:.2f}  "
                + "; ".join(a["reasons"][:4]))
    for note in s["not_computed"]:
        out(f"[yellow]not computed:[/] {note}")


@click.command()
@click.argument("db", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--min-size", type=click.IntRange(2), default=5, show_default=True,
              help="Only clusters with at least this many posts.")
@click.option("--coordinated", is_flag=True, help="Only clusters with a coordinated group.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per cluster.")
def clusters(db: Path, min_size: int, coordinated: bool, as_json: bool) -> None:
    """List near-duplicate clusters of the newest coordination run: size, time span,
    accounts, shared template text, categories (when the classifier has run)."""
    conn = connect(db, create=False)
    run = _run_or_fail(conn, db)
    found = read_clusters(conn, run["id"], min_size)
    conn.close()
    if coordinated:
        found = [c for c in found if c["verdict"] == "coordinated"]
    if as_json:
        for cluster in found:
            print_json(cluster)
        return
    echo(f"run {run['id']}: {len(found)} cluster(s) with >= {min_size} posts. "
               f"{run['window_semantics']}")
    for c in found:
        cats = ", ".join(f"{k} {v}" for k, v in (c["categories"] or {}).items()) or "not classified"
        echo(f"#{c['id']}  {c['size']} posts, {c['accounts']} accounts, {c['verdict']}, "
                   f"{_when(c['first_at'])} .. {_when(c['last_at'])}, similarity "
                   f"{c['min_similarity']:.2f}-1.00 (mean {c['mean_similarity']:.2f})")
        echo(f"    template: {_short(c['template_text'], 90)}")
        echo(f"    categories: {cats}")
        for g in c["groups"]:
            echo(f"    group {g['index']}: {g['size']} posts, {g['accounts']} accounts, "
                       f"{_when(g['first_at'])} .. {_when(g['last_at'])}: {g['why']}")


@click.command()
@click.argument("db", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="gexf / graphml (Gephi) or json; default from OUT's suffix.")
def graph(db: Path, out: Path, fmt: str | None) -> None:
    """Export the co-action graph of the newest coordination run (accounts linked by
    coordinated near-duplicates or co-replies to quote-posts) to OUT."""
    fmt = fmt or out.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ConfigError(f"cannot tell the format from {out.name!r}",
                          hint="use --format gexf, graphml or json")
    conn = connect(db, create=False)
    run = _run_or_fail(conn, db)
    edges = read_edges(conn, run["id"])
    accounts = {f"{a['platform']}:{a['account_id']}": a
                for a in read_account_signals(conn, run["id"])}
    conn.close()
    names = sorted({e["source"] for e in edges} | {e["target"] for e in edges})
    nodes = [GraphNode(name, (accounts.get(name) or {}).get("handle") or name,
                       {"score": (accounts.get(name) or {}).get("score"),
                        "component": (accounts.get(name) or {}).get("component"),
                        "replies": (accounts.get(name) or {}).get("replies")})
             for name in names]
    links = [GraphEdge(e["source"], e["target"], e["co_posts"] + e["co_replies"],
                       {"co_posts": e["co_posts"], "co_replies": e["co_replies"]})
             for e in edges]
    out.write_text(render_graph(nodes, links, fmt), encoding="utf-8")
    console.print(f"{out}: {len(nodes)} accounts, {len(links)} edges ({fmt})")


COMMANDS = [coordination, clusters, graph]
