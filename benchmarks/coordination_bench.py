"""Coordination throughput, peak memory and quality on TWO generators in one run, beside baselines.

    python benchmarks/coordination_bench.py --size 100k,1m        # both generators, both sizes
    python benchmarks/coordination_bench.py --size 1m --source plan --generators demo
    python benchmarks/coordination_bench.py --db thread.db --truth truth.jsonl --generators demo
    python benchmarks/coordination_bench.py --size 100k,1m --generators qut,independent \
        --workdir /work/lead-cache/i15/bench --workers 2,1     # kept threads and databases

Generators:
  demo  the project's demo plan (pileon/demo), with profiles, through the store or straight
        from the plan (--source plan)
  qut   benchmarks/qut_pileon.py, written apart from the demo: one QUT-toolkit-layout CSV
        without profile fields, ingested with --map; stock replies, slogans, chaining bait,
        several targets, one 25-account wave per 1,000 posts. Measured as a user runs it:
        `pileon coordination DB --json` in its own process (wall, peak RSS), then scored on
        the store: coordinated-post precision/recall, co-wave pairs linked, organic accounts
        linked, largest cluster.
  independent  benchmarks/independent/generate.py and score.py (the held-back judge: read only,
        its constants never tuned on): headline shares, slow waves, Azerbaijani in two scripts.

Every measurement runs in its own subprocess, so its peak RSS (getrusage ru_maxrss) is its own:
  baseline     exact-duplicate grouping by hash of the raw text (what a plain GROUP BY finds)
  pileon       the whole coordination analysis (near-duplicate clusters, synchronised groups,
               bursts, account signals, co-action graph), its near-duplicate part timed alone too
  datasketch   plain MinHash + MinHashLSH (128 permutations, 5-shingles, threshold 0.7) on the
               first --datasketch-posts posts only (it needs minutes at 100k)
Wave membership precision and recall are measured against the demo's truth.jsonl.
Targets (issue 15): at 1M posts on 2 cores <= 60 s and <= 2 GB peak; coordinated-post precision
and recall >= 0.95; organic accounts linked <= 1%; co-wave pairs linked >= 95%.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- loading a batch --------------------------------------------------------------------------

def _batch_from_plan(size: str) -> tuple[Any, dict[str, Any], set[tuple[str, str]]]:
    from pileon.coordinate.batch import PostBatch
    from pileon.demo.generate import parse_size
    from pileon.demo.plan import DemoPlan
    from pileon.records import Account

    plan = DemoPlan(parse_size(size), 13)
    cols: dict[str, list[Any]] = {k: [] for k in ("platforms", "ids", "texts", "authors", "kinds")}
    times, accounts, planted = [], {}, set()
    for stream in plan.streams.values():
        for post in plan.posts(stream, newest_first=False):
            post_id = f"{post.kind}-{post.wave or 'o'}-{post.unique}"
            prefix = "".join(f"@{p.handle} " for p in post.mentions)
            cols["platforms"].append(post.platform)
            cols["ids"].append(post_id)
            cols["texts"].append(prefix + post.text)
            cols["authors"].append(post.author.key)
            cols["kinds"].append(post.kind)
            times.append(post.at_ms)
            person = post.author
            key = f"{post.platform}:{person.key}"
            if key not in accounts:
                accounts[key] = Account(
                    platform=post.platform, id=person.key, handle=person.handle,
                    created_at=_utc(person.created_ms), followers_count=person.followers,
                    posts_count=person.posts, has_avatar=person.has_avatar)
            if post.wave:
                planted.add((post.platform, post_id))
    n = len(cols["ids"])
    batch = PostBatch(created_ms=np.array(times, dtype=np.int64), reply_to=[None] * n,
                      quote_of=[None] * n, **cols)
    return batch, accounts, planted


def _utc(ms: int) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC)


def _batch_from_db(db: str, truth: str | None) -> tuple[Any, dict[str, Any], set[tuple[str, str]]]:
    from pileon.store import connect
    from pileon.store.coordination import load_accounts, load_batch

    conn = connect(db, create=False)
    batch, accounts = load_batch(conn), load_accounts(conn)
    conn.close()
    planted = set()
    if truth:
        with open(truth, encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                if row.get("wave"):
                    planted.add((row["platform"], row["id"]))
    return batch, accounts, planted


# --- the measurements (each in a child process) ------------------------------------------------

def measure(what: str, args: argparse.Namespace) -> dict[str, Any]:
    loaded = time.perf_counter()
    if args.source == "plan":
        batch, accounts, planted = _batch_from_plan(args.size)
    else:
        batch, accounts, planted = _batch_from_db(args.db, args.truth)
    load_s = time.perf_counter() - loaded
    n = len(batch)
    started = time.perf_counter()
    if what == "baseline":
        groups: dict[bytes, int] = {}
        for text in batch.texts:
            digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
            groups[digest] = groups.get(digest, 0) + 1
        seconds = time.perf_counter() - started
        return {"what": what, "posts": n, "seconds": seconds, "load_s": load_s,
                "groups>=2": sum(1 for v in groups.values() if v >= 2), "rss_mb": _rss_mb()}
    if what == "datasketch":
        from datasketch import MinHash, MinHashLSH

        from pileon.coordinate.text_key import coordination_text

        texts = batch.texts[: args.datasketch_posts]
        started = time.perf_counter()
        lsh = MinHashLSH(threshold=0.7, num_perm=128)
        for i, text in enumerate(texts):
            key = coordination_text(text) or " "
            m = MinHash(num_perm=128)
            m.update_batch([key[j:j + 5].encode() for j in range(max(1, len(key) - 4))])
            lsh.insert(str(i), m)
        seconds = time.perf_counter() - started
        return {"what": what, "posts": len(texts), "seconds": seconds, "load_s": load_s,
                "rss_mb": _rss_mb()}
    from pileon.coordinate import CoordinationParams, analyse_coordination
    from pileon.coordinate.near_duplicates import near_duplicate_groups

    params = CoordinationParams()
    started = time.perf_counter()
    clusters = near_duplicate_groups(batch.texts, params)
    near_s = time.perf_counter() - started
    del clusters
    started = time.perf_counter()
    result = analyse_coordination(batch, accounts, params)
    seconds = time.perf_counter() - started
    found = {(batch.platforms[r], batch.ids[r]) for c in result.clusters for g in c.groups
             for r in g.coordinated_members}
    hit = len(found & planted)
    return {"what": what, "posts": n, "seconds": seconds, "near_duplicates_s": near_s,
            "load_s": load_s, "rss_mb": _rss_mb(), "clusters": len(result.clusters),
            "coordinated_groups": sum(g.coordinated for c in result.clusters for g in c.groups),
            "precision": hit / len(found) if found else None,
            "recall": hit / len(planted) if planted else None}


def _timed(cmd: list[str]) -> dict[str, Any]:
    """Run `cmd` in its own process: wall, CPU (its children included) and peak RSS (the
    largest single process of its tree: os.wait4's ru_maxrss), beside the load average."""
    import os

    before = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"Error: {' '.join(cmd)} failed")
    return {"wall_s": round(time.perf_counter() - started, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "rss_mb": round(usage.ru_maxrss / 1024), "load": f"{before:.1f}->"
            f"{os.getloadavg()[0]:.1f}", "summary": json.loads(out)["counts"]}


def _coordination_runs(db: Path, workers: list[int]) -> dict[str, Any]:
    pileon = str(Path(sys.executable).parent / "pileon")
    return {f"workers={w}": _timed([pileon, "coordination", str(db), "--json", "--workers",
                                    str(w)]) for w in workers}


def _prepared(folder: Path, db: Path, make: list[str], mapping: str) -> dict[str, Any]:
    """Generate (unless `folder` holds a thread already) and ingest (unless `db` exists)."""
    timing: dict[str, Any] = {}
    if not (folder / "thread.csv").exists():
        started = time.perf_counter()
        subprocess.run(make, check=True, capture_output=True)
        timing["generate_s"] = round(time.perf_counter() - started, 1)
    if not db.exists():
        started = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "pileon"), "ingest", str(db),
                        str(folder / "thread.csv"), "--map", mapping, "--quiet"],
                       check=True, capture_output=True)
        timing["ingest_s"] = round(time.perf_counter() - started, 1)
    return timing


