"""Judge pileon's coordination output against the independent generator's ground truth.

    python benchmarks/independent/score.py run DIR DB     # ingest DIR/thread.csv, run coordination
    python benchmarks/independent/score.py score DIR DB [--json]
    python benchmarks/independent/score.py all DIR DB [--json]

`run` uses pileon's public CLI only (`pileon ingest --map`, `pileon coordination`) and times
each command in its own process (wall clock, peak RSS from wait4, load average before and
after), saving that beside the database as DB.run.json. `score` reads the newest finished
coordination run through pileon's store functions (`latest_run`, `read_clusters`,
`read_edges`) and the documented `cluster_members` table (docs/schema.md), opened read-only;
it asks nothing of the detector's internals. Posts are "flagged" when `cluster_members
.coordinated = 1` (the per-post "coordinated" verdict); the cluster-level verdict is scored too.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

from pileon.store import coordination as store

PILEON = str(Path(sys.executable).parent / "pileon")
PLATFORM = "csv"  # pileon's platform for a CSV ingest without --platform
FAST_KINDS = ("fast", "multilingual")


def timed_rss(cmd: list[str]) -> dict:
    """Run cmd, returning wall time and the child's own peak RSS (os.wait4's rusage)."""
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=null)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    return {"cmd": " ".join(cmd), "rc": proc.returncode, "wall_s": round(wall, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_mb": round(usage.ru_maxrss / 1024.0, 1),
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
            "stdout_tail": out.decode("utf-8", "replace")[-400:]}


def run(folder: Path, db: Path) -> dict:
    if db.exists():
        raise SystemExit(f"Error: {db} exists; run needs a fresh database")
    ingest = timed_rss([PILEON, "ingest", str(db), str(folder / "thread.csv"),
                        "--map", "id=message_id,reply_to=reply_id", "-q"])
    if ingest["rc"] != 0:
        raise SystemExit(f"Error: ingest failed: {ingest}")
    coord = timed_rss([PILEON, "coordination", str(db), "--json"])
    result = {"ingest": ingest, "coordination": coord}
    Path(f"{db}.run.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    if coord["rc"] != 0:
        raise SystemExit(f"Error: coordination failed: {coord}")
    return result


def read_waves(folder: Path) -> list[dict]:
    with (folder / "waves.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def score(folder: Path, db: Path) -> dict:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    run_row = store.latest_run(conn)
    if run_row is None:
        raise SystemExit(f"Error: {db} has no finished coordination run")
    run_id = int(run_row["id"])
    clusters = store.read_clusters(conn, run_id, min_size=2)
    verdict_of = {c["id"]: c["verdict"] for c in clusters}
    flagged: set[str] = set()
    in_coord_cluster: set[str] = set()
    cluster_of: dict[str, int] = {}
    for cluster_id, platform, post_id, coordinated in conn.execute(
            "SELECT cluster_id, platform, post_id, coordinated FROM cluster_members"
            " WHERE run_id = ?", (run_id,)):
        if platform != PLATFORM:
            continue
        cluster_of[post_id] = cluster_id
        if coordinated:
            flagged.add(post_id)
        if verdict_of.get(cluster_id) == "coordinated":
            in_coord_cluster.add(post_id)
    edges = store.read_edges(conn, run_id)
    conn.close()

    waves = read_waves(folder)
    wave_kind = {w["id"]: w["kind"] for w in waves}
    wave_minutes = {w["id"]: w["minutes"] for w in waves}
    wave_accounts = {a for w in waves for a in w["accounts"]}

    # One pass over the truth: categories of flagged posts, planted posts per wave.
    planted: dict[str, int] = {}
    flagged_cat: Counter[str] = Counter()
    verdict_cat: Counter[str] = Counter()
    organic_posters: set[str] = set()
    category_of_clustered: dict[str, str] = {}
    with (folder / "truth.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            mid, cat = row["message_id"], row["category"]
            if cat == "wave":
                planted[mid] = int(row["wave_id"])
            elif row["user_id"] not in wave_accounts and cat != "root":
                organic_posters.add(row["user_id"])
            if mid in flagged:
                flagged_cat[cat if cat == "wave" or row["user_id"] not in wave_accounts
                            else f"{cat} (by a wave account)"] += 1
            if mid in in_coord_cluster:
                verdict_cat[cat] += 1
            if mid in cluster_of:
                category_of_clustered[mid] = cat

    def pr(selected: set[str], kinds: tuple[str, ...]) -> dict:
        truth = {m for m, w in planted.items() if wave_kind[w] in kinds}
        tp_any = sum(1 for m in selected if m in planted)  # a slow wave flagged is no error
        hit = sum(1 for m in truth if m in selected)
        return {"precision": ratio(tp_any, len(selected)), "recall": ratio(hit, len(truth)),
                "selected": len(selected), "planted": len(truth)}

    result: dict = {"db": str(db), "run_id": run_id, "posts_flagged": len(flagged)}
    result["coordinated_posts"] = pr(flagged, FAST_KINDS)
    result["coordinated_posts"]["flagged_by_category"] = dict(flagged_cat.most_common())
    result["cluster_verdict_coordinated"] = pr(in_coord_cluster, FAST_KINDS)
    result["cluster_verdict_coordinated"]["by_category"] = dict(verdict_cat.most_common())
    per_kind = {}
    for kind in ("fast", "multilingual", "slow"):
        per_kind[kind] = pr(flagged, (kind,))["recall"]
    result["recall_by_kind"] = per_kind
    buckets: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_wave: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for mid, wid in planted.items():
        per_wave[wid][1] += 1
        if mid in flagged:
            per_wave[wid][0] += 1
    for wid, (hit, n) in per_wave.items():
        if wave_kind[wid] == "slow":
            continue
        m = wave_minutes[wid]
        key = "2-5 min" if m < 5 else "5-10 min" if m < 10 else "10-15 min"
        buckets[key][0] += hit
        buckets[key][1] += n
    result["fast_recall_by_span"] = {k: ratio(*v) for k, v in sorted(buckets.items())}
    result["waves_found"] = {kind: f"{sum(1 for w, (h, n) in per_wave.items() if wave_kind[w] == kind and h * 2 >= n)}"
                             f"/{sum(1 for w in per_wave if wave_kind[w] == kind)}"
                             for kind in ("fast", "multilingual", "slow")}

    # Chaining: clusters holding planted posts of more than one wave, or planted and organic.
    waves_in: dict[int, set[int]] = defaultdict(set)
    for mid, cid in cluster_of.items():
        if mid in planted:
            waves_in[cid].add(planted[mid])
    result["clusters_mixing_waves"] = sum(1 for s in waves_in.values() if len(s) > 1)

    if clusters:
        top = clusters[0]
        members = [m for m, c in cluster_of.items() if c == top["id"]]
        result["largest_cluster"] = {
            "size": top["size"], "accounts": top["accounts"], "verdict": top["verdict"],
            "categories": dict(Counter(category_of_clustered.get(m, "?") for m in members)
                               .most_common())}
        coordinated_sizes = [c["size"] for c in clusters if c["verdict"] == "coordinated"]
        result["largest_coordinated_cluster"] = max(coordinated_sizes, default=0)
    result["clusters"] = len(clusters)

    # The co-action graph: co-wave pairs linked, organic accounts linked.
    linked_pairs: set[tuple[str, str]] = set()
    linked_accounts: set[str] = set()
    any_edge_accounts: set[str] = set()
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        parent.setdefault(a, a)
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    prefix = f"{PLATFORM}:"
    for e in edges:
        a, b = e["source"].removeprefix(prefix), e["target"].removeprefix(prefix)
        any_edge_accounts.update((a, b))
        if e["co_posts"] >= 1 or e["co_replies"] >= 2:  # docs/coordination.md's component rule
            linked_pairs.add((a, b) if a < b else (b, a))
            linked_accounts.update((a, b))
            parent[find(a)] = find(b)
    for kinds, name in ((FAST_KINDS, "co_wave_pairs"), (("slow",), "co_slow_wave_pairs")):
        pairs: set[tuple[str, str]] = set()
        for w in waves:
            if w["kind"] in kinds:
                pairs.update(tuple(sorted(p)) for p in combinations(set(w["accounts"]), 2))
        direct = sum(1 for p in pairs if p in linked_pairs)
        component = sum(1 for a, b in pairs if a in parent and b in parent and find(a) == find(b))
        result[name] = {"pairs": len(pairs), "linked_directly": ratio(direct, len(pairs)),
                        "same_component": ratio(component, len(pairs))}
    organic_linked = organic_posters & linked_accounts
    result["organic_accounts_linked"] = {
        "linked": len(organic_linked), "organic_accounts": len(organic_posters),
        "share": ratio(len(organic_linked), len(organic_posters)),
        "with_any_edge": len(organic_posters & any_edge_accounts)}
    components = Counter(find(a) for a in list(parent))
    result["largest_component_accounts"] = max(components.values(), default=0)

    run_file = Path(f"{db}.run.json")
    if run_file.exists():
        timing = json.loads(run_file.read_text(encoding="utf-8"))
        result["pileon_run"] = {k: {x: v[x] for x in ("wall_s", "cpu_s", "peak_rss_mb",
                                                       "load_before", "load_after")}
                                for k, v in timing.items()}
    return result


def show(r: dict) -> None:
    c, v = r["coordinated_posts"], r["cluster_verdict_coordinated"]
    print(f"run {r['run_id']} of {r['db']}")
    print(f"posts with verdict coordinated (cluster_members.coordinated=1): precision"
          f" {c['precision']} recall {c['recall']} ({c['selected']} flagged,"
          f" {c['planted']} planted in fast+multilingual waves)")
    print(f"  flagged by category: {c['flagged_by_category']}")
    print(f"posts in a cluster whose verdict is coordinated: precision {v['precision']}"
          f" recall {v['recall']} ({v['selected']} posts)")
    print(f"recall by wave kind: {r['recall_by_kind']}; fast+multilingual by span:"
          f" {r['fast_recall_by_span']}; waves with >=half their posts flagged:"
          f" {r['waves_found']}")
    for name in ("co_wave_pairs", "co_slow_wave_pairs"):
        p = r[name]
        print(f"{name.replace('_', ' ')} linked: {p['linked_directly']} directly,"
              f" {p['same_component']} same component (of {p['pairs']})")
    o = r["organic_accounts_linked"]
    print(f"organic accounts linked: {o['linked']} of {o['organic_accounts']} ({o['share']});"
          f" with any edge {o['with_any_edge']}")
    if "largest_cluster" in r:
        print(f"largest cluster: {r['largest_cluster']}; largest coordinated cluster:"
              f" {r['largest_coordinated_cluster']} posts; clusters mixing waves:"
              f" {r['clusters_mixing_waves']}; largest co-action component:"
              f" {r['largest_component_accounts']} accounts")
    for stage, t in r.get("pileon_run", {}).items():
        print(f"pileon {stage}: wall {t['wall_s']} s, CPU {t['cpu_s']} s, peak RSS"
              f" {t['peak_rss_mb']} MB (load avg {t['load_before']} -> {t['load_after']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("run", "score", "all"))
    parser.add_argument("folder", type=Path, help="the generator's output folder")
    parser.add_argument("db", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.action in ("run", "all"):
        run(args.folder, args.db)
    if args.action in ("score", "all"):
        r = score(args.folder, args.db)
        if args.json:
            print(json.dumps(r, ensure_ascii=False))
        else:
            show(r)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
