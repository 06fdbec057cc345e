"""Review UI and triage speed on the 100k-reply demo thread, beside plain-SQL baselines.

    python benchmarks/web_bench.py                 # builds bench-out/web/thread.db once (demo 100k)
    python benchmarks/web_bench.py --db THREAD.db  # any triaged database

Pages: the server time of the first page of each folder (plus the first screen and the overview),
requested through the real app in-process (httpx ASGITransport: routing, security checks, SQL,
templates, no socket), beside a plain SELECT of the same 50 rows. Triage: `run_triage` over every
reply with the default rules, beside a floor that only reads the same inputs and writes as many
rows. Each part runs in its own subprocess, so its peak RSS (VmHWM) is its own.
Targets: first page <= 200 ms; triage of 100k posts <= 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("support", "inbox", "review", "shielded")
REPEAT = 7


def _peak_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a
    child of a big parent would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def build(folder: Path) -> Path:
    """The demo pile-on at 100k, coordinated, scored and triaged (tests/web/demo_db.py)."""
    sys.path.insert(0, str(ROOT / "tests" / "web"))
    import demo_db

    folder.mkdir(parents=True, exist_ok=True)
    db = demo_db.build_demo_db(folder, size="100k")
    print(f"built {db} (scores: {demo_db.SCORED_BY})", flush=True)
    return db


def pages(db: Path) -> dict[str, object]:
    import httpx

    from pileon.store import connect
    from pileon.store.triage import latest_run
    from pileon.web.app import create_app
    from pileon.web.security import Sessions

    sessions = Sessions(port=8765)
    app = create_app(db, sessions)
    conn = connect(db, create=False)
    run = latest_run(conn)
    assert run is not None, "run `pileon triage` on the database first"
    run_id = int(run["id"])

    async def timed() -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8765") as c:
            await c.get(f"/?token={sessions.token}")
            urls = {f: f"/folder/{f}" for f in FOLDERS} | {"home": "/", "overview": "/overview"}
            for name, url in urls.items():
                times = []
                for _ in range(REPEAT):
                    started = time.perf_counter()
                    response = await c.get(url)
                    times.append(time.perf_counter() - started)
                    assert response.status_code == 200, (url, response.status_code)
                out[name] = {"first_ms": times[0] * 1000,
                             "median_ms": statistics.median(times) * 1000}
        return out

    served = asyncio.run(timed())
    baseline: dict[str, float] = {}
    for folder in FOLDERS:
        times = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            conn.execute(
                "SELECT f.*, p.text, a.handle, a.display_name FROM post_folders f JOIN posts p"
                " ON p.platform=f.platform AND p.id=f.post_id LEFT JOIN accounts a ON"
                " a.platform=p.platform AND a.id=p.author_id WHERE f.run_id=? AND f.folder=?"
                " ORDER BY f.created_at DESC LIMIT 50", (run_id, folder)).fetchall()
            times.append(time.perf_counter() - started)
        baseline[folder] = statistics.median(times) * 1000
    posts = int(conn.execute("SELECT COUNT(*) FROM post_folders WHERE run_id=?",
                             (run_id,)).fetchone()[0])
    conn.close()
    return {"posts": posts, "served": served, "select_ms": baseline, "peak_mb": _peak_mb()}


def triage(db: Path) -> dict[str, object]:
    from pileon.store import connect
    from pileon.triage.rules import load_rules
    from pileon.triage.run import run_triage

    conn = connect(db, create=False)
    started, cpu = time.perf_counter(), time.process_time()
    result = run_triage(conn, load_rules(None))
    out = {"posts": result.posts, "seconds": time.perf_counter() - started,
           "cpu_seconds": time.process_time() - cpu, "peak_mb": _peak_mb()}
    conn.close()
    return out


def triage_floor(db: Path) -> dict[str, object]:
    """Read what triage reads (posts, authors, newest scores) and write as many rows, no rules."""
    from pileon.store import connect

    conn = connect(db, create=False)
    started, cpu = time.perf_counter(), time.process_time()
    inputs = conn.execute(
        "SELECT p.platform, p.id, p.created_at, p.lang_reported, a.created_at,"
        " a.followers_count, a.has_avatar FROM posts p LEFT JOIN accounts a ON"
        " a.platform=p.platform AND a.id=p.author_id WHERE p.placeholder IS NULL"
        " AND p.kind != 'root'").fetchall()
    scores = {(r[0], r[1]): json.loads(r[2]) for r in conn.execute(
        "SELECT platform, post_id, scores_json FROM scores ORDER BY analyzed_at")}
    conn.execute("CREATE TEMP TABLE floor (platform TEXT, post_id TEXT, created_at TEXT,"
                 " folder TEXT, explain TEXT)")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO floor VALUES (?,?,?,?,?)",
                     ((r[0], r[1], r[2], "inbox", json.dumps(scores.get((r[0], r[1]), {})))
                      for r in inputs))
    conn.execute("COMMIT")
    out = {"posts": len(inputs), "seconds": time.perf_counter() - started,
           "cpu_seconds": time.process_time() - cpu, "peak_mb": _peak_mb()}
    conn.close()
    return out


def child(part: str, db: Path) -> None:
    print(json.dumps({"pages": pages, "triage": triage, "floor": triage_floor}[part](db)))


def run_child(part: str, db: Path) -> dict[str, object]:
    output = subprocess.run([sys.executable, __file__, "--child", part, "--db", str(db)],
                            check=True, capture_output=True, text=True).stdout
    result: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a triaged database (default: build the demo)")
    parser.add_argument("--child", choices=["pages", "triage", "floor"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db)
        return 0
    db = args.db or ROOT / "bench-out" / "web" / "thread.db"
    if not db.exists():
        db = build(db.parent)
    shown = run_child("pages", db)
    print(f"review UI on {db} ({shown['posts']:,} triaged replies), {REPEAT} requests each:")
    print(f"  {'page':10} {'first':>9} {'median':>9}   baseline SELECT of the same 50 rows")
    served: dict[str, dict[str, float]] = shown["served"]  # type: ignore[assignment]
    select: dict[str, float] = shown["select_ms"]  # type: ignore[assignment]
    for name, t in served.items():
        base = select.get(name)
        tail = f"   {base:7.1f} ms  (x{t['median_ms'] / base:.1f})" if base else ""
        print(f"  {name:10} {t['first_ms']:7.1f} ms {t['median_ms']:7.1f} ms{tail}")
    worst = max(served[f]["median_ms"] for f in FOLDERS)
    print(f"  slowest folder first page {worst:.1f} ms (target <= 200 ms:"
          f" {'met' if worst <= 200 else 'NOT met'}); peak RSS {shown['peak_mb']:.0f} MB")
    done = run_child("triage", db)
    floor = run_child("floor", db)
    print(f"triage of {done['posts']:,} replies: {done['seconds']:.2f} s"
          f" ({done['cpu_seconds']:.2f} s CPU), peak RSS {done['peak_mb']:.0f} MB"
          f" (target <= 10 s: {'met' if float(done['seconds']) <= 10 else 'NOT met'})")  # type: ignore[arg-type]
    print(f"  floor (read the same inputs, write as many rows): {floor['seconds']:.2f} s"
          f" ({floor['cpu_seconds']:.2f} s CPU), peak RSS {floor['peak_mb']:.0f} MB;"
          f" triage = x{float(done['seconds']) / float(floor['seconds']):.1f}")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