def _independent(size: str, workdir: Path, workers: list[int]) -> dict[str, Any]:
    """benchmarks/independent: the judge's generator and scorer (read only; not tuned on)."""
    from pileon.demo.generate import parse_size

    here = Path(__file__).parent / "independent"
    folder, db = workdir / f"independent-{size}", workdir / f"independent-{size}.db"
    row: dict[str, Any] = {"generator": "independent", "size": size}
    row.update(_prepared(folder, db, [sys.executable, str(here / "generate.py"), str(folder),
                                      "--posts", str(parse_size(size)), "--seed", "7"],
                         "id=message_id,reply_to=reply_id"))
    row["runs"] = _coordination_runs(db, workers)
    sys.path.insert(0, str(here))
    import score as judge

    r = judge.score(folder, db)
    row.update({"precision": r["coordinated_posts"]["precision"],
                "recall": r["coordinated_posts"]["recall"],
                "flagged_by_category": r["coordinated_posts"]["flagged_by_category"],
                "recall_by_span": r["fast_recall_by_span"], "recall_by_kind": r["recall_by_kind"],
                "co_wave_pairs_direct": r["co_wave_pairs"]["linked_directly"],
                "co_wave_pairs_component": r["co_wave_pairs"]["same_component"],
                "organic_accounts_linked": r["organic_accounts_linked"]["share"],
                "largest_cluster": r.get("largest_cluster", {}).get("size"),
                "clusters_mixing_waves": r.get("clusters_mixing_waves")})
    return row


def _qut_reused(size: str, workdir: Path, workers: list[int]) -> dict[str, Any]:
    """The qut generator with a kept work folder: generate and ingest only what is missing."""
    from pileon.demo.generate import parse_size

    sys.path.insert(0, str(Path(__file__).parent))
    import qut_pileon

    folder, db = workdir / f"qut-{size}", workdir / f"qut-{size}.db"
    row: dict[str, Any] = {"generator": "qut", "size": size}
    row.update(_prepared(folder, db, [sys.executable, str(Path(__file__).parent / "qut_pileon.py"),
                                      "generate", str(folder), "--posts",
                                      str(parse_size(size))], qut_pileon.INGEST_MAP))
    row["runs"] = _coordination_runs(db, workers)
    row.update(qut_pileon.score(db, folder))
    return row


def _qut(size: str, workdir: Path, datasketch_posts: int) -> dict[str, Any]:
    """Generate, ingest and analyse the independent generator's thread; score it."""
    from pileon.demo.generate import parse_size

    sys.path.insert(0, str(Path(__file__).parent))
    import qut_pileon

    folder = workdir / f"qut-{size}"
    started = time.perf_counter()
    qut_pileon.generate(folder, parse_size(size))
    generated = time.perf_counter() - started
    db = workdir / f"qut-{size}.db"
    started = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "pileon"), "ingest", str(db),
                    str(folder / "thread.csv"), "--map", qut_pileon.INGEST_MAP, "--quiet"],
                   check=True, capture_output=True)
    ingested = time.perf_counter() - started
    code = ("import json, resource, sys, time\n"
            "from click.testing import CliRunner\n"
            "from pileon.cli import main\n"
            "t = time.perf_counter()\n"
            "r = CliRunner().invoke(main, ['coordination', sys.argv[1], '--json'])\n"
            "assert r.exit_code == 0, r.output\n"
            "print(json.dumps({'wall_s': time.perf_counter() - t, 'rss_mb': "
            "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "
            "'summary': json.loads(r.stdout)['counts']}))\n")
    out = subprocess.run([sys.executable, "-c", code, str(db)], check=True, capture_output=True,
                         text=True).stdout
    measured = json.loads(out.strip().splitlines()[-1])
    quality = qut_pileon.score(db, folder)
    row: dict[str, Any] = {"generator": "qut", "size": size, "generate_s": round(generated, 1),
                           "ingest_s": round(ingested, 1), "wall_s": round(measured["wall_s"], 1),
                           "rss_mb": round(measured["rss_mb"]), **quality,
                           "window_effect": measured["summary"].get("window_effect")}
    if datasketch_posts:
        row["datasketch"] = _child_datasketch(str(db), datasketch_posts)
    return row


def _child_datasketch(db: str, posts: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", "datasketch", "--source", "store", "--db", db,
               "--datasketch-posts", str(posts)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    r = dict(json.loads(output.strip().splitlines()[-1]))
    return {"posts": r["posts"], "seconds": round(r["seconds"], 1), "rss_mb": round(r["rss_mb"])}


def _child(what: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", what, "--source", args.source,
               "--size", args.size, "--datasketch-posts", str(args.datasketch_posts)]
    if args.db:
        command += ["--db", args.db]
    if args.truth:
        command += ["--truth", args.truth]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def _prepare_db(args: argparse.Namespace, workdir: Path) -> None:
    from pileon.demo.generate import TRUTH_FILE, generate
    from pileon.ingest.run import ingest_file
    from pileon.store import connect

    folder = workdir / "demo"
    started = time.perf_counter()
    files = generate(folder, args.size)
    conn = connect(workdir / "thread.db")
    for path in files:
        ingest_file(conn, path)
    conn.close()
    args.db, args.truth = str(workdir / "thread.db"), str(folder / TRUTH_FILE)
    print(f"demo {args.size}: generated and ingested in {time.perf_counter() - started:.0f} s")


def _demo(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if args.source == "store" and not args.db:
            _prepare_db(args, Path(tmp))
        runs = [_child(w, args) for w in ("baseline", "pileon", "datasketch")
                if w != "datasketch" or args.datasketch_posts > 0]
    base = next(r for r in runs if r["what"] == "baseline")
    print(f"demo {args.size}:")
    print(f"{'':12} {'posts':>9} {'seconds':>8} {'posts/s':>10} {'peak RSS':>9}  notes")
    for r in runs:
        rate = r["posts"] / r["seconds"] if r["seconds"] else float("inf")
        notes = f"(batch loaded in {r['load_s']:.1f} s, not timed)"
        if r["what"] == "pileon":
            notes = (f"near-duplicates alone {r['near_duplicates_s']:.1f} s; "
                     f"{r['clusters']} clusters, {r['coordinated_groups']} coordinated groups; "
                     f"wave precision {r['precision']}, recall {r['recall']}; "
                     f"{r['seconds'] / base['seconds']:.1f}x the baseline's time")
        print(f"{r['what']:12} {r['posts']:9d} {r['seconds']:8.2f} {rate:10.0f} "
              f"{r['rss_mb']:7.0f}MB  {notes}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k", help="one size or a comma list: 100k,1m")
    parser.add_argument("--generators", default="demo,qut")
    parser.add_argument("--source", choices=["store", "plan"], default="store")
    parser.add_argument("--db")
    parser.add_argument("--truth")
    parser.add_argument("--datasketch-posts", type=int, default=10_000)
    parser.add_argument("--child")
    parser.add_argument("--workdir", type=Path,
                        help="keep generated threads and databases here and reuse them "
                             "(qut and independent generators)")
    parser.add_argument("--workers", default="2,1",
                        help="`pileon coordination --workers` values to time (with --workdir)")
    args = parser.parse_args(argv[1:])
    if args.child:
        print(json.dumps(measure(args.child, args)))
        return 0
    generators = args.generators.split(",")
    for size in args.size.split(","):
        args.size = size
        if "demo" in generators:
            _demo(argparse.Namespace(**vars(args)))
        workers = [int(w) for w in args.workers.split(",")]
        if "qut" in generators:
            if args.workdir:
                args.workdir.mkdir(parents=True, exist_ok=True)
                row = _qut_reused(size, args.workdir, workers)
            else:
                with tempfile.TemporaryDirectory() as tmp:
                    row = _qut(size, Path(tmp), args.datasketch_posts)
            print(f"qut {size}: " + json.dumps(row), flush=True)
        if "independent" in generators:
            if args.workdir:
                args.workdir.mkdir(parents=True, exist_ok=True)
                row = _independent(size, args.workdir, workers)
            else:
                with tempfile.TemporaryDirectory() as tmp:
                    row = _independent(size, Path(tmp), workers)
            print(f"independent {size}: " + json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
